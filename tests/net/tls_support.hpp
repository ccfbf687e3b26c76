#pragma once

// Throwaway certificates for the TLS tests, made at test time with the
// `openssl` command line: a CA, a server certificate for localhost,
// 127.0.0.1 and ::1, one for another name, an expired one, one signed by a
// CA nobody trusts, and a client certificate. Made once per test program;
// a test that needs them is skipped, loudly, where `openssl` is missing
// (`make deps` installs it).

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "net_support.hpp"

namespace actorstreams::testing {

class tls_files {
public:
  /// The files, or none (the reason in `why()`) where they cannot be made.
  static const tls_files* get() {
    static std::unique_ptr<tls_files> files = make();
    return files && files->ok_ ? files.get() : nullptr;
  }

  static std::string why() { return reason(); }

  std::string ca;          // the CA certificate (PEM)
  std::string server_cert; // CN=localhost, SAN localhost 127.0.0.1 ::1
  std::string server_key;
  std::string wrong_cert; // CN=wrong.example, SAN wrong.example only
  std::string wrong_key;
  std::string expired_cert; // localhost, valid only in January 2020
  std::string expired_key;
  std::string untrusted_cert; // localhost, signed by another CA
  std::string untrusted_key;
  std::string client_cert; // CN=test client, signed by the CA
  std::string client_key;

  /// A server context with `cert`/`key` (the good pair by default).
  tls_context server(const std::string& cert = {},
                     const std::string& key = {}) const {
    auto ctx = tls_context::server(cert.empty() ? server_cert : cert,
                                   key.empty() ? server_key : key);
    if (!ctx) {
      ADD_FAILURE() << describe(ctx.error());
      return {};
    }
    return std::move(*ctx);
  }

  /// A verifying client context that trusts the test CA.
  tls_context client() const {
    auto ctx = tls_context::client();
    if (auto err = ctx.load_verify_file(ca))
      ADD_FAILURE() << describe(err);
    return ctx;
  }

private:
  static std::string& reason() {
    static std::string text;
    return text;
  }

  static bool run(const std::string& cmd) {
    auto full = cmd + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) {
      reason() = "command failed: " + cmd;
      return false;
    }
    return true;
  }

  static std::unique_ptr<tls_files> make() {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      reason() = "the openssl command is not installed (make deps installs "
                 "it)";
      return nullptr;
    }
    auto files = std::make_unique<tls_files>();
    files->ok_ = files->generate();
    return files;
  }

  bool generate() {
    const auto& d = dir_.path();
    auto f = [&](const std::string& name) { return d + "/" + name; };
    ca = f("ca.pem");
    server_cert = f("server.pem");
    server_key = f("server.key");
    wrong_cert = f("wrong.pem");
    wrong_key = f("wrong.key");
    expired_cert = f("expired.pem");
    expired_key = f("expired.key");
    untrusted_cert = f("untrusted.pem");
    untrusted_key = f("untrusted.key");
    client_cert = f("client.pem");
    client_key = f("client.key");
    auto key = [&](const std::string& path) {
      return run("openssl genpkey -algorithm EC -pkeyopt "
                 "ec_paramgen_curve:P-256 -out '" + path + "'");
    };
    // A CA (and a second one for the untrusted chain).
    auto make_ca = [&](const std::string& name, const std::string& cert,
                       const std::string& k) {
      return key(k)
             && run("openssl req -x509 -new -key '" + k + "' -days 30 -subj "
                    "'/O=actorstreams test/CN=" + name + "' -addext "
                    "'basicConstraints=critical,CA:TRUE' -addext "
                    "'keyUsage=critical,keyCertSign,cRLSign' -out '" + cert
                    + "'");
    };
    // A leaf signed by `ca_cert` with `san`; dates from an `openssl ca`
    // config when given (the expired one).
    auto leaf = [&](const std::string& cn, const std::string& san,
                    const std::string& ca_cert, const std::string& ca_key,
                    const std::string& cert, const std::string& k,
                    const std::string& ext_usage) {
      auto csr = cert + ".csr";
      auto ext = cert + ".ext";
      write_file(ext, "subjectAltName=" + san
                        + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage="
                        + ext_usage + "\n");
      return key(k)
             && run("openssl req -new -key '" + k + "' -subj "
                    "'/O=actorstreams test/CN=" + cn + "' -out '" + csr + "'")
             && run("openssl x509 -req -in '" + csr + "' -CA '" + ca_cert
                    + "' -CAkey '" + ca_key + "' -CAcreateserial -days 30 "
                    "-extfile '" + ext + "' -out '" + cert + "'");
    };
    auto ca_key = f("ca.key");
    auto other_ca = f("other-ca.pem");
    auto other_key = f("other-ca.key");
    const std::string local_san = "DNS:localhost,IP:127.0.0.1,IP:::1";
    if (!make_ca("actorstreams test CA", ca, ca_key)
        || !make_ca("nobody trusts this CA", other_ca, other_key)
        || !leaf("localhost", local_san, ca, ca_key, server_cert, server_key,
                 "serverAuth")
        || !leaf("wrong.example", "DNS:wrong.example", ca, ca_key, wrong_cert,
                 wrong_key, "serverAuth")
        || !leaf("localhost", local_san, other_ca, other_key, untrusted_cert,
                 untrusted_key, "serverAuth")
        || !leaf("test client", "DNS:client.test", ca, ca_key, client_cert,
                 client_key, "clientAuth"))
      return false;
    // The expired one: `openssl ca` takes explicit dates.
    auto db = f("index.txt");
    write_file(db, "");
    write_file(f("serial"), "1000\n");
    auto conf = f("ca.cnf");
    write_file(conf, "[ca]\ndefault_ca=test\n[test]\ndatabase=" + db
                       + "\nserial=" + f("serial") + "\nnew_certs_dir=" + d
                       + "\ndefault_md=sha256\npolicy=any\nunique_subject=no\n"
                         "copy_extensions=copy\n[any]\nO=optional\nCN=supplied\n"
                         "[ext]\nsubjectAltName=" + local_san
                       + "\nbasicConstraints=CA:FALSE\n"
                         "extendedKeyUsage=serverAuth\n");
    auto csr = expired_cert + ".csr";
    return key(expired_key)
           && run("openssl req -new -key '" + expired_key + "' -subj "
                  "'/O=actorstreams test/CN=localhost' -out '" + csr + "'")
           && run("openssl ca -batch -config '" + conf + "' -cert '" + ca
                  + "' -keyfile '" + ca_key + "' -startdate 20200101000000Z "
                  "-enddate 20200201000000Z -extensions ext -notext -in '" + csr
                  + "' -out '" + expired_cert + "'");
  }

  temp_dir dir_;
  bool ok_ = false;
};

/// Skips the calling test, loudly, when the certificates cannot be made.
#define ACTORSTREAMS_NEED_TLS_FILES(files)                                     \
  const auto* files = ::actorstreams::testing::tls_files::get();              \
  if (files == nullptr)                                                        \
  GTEST_SKIP() << "!!! SKIPPED: no test certificates: "                       \
               << ::actorstreams::testing::tls_files::why() << " !!!"

} // namespace actorstreams::testing
