#pragma once

// What a stream_transport reads from and writes to: a socket (TCP, Unix,
// adopted) or a pair of pipe ends; and the transport of a connected socket.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <map>
#include <string>

#include <asio/posix/stream_descriptor.hpp>

#include "net/internal/addresses.hpp"
#include "net/internal/stream_transport.hpp"

namespace actorstreams::net {


struct socket_streams {
  explicit socket_streams(const asio::any_io_executor& ex) : sock(ex) {
    // nop
  }

  generic_socket sock;

  generic_socket& in() { return sock; }
  generic_socket& out() { return sock; }

  template <class Handler>
  void wait_readable(Handler&& handler) {
    sock.async_wait(asio::socket_base::wait_read,
                    std::forward<Handler>(handler));
  }

  bool readable() const { return sock.is_open(); }
  bool can_write() const { return true; }
  bool can_write_eof() const { return true; }

  void shutdown_send(std::error_code& ec) {
    sock.shutdown(asio::socket_base::shutdown_send, ec);
  }

  void close() {
    std::error_code ec;
    sock.close(ec);
  }

  void prepare(std::map<std::string, std::string>& info) {
    std::error_code ec;
    sock.non_blocking(true, ec);
    auto fd = sock.native_handle();
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0
        && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
      // As asyncio: small writes go out at once.
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    describe_socket(fd, info);
  }
};

struct pipe_streams {
  explicit pipe_streams(const asio::any_io_executor& ex) : rd(ex), wr(ex) {
    // nop
  }

  asio::posix::stream_descriptor rd;
  asio::posix::stream_descriptor wr;
  bool has_wr = false;

  asio::posix::stream_descriptor& in() { return rd; }
  asio::posix::stream_descriptor& out() { return wr; }

  template <class Handler>
  void wait_readable(Handler&& handler) {
    rd.async_wait(asio::posix::descriptor_base::wait_read,
                  std::forward<Handler>(handler));
  }

  bool readable() const { return rd.is_open(); }
  bool can_write() const { return has_wr; }
  bool can_write_eof() const { return has_wr; }

  void shutdown_send(std::error_code& ec) {
    wr.close(ec);
  }

  void close() {
    std::error_code ec;
    rd.close(ec);
    wr.close(ec);
  }

  void prepare(std::map<std::string, std::string>& info) {
    std::error_code ec;
    // A missing end has no entry (get_extra_info fails for it) and an empty
    // field in "pipe".
    std::string read_fd;
    std::string write_fd;
    if (rd.is_open()) {
      rd.non_blocking(true, ec);
      read_fd = std::to_string(rd.native_handle());
      info["read_fd"] = read_fd;
    }
    if (wr.is_open()) {
      wr.non_blocking(true, ec);
      write_fd = std::to_string(wr.native_handle());
      info["write_fd"] = write_fd;
    }
    info["pipe"] = read_fd + "," + write_fd;
  }
};

/// A connected socket (accepted, or adopted once validated).
class socket_transport : public stream_transport<socket_streams> {
public:
  using super = stream_transport<socket_streams>;

  /// Takes `sock`, which must belong to `ctx` (thread `index`).
  socket_transport(asio::io_context& ctx, std::size_t index,
                   generic_socket sock, std::size_t window)
    : super(ctx, index, window) {
    streams_.sock = std::move(sock);
  }

  socket_transport(asio::io_context& ctx, std::size_t index,
                   std::size_t window)
    : super(ctx, index, window) {
    // nop
  }
};

} // namespace actorstreams::net
