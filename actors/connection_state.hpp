#pragma once

// The state of a connection actor (internal; see connection_actor.hpp for
// the protocol). Everything here runs in the actor's context.

#include <list>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/response_promise.hpp>

#include "actors/connection_actor.hpp"
#include "streams/framing.hpp"
#include "streams/read_buffer.hpp"

namespace actorstreams {

/// A request that cannot be answered yet, and who asked (so that it can be
/// dropped, consuming nothing, if the requester goes away).
struct parked_request {
  caf::response_promise rp;
  caf::actor_addr from;
};

struct read_waiter {
  read_request req;
  parked_request parked;
  /// When it fails with `timeout`; none: no deadline.
  std::optional<caf::actor_clock::time_point> due;
};

/// A subscriber fed frames (push mode, docs/push.md).
struct subscription {
  caf::actor subscriber;
  /// This connection, strongly: a subscription keeps it alive until it
  /// ends (its subscriber may hold no handle to it). The `from` of frames.
  connection_actor me;
  framing how;
  /// The read of the reader core that cuts each frame.
  read_request req;
  /// Frames that may still be sent.
  std::size_t credit = 0;
  /// Frames per message, at most (1: single-frame messages).
  std::size_t batch = 1;
  /// False while reads queued before the subscription still wait.
  bool active = false;
};

struct connection_state {
  using time_point = caf::actor_clock::time_point;

  static inline const char* name = "actorstreams.connection";

  /// The actor itself: parking monitors requesters, deadlines need the
  /// system. Set once at spawn.
  caf::local_actor* self = nullptr;

  // -- reading ----------------------------------------------------------------
  read_buffer buf;
  /// set_exception's error (also: limit 0, feed_data after feed_eof).
  caf::error exception;
  /// Why the transport broke; reads fail with it once the buffer runs dry.
  caf::error source_error;
  /// A list, not a deque: an idle connection holds no node (libstdc++'s
  /// deque allocates 600 bytes up front).
  std::list<read_waiter> waiters;
  /// The subscriber, if the reader is in push mode.
  std::optional<subscription> sub;
  bool reading_paused = false;

  // -- writing and lifecycle --------------------------------------------------
  net::transport_ptr transport;
  connection_options opts;
  /// The server that accepted it (told `client_closed`), if any.
  caf::actor server;
  /// Whom the connection was handed to (`owner_atom`): monitored; once it
  /// is gone for `opts.owner_grace` with no new owner, the connection
  /// closes. None: nobody owns it (a client's connection, or released).
  caf::actor_addr owner;
  /// When the connection closes for want of an owner.
  std::optional<time_point> orphan_due;
  /// With an idle_timeout: when the peer last sent bytes (or the connection
  /// was made), and the deadline armed for the check.
  time_point last_input;
  std::optional<time_point> idle_due;
  bool connected = false;
  bool write_paused = false;
  /// The write buffer after the last write of this activation (at least
  /// what the next flush sends); 0 once flushed.
  std::size_t unflushed = 0;
  bool eof_written = false;
  bool closing = false;
  bool lost = false;
  caf::error lost_reason;
  /// A misuse of the writer (write after write_eof, ...) that the next drain
  /// reports.
  caf::error write_error;
  std::vector<parked_request> drainers;
  std::vector<parked_request> closers;
  std::vector<parked_request> connectors;
  std::optional<time_point> connect_due;
  /// get_extra_info requests that came before the transport described
  /// itself (an accepted connection reaches its handler that early).
  std::vector<std::pair<std::string, parked_request>> info_waiters;
  /// A start_tls in progress: its requester, and the writes that wait for
  /// the handshake (they must not leave in plaintext).
  std::optional<parked_request> tls_upgrade;
  std::vector<bytes> held_writes;

  // -- bookkeeping ------------------------------------------------------------
  /// Requesters with parked requests that the actor monitors.
  std::unordered_set<caf::actor_addr> watched;
  /// Times at which a relayed deadline will arrive (at most one per
  /// distinct earliest deadline; see arm()).
  std::set<time_point> armed;

  ~connection_state();

  // -- reading ----------------------------------------------------------------

  read_outcome attempt(const read_request& req);

  caf::expected<bytes> result_of(read_outcome& out);

  /// Answers at once, or parks the read (with its deadline).
  caf::result<bytes> read(read_request req, caf::timespan deadline);

  /// Serves waiting reads in order until one needs more data.
  void serve();

  /// asyncio's pause/resume rule, plus: a waiting read (or a subscriber
  /// with credit) always resumes.
  void update_flow();

  // -- push mode --------------------------------------------------------------

  /// Starts a subscription once the reads queued before it are served; a
  /// second one, or a bad framing, gets `stream_end` with invalid_argument.
  void subscribe(caf::actor subscriber, framing how, uint64_t credit,
                 uint64_t batch);

  /// `n` more frames may be sent.
  void grant(uint64_t n);

  /// Ends the subscription without `stream_end`: the bytes not sent as
  /// frames stay readable.
  void unsubscribe();

  /// Cuts and sends frames while the credit allows.
  void push();

  /// Sends `stream_end` with `reason` and ends the subscription.
  void end_subscription(caf::error reason);

  /// Ends the subscription silently (unsubscribe, a subscriber gone).
  void drop_subscription();

  /// A one-way message from this connection to the subscriber.
  template <class... Ts>
  void to_subscriber(Ts&&... xs);

  // -- writing ----------------------------------------------------------------

  void write(bytes data);

  /// Why drain (and writing) cannot go on, or none.
  caf::error drain_error() const;

  void fail_drainers();

  // -- extra info -------------------------------------------------------------

  caf::expected<bytes> extra_info(const std::string& name) const;

  void answer_info_waiters();

  // -- lifecycle --------------------------------------------------------------

  void close(bool abort);

  // -- transport events (as messages, or direct calls on the I/O thread) -----

  void on_connected();

  void on_data(bytes data);

  void on_eof();

  void on_writable();

  void on_closed(caf::error reason);

  void on_tls_started(caf::error reason);

  // -- STARTTLS -----------------------------------------------------------------

  caf::result<void> start_tls(net::tls_options opts);

  // -- parking, deadlines, requesters -----------------------------------------

  /// A promise for the current request, its requester monitored.
  parked_request park();

  /// The deadline `timeout` from now, or none (no_deadline, or so far away
  /// that it means none).
  std::optional<time_point> due_in(caf::timespan timeout) const;

  /// Makes sure a relayed deadline arrives at `due` or earlier.
  void arm(time_point due);

  /// A relayed deadline arrived: fails whatever is due with `timeout`.
  /// Hands the connection to `who` (monitored; none: nobody owns it).
  void set_owner(const caf::actor& who);

  /// The owner is gone: close after the grace unless a new one comes.
  void orphan();

  void expire(uint64_t token);

  /// The idle_timeout passed with no byte from the peer: closes.
  void close_idle();

  /// The requester `who` is gone: drops its parked requests.
  void forget(const caf::actor_addr& who);

  /// Stops monitoring `who` if it waits for nothing here any more.
  void unwatch_if_idle(const caf::actor_addr& who);

  /// `who` abandons its parked request `request_id`: it fails with
  /// `cancelled`, consuming nothing.
  void cancel(const caf::actor_addr& who, uint64_t request_id);

  /// Bytes an abandoned read had taken come back to the front.
  void unread(bytes data);
};

} // namespace actorstreams
