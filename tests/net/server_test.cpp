#include "streams/server.hpp"

// Tier 4: servers on loopback TCP and Unix sockets (start_server,
// start_unix_server, the three handler forms, closing).

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <asio/post.hpp>

#include "net/internal/io.hpp"
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

class Server : public testing::runtime_test {
protected:
  server listen(server_options opts = {}) {
    return value_of(start_server(sys(), connection_slot::handler(slot),
                                 "127.0.0.1", 0, opts)
                      .get(io_wait),
                    "start_server");
  }

  connection connect(const server& srv) {
    return value_of(open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait),
                    "open_connection");
  }

  server listen_unix(const std::string& path) {
    return value_of(
      start_unix_server(sys(), connection_slot::handler(slot), path)
        .get(io_wait),
      "start_unix_server");
  }

  /// A client at `path` reaches the handler.
  void check_serves(const std::string& path) {
    auto client = value_of(open_unix_connection(sys(), path).get(io_wait),
                           "open_unix_connection");
    auto accepted = slot->take();
    ASSERT_TRUE(accepted);
    client.writer.write("unix\n");
    EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "unix\n");
  }

  std::shared_ptr<connection_slot> slot = std::make_shared<connection_slot>();
  testing::temp_dir dir;
};

/// Sends an exit to an actor the test spawned, so that the system's
/// shutdown does not wait for it.
struct actor_guard {
  caf::actor hdl;
  ~actor_guard() { caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown); }
};

/// The behavior-form handler: answers one line, then closes.
caf::behavior answer_one_line(caf::event_based_actor* self, stream_reader in,
                              stream_writer out) {
  out.write("behavior: hello\n");
  in.readline().then(
    self,
    [self, out](bytes line) {
      out.write("behavior: " + line);
      out.close();
      self->quit();
    },
    [self, out](caf::error) {
      out.close();
      self->quit();
    });
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}


bool is_socket_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

/// A Unix socket bound at `path`, listening.
raw_fd raw_unix_listener(const std::string& path) {
  raw_fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || ::listen(fd.get(), 16) != 0) {
    ADD_FAILURE() << "raw Unix socket at " << path << ": "
                  << std::strerror(errno);
    return raw_fd{};
  }
  return fd;
}

/// Opens `lst` and waits for the outcome (timeout if none comes).
caf::expected<net::listen_result>
open_listener(net::listener& lst, net::listener::accept_handler on_accept) {
  using outcome = caf::expected<net::listen_result>;
  auto done = std::make_shared<std::promise<outcome>>();
  auto result = done->get_future();
  lst.open([done](outcome x) { done->set_value(std::move(x)); },
           std::move(on_accept));
  if (result.wait_for(io_wait) != std::future_status::ready)
    return make_error(stream_errc::timeout, "the listener never reported");
  return result.get();
}

// -- binding ----------------------------------------------------------------------

TEST_F(Server, PortZeroGivesARealPortAndItsAddress) {
  auto srv = listen();
  ASSERT_NE(srv.port(), 0);
  EXPECT_EQ(srv.addresses(),
            std::vector<std::string>{"127.0.0.1:" + std::to_string(srv.port())});
  // Something really listens there: a raw client reaches the handler.
  auto raw = testing::raw_tcp_connect(srv.port());
  ASSERT_TRUE(raw) << std::strerror(errno);
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  ASSERT_EQ(::send(raw.get(), "raw\n", 4, MSG_NOSIGNAL), 4);
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "raw\n");
}

TEST_F(Server, BindingAPortInUseFailsWithBindFailed) {
  auto srv = listen();
  auto err = error_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", srv.port())
                        .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::bind_failed);
  EXPECT_NE(describe(err).find("127.0.0.1:" + std::to_string(srv.port())),
            std::string::npos)
    << describe(err);
  // The first server is unaffected.
  auto client = connect(srv);
  EXPECT_TRUE(slot->take());
  // A port held by a foreign listening socket fails alike.
  auto foreign = testing::raw_tcp_socket(0, true);
  ASSERT_TRUE(foreign);
  err = error_of(start_server(sys(), connection_slot::handler(slot),
                              "127.0.0.1", testing::local_port(foreign.get()))
                   .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::bind_failed) << describe(err);
}

