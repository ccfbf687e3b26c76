#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/connection_actor.hpp"
#include "streams/bytes.hpp"
#include "streams/framing.hpp"
#include "streams/pending.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace actorstreams {

/// The reading half of a connection: asyncio's StreamReader as a handle.
///
/// A cheap, copyable handle to the connection actor; comparable,
/// serializable and usable from any thread. Requests are served strictly in
/// order; a second read waiting behind a first is queued, not an error.
/// Semantics: docs/semantics.md; the messages: docs/protocol.md.
class stream_reader {
public:
  stream_reader() = default;

  explicit stream_reader(connection_actor hdl) : hdl_(std::move(hdl)) {
    // nop
  }

  /// n < 0: everything until EOF; n == 0: "" at once; n > 0: 1 to n bytes,
  /// "" at EOF.
  pending<bytes> read(int64_t n = -1) const;

  /// Through "\n"; the partial line at EOF; "" at EOF. An over-long line
  /// fails with limit_overrun and is discarded whole.
  pending<bytes> readline() const;

  /// Exactly n bytes; incomplete_read{partial, n} at EOF.
  pending<bytes> readexactly(int64_t n) const;

  /// Through `separator`; incomplete_read{everything, none} at EOF;
  /// limit_overrun keeps the buffer.
  pending<bytes> readuntil(bytes separator = "\n") const;

  /// Through whichever separator's match ends first (ties: the shorter).
  pending<bytes> readuntil(std::vector<bytes> separators) const;

  /// True once EOF was fed and the buffer is empty.
  pending<bool> at_eof() const;

  /// The stored exception (set_exception, or the transport's error).
  pending<std::optional<caf::error>> exception() const;

  /// A length-prefixed frame: an unsigned big-endian length of `width` (1,
  /// 2, 4 or 8) bytes, then the payload, which is the result. At EOF:
  /// incomplete_read with what arrived of the prefix (expected: width) or
  /// of the payload (expected: the length); an empty partial at a frame
  /// boundary. A length over the limit: limit_overrun with consumed = width
  /// + length and nothing consumed, so `readexactly(consumed)` skips it.
  pending<bytes> readframe(std::size_t width = 4) const;

  // -- push mode (docs/push.md) ------------------------------------------------

  /// One-way: from now on (after the reads queued before it) the
  /// connection cuts its stream with `how` and sends each frame to
  /// `subscriber` as `(frame_atom, connection_actor, bytes)`, at most
  /// `credit` frames beyond those granted later, and ends with one
  /// `(stream_end_atom, connection_actor, caf::error)` (see
  /// connection_actor for every message and end reason). While subscribed,
  /// reads fail with invalid_argument.
  void subscribe(caf::actor subscriber, framing how,
                 std::size_t credit = 16) const;

  /// As above, with the credit and the batch size (frames per message) in
  /// `opts`.
  void subscribe(caf::actor subscriber, framing how,
                 subscribe_options opts) const;

  /// One-way: `n` more frames may be sent.
  void grant(std::size_t n) const;

  /// Ends the subscription; replies once no more frames will be sent. The
  /// bytes not sent as frames stay readable. No stream_end is sent.
  pending<void> unsubscribe() const;

  /// One-way: appends bytes (in-memory readers; asyncio's feed_data).
  void feed_data(bytes data) const;

  /// One-way: marks EOF.
  void feed_eof() const;

  /// One-way: stores an error every later read fails with.
  void set_exception(caf::error err) const;

  /// The underlying typed actor.
  connection_actor handle() const { return hdl_; }

  explicit operator bool() const noexcept { return static_cast<bool>(hdl_); }

  friend bool operator==(const stream_reader& x, const stream_reader& y) {
    return x.hdl_ == y.hdl_;
  }

  friend bool operator!=(const stream_reader& x, const stream_reader& y) {
    return !(x == y);
  }

  friend bool operator<(const stream_reader& x, const stream_reader& y) {
    return x.hdl_ < y.hdl_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 stream_reader& x) {
    return f(caf::meta::type_name("actorstreams::stream_reader"), x.hdl_);
  }

private:
  pending<bytes> request(read_request req) const;

  connection_actor hdl_;
};

/// An in-memory reader with no transport (asyncio's `StreamReader()`),
/// driven by `feed_data`, `feed_eof` and `set_exception`. A limit of 0 makes
/// every request fail with invalid_argument ('Limit cannot be <= 0').
stream_reader make_stream_reader(caf::actor_system& sys,
                                 std::size_t limit = default_limit);

} // namespace actorstreams
