#pragma once

// What a stream_transport reads from and writes to: a socket (TCP, Unix,
// adopted; plain or TLS) or a pair of pipe ends; and the transport of a
// connected socket.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>

#include "net/internal/addresses.hpp"
#include "net/internal/stream_transport.hpp"
#include "net/internal/tls_channel.hpp"
#include "net/sockets.hpp"

namespace actorstreams::net {


/// A socket, plain or TLS (`tls`, set for a TLS connection from the start or
/// by start_tls): stream_transport moves plaintext through it.
struct socket_streams {
  explicit socket_streams(const asio::any_io_executor& ex) : sock(ex) {
    // nop
  }

  generic_socket sock;
  std::unique_ptr<tls_channel> tls;

  std::size_t read_some(asio::mutable_buffer buf, std::error_code& ec) {
    if (tls)
      return tls->read_some(sock, buf, ec);
    return sock.read_some(buf, ec);
  }

  std::size_t write_some(const std::vector<asio::const_buffer>& bufs,
                         std::error_code& ec) {
    if (tls)
      return tls->write_some(sock, bufs, ec);
    return sock.write_some(bufs, ec);
  }

  template <class Handler>
  void wait_readable(Handler&& handler) {
    if (tls && tls->read_wants_write()) {
      // The last read has records to send first (a TLS 1.3 KeyUpdate).
      sock.async_wait(asio::socket_base::wait_write,
                      std::forward<Handler>(handler));
      return;
    }
    if (tls && tls->has_buffered_input()) {
      asio::post(sock.get_executor(),
                 [h = std::forward<Handler>(handler)]() mutable {
                   h(std::error_code{});
                 });
      return;
    }
    sock.async_wait(asio::socket_base::wait_read,
                    std::forward<Handler>(handler));
  }

  template <class Handler>
  void wait_writable(Handler&& handler) {
    sock.async_wait(asio::socket_base::wait_write,
                    std::forward<Handler>(handler));
  }

  bool has_tls() const { return tls != nullptr; }

  bool can_start_tls() const { return true; }

  /// STARTTLS: from now on the socket carries TLS (the handshake follows).
  void install_tls(const tls_options& opts) {
    tls = std::make_unique<tls_channel>(opts.context, opts.server_hostname);
  }

  /// A read can make progress without the socket (TLS holds input).
  bool has_buffered_input() const { return tls && tls->has_buffered_input(); }

  /// TLS records wait to be sent.
  bool output_pending() const { return tls && tls->output_pending(); }

  bool readable() const { return sock.is_open(); }
  bool can_write() const { return true; }
  bool can_write_eof() const { return !tls || tls->can_write_eof(); }

  /// Plain: TCP shutdown. TLS: a close_notify (TLS 1.3 half-close); its
  /// record may stay pending (output_pending) until the socket is writable.
  void shutdown_send(std::error_code& ec) {
    if (tls) {
      ec = tls->close_notify(sock);
      if (ec == asio::error::would_block)
        ec.clear();
      return;
    }
    sock.shutdown(asio::socket_base::shutdown_send, ec);
  }

  /// Before a graceful close: TLS says close_notify (once). Returns whether
  /// records now wait to be sent.
  bool before_close() {
    if (!tls || tls->close_notify_sent())
      return false;
    auto ec = tls->close_notify(sock);
    return ec == asio::error::would_block;
  }

  // -- the TLS handshake (tls set and not done yet) ----------------------------

  bool handshake_pending() const { return tls && !tls->handshake_done(); }

  /// One step; would_block: wait (writable if tls->wants_write()).
  std::error_code handshake_step() { return tls->handshake(sock); }

  template <class Handler>
  void wait_handshake(Handler&& handler) {
    sock.async_wait(tls->wants_write() ? asio::socket_base::wait_write
                                       : asio::socket_base::wait_read,
                    std::forward<Handler>(handler));
  }

  std::string explain_handshake_failure(const std::error_code& ec) const {
    return tls ? tls->explain(ec) : ec.message();
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

  /// After the handshake: what TLS tells about the connection.
  void describe_tls(std::map<std::string, std::string>& info) const {
    if (tls)
      tls->describe(info);
  }
};

struct pipe_streams {
  explicit pipe_streams(const asio::any_io_executor& ex) : rd(ex), wr(ex) {
    // nop
  }

  asio::posix::stream_descriptor rd;
  asio::posix::stream_descriptor wr;
  bool has_wr = false;

  std::size_t read_some(asio::mutable_buffer buf, std::error_code& ec) {
    return rd.read_some(buf, ec);
  }

  std::size_t write_some(const std::vector<asio::const_buffer>& bufs,
                         std::error_code& ec) {
    return wr.write_some(bufs, ec);
  }

  template <class Handler>
  void wait_readable(Handler&& handler) {
    rd.async_wait(asio::posix::descriptor_base::wait_read,
                  std::forward<Handler>(handler));
  }

  template <class Handler>
  void wait_writable(Handler&& handler) {
    wr.async_wait(asio::posix::descriptor_base::wait_write,
                  std::forward<Handler>(handler));
  }

  bool has_tls() const { return false; }
  bool can_start_tls() const { return false; }
  void install_tls(const tls_options&) {
    // nop: never called (can_start_tls)
  }
  bool has_buffered_input() const { return false; }
  bool output_pending() const { return false; }

  bool readable() const { return rd.is_open(); }
  bool can_write() const { return has_wr; }
  bool can_write_eof() const { return has_wr; }

  void shutdown_send(std::error_code& ec) {
    // A socket given as a pipe end stays open while another descriptor
    // refers to it (the read end's, whose dup this may be): closing ours
    // alone would send no FIN, so shut its sending side down first.
    struct stat st {};
    if (wr.is_open() && ::fstat(wr.native_handle(), &st) == 0
        && S_ISSOCK(st.st_mode))
      ::shutdown(wr.native_handle(), SHUT_WR);
    wr.close(ec);
  }

  bool before_close() { return false; }

  bool handshake_pending() const { return false; }
  std::error_code handshake_step() { return {}; }
  template <class Handler>
  void wait_handshake(Handler&&) {
    // nop: pipes have no handshake
  }
  std::string explain_handshake_failure(const std::error_code& ec) const {
    return ec.message();
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

  void describe_tls(std::map<std::string, std::string>&) const {
    // nop
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

  /// Makes the connection TLS (if `tls.context` is set): the handshake runs
  /// once the socket is connected, before `connection_made`.
  void use_tls(const tls_options& tls) {
    if (!tls.context)
      return;
    streams_.tls = std::make_unique<tls_channel>(tls.context,
                                                 tls.server_hostname);
    set_tls_timeouts(tls.handshake_timeout, tls.shutdown_timeout);
  }
};

} // namespace actorstreams::net