TEST_F(Server, AnUnawaitedStartServerBindsNothing) {
  // The test holds the port throughout (bound, not listening), so that no
  // other process can listen there; the server, with reuse_port, could.
  auto holder = testing::raw_tcp_port_holder();
  ASSERT_TRUE(holder);
  auto port = testing::local_port(holder.get());
  server_options opts;
  opts.reuse_port = true;
  auto path = dir.file("never.sock");
  {
    auto tcp = start_server(sys(), connection_slot::handler(slot), "127.0.0.1",
                            port, opts);
    auto unix_socket = start_unix_server(sys(), connection_slot::handler(slot),
                                         path);
  }
  // A server that is awaited goes through the same I/O threads afterwards.
  auto other = listen();
  errno = 0;
  EXPECT_FALSE(testing::raw_tcp_connect(port));
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_FALSE(testing::exists_path(path));
  // The same start, awaited, does listen there: the check above can fail.
  auto srv = value_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", port, opts)
                        .get(io_wait),
                      "start_server on the held port");
  EXPECT_EQ(srv.port(), port);
  auto raw = testing::raw_tcp_connect(port);
  EXPECT_TRUE(raw) << std::strerror(errno);
  EXPECT_TRUE(slot->take());
}

// -- listening options: backlog, reuse_address, reuse_port ---------------------------

/// The TCP states of the sockets on local port `port` (/proc/net/tcp,
/// hexadecimal: 0A listen, 06 time-wait, ...).
std::vector<std::string> tcp_states_on_port(uint16_t port) {
  std::ifstream in{"/proc/net/tcp"};
  std::vector<std::string> states;
  std::string line;
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  std::getline(in, line); // the header
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (local.size() >= 5 && local.substr(local.size() - 5) == wanted)
      states.push_back(state);
  }
  return states;
}

/// The accept queue length the kernel gave the listening socket on
/// 127.0.0.1:`port` (`ss`'s Send-Q column), or nullopt without `ss`.
std::optional<int> listen_backlog(uint16_t port) {
  auto cmd = "ss -Hltn 'sport = :" + std::to_string(port) + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{::popen(cmd.c_str(), "r"),
                                             ::pclose};
  if (!pipe)
    return std::nullopt;
  char buf[512];
  std::string out;
  while (auto n = std::fread(buf, 1, sizeof buf, pipe.get()))
    out.append(buf, n);
  std::istringstream fields{out};
  std::string state;
  int recv_q = -1;
  int send_q = -1;
  if (!(fields >> state >> recv_q >> send_q) || state != "LISTEN")
    return std::nullopt;
  return send_q;
}

TEST_F(Server, BacklogIsTheLengthOfTheListeningSocketsAcceptQueue) {
  if (std::system("command -v ss >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "SKIPPED LOUDLY: `ss` (Debian iproute2, installed by make "
                    "deps) is missing: the backlog cannot be observed";
  server_options opts;
  opts.backlog = 7;
  auto srv = listen(opts);
  EXPECT_EQ(listen_backlog(srv.port()), 7);
  auto dflt = listen();
  EXPECT_EQ(listen_backlog(dflt.port()), 100);
}

TEST_F(Server, ReusePortLetsTwoServersListenOnOnePortAndWithoutItTheSecondFails) {
  server_options opts;
  opts.reuse_port = true;
  auto first = listen(opts);
  auto second = value_of(start_server(sys(), connection_slot::handler(slot),
                                      "127.0.0.1", first.port(), opts)
                           .get(io_wait),
                         "the second server on the port, with reuse_port");
  EXPECT_EQ(second.port(), first.port());
  // The kernel spreads clients over both; each is served.
  for (int i = 0; i < 4; ++i) {
    auto client = connect(first);
    auto accepted = slot->take();
    ASSERT_TRUE(accepted);
    client.writer.write("shared\n");
    EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)), "shared\n");
  }
  // Without it, the port is taken.
  auto err = error_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", first.port())
                        .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::bind_failed) << describe(err);
}

