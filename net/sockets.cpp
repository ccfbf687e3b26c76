#include "net/sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include <asio/connect.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "net/internal/error.hpp"
#include "net/internal/io.hpp"
#include "net/internal/stream_transport.hpp"
#include "streams/errors.hpp"

namespace actorstreams::net {

listener::~listener() = default;

namespace {

using generic_socket = asio::generic::stream_protocol::socket;
using generic_endpoint = asio::generic::stream_protocol::endpoint;
using generic_acceptor
  = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

// -- addresses -------------------------------------------------------------------

std::string format_address(const sockaddr* sa, std::size_t len) {
  char text[INET6_ADDRSTRLEN] = {};
  switch (sa->sa_family) {
    case AF_INET: {
      auto in = reinterpret_cast<const sockaddr_in*>(sa);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      return std::string{text} + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      auto in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      return "[" + std::string{text} + "]:"
             + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      auto un = reinterpret_cast<const sockaddr_un*>(sa);
      auto offset = offsetof(sockaddr_un, sun_path);
      if (len <= offset)
        return {}; // unnamed (socketpair, unbound client)
      auto n = len - offset;
      if (un->sun_path[0] == '\0') // Linux abstract namespace
        return "@" + std::string{un->sun_path + 1, n - 1};
      return std::string{un->sun_path, strnlen(un->sun_path, n)};
    }
    default:
      return "family " + std::to_string(sa->sa_family);
  }
}

std::string format_endpoint(const generic_endpoint& ep) {
  return format_address(ep.data(), ep.size());
}

std::string family_name(int family) {
  switch (family) {
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    case AF_UNIX:
      return "AF_UNIX";
    default:
      return std::to_string(family);
  }
}

void describe_socket(int fd, std::map<std::string, std::string>& info) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    info["sockname"] = format_address(reinterpret_cast<sockaddr*>(&ss), len);
    info["family"] = family_name(ss.ss_family);
  }
  len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    info["peername"] = format_address(reinterpret_cast<sockaddr*>(&ss), len);
  info["socket"] = std::to_string(fd);
}

// -- streams ---------------------------------------------------------------------

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

// -- transports --------------------------------------------------------------------

/// A connected socket (accepted, or adopted once validated).
class socket_transport : public stream_transport<socket_streams> {
public:
  using super = stream_transport<socket_streams>;

  socket_transport(generic_socket sock, std::size_t window)
    : super(sock.get_executor(), window) {
    streams_.sock = std::move(sock);
  }

  socket_transport(asio::any_io_executor ex, std::size_t window)
    : super(std::move(ex), window) {
    // nop
  }
};

class tcp_client : public socket_transport {
public:
  tcp_client(asio::io_context& ctx, std::string host, uint16_t port,
             std::size_t window)
    : socket_transport(asio::make_strand(ctx), window),
      resolver_(ex_),
      host_(std::move(host)),
      port_(port) {
    // nop
  }

protected:
  void on_start() override {
    auto self = std::static_pointer_cast<tcp_client>(shared_from_this());
    resolver_.async_resolve(
      host_, std::to_string(port_),
      [self](const std::error_code& ec,
             asio::ip::tcp::resolver::results_type results) {
        self->on_resolved(ec, std::move(results));
      });
  }

private:
  std::string target() const {
    return "'" + host_ + "':" + std::to_string(port_);
  }

  void on_resolved(const std::error_code& ec,
                   asio::ip::tcp::resolver::results_type results) {
    if (closed_)
      return;
    if (ec) {
      finish(to_error(ec, io_phase::connect, "cannot resolve " + target()));
      return;
    }
    for (const auto& entry : results) {
      generic_endpoint ep{entry.endpoint()};
      if (std::find(endpoints_.begin(), endpoints_.end(), ep)
          == endpoints_.end())
        endpoints_.push_back(ep);
    }
    auto self = std::static_pointer_cast<tcp_client>(shared_from_this());
    asio::async_connect(
      streams_.sock, endpoints_,
      [self](const std::error_code&, const generic_endpoint& ep) {
        self->tried_.push_back(format_endpoint(ep));
        return true;
      },
      [self](const std::error_code& ec, const generic_endpoint&) {
        self->on_connected(ec);
      });
  }

  void on_connected(const std::error_code& ec) {
    if (closed_)
      return;
    if (ec) {
      std::string what = "cannot connect to " + target() + " (tried";
      for (const auto& addr : tried_)
        what += " " + addr;
      what += ")";
      finish(to_error(ec, io_phase::connect, what));
      return;
    }
    begin();
  }

  asio::ip::tcp::resolver resolver_;
  std::string host_;
  uint16_t port_;
  std::vector<generic_endpoint> endpoints_;
  std::vector<std::string> tried_;
};

bool fits_sun_path(const std::string& path) {
  return !path.empty() && path.size() < sizeof(sockaddr_un::sun_path);
}

