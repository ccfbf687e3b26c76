#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include <asio/error.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/error.hpp>

#include "net/internal/tls_channel.hpp"
#include "streams/errors.hpp"

namespace actorstreams::net {

namespace {

caf::error tls_failure(const std::string& what, const std::error_code& ec) {
  return make_error(stream_errc::tls_error, what + ": " + ec.message());
}

/// A password callback for encrypted keys (empty: none given).
void set_password(asio::ssl::context& ctx, const std::string& password) {
  if (password.empty())
    return;
  ctx.set_password_callback(
    [password](std::size_t, asio::ssl::context::password_purpose) {
      return password;
    });
}

/// asn1 time as "Jan  2 03:04:05 2027 GMT" (OpenSSL's own format).
std::string time_text(const ASN1_TIME* t) {
  std::string out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr)
    return out;
  if (ASN1_TIME_print(bio, t) == 1) {
    char* data = nullptr;
    auto len = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return out;
}

std::string name_text(const X509_NAME* name) {
  std::string out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr)
    return out;
  // RFC 2253 order and escaping: "CN=localhost,O=actorstreams test".
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    auto len = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return out;
}

/// "DNS:localhost, IP Address:127.0.0.1" (as openssl x509 -text shows it).
std::string san_text(X509* cert) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(
    X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr)
    return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    std::string item;
    if (gn->type == GEN_DNS) {
      const auto* s = gn->d.dNSName;
      item = "DNS:"
             + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (gn->type == GEN_IPADD) {
      const auto* s = gn->d.iPAddress;
      const auto* p = ASN1_STRING_get0_data(s);
      auto len = ASN1_STRING_length(s);
      std::error_code ec;
      if (len == 4) {
        asio::ip::address_v4::bytes_type b;
        std::copy(p, p + 4, b.begin());
        item = "IP Address:" + asio::ip::address_v4{b}.to_string();
      } else if (len == 16) {
        asio::ip::address_v6::bytes_type b;
        std::copy(p, p + 16, b.begin());
        item = "IP Address:" + asio::ip::address_v6{b}.to_string();
      }
    } else if (gn->type == GEN_EMAIL) {
      const auto* s = gn->d.rfc822Name;
      item = "email:"
             + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (gn->type == GEN_URI) {
      const auto* s = gn->d.uniformResourceIdentifier;
      item = "URI:"
             + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    if (item.empty())
      continue;
    if (!out.empty())
      out += ", ";
    out += item;
  }
  GENERAL_NAMES_free(names);
  return out;
}

bool is_ip_literal(const std::string& host) {
  std::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

} // namespace

// -- tls_context ----------------------------------------------------------------

tls_context tls_context::client() {
  auto ptr = std::make_shared<impl>(asio::ssl::context::tls_client,
                                    side::client);
  auto* ctx = ptr->ctx.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  std::error_code ec;
  ptr->ctx.set_default_verify_paths(ec); // no system store: nothing trusted
  return tls_context{std::move(ptr)};
}

caf::expected<tls_context>
tls_context::server(const std::string& cert_chain_file,
                    const std::string& key_file, const std::string& password) {
  auto ptr = std::make_shared<impl>(asio::ssl::context::tls_server,
                                    side::server);
  SSL_CTX_set_min_proto_version(ptr->ctx.native_handle(), TLS1_2_VERSION);
  tls_context result{std::move(ptr)};
  if (auto err = result.load_cert_chain(cert_chain_file, key_file, password))
    return err;
  return result;
}

caf::error tls_context::load_verify_file(const std::string& cafile) {
  std::error_code ec;
  impl_->ctx.load_verify_file(cafile, ec);
  if (ec)
    return tls_failure("cannot load CA certificates from '" + cafile + "'", ec);
  return caf::error{};
}

caf::error tls_context::load_cert_chain(const std::string& cert_chain_file,
                                        const std::string& key_file,
                                        const std::string& password) {
  std::error_code ec;
  set_password(impl_->ctx, password);
  impl_->ctx.use_certificate_chain_file(cert_chain_file, ec);
  if (ec)
    return tls_failure("cannot load the certificate chain '" + cert_chain_file
                         + "'",
                       ec);
  impl_->ctx.use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value()))
              == X509_R_KEY_VALUES_MISMATCH)
    return make_error(stream_errc::tls_error,
                      "the private key '" + key_file
                        + "' does not match the certificate '"
                        + cert_chain_file + "'");
  if (ec)
    return tls_failure("cannot load the private key '" + key_file + "'", ec);
  if (SSL_CTX_check_private_key(impl_->ctx.native_handle()) != 1)
    return make_error(stream_errc::tls_error,
                      "the private key '" + key_file
                        + "' does not match the certificate '"
                        + cert_chain_file + "'");
  return caf::error{};
}