TEST_F(Server, ReuseAddressRebindsAPortWhoseLastConnectionIsInTimeWait) {
  auto srv = listen();
  const auto port = srv.port();
  {
    // The server's side closes first, so its end of the connection (on the
    // server's port) lingers in TIME_WAIT.
    auto client = connect(srv);
    auto accepted = slot->take();
    ASSERT_TRUE(accepted);
    accepted->writer.close();
    EXPECT_EQ(value_of(client.reader.read(-1).get(io_wait)), "");
    client.writer.close();
    EXPECT_TRUE(client.writer.wait_closed().get(io_wait));
  }
  srv.close();
  ASSERT_TRUE(srv.wait_closed().get(io_wait));
  auto states = tcp_states_on_port(port);
  for (int i = 0; i < 200 && std::count(states.begin(), states.end(), "06") == 0;
       ++i) {
    std::this_thread::sleep_for(10ms);
    states = tcp_states_on_port(port);
  }
  ASSERT_EQ(std::count(states.begin(), states.end(), "06"), 1)
    << "the server's end of the connection should be in TIME_WAIT";
  // Without SO_REUSEADDR, Linux refuses the port while TIME_WAIT holds it.
  server_options strict;
  strict.reuse_address = false;
  auto err = error_of(start_server(sys(), connection_slot::handler(slot),
                                   "127.0.0.1", port, strict)
                        .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::bind_failed) << describe(err);
  // With it (the default, as asyncio's on POSIX), the server starts again.
  auto again = value_of(start_server(sys(), connection_slot::handler(slot),
                                     "127.0.0.1", port)
                          .get(io_wait),
                        "start_server with reuse_address");
  EXPECT_EQ(again.port(), port);
  auto client = connect(again);
  EXPECT_TRUE(slot->take());
}

// -- handler forms -------------------------------------------------------------------

TEST_F(Server, APlainCallbackHandlerServesEachClient) {
  auto handler = [](stream_reader, stream_writer out) {
    out.write("plain: hello\n");
    out.close();
  };
  auto srv = value_of(
    start_server(sys(), handler, "127.0.0.1", 0).get(io_wait));
  for (int i = 0; i < 3; ++i) {
    auto client = connect(srv);
    EXPECT_EQ(value_of(client.reader.read().get(io_wait)), "plain: hello\n");
  }
}

TEST_F(Server, ABehaviorHandlerRunsAsAnActorPerConnection) {
  auto srv = value_of(
    start_server(sys(), answer_one_line, "127.0.0.1", 0).get(io_wait));
  auto first = connect(srv);
  auto second = connect(srv);
  // Each connection has its own actor: the second is served while the
  // first has not answered yet.
  EXPECT_EQ(value_of(second.reader.readline().get(io_wait)),
            "behavior: hello\n");
  EXPECT_EQ(value_of(first.reader.readline().get(io_wait)),
            "behavior: hello\n");
  second.writer.write("two\n");
  EXPECT_EQ(value_of(second.reader.read().get(io_wait)), "behavior: two\n");
  first.writer.write("one\n");
  EXPECT_EQ(value_of(first.reader.read().get(io_wait)), "behavior: one\n");
}

TEST_F(Server, AnActorHandlerReceivesConnectedAtomAndTheConnection) {
  actor_guard handler{sys().spawn([](caf::event_based_actor* self)
                                    -> caf::behavior {
    return {
      [self](connected_atom, connection& conn) {
        conn.writer.write("actor: hello\n");
        auto out = conn.writer;
        conn.reader.readline().then(
          self,
          [out](bytes line) {
            out.write("actor: " + line);
            out.close();
          },
          [out](caf::error) { out.close(); });
      },
    };
  })};
  auto srv = value_of(
    start_server(sys(), handler.hdl, "127.0.0.1", 0).get(io_wait));
  for (auto word : {"one", "two"}) {
    auto client = connect(srv);
    EXPECT_EQ(value_of(client.reader.readline().get(io_wait)),
              "actor: hello\n");
    client.writer.write(std::string{word} + "\n");
    EXPECT_EQ(value_of(client.reader.read().get(io_wait)),
              "actor: " + std::string{word} + "\n");
  }
}

TEST_F(Server, AHandlerCanAskForPeernameAtOnce) {
  // The first thing many asyncio handlers do; the accepted transport may not
  // have described itself yet when the handler starts.
  auto greet = [](caf::event_based_actor* self, stream_reader,
                  stream_writer out) -> caf::behavior {
    out.get_extra_info("peername")
      .then(
        self,
        [self, out](bytes peer) {
          out.write("you are " + peer + "\n");
          out.close();
          self->quit();
        },
        [self, out](caf::error err) {
          out.write("error: " + describe(err) + "\n");
          out.close();
          self->quit();
        });
    return {};
  };
  auto srv = value_of(start_server(sys(), greet, "127.0.0.1", 0).get(io_wait));
  for (int i = 0; i < 20; ++i) {
    auto client = connect(srv);
    auto me = value_of(client.writer.get_extra_info("sockname").get(io_wait));
    EXPECT_EQ(value_of(client.reader.read().get(io_wait)),
              "you are " + me + "\n");
  }
}