class unix_client : public socket_transport {
public:
  unix_client(asio::io_context& ctx, std::string path, std::size_t window)
    : socket_transport(asio::make_strand(ctx), window), path_(std::move(path)) {
    // nop
  }

protected:
  void on_start() override {
    if (!fits_sun_path(path_)) {
      finish(make_error(stream_errc::invalid_argument,
                        "Unix socket path must be 1 to "
                          + std::to_string(sizeof(sockaddr_un::sun_path) - 1)
                          + " bytes: '" + path_ + "'"));
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
  adopted_socket(asio::io_context& ctx, int fd, std::size_t window)
    : socket_transport(asio::make_strand(ctx), window), fd_(fd) {
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
  pipe_transport(asio::io_context& ctx, int read_fd, int write_fd,
                 std::size_t window)
    : stream_transport(asio::make_strand(ctx), window),
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

// -- listeners ---------------------------------------------------------------------

template <class Option>
void set_option(generic_acceptor& acc, const Option& opt, std::error_code& ec) {
  if (!ec)
    acc.set_option(opt, ec);
}

using reuse_port_option
  = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

/// Binds and serves one or more acceptors; subclasses find the endpoints.
class acceptor_listener : public listener,
                          public std::enable_shared_from_this<acceptor_listener> {
public:
  acceptor_listener(asio::io_context& ctx, listen_options opts)
    : ctx_(ctx), ex_(asio::make_strand(ctx)), opts_(opts) {
    // nop
  }

  void open(open_handler on_open, accept_handler on_accept) override {
    on_open_ = std::move(on_open);
    on_accept_ = std::move(on_accept);
    asio::post(ex_, [self = shared_from_this()] { self->resolve(); });
  }

  void close(close_handler on_closed) override {
    asio::post(ex_, [self = shared_from_this(),
                     on_closed = std::move(on_closed)] {
      self->shut();
      if (on_closed)
        on_closed();
    });
  }

protected:
  virtual void resolve() = 0;

  /// Runs after the acceptors closed.
  virtual void cleanup() {
    // nop
  }

  void report(caf::expected<listen_result> result) {
    if (auto f = std::move(on_open_))
      f(std::move(result));
  }

  /// Reports `closed` if `close` ran first; then nothing may be bound (or,
  /// for Unix sockets, touched on disk).
  bool closed_before_binding() {
    if (!closed_)
      return false;
    report(make_error(stream_errc::closed, "server closed while binding"));
    return true;
  }

  /// Binds every endpoint or none; reports the outcome.
  void bind_all(const std::vector<generic_endpoint>& endpoints) {
    if (closed_before_binding())
      return;
    listen_result result;
    for (const auto& ep : endpoints) {
      generic_acceptor acc{ex_};
      std::error_code ec;
      acc.open(ep.protocol(), ec);
      if (ep.protocol().family() != AF_UNIX) {
        set_option(acc, asio::socket_base::reuse_address{opts_.reuse_address},
                   ec);
        if (opts_.reuse_port)
          set_option(acc, reuse_port_option{true}, ec);
        if (ep.protocol().family() == AF_INET6)
          set_option(acc, asio::ip::v6_only{true}, ec);
      }
      if (!ec)
        acc.bind(ep, ec);
      if (!ec)
        acc.listen(opts_.backlog, ec);
      if (ec) {
        auto what = "error while attempting to bind on address "
                    + format_endpoint(ep);
        shut_acceptors();
        report(to_error(ec, io_phase::bind, what));
        return;
      }
      auto local = acc.local_endpoint(ec);
      result.addresses.push_back(format_endpoint(ec ? ep : local));
      if (acceptors_.empty() && !ec && local.protocol().family() != AF_UNIX)
        result.port = ntohs(
          reinterpret_cast<const sockaddr_in*>(local.data())->sin_port);
      acceptors_.push_back(std::move(acc));
      retry_.emplace_back(ex_);
    }
    if (acceptors_.empty()) {
      report(make_error(stream_errc::bind_failed, "no address to bind"));
      return;
    }
    bound();
    report(std::move(result));
    for (std::size_t i = 0; i < acceptors_.size(); ++i)
      accept(i);
  }

  /// Called after binding succeeded, before the result is reported.
  virtual void bound() {
    // nop
  }

  asio::io_context& ctx_;
  asio::any_io_executor ex_;
  listen_options opts_;
  bool closed_ = false;

private:
  void accept(std::size_t index) {
    if (closed_)
      return;
    auto self = shared_from_this();
    acceptors_[index].async_accept(
      asio::make_strand(ctx_),
      [self, index](const std::error_code& ec, auto sock) {
        self->on_accept(index, ec, generic_socket{std::move(sock)});
      });
  }

  void on_accept(std::size_t index, const std::error_code& ec,
                 generic_socket sock) {
    if (closed_)
      return;
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space
        || ec == asio::error::no_memory || ec == std::errc::too_many_files_open_in_system) {
      // Out of descriptors or memory: back off instead of spinning, as
      // asyncio does, and keep serving. Each acceptor has its own timer:
      // re-arming a shared one would cancel another acceptor's retry.
      auto& timer = retry_[index];
      timer.expires_after(std::chrono::milliseconds{100});
      auto self = shared_from_this();
      timer.async_wait([self, index](const std::error_code& wait_ec) {
        if (!wait_ec)
          self->accept(index);
      });
      return;
    }
    if (!ec && on_accept_)
      on_accept_(std::make_shared<socket_transport>(std::move(sock),
                                                    opts_.accepted.read_window));
    accept(index);
  }

  void shut_acceptors() {
    std::error_code ec;
    for (auto& acc : acceptors_)
      acc.close(ec);
    acceptors_.clear();
    for (auto& timer : retry_)
      timer.cancel();
    retry_.clear();
  }

  void shut() {
    if (closed_)
      return;
    closed_ = true;
    bool had_acceptors = !acceptors_.empty();
    shut_acceptors();
    if (had_acceptors)
      cleanup();
    on_accept_ = nullptr;
  }

  open_handler on_open_;
  accept_handler on_accept_;
  std::vector<generic_acceptor> acceptors_;
  /// The out-of-descriptors back-off, one per acceptor (same index).
  std::vector<asio::steady_timer> retry_;
};

class tcp_listener : public acceptor_listener {
public:
  tcp_listener(asio::io_context& ctx, std::string host, uint16_t port,
               listen_options opts)
    : acceptor_listener(ctx, opts),
      resolver_(ex_),
      host_(std::move(host)),
      port_(port) {
    // nop
  }

protected:
  void resolve() override {
    if (closed_before_binding())
      return;
    auto self = std::static_pointer_cast<tcp_listener>(shared_from_this());
    resolver_.async_resolve(
      host_, std::to_string(port_), asio::ip::tcp::resolver::passive,
      [self](const std::error_code& ec,
             asio::ip::tcp::resolver::results_type results) {
        if (ec) {
          self->report(to_error(ec, io_phase::bind,
                                "cannot resolve '" + self->host_ + "'"));
          return;
        }
        std::vector<generic_endpoint> endpoints;
        for (const auto& entry : results) {
          generic_endpoint ep{entry.endpoint()};
          if (std::find(endpoints.begin(), endpoints.end(), ep)
              == endpoints.end())
            endpoints.push_back(ep);
        }
        self->bind_all(endpoints);
      });
  }

private:
  asio::ip::tcp::resolver resolver_;
  std::string host_;
  uint16_t port_;
};

class unix_listener : public acceptor_listener {
public:
  unix_listener(asio::io_context& ctx, std::string path, listen_options opts)
    : acceptor_listener(ctx, opts), path_(std::move(path)) {
    // nop
  }

protected:
  void resolve() override {
    if (closed_before_binding())
      return;
    if (!fits_sun_path(path_)) {
      report(make_error(stream_errc::invalid_argument,
                        "Unix socket path must be 1 to "
                          + std::to_string(sizeof(sockaddr_un::sun_path) - 1)
                          + " bytes: '" + path_ + "'"));
      return;
    }
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        report(make_error(stream_errc::bind_failed,
                          "cannot bind '" + path_
                            + "': the path exists and is not a socket"));
        return;
      }
      // A stale socket from an earlier run: replace it, as asyncio does.
      ::unlink(path_.c_str());
    }
    bind_all({generic_endpoint{asio::local::stream_protocol::endpoint{path_}}});
  }

  void bound() override {
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
      dev_ = st.st_dev;
      ino_ = st.st_ino;
      owns_file_ = true;
    }
  }

