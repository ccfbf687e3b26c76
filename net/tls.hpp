#pragma once

// TLS settings (asyncio's ssl.SSLContext): what a TLS client or server
// trusts and presents. The handshake, the records and the certificate checks
// are OpenSSL's, through asio::ssl (docs/tls.md); this header includes
// neither, so users need only CAF on their include path.

#include <chrono>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace actorstreams::net {

/// TLS settings for one side of a connection, shared by every connection
/// that uses them (a cheap handle: copies share the settings). Wraps an
/// `asio::ssl::context`.
///
/// Safe by default, as `ssl.create_default_context()`:
/// - `client()` verifies the server's certificate chain against the system
///   trust store and its name against the host connected to (or
///   `connect_options::server_hostname`); TLS 1.2 or newer.
/// - `server(cert, key)` presents that chain; it asks for no client
///   certificate unless `verify_peer(true)` (with `load_verify_file` for the
///   CA that signs them).
class tls_context {
public:
  enum class side { client, server };

  /// A client context: TLS 1.2+, the system's trusted CAs, the peer
  /// verified (`ssl=True`).
  static tls_context client();

  /// A server context presenting the certificate chain in `cert_chain_file`
  /// (PEM, leaf first) with the private key in `key_file` (PEM; `password`
  /// if it is encrypted). Fails with `tls_error` saying what could not be
  /// loaded, or that the key does not match the certificate.
  static caf::expected<tls_context> server(const std::string& cert_chain_file,
                                           const std::string& key_file,
                                           const std::string& password = {});

  /// Also trusts the CA certificates in `cafile` (PEM): a private CA for a
  /// client, the CA of the client certificates for a server. Fails with
  /// `tls_error`.
  caf::error load_verify_file(const std::string& cafile);

  /// Presents this chain and key: a client certificate (for a server, the
  /// factory has done it). Fails with `tls_error`.
  caf::error load_cert_chain(const std::string& cert_chain_file,
                             const std::string& key_file,
                             const std::string& password = {});

  /// Whether the peer's certificate is verified. A client: the server's
  /// (default true; false is asyncio's `CERT_NONE`, for tests only). A
  /// server: a client certificate is required and verified (default false).
  void verify_peer(bool on);

  bool verifies_peer() const;

  side role() const;

  /// The `SSL_CTX*` (for settings this class does not offer: ciphers,
  /// ALPN, ...). Shared by every copy.
  void* native_handle() const;

  /// An empty handle (no settings); only for default-constructed options.
  tls_context() = default;

  explicit operator bool() const noexcept { return static_cast<bool>(impl_); }

  struct impl;

  friend std::shared_ptr<impl> impl_of(const tls_context& ctx);

private:
  explicit tls_context(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {}

  std::shared_ptr<impl> impl_;
};

} // namespace actorstreams::net

namespace actorstreams::net {

/// TLS for a socket transport: at the start (socket_options), or later by
/// `transport::start_tls`.
struct tls_options {
  /// The settings; an empty handle means plain TCP / Unix.
  tls_context context;
  /// A client's SNI and the name its peer's certificate must carry ("":
  /// none, only with a context that does not verify).
  std::string server_hostname;
  std::chrono::nanoseconds handshake_timeout = std::chrono::seconds{60};
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds{30};
  /// start_tls only: plaintext sent after reading stopped and before the
  /// handshake (a server's answer to a STARTTLS command).
  std::string send_first;
};

} // namespace actorstreams::net

namespace actorstreams {

using net::tls_context;

} // namespace actorstreams
