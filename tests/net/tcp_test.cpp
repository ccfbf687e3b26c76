#include "streams/connection.hpp"

// Tier 4: TCP clients on loopback (open_connection, adopted sockets).

#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <future>
#include <mutex>
#include <thread>

#include "net/io_threads.hpp"
#include "net/sockets.hpp"
#include "net_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::connection_slot;
using testing::error_of;
using testing::io_wait;
using testing::raw_fd;
using testing::value_of;

class Tcp : public testing::runtime_test {
protected:
  /// Starts a server on `host`:0 whose connections land in `slot`.
  server listen(const std::string& host, server_options opts = {}) {
    return value_of(start_server(sys(), connection_slot::handler(slot), host,
                                 0, opts)
                      .get(io_wait),
                    "start_server");
  }

  bytes info(const stream_writer& writer, const std::string& name) {
    return value_of(writer.get_extra_info(name).get(io_wait), name.c_str());
  }

  std::shared_ptr<connection_slot> slot = std::make_shared<connection_slot>();
};

/// The port at the end of "host:port".
uint16_t port_of(const std::string& address) {
  auto colon = address.rfind(':');
  unsigned value = 0;
  if (colon == std::string::npos
      || std::from_chars(address.data() + colon + 1,
                         address.data() + address.size(), value)
             .ec
           != std::errc{})
    return 0;
  return static_cast<uint16_t>(value);
}

// -- connecting -------------------------------------------------------------------

TEST_F(Tcp, OpenConnectionToARefusedPortFailsWithConnectFailedNamingTheAddress) {
  // Bound but not listening: connects are refused while it holds the port.
  auto holder = testing::raw_tcp_socket(0, false);
  ASSERT_TRUE(holder);
  auto port = testing::local_port(holder.get());
  auto err = error_of(open_connection(sys(), "127.0.0.1", port).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::connect_failed);
  auto text = describe(err);
  EXPECT_NE(text.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
    << text;
}

TEST_F(Tcp, LocalhostConnects) {
  auto srv = listen("localhost");
  ASSERT_NE(srv.port(), 0);
  auto client = value_of(
    open_connection(sys(), "localhost", srv.port()).get(io_wait));
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  auto peer = info(client.writer, "peername");
  EXPECT_TRUE(peer == "127.0.0.1:" + std::to_string(srv.port())
              || peer == "[::1]:" + std::to_string(srv.port()))
    << peer;
  client.writer.write("ping\n");
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "ping\n");
  accepted->writer.write("pong\n");
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "pong\n");
}

// -- errors on an open connection -------------------------------------------------

