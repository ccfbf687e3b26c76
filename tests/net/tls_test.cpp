#include "net/tls.hpp"

// Tier 4: TLS over loopback (docs/tls.md): verification on by default and
// every way it refuses (untrusted CA, wrong name, expired), client
// certificates, extra info, TLS on Unix and adopted sockets, half-close over
// TLS 1.3, hostile clients that cost the server nothing, and option checks.

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/post.hpp>

#include "actors/io_module.hpp"
#include "net/internal/io.hpp"
#include "net/sockets.hpp"
#include "net_support.hpp"
#include "tls_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::connection_slot;
using testing::error_of;
using testing::io_wait;
using testing::message_of;
using testing::value_of;

class Tls : public testing::runtime_test {
protected:
  /// A TLS server on 127.0.0.1 whose clients land in `slot`.
  server listen(tls_context ctx, server_options opts = {}) {
    opts.ssl = std::move(ctx);
    return value_of(start_server(sys(), connection_slot::handler(slot),
                                 "127.0.0.1", 0, opts)
                      .get(io_wait),
                    "start_server");
  }

  caf::expected<connection> connect(const server& srv, connect_options opts,
                                    std::string host = "127.0.0.1") {
    return open_connection(sys(), host, srv.port(), std::move(opts))
      .get(io_wait);
  }

  connect_options trusting(const testing::tls_files& files) {
    connect_options opts;
    opts.ssl = files.client();
    return opts;
  }

  std::shared_ptr<connection_slot> slot = std::make_shared<connection_slot>();
};

/// The tls_error's message, or a failure.
std::string tls_failure_of(caf::expected<connection> x) {
  if (x) {
    ADD_FAILURE() << "connected where TLS should have refused";
    return {};
  }
  EXPECT_EQ(code_of(x.error()), stream_errc::tls_error) << describe(x.error());
  return describe(x.error());
}

// -- a working connection ----------------------------------------------------------

TEST_F(Tls, AVerifiedClientAndServerTalkBothWays) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server());
  auto client = value_of(connect(srv, trusting(*files)));
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  client.writer.write("over TLS\n");
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "over TLS\n");
  accepted->writer.write(bytes{"and\0back\n", 9});
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)),
            bytes("and\0back\n", 9));
  client.writer.close();
  EXPECT_TRUE(client.writer.wait_closed().get(io_wait));
  EXPECT_EQ(value_of(accepted->reader.read().get(io_wait)), "");
}

TEST_F(Tls, ExtraInfoDescribesTheSessionAndThePeersCertificate) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server());
  auto opts = trusting(*files);
  opts.server_hostname = "localhost";
  auto client = value_of(connect(srv, opts));
  auto info = [&](const std::string& name) {
    return value_of(client.writer.get_extra_info(name).get(io_wait), name.c_str());
  };
  EXPECT_EQ(info("tls_version"), "TLSv1.3");
  EXPECT_FALSE(info("cipher").empty());
  EXPECT_EQ(info("server_hostname"), "localhost");
  auto cert = info("peercert");
  EXPECT_NE(cert.find("subject: CN=localhost,O=actorstreams test"),
            std::string::npos) << cert;
  EXPECT_NE(cert.find("issuer: CN=actorstreams test CA,O=actorstreams test"),
            std::string::npos) << cert;
  EXPECT_NE(cert.find("notAfter: "), std::string::npos) << cert;
  EXPECT_NE(cert.find("subjectAltName: DNS:localhost, IP Address:127.0.0.1, "
                      "IP Address:::1"),
            std::string::npos) << cert;
  EXPECT_EQ(info("peername"), "127.0.0.1:" + std::to_string(srv.port()));
  // The server's side knows the name the client asked for, and no client
  // certificate was shown.
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->writer.get_extra_info("server_hostname")
                       .get(io_wait)),
            "localhost");
  EXPECT_EQ(value_of(accepted->writer.get_extra_info("peercert").get(io_wait)),
            "");
}

TEST_F(Tls, PlainConnectionsSayTheyAreNotTls) {
  auto srv = value_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", 0)
                        .get(io_wait));
  auto client = value_of(open_connection(sys(), "127.0.0.1", srv.port())
                           .get(io_wait));
  auto err = error_of(client.writer.get_extra_info("peercert").get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_NE(message_of(err).find("not a TLS connection"), std::string::npos);
}