  void cleanup() override {
    if (!opts_.cleanup_socket || !owns_file_)
      return;
    struct stat st {};
    // Remove only our own socket: never a file that replaced it, never
    // anything that is not a socket.
    if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)
        && st.st_dev == dev_ && st.st_ino == ino_)
      ::unlink(path_.c_str());
  }

private:
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool owns_file_ = false;
};

} // namespace

transport_ptr make_tcp_client(io_threads& io, std::string host, uint16_t port,
                              socket_options opts) {
  return std::make_shared<tcp_client>(context_of(io), std::move(host), port,
                                      opts.read_window);
}

transport_ptr make_unix_client(io_threads& io, std::string path,
                               socket_options opts) {
  return std::make_shared<unix_client>(context_of(io), std::move(path),
                                       opts.read_window);
}

transport_ptr adopt_socket(io_threads& io, int fd, socket_options opts) {
  return std::make_shared<adopted_socket>(context_of(io), fd, opts.read_window);
}

transport_ptr make_pipe_transport(io_threads& io, int read_fd, int write_fd,
                                  socket_options opts) {
  return std::make_shared<pipe_transport>(context_of(io), read_fd, write_fd,
                                          opts.read_window);
}

listener_ptr make_tcp_listener(io_threads& io, std::string host, uint16_t port,
                               listen_options opts) {
  return std::make_shared<tcp_listener>(context_of(io), std::move(host), port,
                                        opts);
}

listener_ptr make_unix_listener(io_threads& io, std::string path,
                                listen_options opts) {
  return std::make_shared<unix_listener>(context_of(io), std::move(path), opts);
}

} // namespace actorstreams::net