void tls_context::verify_peer(bool on) {
  impl_->verify = on;
}

bool tls_context::verifies_peer() const {
  return impl_ && impl_->verify;
}

tls_context::side tls_context::role() const {
  return impl_ ? impl_->role : side::client;
}

void* tls_context::native_handle() const {
  return impl_ ? impl_->ctx.native_handle() : nullptr;
}

std::shared_ptr<tls_context::impl> impl_of(const tls_context& ctx) {
  return ctx.impl_;
}

// -- tls_channel ----------------------------------------------------------------

namespace {

/// The size of one TLS record with its overhead: what moves at a time.
constexpr std::size_t record_size = 17 * 1024;

} // namespace

tls_channel::tls_channel(const tls_context& ctx, std::string hostname)
  : keep_(impl_of(ctx)),
    engine_(keep_->ctx.native_handle()),
    hostname_(std::move(hostname)),
    in_(record_size),
    out_(record_size),
    server_(keep_->role == tls_context::side::server) {
  SSL* ssl = engine_.native_handle();
  if (server_) {
    if (keep_->verify)
      SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
    else
      SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return;
  }
  SSL_set_verify(ssl, keep_->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                 nullptr);
  if (hostname_.empty())
    return;
  bool ip = is_ip_literal(hostname_);
  // SNI names a host, never an address (RFC 6066).
  if (!ip)
    SSL_set_tlsext_host_name(ssl, hostname_.c_str());
  if (keep_->verify) {
    // OpenSSL checks the name during verification: a mismatch fails the
    // handshake like an untrusted chain does.
    auto* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (ip)
      X509_VERIFY_PARAM_set1_ip_asc(param, hostname_.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, hostname_.c_str(), 0);
  }
}

