#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/connection_actor.hpp"
#include "streams/bytes.hpp"
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