// -- verification refuses ------------------------------------------------------------

TEST_F(Tls, TheSystemTrustStoreDoesNotTrustAPrivateCa) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server());
  connect_options opts;
  opts.ssl = tls_context::client(); // verification on, system CAs only
  auto why = tls_failure_of(connect(srv, opts));
  EXPECT_NE(why.find("certificate verify failed"), std::string::npos) << why;
}

TEST_F(Tls, ACertificateFromAnotherCaIsRefused) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server(files->untrusted_cert, files->untrusted_key));
  auto why = tls_failure_of(connect(srv, trusting(*files)));
  EXPECT_NE(why.find("certificate verify failed"), std::string::npos) << why;
}

TEST_F(Tls, AWrongNameIsRefused) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server(files->wrong_cert, files->wrong_key));
  auto why = tls_failure_of(connect(srv, trusting(*files)));
  EXPECT_NE(why.find("IP address mismatch"), std::string::npos) << why;
  // By name, too: the certificate is for wrong.example, not localhost.
  auto opts = trusting(*files);
  opts.server_hostname = "localhost";
  why = tls_failure_of(connect(srv, opts));
  EXPECT_NE(why.find("hostname mismatch"), std::string::npos) << why;
}

TEST_F(Tls, AnExpiredCertificateIsRefused) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server(files->expired_cert, files->expired_key));
  auto why = tls_failure_of(connect(srv, trusting(*files)));
  EXPECT_NE(why.find("certificate has expired"), std::string::npos) << why;
}

TEST_F(Tls, WithoutVerificationAnyCertificateIsAccepted) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server(files->untrusted_cert, files->untrusted_key));
  connect_options opts;
  opts.ssl = tls_context::client();
  opts.ssl.verify_peer(false);
  opts.server_hostname = ""; // allowed only because nothing is verified
  auto client = value_of(connect(srv, opts));
  client.writer.write("x");
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->reader.read(1).get(io_wait)), "x");
}

// -- client certificates ----------------------------------------------------------------

TEST_F(Tls, AServerThatRequiresClientCertificatesVerifiesThem) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto ctx = files->server();
  ASSERT_FALSE(ctx.load_verify_file(files->ca));
  ctx.verify_peer(true);
  auto srv = listen(ctx);
  // Without a certificate: the server refuses it (TLS 1.3 reports it after
  // the client's side of the handshake, at the first read).
  auto bare = connect(srv, trusting(*files));
  if (bare) {
    auto got = bare->reader.read(1).get(io_wait);
    ASSERT_FALSE(got) << "read data from a server that requires a certificate";
    EXPECT_EQ(code_of(got.error()), stream_errc::tls_error)
      << describe(got.error());
  }
  // With one: served, and the server sees who it is.
  auto opts = trusting(*files);
  ASSERT_FALSE(opts.ssl.load_cert_chain(files->client_cert, files->client_key));
  auto client = value_of(connect(srv, opts));
  client.writer.write("mine\n");
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "mine\n");
  auto cert = value_of(accepted->writer.get_extra_info("peercert").get(io_wait));
  EXPECT_NE(cert.find("subject: CN=test client"), std::string::npos) << cert;
}

// -- other sockets ------------------------------------------------------------------------

TEST_F(Tls, TlsOverAUnixSocketNeedsAndUsesAServerHostname) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  testing::temp_dir dir;
  auto path = dir.file("tls.sock");
  server_options sopts;
  sopts.ssl = files->server();
  auto srv = value_of(start_unix_server(sys(), connection_slot::handler(slot),
                                        path, sopts)
                        .get(io_wait));
  auto opts = trusting(*files);
  auto err = error_of(open_unix_connection(sys(), path, opts).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  opts.server_hostname = "localhost";
  auto client = value_of(open_unix_connection(sys(), path, opts).get(io_wait));
  client.writer.write("unix tls\n");
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "unix tls\n");
}

TEST_F(Tls, TlsOverAnAdoptedSocket) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server());
  auto fd = testing::raw_tcp_connect(srv.port());
  ASSERT_TRUE(fd);
  auto opts = trusting(*files);
  opts.server_hostname = "localhost";
  auto client = value_of(
    open_connection(sys(), native_socket{fd.release()}, opts).get(io_wait));
  client.writer.write("adopted\n");
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "adopted\n");
}