std::error_code tls_channel::flush(generic_socket& sock) {
  for (;;) {
    if (out_begin_ == out_end_) {
      auto got = engine_.get_output(asio::buffer(out_));
      out_begin_ = 0;
      out_end_ = got.size();
      if (out_end_ == 0) {
        wants_write_ = false;
        return {};
      }
    }
    std::error_code ec;
    auto n = sock.write_some(
      asio::buffer(out_.data() + out_begin_, out_end_ - out_begin_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wants_write_ = true;
      return asio::error::would_block;
    }
    if (ec)
      return ec;
    out_begin_ += n;
  }
}

bool tls_channel::output_pending() const {
  // The engine's BIO pair: what SSL wrote and nobody took out yet (wpending
  // of SSL's end; its plain `pending` is the input not read yet).
  return out_begin_ != out_end_
         || BIO_ctrl_wpending(SSL_get_wbio(
              const_cast<asio::ssl::detail::engine&>(engine_).native_handle()))
              > 0;
}

std::error_code tls_channel::feed(generic_socket& sock) {
  if (in_begin_ == in_end_) {
    std::error_code ec;
    auto n = sock.read_some(asio::buffer(in_), ec);
    if (ec == asio::error::try_again)
      ec = asio::error::would_block;
    if (ec)
      return ec;
    in_begin_ = 0;
    in_end_ = n;
  }
  auto rest = engine_.put_input(
    asio::buffer(in_.data() + in_begin_, in_end_ - in_begin_));
  in_begin_ = in_end_ - rest.size(); // what the engine had no room for yet
  return {};
}

bool tls_channel::has_buffered_input() const {
  auto* ssl = const_cast<asio::ssl::detail::engine&>(engine_).native_handle();
  return in_begin_ != in_end_ || SSL_pending(ssl) > 0
         || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0;
}

std::error_code tls_channel::handshake(generic_socket& sock) {
  if (handshake_done_)
    return {};
  if (wants_write_)
    if (auto ec = flush(sock))
      return ec;
  for (;;) {
    std::error_code ec;
    auto want = engine_.handshake(server_ ? asio::ssl::stream_base::server
                                          : asio::ssl::stream_base::client,
                                  ec);
    if (want == asio::ssl::detail::engine::want_output
        || want == asio::ssl::detail::engine::want_output_and_retry) {
      // Send what the handshake produced, the alert of a failure included.
      auto fec = flush(sock);
      if (ec)
        return ec;
      if (fec)
        return fec;
      if (want == asio::ssl::detail::engine::want_output) {
        handshake_done_ = true;
        return {};
      }
      continue;
    }
    if (ec)
      return ec;
    if (want == asio::ssl::detail::engine::want_input_and_retry) {
      if (auto fec = feed(sock))
        return fec == asio::error::eof ? std::error_code{asio::ssl::error::stream_truncated}
                                       : fec;
      continue;
    }
    handshake_done_ = true; // want_nothing without an error
    return {};
  }
}

std::size_t tls_channel::read_some(generic_socket& sock,
                                   asio::mutable_buffer buf,
                                   std::error_code& ec) {
  // Reading never waits for the write side's records (the peer may be
  // waiting for us to read before it reads them: a deadlock); only for
  // records a read produced itself.
  if (read_wants_write_) {
    if (auto fec = flush(sock)) {
      ec = fec;
      return 0;
    }
    read_wants_write_ = false;
  }
  for (;;) {
    std::size_t n = 0;
    std::error_code aec;
    auto want = engine_.read(buf, aec, n);
    if (want == asio::ssl::detail::engine::want_output
        || want == asio::ssl::detail::engine::want_output_and_retry) {
      // The read produced records to send (a TLS 1.3 KeyUpdate's answer).
      auto fec = flush(sock);
      if (fec && fec != asio::error::would_block) {
        ec = fec;
        return 0;
      }
      if (want == asio::ssl::detail::engine::want_output_and_retry) {
        if (fec) {
          read_wants_write_ = true;
          ec = fec;
          return 0;
        }
        continue;
      }
    }
    if (n > 0) {
      ec = {};
      return n;
    }
    if (aec) {
      ec = aec; // eof: the peer's close_notify
      return 0;
    }
    if (want == asio::ssl::detail::engine::want_input_and_retry) {
      if (auto fec = feed(sock)) {
        // A TCP EOF without close_notify: treated as EOF (see the header).
        ec = fec == asio::error::eof ? std::error_code{asio::error::eof} : fec;
        return 0;
      }
      continue;
    }
    ec = asio::error::would_block;
    return 0;
  }
}

std::size_t tls_channel::write_some(generic_socket& sock,
                                    const std::vector<asio::const_buffer>& bufs,
                                    std::error_code& ec) {
  ec = {};
  if (output_pending()) {
    if (auto fec = flush(sock)) {
      if (fec != asio::error::would_block)
        ec = fec;
      return 0;
    }
  }
  std::size_t total = 0;
  for (auto b : bufs) {
    while (b.size() > 0) {
      std::size_t n = 0;
      std::error_code aec;
      auto want = engine_.write(b, aec, n);
      if (aec) {
        ec = aec;
        return total;
      }
      total += n;
      b += n;
      if (want == asio::ssl::detail::engine::want_output
          || want == asio::ssl::detail::engine::want_output_and_retry) {
        auto fec = flush(sock);
        if (fec == asio::error::would_block)
          return total; // one record left queued, sent when writable
        if (fec) {
          ec = fec;
          return total;
        }
      } else if (want == asio::ssl::detail::engine::want_input_and_retry) {
        // A renegotiation wants the peer's input: the reader feeds it.
        return total;
      }
    }
  }
  return total;
}

std::error_code tls_channel::close_notify(generic_socket& sock) {
  if (!close_notify_sent_) {
    close_notify_sent_ = true;
    ERR_clear_error();
    // One call: it queues our close_notify and returns at once (0). A
    // second would wait for the peer's; reading goes on instead.
    SSL_shutdown(engine_.native_handle());
  }
  return flush(sock);
}

bool tls_channel::can_write_eof() const {
  auto* ssl = const_cast<asio::ssl::detail::engine&>(engine_).native_handle();
  return SSL_version(ssl) >= TLS1_3_VERSION;
}

void tls_channel::describe(std::map<std::string, std::string>& info) const {
  auto* ssl = const_cast<asio::ssl::detail::engine&>(engine_).native_handle();
  info["tls_version"] = SSL_get_version(ssl);
  if (const auto* cipher = SSL_get_current_cipher(ssl))
    info["cipher"] = SSL_CIPHER_get_name(cipher);
  if (!server_)
    info["server_hostname"] = hostname_;
  else if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name))
    info["server_hostname"] = sni;
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    std::string text = "subject: " + name_text(X509_get_subject_name(cert))
                       + "\nissuer: " + name_text(X509_get_issuer_name(cert))
                       + "\nnotBefore: " + time_text(X509_get0_notBefore(cert))
                       + "\nnotAfter: " + time_text(X509_get0_notAfter(cert));
    if (auto sans = san_text(cert); !sans.empty())
      text += "\nsubjectAltName: " + sans;
    info["peercert"] = std::move(text);
    X509_free(cert);
  } else {
    info["peercert"] = ""; // TLS, but the peer showed no certificate
  }
}

std::string tls_channel::explain(const std::error_code& ec) const {
  auto* ssl = const_cast<asio::ssl::detail::engine&>(engine_).native_handle();
  std::string text = ec.message();
  auto verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    text += " (" + std::string{X509_verify_cert_error_string(verify)} + ")";
  return text;
}

} // namespace actorstreams::net
