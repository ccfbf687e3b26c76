#include "net/sockets.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <asio/local/stream_protocol.hpp>

#include "net/internal/error.hpp"
#include "net/internal/io.hpp"
#include "net/internal/socket_streams.hpp"
#include "streams/errors.hpp"

// The client transports connected by path, adopted descriptor or pipe ends
// (by name: net/tcp_client.cpp). Each lives on the I/O thread
// `io_threads::pick` chose.

namespace actorstreams::net {

namespace {

class unix_client : public socket_transport {
public:
  unix_client(asio::io_context& ctx, std::size_t index, std::string path,
              std::size_t window)
    : socket_transport(ctx, index, window), path_(std::move(path)) {
    // nop
  }

protected:
  void on_start() override {
    if (!fits_sun_path(path_)) {
      finish(make_error(stream_errc::invalid_argument, sun_path_error(path_)));
      return;
    }
    generic_endpoint ep{asio::local::stream_protocol::endpoint{path_}};
    auto self = std::static_pointer_cast<unix_client>(shared_from_this());
    streams_.sock.async_connect(ep, [self](const std::error_code& ec) {
      if (self->closed_)
        return;
      if (ec) {
        self->finish(to_error(ec, io_phase::connect,
                              "cannot connect to '" + self->path_ + "'"));
        return;
      }
      self->begin();
    });
  }

private:
  std::string path_;
};

class adopted_socket : public socket_transport {
public:
  adopted_socket(asio::io_context& ctx, std::size_t index, int fd,
                 std::size_t window)
    : socket_transport(ctx, index, window), fd_(fd) {
    // nop
  }

protected:
  void on_start() override {
    auto bad = [this](const std::string& why) {
      finish(make_error(stream_errc::invalid_argument,
                        "cannot adopt fd " + std::to_string(fd_) + ": " + why));
    };
    int type = 0;
    socklen_t len = sizeof(type);
    if (fd_ < 0 || ::getsockopt(fd_, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
      bad(std::strerror(errno));
      return;
    }
    if (type != SOCK_STREAM) {
      bad("not a stream socket");
      return;
    }
    sockaddr_storage ss{};
    len = sizeof(ss);
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
      bad(std::strerror(errno));
      return;
    }
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len)
        != 0) {
      bad("not connected");
      return;
    }
    int proto = ss.ss_family == AF_UNIX ? 0 : IPPROTO_TCP;
    std::error_code ec;
    streams_.sock.assign(asio::generic::stream_protocol{ss.ss_family, proto},
                         fd_, ec);
    if (ec) {
      bad(ec.message());
      return;
    }
    begin();
  }

private:
  int fd_;
};

class pipe_transport : public stream_transport<pipe_streams> {
public:
  pipe_transport(asio::io_context& ctx, std::size_t index, int read_fd,
                 int write_fd, std::size_t window)
    : stream_transport(ctx, index, window),
      read_fd_(read_fd),
      write_fd_(write_fd) {
    streams_.has_wr = write_fd >= 0;
  }

protected:
  void on_start() override {
    std::error_code ec;
    // One descriptor for both ends (a socket, a tty): epoll takes a
    // descriptor once, so the write side gets a dup() of its own.
    int write_fd = write_fd_;
    if (write_fd_ >= 0 && write_fd_ == read_fd_) {
      write_fd = ::fcntl(read_fd_, F_DUPFD_CLOEXEC, 0);
      if (write_fd < 0)
        ec = std::error_code{errno, std::system_category()};
    }
    if (!ec && read_fd_ >= 0)
      streams_.rd.assign(read_fd_, ec);
    if (!ec && write_fd >= 0)
      streams_.wr.assign(write_fd, ec);
    if (ec) {
      // All or nothing: hand back what was assigned, so that the caller
      // still owns both descriptors (as adopted_socket leaves a bad fd).
      if (streams_.rd.is_open())
        streams_.rd.release();
      if (streams_.wr.is_open())
        streams_.wr.release();
      if (write_fd >= 0 && write_fd != write_fd_)
        ::close(write_fd); // our dup
      finish(make_error(stream_errc::invalid_argument,
                        "cannot use pipe fds " + std::to_string(read_fd_) + ","
                          + std::to_string(write_fd_) + ": " + ec.message()));
      return;
    }
    begin();
  }

private:
  int read_fd_;
  int write_fd_;
};

} // namespace

transport_ptr make_unix_client(io_threads& io, std::string path,
                               socket_options opts) {
  auto idx = io.pick();
  auto t = std::make_shared<unix_client>(context_of(io, idx), idx,
                                         std::move(path), opts.read_window);
  t->use_tls(opts.tls);
  return t;
}

transport_ptr adopt_socket(io_threads& io, int fd, socket_options opts) {
  auto idx = io.pick();
  auto t = std::make_shared<adopted_socket>(context_of(io, idx), idx, fd,
                                            opts.read_window);
  t->use_tls(opts.tls);
  return t;
}

transport_ptr make_pipe_transport(io_threads& io, int read_fd, int write_fd,
                                  socket_options opts) {
  auto idx = io.pick();
  return std::make_shared<pipe_transport>(context_of(io, idx), idx, read_fd,
                                          write_fd, opts.read_window);
}

} // namespace actorstreams::net
