#include "net/sockets.hpp"

// The TCP client: resolves a name, then connects to its addresses one at a
// time (asyncio's default) or by happy eyeballs (RFC 8305: a new attempt
// every `happy_eyeballs_delay` while the earlier ones are pending, families
// interleaved, the first to connect wins), optionally from a bound local
// address. The winner's socket becomes the transport's; TLS, if asked for,
// follows in stream_transport::begin.

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "net/internal/error.hpp"
#include "net/internal/io.hpp"
#include "net/internal/socket_streams.hpp"
#include "streams/errors.hpp"

namespace actorstreams::net {

namespace {

/// asyncio's _interleave_addrinfos: `first_count` of the first address's
/// family, then the families in turn, each keeping its order.
std::vector<generic_endpoint>
interleave(const std::vector<generic_endpoint>& eps, int first_count) {
  if (eps.empty() || first_count <= 0)
    return eps;
  std::deque<generic_endpoint> first;
  std::deque<generic_endpoint> other;
  auto family = eps.front().protocol().family();
  for (const auto& ep : eps)
    (ep.protocol().family() == family ? first : other).push_back(ep);
  std::vector<generic_endpoint> out;
  for (int i = 0; i < first_count && !first.empty(); ++i) {
    out.push_back(first.front());
    first.pop_front();
  }
  while (!first.empty() || !other.empty()) {
    if (!other.empty()) {
      out.push_back(other.front());
      other.pop_front();
    }
    if (!first.empty()) {
      out.push_back(first.front());
      first.pop_front();
    }
  }
  return out;
}

class tcp_client : public socket_transport {
public:
  tcp_client(asio::io_context& ctx, std::size_t index, std::string host,
             uint16_t port, std::size_t window, tcp_connect_options how)
    : socket_transport(ctx, index, window),
      resolver_(ctx),
      delay_timer_(ctx),
      host_(std::move(host)),
      port_(port),
      how_(std::move(how)) {
    // nop
  }

protected:
  void on_start() override {
    if (how_.local_addr) {
      // The local side first: numeric or a name, as asyncio resolves it.
      auto self = shared_this();
      const auto& [lhost, lport] = *how_.local_addr;
      resolver_.async_resolve(
        lhost.empty() ? std::string{"0.0.0.0"} : lhost, std::to_string(lport),
        asio::ip::resolver_base::passive,
        [self](const std::error_code& ec,
               asio::ip::tcp::resolver::results_type results) {
          if (self->closed_)
            return;
          if (ec) {
            self->finish(to_error(ec, io_phase::connect,
                                  "cannot resolve the local address '"
                                    + self->how_.local_addr->first + "'"));
            return;
          }
          for (const auto& entry : results)
            self->locals_.emplace_back(entry.endpoint());
          self->resolve_remote();
        });
      return;
    }
    resolve_remote();
  }

  void on_finish() override {
    resolver_.cancel();
    delay_timer_.cancel();
    for (auto& a : attempts_) {
      a->pending = false;
      std::error_code ignored;
      a->sock.close(ignored);
    }
  }

private:
  struct attempt {
    explicit attempt(asio::io_context& ctx) : sock(ctx) {}
    generic_socket sock;
    generic_endpoint ep;
    bool pending = false;
  };

  std::shared_ptr<tcp_client> shared_this() {
    return std::static_pointer_cast<tcp_client>(shared_from_this());
  }

  std::string target() const {
    return "'" + host_ + "':" + std::to_string(port_);
  }

  void resolve_remote() {
    auto self = shared_this();
    resolver_.async_resolve(
      host_, std::to_string(port_),
      [self](const std::error_code& ec,
             asio::ip::tcp::resolver::results_type results) {
        self->on_resolved(ec, std::move(results));
      });
  }

  void on_resolved(const std::error_code& ec,
                   asio::ip::tcp::resolver::results_type results) {
    if (closed_)
      return;
    if (ec) {
      finish(to_error(ec, io_phase::connect, "cannot resolve " + target()));
      return;
    }
    std::vector<generic_endpoint> eps;
    for (const auto& entry : results) {
      generic_endpoint ep{entry.endpoint()};
      if (std::find(eps.begin(), eps.end(), ep) == eps.end())
        eps.push_back(ep);
    }
    auto count = how_.interleave;
    if (count == 0 && how_.happy_eyeballs_delay)
      count = 1;
    endpoints_ = interleave(eps, count);
    next_attempt();
  }