TEST_F(Tcp, PeerResetGivesTheReaderTheBytesSentFirstThenConnectionReset) {
  auto lst = testing::raw_tcp_socket(0, true);
  ASSERT_TRUE(lst);
  auto client = value_of(
    open_connection(sys(), "127.0.0.1", testing::local_port(lst.get()))
      .get(io_wait));
  auto peer = testing::raw_accept(lst.get());
  ASSERT_TRUE(peer);
  ASSERT_EQ(::send(peer.get(), "partial", 7, MSG_NOSIGNAL), 7);
  linger abort_on_close{1, 0};
  ASSERT_EQ(::setsockopt(peer.get(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                         sizeof(abort_on_close)),
            0);
  peer.reset(); // sends RST
  EXPECT_EQ(value_of(client.reader.readexactly(7).get(io_wait)), "partial");
  auto err = error_of(client.reader.read(100).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset) << describe(err);
  // The error is sticky, and visible through exception() and wait_closed.
  EXPECT_EQ(code_of(error_of(client.reader.readline().get(io_wait))),
            stream_errc::connection_reset);
  auto exc = value_of(client.reader.exception().get(io_wait));
  ASSERT_TRUE(exc.has_value());
  EXPECT_EQ(code_of(*exc), stream_errc::connection_reset);
  EXPECT_EQ(code_of(error_of(client.writer.wait_closed().get(io_wait))),
            stream_errc::connection_reset);
  EXPECT_TRUE(value_of(client.writer.is_closing().get(io_wait)));
}

TEST_F(Tcp, WritingToAPeerThatClosedMakesDrainFailWithConnectionReset) {
  auto lst = testing::raw_tcp_socket(0, true);
  ASSERT_TRUE(lst);
  auto client = value_of(
    open_connection(sys(), "127.0.0.1", testing::local_port(lst.get()))
      .get(io_wait));
  testing::raw_accept(lst.get()).reset(); // accepts and closes at once
  // asyncio's test_drain_raises: write + drain until it fails; the process
  // must not die of SIGPIPE on the way.
  caf::error err;
  for (int i = 0; i < 5000 && !err; ++i) {
    client.writer.write("foo\n");
    if (auto drained = client.writer.drain().get(io_wait); !drained)
      err = std::move(drained.error());
    else
      std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(err) << "drain never failed";
  EXPECT_EQ(code_of(err), stream_errc::connection_reset) << describe(err);
}

// -- extra info --------------------------------------------------------------------

TEST_F(Tcp, GetExtraInfoFormatsIpv4AddressesAndTheSocketFd) {
  auto srv = listen("127.0.0.1");
  auto client = value_of(
    open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait));
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  auto server_addr = "127.0.0.1:" + std::to_string(srv.port());
  EXPECT_EQ(info(client.writer, "peername"), server_addr);
  EXPECT_EQ(info(accepted->writer, "sockname"), server_addr);
  auto client_addr = info(client.writer, "sockname");
  EXPECT_EQ(client_addr.rfind("127.0.0.1:", 0), 0u) << client_addr;
  EXPECT_NE(port_of(client_addr), 0);
  EXPECT_EQ(info(accepted->writer, "peername"), client_addr);
  // "socket" is the descriptor in decimal: the very socket bound there.
  auto fd_text = info(client.writer, "socket");
  int fd = -1;
  auto [end, ec] = std::from_chars(fd_text.data(),
                                   fd_text.data() + fd_text.size(), fd);
  ASSERT_EQ(ec, std::errc{}) << fd_text;
  ASSERT_EQ(end, fd_text.data() + fd_text.size()) << fd_text;
  EXPECT_GE(fd, 0);
  EXPECT_EQ(testing::local_port(fd), port_of(client_addr));
}

TEST_F(Tcp, GetExtraInfoFormatsIpv6AddressesInBrackets) {
  if (auto why = testing::ipv6_loopback_unavailable())
    GTEST_SKIP() << "!!! SKIPPED: IPv6 loopback (::1) is unavailable: "
                 << *why << " !!!";
  auto srv = listen("::1");
  auto client = value_of(
    open_connection(sys(), "::1", srv.port()).get(io_wait));
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  auto server_addr = "[::1]:" + std::to_string(srv.port());
  EXPECT_EQ(srv.addresses(), std::vector<std::string>{server_addr});
  EXPECT_EQ(info(client.writer, "peername"), server_addr);
  EXPECT_EQ(info(accepted->writer, "sockname"), server_addr);
  auto client_addr = info(client.writer, "sockname");
  EXPECT_EQ(client_addr.rfind("[::1]:", 0), 0u) << client_addr;
  EXPECT_EQ(info(accepted->writer, "peername"), client_addr);
}

TEST_F(Tcp, GetExtraInfoFailsWithInvalidArgumentForUnknownNames) {
  auto srv = listen("127.0.0.1");
  auto client = value_of(
    open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait));
  auto err = error_of(client.writer.get_extra_info("no-such-info").get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_NE(describe(err).find("no-such-info"), std::string::npos)
    << describe(err);
  EXPECT_EQ(code_of(error_of(client.writer.get_extra_info("").get(io_wait))),
            stream_errc::invalid_argument);
}

// -- adopting sockets ----------------------------------------------------------------

TEST_F(Tcp, AdoptingAConnectedTcpSocketWorks) {
  auto lst = testing::raw_tcp_socket(0, true);
  ASSERT_TRUE(lst);
  auto port = testing::local_port(lst.get());
  auto raw = testing::raw_tcp_connect(port);
  ASSERT_TRUE(raw) << std::strerror(errno);
  auto peer = testing::raw_accept(lst.get());
  ASSERT_TRUE(peer);
  auto fd = raw.release(); // the connection owns it from here
  auto conn = value_of(open_connection(sys(), native_socket{fd}).get(io_wait));
  EXPECT_EQ(info(conn.writer, "peername"),
            "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(info(conn.writer, "socket"), std::to_string(fd));
  ASSERT_EQ(::send(peer.get(), "hi\n", 3, MSG_NOSIGNAL), 3);
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "hi\n");
  conn.writer.write("bye");
  conn.writer.close();
  EXPECT_EQ(testing::raw_wait_end(peer.get()), "data:bye");
  EXPECT_TRUE(conn.writer.wait_closed().get(io_wait));
  // Closing the connection closed the adopted descriptor.
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(Tcp, AdoptingAnInvalidFdFailsWithInvalidArgument) {
  auto err = error_of(open_connection(sys(), native_socket{-1}).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  // A descriptor number that is not open.
  raw_fd closed{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  auto number = closed.get();
  closed.reset();
  err = error_of(open_connection(sys(), native_socket{number}).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
}

TEST_F(Tcp, AdoptingAUdpSocketFailsWithInvalidArgumentAndLeavesItOpen) {
  raw_fd udp{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  ASSERT_TRUE(udp);
  auto err = error_of(
    open_connection(sys(), native_socket{udp.get()}).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  EXPECT_NE(::fcntl(udp.get(), F_GETFD), -1) << "the UDP socket was closed";
  // Still a working UDP socket of ours.
  auto sa = testing::ipv4_address("127.0.0.1", 0);
  EXPECT_EQ(::bind(udp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)),
            0);
}

TEST_F(Tcp, AdoptingAnUnconnectedTcpSocketFailsWithInvalidArgumentAndLeavesItOpen) {
  raw_fd sock{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  ASSERT_TRUE(sock);
  auto err = error_of(
    open_connection(sys(), native_socket{sock.get()}).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  EXPECT_NE(::fcntl(sock.get(), F_GETFD), -1);
}

// -- limits ------------------------------------------------------------------------

TEST_F(Tcp, LimitAppliesPerConnection) {
  server_options sopts;
  sopts.limit = 8;
  auto srv = listen("127.0.0.1", sopts);
  connect_options small;
  small.limit = 8;
  auto tight = value_of(
    open_connection(sys(), "127.0.0.1", srv.port(), small).get(io_wait));
  auto tight_peer = slot->take();
  auto roomy = value_of(
    open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait));
  auto roomy_peer = slot->take();
  ASSERT_TRUE(tight_peer && roomy_peer);
  const bytes lines = "0123456789abcdef\nnext\n";
  tight_peer->writer.write(lines);
  roomy_peer->writer.write(lines);
  // limit 8: the 16-byte line overruns and is discarded whole.
  auto err = error_of(tight.reader.readline().get(io_wait));
  ASSERT_EQ(code_of(err), stream_errc::limit_overrun) << describe(err);
  auto overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun);
  EXPECT_EQ(overrun->message,
            "Separator is found, but chunk is longer than limit");
  EXPECT_EQ(overrun->consumed, 16u);
  EXPECT_EQ(value_of(tight.reader.readline().get(io_wait)), "next\n");
  // The default limit on the other connection takes it.
  EXPECT_EQ(value_of(roomy.reader.readline().get(io_wait)),
            "0123456789abcdef\n");
  EXPECT_EQ(value_of(roomy.reader.readline().get(io_wait)), "next\n");
  // server_options.limit applies to the server's side of each connection.
  roomy.writer.write("fedcba9876543210\nok\n");
  EXPECT_EQ(code_of(error_of(roomy_peer->reader.readline().get(io_wait))),
            stream_errc::limit_overrun);
  EXPECT_EQ(value_of(roomy_peer->reader.readline().get(io_wait)), "ok\n");
}

} // namespace
} // namespace actorstreams

namespace actorstreams {
namespace {

// -- the client tries every address of a name (net/sockets.hpp) ------------------

/// Records how one client transport's start ended: connected (none) or the
/// reason it could not.
class connect_probe : public net::protocol {
public:
  std::future<caf::error> outcome() { return done_.get_future(); }

  void connection_made() override { finish(caf::error{}); }
  void data_received(bytes) override {}
  void eof_received() override {}
  void resume_writing() override {}
  void connection_lost(caf::error reason) override {
    finish(std::move(reason));
  }

private:
  void finish(caf::error reason) {
    std::lock_guard guard{mtx_};
    if (!set_) {
      set_ = true;
      done_.set_value(std::move(reason));
    }
  }

  std::mutex mtx_;
  bool set_ = false;
  std::promise<caf::error> done_;
};

/// The child of ConnectTriesEveryAddressANameResolvesTo: "two-addrs" is
/// 127.0.0.2 and 127.0.0.1; only 127.0.0.1 listens.
int every_address_child(const std::function<void(const std::string&)>& say) {
  net::io_threads io;
  io.start(1);
  auto connect = [&io](uint16_t port, std::string* peer) {
    auto probe = std::make_shared<connect_probe>();
    auto result = probe->outcome();
    auto client = net::make_tcp_client(io, "two-addrs", port);
    client->start(probe);
    if (result.wait_for(testing::io_wait) != std::future_status::ready)
      return make_error(stream_errc::timeout, "no outcome");
    auto err = result.get();
    if (!err && peer)
      *peer = client->extra_info("peername").value_or("");
    client->abort();
    return err;
  };
  // Refused on both addresses: the error names both, so both were tried.
  auto held = testing::raw_tcp_port_holder();
  auto refused = std::to_string(testing::local_port(held.get()));
  auto err = connect(testing::local_port(held.get()), nullptr);
  auto text = describe(err);
  if (as_stream_errc(err) != stream_errc::connect_failed
      || text.find("127.0.0.1:" + refused) == std::string::npos
      || text.find("127.0.0.2:" + refused) == std::string::npos) {
    say("refused: " + text);
    return 1;
  }
  // One address listens: whichever the resolver lists first, it connects.
  auto lst = testing::raw_tcp_socket(0, true);
  auto port = testing::local_port(lst.get());
  std::string peer;
  err = connect(port, &peer);
  if (err || peer != "127.0.0.1:" + std::to_string(port)) {
    say("connect: " + describe(err) + " peer " + peer);
    return 1;
  }
  say("tried both, connected to the one that listens");
  return 0;
}

TEST(TcpClient, ConnectTriesEveryAddressANameResolvesTo) {
  testing::temp_dir dir;
  auto hosts = dir.file("hosts");
  testing::write_file(hosts, "127.0.0.2 two-addrs\n127.0.0.1 two-addrs\n");
  auto child = testing::run_with_hosts(hosts, every_address_child);
  testing::expect_child_said(child, "tried both, connected to the one that listens");
}

// -- happy eyeballs and local_addr ------------------------------------------------

/// The child of HappyEyeballsGetsPastAnAddressThatBlackHoles: "eyeballs" is
/// 127.0.0.1 and 127.0.0.2; whichever the resolver lists first black-holes
/// (a listener whose accept queue is full: the kernel drops the SYNs), the
/// other listens on the same port.
int eyeballs_child(const std::function<void(const std::string&)>& say) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo("eyeballs", nullptr, &hints, &found) != 0 || !found) {
    say("cannot resolve eyeballs");
    return 1;
  }
  char first_ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr,
            first_ip, sizeof(first_ip));
  ::freeaddrinfo(found);
  std::string black = first_ip;
  std::string good = black == "127.0.0.1" ? "127.0.0.2" : "127.0.0.1";
  // The good listener first (its port), then the black hole on that port.
  auto bind_listen = [](const std::string& ip, uint16_t port, int backlog) {
    raw_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    auto addr = testing::ipv4_address(ip.c_str(), port);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
        || ::listen(fd.get(), backlog) != 0)
      return raw_fd{};
    return fd;
  };
  auto good_lst = bind_listen(good, 0, 16);
  if (!good_lst) {
    say("cannot listen on " + good);
    return 1;
  }
  auto port = testing::local_port(good_lst.get());
  auto black_lst = bind_listen(black, port, 0);
  if (!black_lst) {
    say("cannot listen on " + black);
    return 1;
  }
  std::vector<raw_fd> filling;
  for (int i = 0; i < 3; ++i) {
    raw_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    auto addr = testing::ipv4_address(black.c_str(), port);
    ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    filling.push_back(std::move(fd));
  }
  std::this_thread::sleep_for(100ms);
  net::io_threads io;
  io.start(1);
  auto attempt = [&](net::tcp_connect_options how,
                     std::chrono::milliseconds bound, std::string* peer) {
    auto probe = std::make_shared<connect_probe>();
    auto result = probe->outcome();
    auto client = net::make_tcp_client(io, "eyeballs", port, {}, how);
    client->start(probe);
    std::optional<caf::error> outcome;
    if (result.wait_for(bound) == std::future_status::ready)
      outcome = result.get();
    if (outcome && !*outcome && peer)
      *peer = client->extra_info("peername").value_or("");
    client->abort();
    return outcome;
  };
  // One address at a time: stuck on the black hole.
  if (auto stuck = attempt({}, 1500ms, nullptr)) {
    say("the first address (" + black + ") did not black-hole: "
        + describe(*stuck));
    return 1;
  }
  // Happy eyeballs: the next address 250 ms later, connected at once.
  net::tcp_connect_options how;
  how.happy_eyeballs_delay = 250ms;
  std::string peer;
  auto start = std::chrono::steady_clock::now();
  auto eyeballs = attempt(how, 5000ms, &peer);
  auto took = std::chrono::steady_clock::now() - start;
  if (!eyeballs || *eyeballs) {
    say("happy eyeballs did not connect: "
        + (eyeballs ? describe(*eyeballs) : std::string{"no outcome"}));
    return 1;
  }
  if (peer != good + ":" + std::to_string(port) || took > 2s) {
    say("connected to " + peer + " after "
        + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                           took)
                           .count())
        + " ms");
    return 1;
  }
  say("past the black hole to the next address in time");
  return 0;
}

