#pragma once

// TLS over a connected non-blocking socket, for stream_transport (its
// socket_streams carry one once a connection is TLS). Built on asio::ssl's
// engine: OpenSSL with a memory BIO pair, so that this code decides when the
// socket is read and written. That is what a transport with read credit,
// gathered writes and TLS 1.3 half-close needs, and what asio::ssl::stream's
// composed operations cannot give (its shutdown waits for the peer's
// close_notify, and it reads only when asked to).

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/detail/engine.hpp>

#include "net/internal/addresses.hpp"
#include "net/tls.hpp"

namespace actorstreams::net {

struct tls_context::impl {
  explicit impl(asio::ssl::context::method m, tls_context::side s)
    : ctx(m), role(s), verify(s == tls_context::side::client) {
    // nop
  }

  asio::ssl::context ctx;
  tls_context::side role;
  bool verify;
};

/// The TLS state of one connection. Every member is non-blocking:
/// `asio::error::would_block` means "wait until the socket is readable (or
/// writable, if `wants_write()`) and call again".
class tls_channel {
public:
  /// `hostname`: sent as SNI and checked against the certificate when the
  /// context verifies (none for a server). An IP address is checked as one
  /// and not sent as SNI.
  tls_channel(const tls_context& ctx, std::string hostname);

  tls_channel(const tls_channel&) = delete;
  tls_channel& operator=(const tls_channel&) = delete;

  /// One step of the handshake; none once it is complete.
  std::error_code handshake(generic_socket& sock);

  bool handshake_done() const noexcept { return handshake_done_; }

  /// Plaintext into `buf`: 0 with `asio::error::eof` at the peer's
  /// close_notify (or a TCP EOF without one, which is treated the same, as
  /// Python's suppress_ragged_eofs does), would_block, or a TLS error.
  std::size_t read_some(generic_socket& sock, asio::mutable_buffer buf,
                        std::error_code& ec);

  /// Encrypts and sends as much of `bufs` as the socket takes; returns the
  /// plaintext bytes consumed. What was encrypted and not yet sent (at most
  /// a record) stays queued here: `output_pending()`.
  std::size_t write_some(generic_socket& sock,
                         const std::vector<asio::const_buffer>& bufs,
                         std::error_code& ec);

  /// Queues a close_notify (once) and sends what it can: the TLS 1.3
  /// half-close. Reading goes on until the peer's close_notify.
  std::error_code close_notify(generic_socket& sock);

  bool close_notify_sent() const noexcept { return close_notify_sent_; }

  /// Sends queued ciphertext; would_block if some is left.
  std::error_code flush(generic_socket& sock);

  /// Ciphertext waits to be sent.
  bool output_pending() const;

  /// The last call needs the socket writable before it can go on.
  bool wants_write() const noexcept { return wants_write_; }

  /// The read side waits for records of its own to leave (a TLS 1.3
  /// KeyUpdate's answer) before it can read on.
  bool read_wants_write() const noexcept { return read_wants_write_; }

  /// Plaintext or ciphertext is here already: a read can make progress
  /// without waiting for the socket.
  bool has_buffered_input() const;

  /// Whether a half-close keeps the connection readable: TLS 1.3.
  bool can_write_eof() const;

  /// "peercert", "cipher", "tls_version", "server_hostname" (after the
  /// handshake).
  void describe(std::map<std::string, std::string>& info) const;

  /// The handshake's failure as the user should read it: OpenSSL's reason,
  /// and for a rejected certificate the verifier's ("certificate has
  /// expired", "Hostname mismatch", ...).
  std::string explain(const std::error_code& ec) const;

private:
  /// Reads ciphertext from the socket into the engine.
  std::error_code feed(generic_socket& sock);

  std::shared_ptr<tls_context::impl> keep_; // the SSL_CTX outlives the SSL
  asio::ssl::detail::engine engine_;
  std::string hostname_;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::vector<char> out_;
  std::size_t out_begin_ = 0;
  std::size_t out_end_ = 0;
  bool wants_write_ = false;
  bool read_wants_write_ = false;
  bool handshake_done_ = false;
  bool close_notify_sent_ = false;
  bool server_;
};

/// The settings' SSL_CTX, from a handle that net code holds.
std::shared_ptr<tls_context::impl> impl_of(const tls_context& ctx);

} // namespace actorstreams::net