  /// Starts the next address's attempt, if any is left; with happy
  /// eyeballs, arms the timer for the one after.
  void next_attempt() {
    if (closed_ || won_)
      return;
    if (next_ >= endpoints_.size()) {
      if (pending_ == 0)
        fail_all();
      return;
    }
    auto i = attempts_.size();
    attempts_.push_back(std::make_unique<attempt>(ctx_));
    auto& a = *attempts_.back();
    a.ep = endpoints_[next_++];
    tried_.push_back(format_endpoint(a.ep));
    std::error_code ec;
    a.sock.open(a.ep.protocol(), ec);
    if (!ec && how_.local_addr)
      bind_local(a, ec);
    if (ec) {
      errors_.push_back(ec);
      next_attempt();
      return;
    }
    a.pending = true;
    ++pending_;
    auto self = shared_this();
    a.sock.async_connect(a.ep, [self, i](const std::error_code& ec) {
      self->on_attempt(i, ec);
    });
    if (how_.happy_eyeballs_delay && next_ < endpoints_.size()) {
      delay_timer_.expires_after(*how_.happy_eyeballs_delay);
      delay_timer_.async_wait([self](const std::error_code& ec) {
        if (!ec)
          self->next_attempt();
      });
    }
  }

  /// Binds to a local address of the attempt's family.
  void bind_local(attempt& a, std::error_code& ec) {
    auto family = a.ep.protocol().family();
    for (const auto& local : locals_) {
      if (local.protocol().family() != family)
        continue;
      a.sock.set_option(asio::socket_base::reuse_address{true}, ec);
      a.sock.bind(local, ec);
      return;
    }
    ec = std::make_error_code(std::errc::address_family_not_supported);
  }

  void on_attempt(std::size_t i, const std::error_code& ec) {
    auto& a = *attempts_[i];
    if (!a.pending)
      return; // closed by the winner or by finish
    a.pending = false;
    --pending_;
    if (closed_ || won_)
      return;
    if (ec) {
      errors_.push_back(ec);
      std::error_code ignored;
      a.sock.close(ignored);
      // A failure starts the next attempt at once (RFC 8305, 5).
      delay_timer_.cancel();
      next_attempt();
      if (!won_ && pending_ == 0 && next_ >= endpoints_.size())
        fail_all();
      return;
    }
    won_ = true;
    delay_timer_.cancel();
    for (std::size_t j = 0; j < attempts_.size(); ++j) {
      if (j == i || !attempts_[j]->pending)
        continue;
      attempts_[j]->pending = false;
      std::error_code ignored;
      attempts_[j]->sock.close(ignored);
    }
    // (The attempts stay: their handlers may still come, aborted.)
    streams_.sock = std::move(a.sock);
    begin();
  }

  void fail_all() {
    if (reported_)
      return;
    reported_ = true;
    std::string what = "cannot connect to " + target() + " (tried";
    for (const auto& addr : tried_)
      what += " " + addr;
    what += ")";
    auto ec = errors_.empty()
                ? std::make_error_code(std::errc::host_unreachable)
                : errors_.back();
    finish(to_error(ec, io_phase::connect, what));
  }

  asio::ip::tcp::resolver resolver_;
  asio::steady_timer delay_timer_;
  std::string host_;
  uint16_t port_;
  tcp_connect_options how_;
  std::vector<generic_endpoint> locals_;
  std::vector<generic_endpoint> endpoints_;
  std::size_t next_ = 0;
  std::vector<std::unique_ptr<attempt>> attempts_;
  std::size_t pending_ = 0;
  std::vector<std::error_code> errors_;
  std::vector<std::string> tried_;
  bool won_ = false;
  bool reported_ = false;
};

} // namespace

transport_ptr make_tcp_client(io_threads& io, std::string host, uint16_t port,
                              socket_options opts, tcp_connect_options how) {
  auto idx = io.pick();
  auto t = std::make_shared<tcp_client>(context_of(io, idx), idx,
                                        std::move(host), port,
                                        opts.read_window, std::move(how));
  t->use_tls(opts.tls);
  return t;
}

} // namespace actorstreams::net