TEST_F(Server, AThrowingCallbackGetsItsConnectionClosedAndTheServerGoesOn) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto handler = [calls](stream_reader, stream_writer out) {
    if ((*calls)++ == 0)
      throw std::runtime_error("boom");
    out.write("served\n");
  };
  auto srv = value_of(
    start_server(sys(), handler, "127.0.0.1", 0).get(io_wait));
  ::testing::internal::CaptureStderr();
  auto first = connect(srv);
  auto seen = first.reader.read().get(io_wait);
  auto log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(value_of(std::move(seen)), "") << "the client should see EOF";
  EXPECT_NE(log.find("Unhandled exception in client_connected_cb: boom"),
            std::string::npos)
    << log;
  auto second = connect(srv);
  EXPECT_EQ(value_of(second.reader.readline().get(io_wait)), "served\n");
  EXPECT_EQ(calls->load(), 2);
  EXPECT_TRUE(value_of(srv.is_serving().get(io_wait)));
}

// -- closing ---------------------------------------------------------------------------

TEST_F(Server, IsServingIsTrueUntilClose) {
  auto srv = listen();
  EXPECT_TRUE(value_of(srv.is_serving().get(io_wait)));
  srv.close();
  EXPECT_FALSE(value_of(srv.is_serving().get(io_wait)));
  srv.close(); // idempotent
  EXPECT_FALSE(value_of(srv.is_serving().get(io_wait)));
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
}

TEST_F(Server, CloseStopsAcceptingWhileOpenConnectionsGoOn) {
  auto srv = listen();
  auto client = connect(srv);
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  srv.close();
  EXPECT_FALSE(value_of(srv.is_serving().get(io_wait)));
  auto err = error_of(
    open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::connect_failed) << describe(err);
  EXPECT_FALSE(slot->take(100ms)) << "a connection was accepted after close";
  // The open connection goes on, both ways.
  client.writer.write("still here\n");
  EXPECT_EQ(value_of(accepted->reader.readline().get(io_wait)),
            "still here\n");
  accepted->writer.write("me too\n");
  EXPECT_EQ(value_of(client.reader.readline().get(io_wait)), "me too\n");
}

TEST_F(Server, WaitClosedRepliesOnlyAfterCloseAndEveryConnectionClosed) {
  auto srv = listen();
  auto client = connect(srv);
  auto accepted = slot->take();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(code_of(error_of(srv.wait_closed().get(200ms))),
            stream_errc::timeout)
    << "wait_closed replied before close";
  srv.close();
  EXPECT_EQ(code_of(error_of(srv.wait_closed().get(200ms))),
            stream_errc::timeout)
    << "wait_closed replied while a connection was open";
  // The client leaving is not enough: the server's side must close too.
  client.writer.close();
  EXPECT_EQ(value_of(accepted->reader.read().get(io_wait)), "");
  EXPECT_EQ(code_of(error_of(srv.wait_closed().get(200ms))),
            stream_errc::timeout)
    << "wait_closed replied while the server's side was open";
  accepted->writer.close();
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
  EXPECT_TRUE(srv.wait_closed().get(io_wait)) << "a second wait";
}

TEST_F(Server, CloseClientsClosesEveryAcceptedConnection) {
  auto srv = listen();
  auto one = connect(srv);
  auto two = connect(srv);
  auto one_peer = slot->take();
  auto two_peer = slot->take();
  ASSERT_TRUE(one_peer && two_peer);
  one_peer->writer.write("bye one");
  srv.close_clients();
  EXPECT_EQ(value_of(one.reader.read().get(io_wait)), "bye one");
  EXPECT_EQ(value_of(two.reader.read().get(io_wait)), "");
  EXPECT_TRUE(value_of(one_peer->writer.is_closing().get(io_wait)));
  EXPECT_TRUE(value_of(two_peer->writer.is_closing().get(io_wait)));
  // It closes clients only: the server still serves.
  EXPECT_TRUE(value_of(srv.is_serving().get(io_wait)));
  auto three = connect(srv);
  auto three_peer = slot->take();
  ASSERT_TRUE(three_peer);
  three_peer->writer.write("welcome\n");
  EXPECT_EQ(value_of(three.reader.readline().get(io_wait)), "welcome\n");
  srv.close();
  srv.close_clients();
  EXPECT_EQ(value_of(three.reader.read().get(io_wait)), "");
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
}

