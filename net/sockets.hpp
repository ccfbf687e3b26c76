#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <chrono>

#include <caf/expected.hpp>

#include "net/tls.hpp"
#include "net/transport.hpp"

namespace actorstreams::net {

class io_threads;

/// Options every Asio transport takes.
struct socket_options {
  /// Read credit between the transport and its actor (see transport.hpp).
  std::size_t read_window = default_read_window;
  /// TLS over the socket (TCP, Unix and adopted sockets; not pipes).
  tls_options tls;
};

/// How a TCP client connects (asyncio's open_connection options).
struct tcp_connect_options {
  /// Happy eyeballs (RFC 8305): the next address's attempt starts this long
  /// after the last one's while that one is still pending, and the first to
  /// connect wins; none: one attempt at a time, each until it fails.
  std::optional<std::chrono::nanoseconds> happy_eyeballs_delay;
  /// Reorders the addresses to alternate between IPv6 and IPv4, this many
  /// of the first family first (asyncio's `interleave`); 0: as resolved, or
  /// 1 with happy eyeballs.
  int interleave = 0;
  /// Binds the local end first (asyncio's `local_addr`): a host ("" for
  /// any) and a port (0 for any).
  std::optional<std::pair<std::string, uint16_t>> local_addr;
};

/// A TCP client: on `start`, resolves `host` and tries the addresses it
/// resolves to (IPv4 and IPv6) until one connects, one at a time or by
/// happy eyeballs (`how`); `connection_lost(connect_failed)` names every
/// address tried. With `opts.tls`, the TLS handshake follows.
transport_ptr make_tcp_client(io_threads& io, std::string host, uint16_t port,
                              socket_options opts = {},
                              tcp_connect_options how = {});

/// A Unix-domain stream socket client for `path`.
transport_ptr make_unix_client(io_threads& io, std::string path,
                               socket_options opts = {});

/// Adopts a connected stream socket (TCP or Unix; asyncio's `sock=`).
/// Ownership passes to the transport once `start` accepts the descriptor; a
/// descriptor that is not a connected stream socket is reported as
/// `connection_lost(invalid_argument)` and left alone.
transport_ptr adopt_socket(io_threads& io, int fd, socket_options opts = {});

/// A connection over two pipe ends, e.g. a child process's stdout and stdin
/// (asyncio's `connect_read_pipe` and `connect_write_pipe` in one). Either
/// descriptor may be -1 (no write end: `can_write()` is false and writes are
/// dropped). Both may be the same descriptor (a socket, a tty): the write
/// side then uses a dup() of it. `write_eof` closes the write end.
/// All or nothing: once `start` accepts both descriptors the transport owns
/// them (and its dup) and closes them all; if either cannot be used (not
/// open, not pollable) it reports `connection_lost(invalid_argument)` and
/// leaves both alone, still the caller's.
transport_ptr make_pipe_transport(io_threads& io, int read_fd, int write_fd,
                                  socket_options opts = {});

/// Options of a listening socket.
struct listen_options {
  int backlog = 100;
  bool reuse_address = true;
  bool reuse_port = false;
  /// Unix only: remove the socket file on close unless it was replaced
  /// meanwhile (asyncio 3.13's cleanup_socket).
  bool cleanup_socket = true;
  socket_options accepted;
};

/// What a listener bound to.
struct listen_result {
  /// "127.0.0.1:8888", "[::1]:8888" or the socket path, one per socket.
  std::vector<std::string> addresses;
  /// The first socket's port (0 for Unix sockets).
  uint16_t port = 0;
};

/// Accepts connections on one or more listening sockets.
class listener {
public:
  /// Called once, on an I/O thread, when binding finished or failed.
  using open_handler = std::function<void(caf::expected<listen_result>)>;
  /// Called on an I/O thread for each accepted connection (not started).
  using accept_handler = std::function<void(transport_ptr)>;
  /// Called on an I/O thread once the listening sockets are closed.
  using close_handler = std::function<void()>;

  virtual ~listener();

  /// Binds, listens and starts accepting.
  virtual void open(open_handler on_open, accept_handler on_accept) = 0;

  /// Stops accepting and closes the listening sockets (removing a Unix
  /// socket file, see make_unix_listener), then calls `on_closed` if set.
  /// Idempotent.
  virtual void close(close_handler on_closed = nullptr) = 0;
};

using listener_ptr = std::shared_ptr<listener>;

/// Listens on every address `host` resolves to ("" or "0.0.0.0"/"::" for
/// all interfaces). Port 0 picks a free port per socket.
listener_ptr make_tcp_listener(io_threads& io, std::string host, uint16_t port,
                               listen_options opts = {});

/// Listens on a Unix socket at `path`. A stale socket file there is
/// replaced (as asyncio does); any other file makes it fail with bind_failed.
listener_ptr make_unix_listener(io_threads& io, std::string path,
                                listen_options opts = {});

} // namespace actorstreams::net
