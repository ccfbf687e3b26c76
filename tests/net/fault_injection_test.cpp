// Tier 4: fault injection on real transports (net/fault_transport.hpp):
// every failure point of a line exchange over TCP and TLS, client side and
// server side, plus connect, the TLS handshake and accept. Each run asserts
// no crash, no hang (every wait is bounded), an error for the caller, the
// bytes received before the fault still readable (what came back is a
// prefix of the echo), and nothing left behind: descriptors and actors back
// at their baseline (docs/reliability.md).

#include <chrono>
#include <iostream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "actors/io_module.hpp"
#include "net_support.hpp"
#include "streams/server.hpp"
#include "tls_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::echo_lines;
using testing::io_wait;
using testing::value_of;

/// The conversation: `lines` lines, written in three batches.
constexpr int lines = 12;

bytes line_of(int i) {
  return "line " + std::to_string(i) + " " + bytes(static_cast<std::size_t>(i * 37), 'x')
         + "\n";
}

bytes whole_echo() {
  bytes out;
  for (int i = 0; i < lines; ++i)
    out += line_of(i);
  return out;
}

enum class kind { read, write, close };

const char* name_of(kind k) {
  return k == kind::read ? "read" : k == kind::write ? "write" : "close";
}

void plan(net::fault_plan& faults, kind k, std::size_t n) {
  (k == kind::read ? faults.read : k == kind::write ? faults.write : faults.close) = n;
}

/// What one run of the conversation gave.
struct outcome {
  bytes echoed;     // every line read back, in order
  caf::error error; // the first failure, if any
  bool finished = false;
};

/// Talks to the echo server at `port`: connects, writes the lines in three
/// batches, reads back what comes, closes. Every wait is bounded.
outcome converse(caf::actor_system& sys, uint16_t port, connect_options opts) {
  outcome out;
  auto conn = open_connection(sys, "127.0.0.1", port, opts).get(io_wait);
  if (!conn) {
    out.error = conn.error();
    return out;
  }
  for (int batch = 0; batch < 3 && !out.error; ++batch) {
    for (int i = batch * lines / 3; i < (batch + 1) * lines / 3; ++i)
      conn->writer.write(line_of(i));
    if (auto drained = conn->writer.drain().get(io_wait); !drained) {
      out.error = drained.error();
      break;
    }
    for (int i = batch * lines / 3; i < (batch + 1) * lines / 3; ++i) {
      auto line = conn->reader.readline().get(io_wait);
      if (!line) {
        out.error = line.error();
        break;
      }
      out.echoed += *line;
      if (line->empty() || line->back() != '\n')
        break; // EOF: the server's side failed
    }
  }
  // What was received and not read yet is still readable after a failure.
  if (out.error && code_of(out.error) != stream_errc::timeout) {
    for (int i = 0; i < 100; ++i) {
      auto more = conn->reader.read(65536).get(io_wait);
      if (!more || more->empty())
        break;
      out.echoed += *more;
    }
  }
  conn->writer.close();
  auto closed = conn->writer.wait_closed().get(io_wait);
  if (!closed && !out.error)
    out.error = closed.error();
  out.finished = !out.error;
  return out;
}

class FaultInjection : public testing::runtime_test {
protected:
  /// Actors and descriptors of this process, to compare after each run.
  std::pair<std::size_t, std::size_t> census() {
    return {io_module::try_of(sys())->tracked(), testing::open_fd_count()};
  }