// -- half-close --------------------------------------------------------------------------

TEST_F(Tls, WriteEofOverTls13SendsCloseNotifyAndKeepsReading) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server());
  auto client = value_of(connect(srv, trusting(*files)));
  EXPECT_TRUE(value_of(client.writer.can_write_eof().get(io_wait)));
  client.writer.write("request");
  client.writer.write_eof();
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->reader.read().get(io_wait)), "request");
  EXPECT_TRUE(value_of(accepted->reader.at_eof().get(io_wait)));
  accepted->writer.write("response after the client's EOF");
  accepted->writer.close();
  EXPECT_EQ(value_of(client.reader.read().get(io_wait)),
            "response after the client's EOF");
}

TEST_F(Tls, Tls12CannotWriteEofAndSaysSo) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto ctx = files->server();
  SSL_CTX_set_max_proto_version(static_cast<SSL_CTX*>(ctx.native_handle()),
                                TLS1_2_VERSION);
  auto srv = listen(ctx);
  auto client = value_of(connect(srv, trusting(*files)));
  EXPECT_EQ(value_of(client.writer.get_extra_info("tls_version").get(io_wait)),
            "TLSv1.2");
  EXPECT_FALSE(value_of(client.writer.can_write_eof().get(io_wait)));
}

// -- hostile clients cost the server nothing --------------------------------------------

TEST_F(Tls, PlaintextGarbageAndStalledHandshakesCostTheServerOnlyTheirSocket) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  server_options opts;
  opts.ssl_handshake_timeout = 300ms;
  auto srv = listen(files->server(), opts);
  auto fds_before = testing::open_fd_count();
  // A plaintext client, garbage for a ClientHello, and one that stalls.
  auto plain = testing::raw_tcp_connect(srv.port());
  auto garbage = testing::raw_tcp_connect(srv.port());
  auto stalled = testing::raw_tcp_connect(srv.port());
  ASSERT_TRUE(plain && garbage && stalled);
  ASSERT_GT(::send(plain.get(), "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL), 0);
  ASSERT_GT(::send(garbage.get(), "\x16\x03\x01\xff\xff garbage", 14,
                   MSG_NOSIGNAL),
            0);
  // Each is closed by the server (an alert or plain EOF), the stalled one
  // when the handshake timeout fires.
  for (auto* fd : {&plain, &garbage, &stalled}) {
    EXPECT_TRUE(testing::wait_closed_by_peer(fd->get(), io_wait));
  }
  // None reached the handler, and a good client is served meanwhile.
  EXPECT_FALSE(slot->take(100ms));
  // Nothing leaked: the server holds no more descriptors than before (the
  // three test sockets are still open here, on our side).
  auto deadline = std::chrono::steady_clock::now() + io_wait;
  while (testing::open_fd_count() > fds_before + 3
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_LE(testing::open_fd_count(), fds_before + 3);
  auto client = value_of(connect(srv, trusting(*files)));
  client.writer.write("fine\n");
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "fine\n");
}

TEST_F(Tls, AClientHandshakeThatStallsTimesOut) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  // A plain TCP listener that never answers the ClientHello.
  auto lst = testing::raw_tcp_socket(0, true);
  ASSERT_TRUE(lst);
  auto opts = trusting(*files);
  opts.ssl_handshake_timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto got = open_connection(sys(), "127.0.0.1", testing::local_port(lst.get()),
                             opts)
               .get(io_wait);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), stream_errc::tls_error) << describe(got.error());
  EXPECT_NE(describe(got.error()).find("timed out"), std::string::npos)
    << describe(got.error());
  EXPECT_LT(took, 3s);
}

// -- options that do not fit together ---------------------------------------------------

TEST_F(Tls, OptionsThatDoNotFitAreRefusedWithInvalidArgument) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto srv = listen(files->server());
  connect_options verifying_empty_name = trusting(*files);
  verifying_empty_name.server_hostname = "";
  connect_options name_without_tls;
  name_without_tls.server_hostname = "localhost";
  connect_options server_ctx;
  server_ctx.ssl = files->server();
  for (auto* opts : {&verifying_empty_name, &name_without_tls, &server_ctx}) {
    auto err = error_of(connect(srv, *opts));
    EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  }
  server_options client_ctx;
  client_ctx.ssl = tls_context::client();
  auto err = error_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", 0, client_ctx)
                        .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
}

