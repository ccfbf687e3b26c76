#include "streams/server.hpp"

// Tier 4: coroutine tasks over loopback TCP: open_connection awaited in a
// task, start_server with task<void> handlers (one task actor per
// connection), exceptions that escape a handler.

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/net_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::io_wait;
using testing::value_of;

class TaskServer : public testing::runtime_test {
protected:
  connection connect(const server& srv) {
    return value_of(open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait),
                    "open_connection");
  }
};

/// The seed's echo handler: read up to 100 bytes, echo them, close.
task<void> echo_once(stream_reader reader, stream_writer writer) {
  auto data = co_await reader.read(100);
  writer.write(data);
  co_await writer.drain();
  writer.close();
  co_await writer.wait_closed();
}

/// Echoes line by line until EOF.
task<void> echo_lines(stream_reader reader, stream_writer writer) {
  for (;;) {
    auto line = co_await reader.readline();
    if (line.empty())
      break;
    writer.write(line);
  }
  writer.close();
}

TEST_F(TaskServer, ATaskHandlerServesEachClient) {
  auto srv = value_of(start_server(sys(), echo_once, "127.0.0.1", 0).get(io_wait));
  for (int i = 0; i < 5; ++i) {
    auto client = connect(srv);
    auto message = "hello " + std::to_string(i);
    client.writer.write(message);
    EXPECT_EQ(value_of(client.reader.read().get(io_wait)), message);
  }
}

TEST_F(TaskServer, ATaskHandlerOnTheSchedulerServesToo) {
  server_options opts;
  opts.pin_handlers = false;
  auto srv = value_of(
    start_server(sys(), echo_lines, "127.0.0.1", 0, opts).get(io_wait));
  auto client = connect(srv);
  client.writer.write("one\ntwo\n");
  client.writer.write_eof();
  EXPECT_EQ(value_of(client.reader.read().get(io_wait)), "one\ntwo\n");
}

TEST_F(TaskServer, ManyClientsAtOnceEachGetTheirOwnTask) {
  auto srv = value_of(
    start_server(sys(), echo_lines, "127.0.0.1", 0).get(io_wait));
  std::vector<connection> clients;
  for (int i = 0; i < 50; ++i)
    clients.push_back(connect(srv));
  for (std::size_t i = 0; i < clients.size(); ++i)
    clients[i].writer.write("client " + std::to_string(i) + "\n");
  for (std::size_t i = 0; i < clients.size(); ++i)
    EXPECT_EQ(value_of(clients[i].reader.readline().get(io_wait)),
              "client " + std::to_string(i) + "\n");
}

TEST_F(TaskServer, AThrowingTaskHandlerIsReportedOnceWithItsPeerAndClosed) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto handler = [calls](stream_reader reader,
                         stream_writer writer) -> task<void> {
    auto line = co_await reader.readline();
    if ((*calls)++ == 0)
      throw std::runtime_error("boom");
    writer.write("served " + line);
  };
  auto srv = value_of(start_server(sys(), handler, "127.0.0.1", 0).get(io_wait));
  ::testing::internal::CaptureStderr();
  auto first = connect(srv);
  auto me = value_of(first.writer.get_extra_info("sockname").get(io_wait));
  first.writer.write("first\n");
  auto seen = first.reader.read().get(io_wait);
  auto log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(value_of(std::move(seen)), "") << "the client should see EOF";
  auto expected = "Unhandled exception in client_connected handler (peer " + me
                  + "): boom\n";
  EXPECT_EQ(log, expected);
  auto second = connect(srv);
  second.writer.write("second\n");
  EXPECT_EQ(value_of(second.reader.readline().get(io_wait)),
            "served second\n");
  EXPECT_EQ(calls->load(), 2);
}

task<bytes> client(caf::actor_system& sys, uint16_t port, std::string message) {
  auto [reader, writer] = co_await open_connection(sys, "127.0.0.1", port);
  writer.write(message);
  co_await writer.drain();
  auto data = co_await reader.read(100);
  writer.close();
  co_await writer.wait_closed();
  co_return data;
}

TEST_F(TaskServer, TheSeedsEchoPairAsTasksOnBothSides) {
  auto srv = value_of(start_server(sys(), echo_once, "127.0.0.1", 0).get(io_wait));
  EXPECT_EQ(run(sys(), client(sys(), srv.port(), "Hello World!")),
            "Hello World!");
}

TEST_F(TaskServer, ARefusedConnectThrowsConnectFailed) {
  // Bound, not listening: refuses connections.
  testing::raw_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  try {
    run(sys(), client(sys(), ntohs(sa.sin_port), "x"));
    FAIL() << "connected to a port that refuses";
  } catch (const stream_error& e) {
    EXPECT_EQ(e.code(), stream_errc::connect_failed) << e.what();
  }
}

task<bytes> read_line(stream_reader r) {
  co_return co_await r.readline();
}

task<bytes> give_up_after(std::chrono::milliseconds delay) {
  co_await sleep(delay);
  throw std::runtime_error("give up");
}

TEST_F(TaskServer, ACancelledReadOnASocketConsumesNothing) {
  auto slot = std::make_shared<testing::connection_slot>();
  auto srv = value_of(start_server(sys(), testing::connection_slot::handler(slot),
                                   "127.0.0.1", 0)
                        .get(io_wait));
  auto conn = connect(srv);
  auto peer = slot->take();
  ASSERT_TRUE(peer);
  auto body = [](stream_reader r) -> task<bytes> {
    try {
      co_await r.readline().with_timeout(30ms);
    } catch (const stream_error&) {
      // timed out: nothing consumed
    }
    std::vector<task<bytes>> racing;
    racing.push_back(read_line(r));
    racing.push_back(give_up_after(20ms));
    try {
      co_await gather(std::move(racing));
    } catch (const std::runtime_error&) {
      // the reader was cancelled
    }
    co_return co_await r.readline().with_timeout(io_wait);
  };
  peer->writer.write("par");
  auto got = std::async(std::launch::async, [&] {
    return run(sys(), body(conn.reader));
  });
  std::this_thread::sleep_for(100ms);
  peer->writer.write("tial\n");
  EXPECT_EQ(got.get(), "partial\n");
}

} // namespace
} // namespace actorstreams