TEST_F(Server, AbortClientsEndsEveryAcceptedConnection) {
  auto srv = listen();
  auto one = connect(srv);
  auto one_peer = slot->take();
  ASSERT_TRUE(one_peer);
  srv.abort_clients();
  auto end = one.reader.read().get(io_wait);
  if (end)
    EXPECT_EQ(*end, "");
  else
    EXPECT_EQ(code_of(end.error()), stream_errc::connection_reset)
      << describe(end.error());
  srv.close();
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
}

// -- Unix servers ---------------------------------------------------------------------

TEST_F(Server, AUnixServerServesOnItsPathAndRemovesTheSocketFileOnClose) {
  auto path = dir.file("server.sock");
  auto srv = listen_unix(path);
  EXPECT_EQ(srv.addresses(), std::vector<std::string>{path});
  EXPECT_TRUE(is_socket_file(path));
  check_serves(path);
  srv.close();
  srv.close_clients();
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
  EXPECT_FALSE(testing::exists_path(path));
}

TEST_F(Server, AUnixServerLeavesAFileThatReplacedItsSocketAlone) {
  auto path = dir.file("server.sock");
  auto srv = listen_unix(path);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  testing::write_file(path, "not yours");
  srv.close();
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
  EXPECT_EQ(read_file(path), "not yours");
}

TEST_F(Server, AUnixServerLeavesASocketOfAnotherServerThatReplacedItsOwnAlone) {
  auto path = dir.file("server.sock");
  auto first = listen_unix(path);
  // A second server at the same path replaces the socket file (asyncio).
  auto second = listen_unix(path);
  first.close();
  EXPECT_TRUE(first.wait_closed().get(io_wait));
  EXPECT_TRUE(is_socket_file(path));
  check_serves(path);
}

TEST_F(Server, AUnixServerOnARegularFileFailsWithBindFailedAndLeavesItUntouched) {
  auto path = dir.file("data.txt");
  testing::write_file(path, "precious");
  auto err = error_of(
    start_unix_server(sys(), connection_slot::handler(slot), path)
      .get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::bind_failed) << describe(err);
  EXPECT_EQ(read_file(path), "precious");
}

TEST_F(Server, AUnixServerReplacesAStaleSocketFile) {
  auto path = dir.file("stale.sock");
  {
    // A socket file whose server is gone.
    raw_fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)),
              0)
      << std::strerror(errno);
  }
  ASSERT_TRUE(is_socket_file(path));
  auto srv = listen_unix(path);
  check_serves(path);
}

// -- listeners (net/sockets.hpp) ------------------------------------------------------

/// Listeners on their own I/O threads (made on first use), without an actor
/// system.
class Listener : public ::testing::Test {
protected:
  net::io_threads& io() {
    if (!io_) {
      io_.emplace();
      io_->start(1);
    }
    return *io_;
  }

  testing::temp_dir dir;

private:
  std::optional<net::io_threads> io_;
};

TEST_F(Listener, ClosedBeforeItsOpenRanItReportsClosedAndLeavesTheSocketFileAlone) {
  // Another server's live socket at the path: a listener that binds would
  // replace it, one closed before binding must not touch it.
  auto path = dir.file("live.sock");
  auto other = raw_unix_listener(path);
  ASSERT_TRUE(other);
  struct stat before {};
  ASSERT_EQ(::lstat(path.c_str(), &before), 0);
  auto lst = net::make_unix_listener(io(), path);
  auto closed = std::make_shared<std::promise<void>>();
  auto closed_done = closed->get_future();
  lst->close([closed] { closed->set_value(); });
  auto err = error_of(open_listener(*lst, nullptr));
  EXPECT_EQ(code_of(err), stream_errc::closed) << describe(err);
  EXPECT_NE(describe(err).find("server closed while binding"),
            std::string::npos)
    << describe(err);
  EXPECT_EQ(closed_done.wait_for(io_wait), std::future_status::ready);
  struct stat after {};
  ASSERT_EQ(::lstat(path.c_str(), &after), 0) << "the socket file is gone";
  EXPECT_EQ(after.st_ino, before.st_ino) << "the socket file was replaced";
  // The other server still owns the path.
  raw_fd client{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
  EXPECT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&sa),
                      sizeof(sa)),
            0)
    << std::strerror(errno);
  EXPECT_TRUE(testing::raw_accept(other.get()));
  // A TCP listener closed before binding binds nothing either.
  auto tcp = net::make_tcp_listener(io(), "127.0.0.1", 0);
  tcp->close();
  err = error_of(open_listener(*tcp, nullptr));
  EXPECT_EQ(code_of(err), stream_errc::closed) << describe(err);
}

