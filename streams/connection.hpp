#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "net/tls.hpp"
#include "net/transport.hpp"
#include "streams/bytes.hpp"
#include "streams/pending.hpp"
#include "streams/stream_reader.hpp"
#include "streams/stream_writer.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace actorstreams {

/// Both halves of one connection (`auto [reader, writer] = ...`).
struct connection {
  stream_reader reader;
  stream_writer writer;

  friend bool operator==(const connection&, const connection&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection& x) {
  return f(caf::meta::type_name("actorstreams::connection"), x.reader,
           x.writer);
}

/// open_connection's result is built from the connection actor's handle.
template <>
struct pending_traits<connection> {
  using reply_type = void;
  static connection convert(const caf::actor& hdl);
};

/// Options of a client connection (asyncio's open_connection arguments).
struct connect_options {
  /// The reader's limit (asyncio's `limit`).
  std::size_t limit = default_limit;
  /// drain() waits above this many buffered bytes ...
  std::size_t write_high_water = default_write_high_water;
  /// ... until the buffer falls to this many.
  std::size_t write_low_water = default_write_low_water;
  /// Read credit between the socket and the actor (net/transport.hpp).
  std::size_t read_window = net::default_read_window;
  /// How long the connection waits for a new owner once its owner
  /// terminated before it closes (stream_writer::set_owner).
  caf::timespan owner_grace = default_owner_grace;
  /// Opt-in: closes the connection once no byte has come from the peer for
  /// this long (a silent or slowloris peer); pending and later reads fail
  /// with `timeout`, bytes already received stay readable. Off by default.
  caf::timespan idle_timeout = no_idle_timeout;
  /// Fault injection for tests (docs/reliability.md): the Nth read, write
  /// or close fails, or the connect or TLS handshake does. Sockets, pipes
  /// and TLS; in-memory pairs take theirs in memory_pair_options.
  net::fault_plan faults;

  // -- TLS (docs/tls.md) -------------------------------------------------------

  /// TLS (asyncio's `ssl`): a client context, e.g. `tls_context::client()`,
  /// which verifies the server against the system's trusted CAs and its
  /// name. Empty: plain TCP / Unix.
  tls_context ssl;
  /// The name sent as SNI and checked against the server's certificate.
  /// None: the host given to open_connection (a Unix or adopted socket has
  /// none: give one). "": no name check, allowed only with a context that
  /// does not verify the peer.
  std::optional<std::string> server_hostname;
  /// How long the TLS handshake may take; it fails with tls_error after.
  caf::timespan ssl_handshake_timeout = std::chrono::seconds{60};
  /// How long a TLS close may take to send what is queued and the
  /// close_notify; then the socket is closed anyway.
  caf::timespan ssl_shutdown_timeout = std::chrono::seconds{30};

  // -- how TCP connects ----------------------------------------------------------

  /// Happy eyeballs (RFC 8305): the next address is tried this long after
  /// the previous one while it is still pending, and the first to connect
  /// wins. None (asyncio's default): one address at a time.
  std::optional<caf::timespan> happy_eyeballs_delay;
  /// Alternates IPv6 and IPv4 addresses, this many of the first family
  /// first (asyncio's `interleave`); 0: as resolved, or 1 with happy
  /// eyeballs.
  int interleave = 0;
  /// Binds the local end first (asyncio's `local_addr`): host ("" for any)
  /// and port (0 for any).
  std::optional<std::pair<std::string, uint16_t>> local_addr;
};

/// Connects over TCP: resolves `host`, tries every address (IPv4 and IPv6)
/// until one connects (one at a time, or by happy eyeballs), then, with
/// `opts.ssl`, shakes hands (TLS). Fails with connect_failed naming the
/// addresses tried, or tls_error saying why the handshake failed (an
/// untrusted or expired certificate, a wrong name); invalid_argument for
/// options that do not fit together. `get(timeout)` gives up with `timeout`
/// and aborts the attempt.
pending<connection> open_connection(caf::actor_system& sys, std::string host,
                                    uint16_t port, connect_options opts = {});

/// Connects to a Unix-domain stream socket.
pending<connection> open_unix_connection(caf::actor_system& sys,
                                         std::string path,
                                         connect_options opts = {});

/// A connected stream socket's file descriptor.
using native_socket = int;

/// Adopts a connected TCP or Unix stream socket (asyncio's `sock=`); the
/// connection owns it from then on. Fails with invalid_argument for a
/// descriptor that is not a connected stream socket (and leaves it alone).
pending<connection> open_connection(caf::actor_system& sys, native_socket adopt,
                                    connect_options opts = {});

/// A connection over pipe ends, e.g. a child process's stdout (`read_fd`)
/// and stdin (`write_fd`); either may be -1 (without a write end, writes
/// are not supported). Both may be the same descriptor (a socket, a tty);
/// the connection then writes through a dup() of it. `write_eof()` closes
/// the write end. Once connected, the connection owns both descriptors and
/// closes them; the caller must not. Fails with invalid_argument if either
/// cannot be used (not open, not pollable), and then leaves both alone:
/// they are still the caller's to close.
pending<connection> open_pipe_connection(caf::actor_system& sys, int read_fd,
                                         int write_fd,
                                         connect_options opts = {});

/// Puts any transport under a connection actor (asyncio's
/// `set_transport`): the building block of the functions above, public so
/// that users can bring their own byte source (net/transport.hpp).
pending<connection> open_connection(caf::actor_system& sys,
                                    net::transport_ptr transport,
                                    connect_options opts = {});

} // namespace actorstreams
