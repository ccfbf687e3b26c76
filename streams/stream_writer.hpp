#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "actors/connection_actor.hpp"
#include "streams/bytes.hpp"
#include "streams/pending.hpp"
#include "streams/stream_reader.hpp"

namespace actorstreams {

/// How stream_writer::start_tls upgrades.
struct start_tls_options {
  /// A client's name for SNI and the certificate check.
  std::optional<std::string> server_hostname;
  caf::timespan handshake_timeout = std::chrono::seconds{60};
  caf::timespan shutdown_timeout = std::chrono::seconds{30};
  /// Plaintext to send once reading has stopped, right before the
  /// handshake: a server's answer to the STARTTLS command ("220 Ready").
  /// Written separately, the answer could reach a client that starts its
  /// handshake before this side has stopped reading plaintext.
  bytes send_first;
};

/// The writing half of a connection: asyncio's StreamWriter as a handle.
///
/// Cheap, copyable, comparable, serializable, usable from any thread; the
/// same actor as its `reader()`. `write` is one-way and never blocks: pair it
/// with `drain()` so that a slow peer cannot make the process buffer without
/// bound.
class stream_writer {
public:
  stream_writer() = default;

  explicit stream_writer(connection_actor hdl) : hdl_(std::move(hdl)) {
    // nop
  }

  /// One-way: queues `data` after everything written before.
  void write(bytes data) const;

  /// One-way: queues each line, in order (no separators are added).
  void writelines(std::vector<bytes> lines) const;

  /// One-way: queues `payload` behind its length, an unsigned big-endian
  /// number of `width` (1, 2, 4 or 8) bytes, as one write (the peer's
  /// `readframe(width)` or `framing::length_prefixed(width)` reads it).
  /// Throws std::length_error if the size does not fit `width`, and
  /// std::invalid_argument for another width; nothing is written then.
  void write_frame(bytes payload, std::size_t width = 4) const;

  /// Replies at once below the high-water mark (64 KiB), otherwise once the
  /// buffer falls to the low-water mark (16 KiB). Fails with the stored
  /// exception, `closed` after close(), or the error that broke the
  /// connection.
  pending<void> drain() const;

  /// Whether write_eof() is possible.
  pending<bool> can_write_eof() const;

  /// One-way: half-closes after the queued writes (TCP shutdown).
  void write_eof() const;

  /// One-way and idempotent: flushes, then closes; the reader sees EOF.
  void close() const;

  /// True once close() was called or the connection was lost.
  pending<bool> is_closing() const;

  /// Replies once the transport is closed; fails with its error if it broke.
  pending<void> wait_closed() const;

  /// STARTTLS (asyncio 3.11's `StreamWriter.start_tls`): upgrades this open
  /// connection to TLS in place, as the client (a client context) or the
  /// server (a server context). Reading pauses at once, what was written
  /// before leaves in plaintext (then `opts.send_first`), then the
  /// handshake runs; writes made meanwhile wait and leave encrypted.
  /// Replies once the handshake succeeded; bytes already buffered stay
  /// readable. A client checks `opts.server_hostname` against the
  /// certificate (required when the context verifies; "" only with one that
  /// does not). Fails with tls_error (the connection is then lost),
  /// not_supported (not a socket), invalid_argument (TLS already; a missing
  /// name) or closed. docs/tls.md: why a server passes its answer to the
  /// STARTTLS command as `send_first`.
  pending<void> start_tls(tls_context ctx, start_tls_options opts = {}) const;

  /// A client's start_tls checking `server_hostname`.
  pending<void> start_tls(tls_context ctx, std::string server_hostname) const;

  /// Hands the connection to `owner` (Erlang's controlling_process), an
  /// actor on this node or another: the connection monitors it, and once
  /// it has terminated (or its node is lost) with no new owner set within
  /// `owner_grace` (5 s by default), the connection closes. A server hands
  /// each accepted connection to its handler actor so; a handler that
  /// passes a connection on sets the new owner. A null `owner` releases
  /// it (it then lives while handles to it exist, as a client's does).
  /// Replies once the connection took note. docs/distributed.md.
  pending<void> set_owner(caf::actor owner) const;

  /// "peername", "sockname" ("127.0.0.1:8888", "[::1]:8888", a Unix path),
  /// "socket" (the fd as text), "family"; pipes: "pipe", "read_fd",
  /// "write_fd". Unknown names fail with invalid_argument.
  pending<bytes> get_extra_info(std::string name) const;

  /// The same connection's reader.
  stream_reader reader() const { return stream_reader{hdl_}; }

  /// The underlying typed actor.
  connection_actor handle() const { return hdl_; }

  explicit operator bool() const noexcept { return static_cast<bool>(hdl_); }

  friend bool operator==(const stream_writer& x, const stream_writer& y) {
    return x.hdl_ == y.hdl_;
  }

  friend bool operator!=(const stream_writer& x, const stream_writer& y) {
    return !(x == y);
  }

  friend bool operator<(const stream_writer& x, const stream_writer& y) {
    return x.hdl_ < y.hdl_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 stream_writer& x) {
    return f(caf::meta::type_name("actorstreams::stream_writer"), x.hdl_);
  }

private:
  connection_actor hdl_;
};

} // namespace actorstreams