TEST(TcpClient, HappyEyeballsGetsPastAnAddressThatBlackHoles) {
  testing::temp_dir dir;
  auto hosts = dir.file("hosts");
  testing::write_file(hosts, "127.0.0.1 eyeballs\n127.0.0.2 eyeballs\n");
  auto child = testing::run_with_hosts(hosts, eyeballs_child);
  testing::expect_child_said(child,
                             "past the black hole to the next address in time");
}

TEST_F(Tcp, LocalAddrBindsTheLocalEndOfTheConnection) {
  auto srv = value_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", 0)
                        .get(io_wait));
  // A free port to bind to: held briefly, then released for the client.
  uint16_t local_port = 0;
  {
    auto holder = testing::raw_tcp_port_holder();
    local_port = testing::local_port(holder.get());
  }
  connect_options opts;
  opts.local_addr = std::make_pair(std::string{"127.0.0.1"}, local_port);
  auto client = value_of(open_connection(sys(), "127.0.0.1", srv.port(), opts)
                           .get(io_wait));
  EXPECT_EQ(value_of(client.writer.get_extra_info("sockname").get(io_wait)),
            "127.0.0.1:" + std::to_string(local_port));
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(value_of(accepted->writer.get_extra_info("peername").get(io_wait)),
            "127.0.0.1:" + std::to_string(local_port));
  // A local address of another family than the target's cannot be used.
  connect_options v6;
  v6.local_addr = std::make_pair(std::string{"::1"}, uint16_t{0});
  auto err = error_of(open_connection(sys(), "127.0.0.1", srv.port(), v6)
                        .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::connect_failed) << describe(err);
}

} // namespace
} // namespace actorstreams