TEST_F(Tls, ContextsThatCannotLoadSayWhy) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto missing = tls_context::server("/nonexistent/cert.pem", files->server_key);
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), stream_errc::tls_error);
  EXPECT_NE(describe(missing.error()).find("/nonexistent/cert.pem"),
            std::string::npos);
  auto mismatched = tls_context::server(files->server_cert, files->wrong_key);
  ASSERT_FALSE(mismatched);
  EXPECT_NE(describe(mismatched.error()).find("does not match"),
            std::string::npos) << describe(mismatched.error());
  auto ctx = tls_context::client();
  auto err = ctx.load_verify_file("/nonexistent/ca.pem");
  EXPECT_EQ(code_of(err), stream_errc::tls_error);
}

// -- STARTTLS ---------------------------------------------------------------------------

class StartTls : public Tls {
protected:
  /// A plain connection: the client and the accepted side.
  std::pair<connection, connection> plain_pair() {
    auto srv = value_of(start_server(sys(), connection_slot::handler(slot),
                                     "127.0.0.1", 0)
                          .get(io_wait));
    servers.push_back(srv);
    auto client = value_of(open_connection(sys(), "127.0.0.1", srv.port())
                             .get(io_wait));
    auto accepted = slot->take();
    if (!accepted)
      ADD_FAILURE() << "no connection accepted";
    return {client, accepted.value_or(connection{})};
  }

  std::vector<server> servers;
};

TEST_F(StartTls, BothSidesUpgradeInPlaceAndBufferedBytesStayReadable) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto [client, srv_side] = plain_pair();
  client.writer.write("STARTTLS\r\n");
  EXPECT_EQ(value_of(srv_side.reader.readline().get(io_wait)), "STARTTLS\r\n");
  // The go-ahead and a line that arrives with it, before the upgrade, sent
  // once the server has stopped reading plaintext.
  start_tls_options how;
  how.send_first = "220 go ahead\r\nbuffered before TLS\r\n";
  auto srv_tls = std::async(std::launch::async, [&, s = srv_side, how] {
    return s.writer.start_tls(files->server(), how).get(io_wait);
  });
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "220 go ahead\r\n");
  ASSERT_TRUE(client.writer.start_tls(files->client(), "localhost").get(io_wait));
  ASSERT_TRUE(srv_tls.get());
  // What arrived in plaintext before is still there, in order.
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)),
            "buffered before TLS\r\n");
  EXPECT_EQ(value_of(client.writer.get_extra_info("tls_version").get(io_wait)),
            "TLSv1.3");
  client.writer.write("now encrypted\n");
  EXPECT_EQ(value_of(srv_side.reader.readline().get(io_wait)), "now encrypted\n");
  srv_side.writer.write("both ways\n");
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "both ways\n");
  auto cert = value_of(client.writer.get_extra_info("peercert").get(io_wait));
  EXPECT_NE(cert.find("subject: CN=localhost"), std::string::npos) << cert;
}

TEST_F(StartTls, WritesMadeDuringTheHandshakeWaitAndLeaveEncrypted) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto [client, srv_side] = plain_pair();
  start_tls_options how;
  how.send_first = "go\n";
  auto srv_tls = std::async(std::launch::async, [&, s = srv_side, how] {
    return s.writer.start_tls(files->server(), how).get(io_wait);
  });
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "go\n");
  // From one thread, in this order: the start_tls request, then a write
  // that the connection gets before the handshake can have finished.
  caf::scoped_actor self{sys(), true};
  net::tls_options opts;
  opts.context = files->client();
  opts.server_hostname = "localhost";
  auto upgraded = self->request(caf::actor_cast<caf::actor>(client.writer.handle()),
                                caf::infinite, start_tls_atom_v, opts);
  client.writer.write("written during the handshake\n");
  upgraded.receive([] {},
                   [](caf::error& err) { ADD_FAILURE() << describe(err); });
  ASSERT_TRUE(srv_tls.get());
  EXPECT_EQ(value_of(srv_side.reader.readline().get(io_wait)),
            "written during the handshake\n");
}