TEST_F(Listener, ClosedWhileItsNameIsResolvingItReportsClosedNotTheLookupsOutcome) {
  // The listener's I/O thread is held until open and close are both queued
  // there: the lookup starts, then the close runs before its answer can.
  // The name cannot resolve, so the old outcome (the resolve error) and the
  // right one (closed) differ.
  for (const char* host : {"no-such-host.invalid", "localhost"}) {
    std::promise<void> release;
    auto held = release.get_future().share();
    std::promise<void> holding;
    asio::post(net::context_of(io(), 0), [held, &holding] {
      holding.set_value();
      held.wait();
    });
    holding.get_future().wait();
    auto lst = net::make_tcp_listener(io(), host, 0);
    using outcome = caf::expected<net::listen_result>;
    auto done = std::make_shared<std::promise<outcome>>();
    auto result = done->get_future();
    lst->open([done](outcome x) { done->set_value(std::move(x)); }, nullptr);
    lst->close();
    release.set_value();
    ASSERT_EQ(result.wait_for(io_wait), std::future_status::ready) << host;
    auto err = error_of(result.get());
    EXPECT_EQ(code_of(err), stream_errc::closed) << host << ": " << describe(err);
  }
}

/// The child of EveryAcceptorRetriesOnItsOwnWhenDescriptorsRunOut (run by
/// testing::run_with_hosts); returns its exit code.
int accept_retry_child(const std::function<void(const std::string&)>& say) {
  net::io_threads io;
  io.start(1);
  auto accepted = std::make_shared<std::atomic<int>>(0);
  auto lst = net::make_tcp_listener(io, "two-loopbacks", 0);
  auto bound = open_listener(*lst, [accepted](net::transport_ptr) {
    ++*accepted;
  });
  if (!bound) {
    say("listener: " + describe(bound.error()));
    return 1;
  }
  if (bound->addresses.size() != 2) {
    say("two-loopbacks resolved to " + std::to_string(bound->addresses.size())
        + " address(es)");
    return 77;
  }
  // The clients' sockets exist before descriptors run out.
  raw_fd clients[2] = {raw_fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)},
                       raw_fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)}};
  if (!clients[0] || !clients[1]) {
    say(std::string{"socket: "} + std::strerror(errno));
    return 1;
  }
  // From now on no new descriptor: the limit is the lowest free number.
  int lowest = ::fcntl(clients[0].get(), F_DUPFD, 0);
  ::close(lowest);
  rlimit saved{};
  ::getrlimit(RLIMIT_NOFILE, &saved);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(lowest);
  if (lowest < 0 || ::setrlimit(RLIMIT_NOFILE, &low) != 0) {
    say(std::string{"setrlimit: "} + std::strerror(errno));
    return 1;
  }
  // One client per acceptor, at once: both accepts fail within the 100 ms
  // back-off of the other.
  for (int i = 0; i < 2; ++i) {
    const auto& addr = bound->addresses[i];
    auto colon = addr.rfind(':');
    auto sa = testing::ipv4_address(
      addr.substr(0, colon).c_str(),
      static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
    if (::connect(clients[i].get(), reinterpret_cast<sockaddr*>(&sa),
                  sizeof(sa))
        != 0) {
      say("connect to " + addr + ": " + std::strerror(errno));
      return 1;
    }
  }
  std::this_thread::sleep_for(400ms);
  auto while_low = accepted->load();
  ::setrlimit(RLIMIT_NOFILE, &saved);
  if (while_low != 0) {
    say(std::to_string(while_low) + " accepted while out of descriptors");
    return 1;
  }
  // Each acceptor's retry picks its client up within 100 ms or so.
  for (int i = 0; i < 500 && accepted->load() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  auto n = accepted->load();
  say("accepted " + std::to_string(n) + " of 2");
  lst->close(); // nothing left for the I/O threads to finish
  return n == 2 ? 0 : 1;
}

TEST_F(Listener, EveryAcceptorRetriesOnItsOwnWhenDescriptorsRunOut) {
  // One listener with two acceptors (a name for 127.0.0.1 and 127.0.0.2),
  // out of descriptors (RLIMIT_NOFILE): both in a child process of their
  // own, which bind-mounts its own /etc/hosts in a private mount namespace.
  auto hosts = dir.file("hosts");
  testing::write_file(hosts, "127.0.0.1 two-loopbacks\n127.0.0.2 two-loopbacks\n");
  auto child = testing::run_with_hosts(hosts, accept_retry_child);
  testing::expect_child_said(child, "accepted 2 of 2");
}

} // namespace
} // namespace actorstreams
