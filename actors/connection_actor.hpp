#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "net/fault_plan.hpp"
#include "net/transport.hpp"
#include "streams/bytes.hpp"
#include "streams/framing.hpp"

namespace actorstreams {

/// One connection: asyncio's StreamReader, StreamWriter and
/// StreamReaderProtocol in one actor. It owns the read buffer, the FIFO of
/// waiting read requests, the write side and the transport.
///
/// Requests are served strictly in arrival order; a read that cannot complete
/// waits (a second waiting read is queued behind it, never an error). Every
/// failure is a `caf::error` in the `"streams"` category (streams/errors.hpp).
///
/// **Reading.** Each read replies when one of the following is true:
/// - the buffer holds what it asks for (`read(n>0)`: at least one byte;
///   `readexactly(n)`: n bytes; `readline`/`readuntil`: a separator);
/// - EOF arrived: `read` replies with what is buffered (or `""`),
///   `readline` with the partial line, `readexactly` and `readuntil` fail
///   with `incomplete_read` (context `incomplete_read_error`);
/// - `set_exception` stored an error: it fails with that error (after the
///   argument checks), even with bytes buffered;
/// - the transport broke: it fails with `connection_reset` once the bytes
///   that did arrive cannot serve it (they stay buffered);
/// - its deadline passed (the `read_request` form): it fails with `timeout`
///   and consumes nothing;
/// - the actor shuts down: it fails with `closed`.
///
/// `readline` and `readuntil` fail with `limit_overrun` (context
/// `limit_overrun_error`) when no separator is within the limit; `readuntil`
/// then keeps the buffer, `readline` discards the whole over-long line
/// including the part that has not arrived yet. Invalid arguments
/// (`readexactly(-1)`, an empty separator, limit 0) fail with
/// `invalid_argument`.
///
/// Flow control: the transport stops reading above 2 x limit buffered and
/// resumes at limit or below, or whenever a read waits for data.
///
/// **Writing.** `write`/`writelines` are one-way, buffered and ordered.
/// `drain` replies when one of the following is true: the write buffer is at
/// or below the high-water mark (at once), or it fell to the low-water mark.
/// It fails with the stored exception, with `closed` after `close` (or a
/// write after `write_eof`), or with the transport's error once the
/// connection is lost. Any number of drainers may wait.
///
/// **Closing.** `close` is idempotent: it flushes queued writes, then closes;
/// the reader sees EOF at once (buffered bytes stay readable).
/// `wait_closed` replies once the transport is closed (with its error if it
/// broke). `write_eof` half-closes (TCP shutdown).
///
/// **Extensions** beyond API.md section 3a:
/// - `(read_atom, read_request, caf::timespan deadline)` is every read with a
///   deadline enforced here, so that a caller that gives up consumes nothing;
///   `no_deadline` disables it;
/// - `(abort_atom)` is `close` without flushing: queued writes are dropped;
/// - `(connect_atom, caf::timespan deadline)` replies once the transport is
///   connected (open_connection);
/// - `(exception_atom)` replies a `stored_exception` (none: no exception);
/// - `(cancel_atom, uint64_t request_id)`, one-way: its sender abandons the
///   parked request with that id (`message_id::request_id()`'s integer
///   value), which then fails with `cancelled` and consumes nothing; an
///   unknown id (already answered) is ignored;
/// - `(unread_atom, bytes)`, one-way: puts bytes back in front of the
///   buffer, for a requester that abandoned a read after it was answered
///   (a cancelled task hands its reply back; docs/coroutines.md);
/// - `(read_atom, read_request{read_op::readframe, width}, deadline)` is
///   `readframe`: a length-prefixed frame (docs/push.md).
/// - `(start_tls_atom, net::tls_options)` -> void: STARTTLS (docs/tls.md).
///   Reading pauses at once, what was written before goes out in
///   plaintext, writes that come meanwhile wait, then the handshake runs;
///   replies when it succeeded (bytes already buffered stay readable), or
///   fails with tls_error (the connection is then lost), not_supported (not
///   a socket), invalid_argument (TLS already, not connected) or closed.
///   Local only: the settings do not cross nodes.
///
/// **Push mode** (API.md section 9, docs/push.md): instead of answering
/// reads, the connection cuts its stream into frames and sends them to a
/// subscriber, with credit.
/// - `(subscribe_atom, caf::actor subscriber, framing how, uint64_t credit,
///   uint64_t batch)`, one-way: starts once the reads queued before it are
///   served. While subscribed, reads fail with `invalid_argument`. A second
///   subscription (or a bad framing: `exactly(0)`, a width other than 1, 2,
///   4 or 8, an empty separator) is refused: its subscriber gets
///   `stream_end` with `invalid_argument`, the first one goes on. The
///   subscriber is monitored.
/// - `(grant_atom, uint64_t n)`, one-way: n more frames may be sent.
/// - `(unsubscribe_atom)` -> void: replies once no more frames will be
///   sent; no `stream_end` is sent for it.
///
/// The subscriber receives, one-way and in stream order, never more frames
/// (error frames included) than the credit granted:
/// - `(frame_atom, connection_actor from, bytes frame)` (batch 1), or
///   `(frame_atom, connection_actor from, std::vector<bytes> frames)`
///   (batch > 1: the frames ready at once, at most `batch`);
/// - `(frame_atom, connection_actor from, caf::error err)`: under
///   `framing::lines()`, an over-long line (`limit_overrun`, as readline
///   gives it); the line is skipped and the subscription goes on;
/// - `(stream_end_atom, connection_actor from, caf::error reason)`, exactly
///   once, last: none at EOF on a frame boundary; `incomplete_read` (the
///   partial frame, the expected size) at EOF inside a frame;
///   `limit_overrun` when an `until` frame or an announced length exceeds
///   the limit (nothing consumed); `invalid_argument`; `connection_reset`,
///   `closed` (the actor shut down) or the stored exception otherwise.
/// After `stream_end`, after `unsubscribe` replied, or once the subscriber
/// is gone, every byte not sent as a frame is readable again. With no
/// credit nothing is cut: the bytes stay buffered and the read flow control
/// stops the transport above 2 x limit.
///
/// Events:
/// - the last seven handlers are the transport's events (`transport_connected`
///   ... `writing_resumed`, `transport_closed`, `tls_upgraded`) and the
///   deadline relay's `deadline_passed`.
///
/// A connection spawned by a server first sends it `(connected_atom,
/// connection_actor)`, then, once its transport closed, `client_closed`.
///
/// **Ownership** (docs/distributed.md): `(owner_atom, caf::actor owner)`
/// -> void hands the connection to `owner` (a server hands each accepted
/// connection to its handler actor so), local or on another node. The
/// connection monitors it; once the owner has terminated (or its node is
/// lost) and no new owner came within `connection_options::owner_grace`,
/// the connection closes: its queued writes are flushed if the peer takes
/// them, else dropped, so that no socket outlives its owner for long. A
/// null `owner` releases the connection: nobody owns it, it lives while
/// handles to it exist, as a client's does.
using connection_actor = caf::typed_actor<
  // -- reading ----------------------------------------------------------------
  caf::replies_to<read_atom, int64_t>::with<bytes>,
  caf::replies_to<readline_atom>::with<bytes>,
  caf::replies_to<readexactly_atom, int64_t>::with<bytes>,
  caf::replies_to<readuntil_atom, std::vector<bytes>>::with<bytes>,
  caf::replies_to<read_atom, read_request, caf::timespan>::with<bytes>,
  caf::replies_to<at_eof_atom>::with<bool>,
  caf::replies_to<exception_atom>::with<stored_exception>,
  caf::reacts_to<feed_data_atom, bytes>,
  caf::reacts_to<feed_eof_atom>,
  caf::reacts_to<set_exception_atom, caf::error>,
  caf::reacts_to<cancel_atom, uint64_t>,
  caf::reacts_to<unread_atom, bytes>,
  // -- push mode --------------------------------------------------------------
  caf::reacts_to<subscribe_atom, caf::actor, framing, uint64_t, uint64_t>,
  caf::reacts_to<grant_atom, uint64_t>,
  caf::replies_to<unsubscribe_atom>::with<void>,
  // -- writing ----------------------------------------------------------------
  caf::reacts_to<write_atom, bytes>,
  caf::reacts_to<writelines_atom, std::vector<bytes>>,
  caf::replies_to<drain_atom>::with<void>,
  caf::replies_to<can_write_eof_atom>::with<bool>,
  caf::reacts_to<write_eof_atom>,
  caf::reacts_to<close_atom>,
  caf::reacts_to<abort_atom>,
  caf::replies_to<is_closing_atom>::with<bool>,
  caf::replies_to<wait_closed_atom>::with<void>,
  caf::replies_to<extra_info_atom, std::string>::with<bytes>,
  caf::replies_to<connect_atom, caf::timespan>::with<void>,
  caf::replies_to<start_tls_atom, net::tls_options>::with<void>,
  caf::replies_to<owner_atom, caf::actor>::with<void>,
  // -- events -----------------------------------------------------------------
  caf::reacts_to<transport_connected>, caf::reacts_to<data_received>,
  caf::reacts_to<eof_received>, caf::reacts_to<writing_resumed>,
  caf::reacts_to<transport_closed>, caf::reacts_to<deadline_passed>,
  caf::reacts_to<tls_upgraded>>;

/// How a connection actor buffers.
struct connection_options {
  /// The reader's limit (asyncio's `limit`); 0 makes every request fail
  /// with invalid_argument.
  std::size_t limit = default_limit;
  /// drain() waits above this many buffered bytes ...
  std::size_t write_high_water = default_write_high_water;
  /// ... until the buffer falls to this many.
  std::size_t write_low_water = default_write_low_water;
  /// How long a connection whose owner terminated waits for a new owner
  /// before it closes (see `owner_atom`).
  caf::timespan owner_grace = default_owner_grace;
  /// Opt-in: closes the connection once no byte has come from the peer for
  /// this long (a silent or slowloris peer); pending and later reads fail
  /// with `timeout`, bytes already received stay readable. Off by default.
  caf::timespan idle_timeout = no_idle_timeout;
  /// Fault injection for tests (docs/reliability.md): the Nth read, write
  /// or close fails, or the connect or TLS handshake does. Sockets, pipes
  /// and TLS; in-memory pairs take theirs in memory_pair_options.
  net::fault_plan faults;
};

/// Spawns a connection actor over `transport` (none: an in-memory reader
/// driven by feed_data / feed_eof / set_exception) and starts the transport.
/// The actor runs on the I/O thread the transport names (`affinity()`), so a
/// socket transport must come from this system's I/O threads
/// (`io_module::try_of(sys)->io()`); one without an affinity may come from
/// anywhere.
/// `server`, if set, receives `(connected_atom, connection_actor)` first and
/// `client_closed` when the transport closes (the server actor counts its
/// connections this way).
///
/// The actor is hidden (it does not hold up `await_all_actors_done`) and, on
/// a system with the I/O module, shut down with it. It lives while handles
/// to it exist (a subscription counts as one); when the last one goes, it
/// closes its transport (flushing queued writes). Neither a read's deadline nor a parked request keeps it
/// alive: deadlines go through a relay that holds it weakly, and the actor
/// monitors each requester with a parked request and drops that request
/// (consuming nothing) when the requester goes away.
connection_actor spawn_connection(caf::actor_system& sys,
                                  net::transport_ptr transport,
                                  connection_options opts = {},
                                  caf::actor server = {});

/// The execution unit (an I/O thread) that the local connection actor
/// `conn` runs on, or nullptr (not pinned, or not a local connection). An
/// actor spawned with it as its host (actors/pinned_actor.hpp) talks to the
/// connection without a thread hand-off.
caf::execution_unit* host_of(const connection_actor& conn);

} // namespace actorstreams
