#include "net/sockets.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include "net/internal/error.hpp"
#include "net/internal/io.hpp"
#include "net/internal/socket_streams.hpp"
#include "streams/errors.hpp"

// The listeners: TCP (every address of a name) and Unix sockets.

namespace actorstreams::net {

listener::~listener() = default;

namespace {


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
  acceptor_listener(io_threads& io, listen_options opts)
    : io_(io), home_(io.pick()), ex_(context_of(io, home_).get_executor()),
      opts_(opts) {
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

  /// Runs on close: stops what is still under way before binding.
  virtual void cancel() {
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

  io_threads& io_;
  /// The thread the listening sockets live on.
  const std::size_t home_;
  asio::any_io_executor ex_;
  listen_options opts_;
  bool closed_ = false;

private:
  void accept(std::size_t index) {
    if (closed_)
      return;
    // Each accepted socket goes to the next I/O thread in turn: the
    // connections spread over the cores, the listener stays where it is.
    auto self = shared_from_this();
    // A turn of its own: a shared counter would interleave with the
    // clients this process opens and could put every accepted socket on
    // one thread.
    auto target = turn_++ % io_.size();
    acceptors_[index].async_accept(
      asio::any_io_executor{context_of(io_, target).get_executor()},
      [self, index, target](const std::error_code& ec, auto sock) {
        self->on_accept(index, target, ec, generic_socket{std::move(sock)});
      });
  }

  void on_accept(std::size_t index, std::size_t target,
                 const std::error_code& ec, generic_socket sock) {
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
    if (!ec && on_accept_) {
      auto t = std::make_shared<socket_transport>(
        context_of(io_, target), target, std::move(sock),
        opts_.accepted.read_window);
      if (opts_.accepted.tls.context) {
        // A TLS client is handed on only once its handshake succeeded: one
        // that fails or stalls in it costs its socket (until the handshake
        // timeout), nothing else.
        t->use_tls(opts_.accepted.tls);
        t->handshake_first([on_accept = on_accept_, t](caf::error err) {
          if (!err)
            on_accept(t);
        });
      } else {
        on_accept_(std::move(t));
      }
    }
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
    cancel();
    bool had_acceptors = !acceptors_.empty();
    shut_acceptors();
    if (had_acceptors)
      cleanup();
    on_accept_ = nullptr;
  }

  /// Which thread the next accepted socket goes to.
  std::size_t turn_ = 0;
  open_handler on_open_;
  accept_handler on_accept_;
  std::vector<generic_acceptor> acceptors_;
  /// The out-of-descriptors back-off, one per acceptor (same index).
  std::vector<asio::steady_timer> retry_;
};

class tcp_listener : public acceptor_listener {
public:
  tcp_listener(io_threads& io, std::string host, uint16_t port,
               listen_options opts)
    : acceptor_listener(io, opts),
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
        // Closed meanwhile: that is the outcome, whatever the name gave.
        if (self->closed_before_binding())
          return;
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

  void cancel() override {
    // The lookup's handler then runs at once (and reports closed); the
    // lookup itself finishes on Asio's resolver thread.
    resolver_.cancel();
  }

private:
  asio::ip::tcp::resolver resolver_;
  std::string host_;
  uint16_t port_;
};

class unix_listener : public acceptor_listener {
public:
  unix_listener(io_threads& io, std::string path, listen_options opts)
    : acceptor_listener(io, opts), path_(std::move(path)) {
    // nop
  }

protected:
  void resolve() override {
    if (closed_before_binding())
      return;
    if (!fits_sun_path(path_)) {
      report(make_error(stream_errc::invalid_argument, sun_path_error(path_)));
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

listener_ptr make_tcp_listener(io_threads& io, std::string host, uint16_t port,
                               listen_options opts) {
  return std::make_shared<tcp_listener>(io, std::move(host), port, opts);
}

listener_ptr make_unix_listener(io_threads& io, std::string path,
                                listen_options opts) {
  return std::make_shared<unix_listener>(io, std::move(path), opts);
}

} // namespace actorstreams::net