  /// Waits until the census is back at `baseline`; true if it came back.
  bool settles(std::pair<std::size_t, std::size_t> baseline) {
    for (int i = 0; i < 500; ++i) {
      if (census() == baseline)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return census() == baseline;
  }

  /// Runs every fault point of every kind on the client side (`client`) or
  /// on the server side (`server_faults`), over `srv`, until a run has no
  /// fault left to hit; checks each run. Returns how many faults hit.
  int every_fault_point(uint16_t port, connect_options base, bool client_side,
                        const std::function<server(net::fault_plan)>& restart) {
    const auto expected = whole_echo();
    int injected = 0;
    // Warm up first: the first lookup starts Asio's resolver thread (and its
    // descriptors) for good.
    {
      auto srv = client_side ? server{} : restart({});
      auto out = converse(sys(), client_side ? port : srv.port(), base);
      EXPECT_TRUE(out.finished) << describe(out.error);
      if (!client_side) {
        srv.close();
        EXPECT_TRUE(srv.wait_closed().get(io_wait));
      }
    }
    // Then let the warm-up's actors end (what stays, stays for good: the
    // server of a client-side test, the blocking get's helper).
    auto last = census();
    for (int same = 0; same < 20;) {
      std::this_thread::sleep_for(10ms);
      auto now = census();
      same = now == last ? same + 1 : 0;
      last = now;
    }
    for (auto k : {kind::read, kind::write, kind::close}) {
      for (std::size_t n = 1;; ++n) {
        EXPECT_LT(n, 200u) << "no run without a fault";
        if (n >= 200)
          break;
        auto opts = base;
        auto baseline = census();
        server srv;
        uint16_t at = port;
        if (client_side) {
          plan(opts.faults, k, n);
        } else {
          net::fault_plan faults;
          plan(faults, k, n);
          srv = restart(faults);
          at = srv.port();
        }
        auto out = converse(sys(), at, opts);
        const auto where = std::string{client_side ? "client" : "server"} + " "
                           + name_of(k) + " fault " + std::to_string(n);
        // Whatever the fault, what came back is a prefix of the echo.
        EXPECT_EQ(out.echoed, expected.substr(0, out.echoed.size())) << where;
        const bool clean = out.finished && out.echoed == expected;
        if (!clean) {
          ++injected;
          // A fault on the caller's side is an error for the caller; one on
          // the server's side may reach the client as an early EOF.
          if (client_side) {
            EXPECT_TRUE(out.error) << where << ": the caller got no error";
          }
          if (out.error) {
            auto code = code_of(out.error);
            EXPECT_TRUE(code == stream_errc::connection_reset
                        || code == stream_errc::closed)
              << where << ": " << describe(out.error);
          }
        }
        if (!client_side) {
          srv.close();
          EXPECT_TRUE(srv.wait_closed().get(io_wait)) << where;
          srv = server{}; // the last handle: the server actor ends
        }
        EXPECT_TRUE(settles(baseline))
          << where << ": actors and descriptors " << census().first << ", "
          << census().second << ", were " << baseline.first << ", "
          << baseline.second;
        // Once a run ends cleanly, the fault came after the last operation
        // of its kind: every point of this kind was tried.
        if (clean)
          break;
      }
    }
    return injected;
  }
};

TEST_F(FaultInjection, EveryReadWriteAndCloseFaultOfATcpClientEndsCleanly) {
  auto srv = value_of(start_server(sys(), echo_lines, "127.0.0.1", 0).get(io_wait));
  auto injected = every_fault_point(srv.port(), {}, true, nullptr);
  EXPECT_GE(injected, 5);
  std::cout << "[ figures  ] " << injected << " faults injected\n";
  // The server went on through all of it.
  auto out = converse(sys(), srv.port(), {});
  EXPECT_TRUE(out.finished) << describe(out.error);
}

TEST_F(FaultInjection, EveryReadWriteAndCloseFaultOfAServerConnectionEndsCleanly) {
  auto injected = every_fault_point(
    0, {}, false, [this](net::fault_plan faults) {
      server_options opts;
      opts.faults = faults;
      return value_of(
        start_server(sys(), echo_lines, "127.0.0.1", 0, opts).get(io_wait));
    });
  EXPECT_GE(injected, 5);
  std::cout << "[ figures  ] " << injected << " faults injected\n";
}

TEST_F(FaultInjection, EveryFaultPointOfATlsClientEndsCleanly) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  server_options sopts;
  sopts.ssl = files->server();
  auto srv = value_of(
    start_server(sys(), echo_lines, "127.0.0.1", 0, sopts).get(io_wait));
  connect_options copts;
  copts.ssl = files->client();
  auto injected = every_fault_point(srv.port(), copts, true, nullptr);
  EXPECT_GE(injected, 5);
  std::cout << "[ figures  ] " << injected << " faults injected\n";
}

TEST_F(FaultInjection, EveryFaultPointOfATlsServerConnectionEndsCleanly) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  connect_options copts;
  copts.ssl = files->client();
  auto injected = every_fault_point(
    0, copts, false, [this, files](net::fault_plan faults) {
      server_options opts;
      opts.ssl = files->server();
      opts.faults = faults;
      return value_of(
        start_server(sys(), echo_lines, "127.0.0.1", 0, opts).get(io_wait));
    });
  EXPECT_GE(injected, 5);
  std::cout << "[ figures  ] " << injected << " faults injected\n";
}

TEST_F(FaultInjection, AFailedConnectOrHandshakeReportsItsErrorAndLeavesNothing) {
  ACTORSTREAMS_NEED_TLS_FILES(files);
  auto plain = value_of(start_server(sys(), echo_lines, "127.0.0.1", 0).get(io_wait));
  server_options sopts;
  sopts.ssl = files->server();
  auto tls = value_of(
    start_server(sys(), echo_lines, "127.0.0.1", 0, sopts).get(io_wait));
  for (int round = 0; round < 10; ++round) {
    auto baseline = census();
    connect_options opts;
    opts.faults.connect = 1;
    auto out = converse(sys(), plain.port(), opts);
    EXPECT_EQ(code_of(out.error), stream_errc::connect_failed)
      << describe(out.error);
    EXPECT_NE(describe(out.error).find("injected fault: connect"), std::string::npos)
      << describe(out.error);
    connect_options topts;
    topts.ssl = files->client();
    topts.faults.handshake = 1;
    out = converse(sys(), tls.port(), topts);
    EXPECT_EQ(code_of(out.error), stream_errc::tls_error) << describe(out.error);
    EXPECT_TRUE(settles(baseline)) << "round " << round;
  }
  // Both servers still serve.
  EXPECT_TRUE(converse(sys(), plain.port(), {}).finished);
  connect_options topts;
  topts.ssl = files->client();
  EXPECT_TRUE(converse(sys(), tls.port(), topts).finished);
}

TEST_F(FaultInjection, AServerWhoseAcceptFailsGoesOnServingTheNextClients) {
  for (std::size_t n = 1; n <= 3; ++n) {
    server_options opts;
    opts.faults.accept = n;
    auto srv = value_of(
      start_server(sys(), echo_lines, "127.0.0.1", 0, opts).get(io_wait));
    for (std::size_t client = 1; client <= 4; ++client) {
      auto out = converse(sys(), srv.port(), {});
      if (client == n) {
        // The connection went away under the client: no echo, an end.
        EXPECT_FALSE(out.finished && out.echoed == whole_echo())
          << "accept " << n << " was not refused";
      } else {
        EXPECT_TRUE(out.finished) << "client " << client << " after accept fault "
                                  << n << ": " << describe(out.error);
        EXPECT_EQ(out.echoed, whole_echo());
      }
    }
    srv.close();
    EXPECT_TRUE(srv.wait_closed().get(io_wait));
  }
}

} // namespace
} // namespace actorstreams