TEST_F(StartTls, AnUpgradeAskedForBeforeTheTransportHasConnectedWaitsForIt) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  // A server announces a connection to its handler before the transport
  // has started, so a handler's start_tls can come first (a CI run lost
  // that race). Make it happen every time: hold the I/O threads while the
  // connection is spawned and asked to upgrade.
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  auto& io = io_module::try_of(sys())->io();
  std::promise<void> release;
  auto held = release.get_future().share();
  for (std::size_t i = 0; i < io.size(); ++i)
    asio::post(net::context_of(io, i), [held] { held.wait(); });
  auto hdl = spawn_connection(sys(), net::adopt_socket(io, fds[0]));
  connection early{stream_reader{hdl}, stream_writer{hdl}};
  caf::scoped_actor self{sys(), true};
  net::tls_options opts;
  opts.context = files->server();
  opts.send_first = "go\n";
  auto upgraded = self->request(caf::actor_cast<caf::actor>(hdl),
                                caf::infinite, start_tls_atom_v, opts);
  early.writer.write("sent after start_tls\n");
  release.set_value();
  // The peer: a plain connection that reads the go-ahead, then upgrades.
  auto peer = value_of(open_connection(sys(), native_socket{fds[1]}).get(io_wait));
  EXPECT_EQ(value_of(peer.reader.readline().get(io_wait)), "go\n");
  ASSERT_TRUE(peer.writer.start_tls(files->client(), "localhost").get(io_wait));
  upgraded.receive([] {},
                   [](caf::error& err) { ADD_FAILURE() << describe(err); });
  EXPECT_EQ(value_of(peer.reader.readline().get(io_wait)),
            "sent after start_tls\n");
  EXPECT_EQ(value_of(early.writer.get_extra_info("tls_version").get(io_wait)),
            "TLSv1.3");
}

TEST_F(StartTls, AFailedUpgradeFailsWithTlsErrorAndLosesTheConnection) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto [client, srv_side] = plain_pair();
  start_tls_options how;
  how.send_first = "go\n";
  auto srv_tls = std::async(std::launch::async, [&, s = srv_side, how] {
    return s.writer.start_tls(files->server(files->untrusted_cert,
                                             files->untrusted_key),
                              how)
      .get(io_wait);
  });
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "go\n");
  auto err = error_of(client.writer.start_tls(files->client(), "localhost")
                        .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::tls_error) << describe(err);
  EXPECT_NE(describe(err).find("certificate verify failed"), std::string::npos)
    << describe(err);
  EXPECT_FALSE(srv_tls.get());
  EXPECT_TRUE(value_of(client.writer.is_closing().get(io_wait)));
}

TEST_F(StartTls, WhereItCannotBeItSaysWhy) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto [a, b] = make_memory_pair(sys());
  EXPECT_EQ(code_of(error_of(a.writer.start_tls(files->client(), "localhost")
                               .get(io_wait))),
            stream_errc::not_supported);
  auto [client, srv_side] = plain_pair();
  // A verifying client needs the name to check.
  EXPECT_EQ(code_of(error_of(client.writer.start_tls(files->client())
                               .get(io_wait))),
            stream_errc::invalid_argument);
  // Not twice.
  auto srv = listen(files->server());
  auto tls = value_of(connect(srv, trusting(*files)));
  EXPECT_EQ(code_of(error_of(tls.writer.start_tls(files->client(), "localhost")
                               .get(io_wait))),
            stream_errc::invalid_argument);
}

// -- real peers --------------------------------------------------------------------------

TEST_F(Tls, AClientTalksToOpensslsServer) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  // `openssl s_server -rev` answers each line reversed.
  testing::child_process peer{{"openssl", "s_server", "-accept", "127.0.0.1:0",
                               "-cert", files->server_cert, "-key",
                               files->server_key, "-rev"}};
  ASSERT_TRUE(peer.started());
  auto accept = peer.wait_for_line("ACCEPT ");
  ASSERT_TRUE(accept) << "openssl s_server did not start";
  auto port = static_cast<uint16_t>(
    std::stoi(accept->substr(accept->rfind(':') + 1)));
  connect_options opts;
  opts.ssl = files->client();
  auto client = value_of(open_connection(sys(), "127.0.0.1", port, opts)
                           .get(io_wait));
  client.writer.write("hello openssl\n");
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "lssnepo olleh\n");
  EXPECT_EQ(value_of(client.writer.get_extra_info("tls_version").get(io_wait)),
            "TLSv1.3");
}

} // namespace
} // namespace actorstreams
