#include "streams/server.hpp"

// Tier 4: where connection and handler actors run (docs/performance.md):
// on the I/O thread of their socket, spread over the I/O threads, handing
// off nothing; and what that changes for users (get() in a pinned handler).

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "actors/io_module.hpp"
#include "actors/io_unit.hpp"
#include "net_support.hpp"

namespace actorstreams {
namespace {

using testing::code_of;
using testing::io_wait;
using testing::value_of;

/// What a handler saw about the thread it runs on.
struct sighting {
  std::mutex mtx;
  std::promise<void> done;
  std::vector<std::optional<std::size_t>> io_threads; // one per handler
  std::vector<std::string> replies;
};

/// A behavior handler that records which I/O thread (if any) it runs on,
/// echoes one line with that index, and closes.
auto recording_handler(std::shared_ptr<sighting> seen, caf::actor_system& sys) {
  return [seen, &sys](caf::event_based_actor* self, stream_reader in,
                      stream_writer out) -> caf::behavior {
    auto here = io_module::try_of(sys)->io().this_thread_index();
    {
      std::lock_guard guard{seen->mtx};
      seen->io_threads.push_back(here);
    }
    in.readline().then(
      self,
      [self, out, here](bytes line) {
        out.write((here ? "io " + std::to_string(*here) : std::string{"sched"})
                  + ": " + line);
        out.close();
        self->quit();
      },
      [self, out](caf::error) {
        out.close();
        self->quit();
      });
    return {};
  };
}

std::string ask(caf::actor_system& sys, uint16_t port, const std::string& line) {
  auto conn = open_connection(sys, "127.0.0.1", port).get(io_wait);
  if (!conn)
    return "connect: " + describe(conn.error());
  conn->writer.write(line);
  auto reply = conn->reader.read(-1).get(io_wait);
  return reply ? *reply : "read: " + describe(reply.error());
}

TEST(Pinning, AHandlerActorRunsOnItsConnectionsIoThread) {
  runtime rt;
  auto& sys = rt.system();
  auto seen = std::make_shared<sighting>();
  auto srv = value_of(start_server(sys, recording_handler(seen, sys),
                                   "127.0.0.1", 0)
                        .get(io_wait));
  EXPECT_EQ(ask(sys, srv.port(), "ping\n"), "io 0: ping\n");
  std::lock_guard guard{seen->mtx};
  ASSERT_EQ(seen->io_threads.size(), 1u);
  EXPECT_EQ(seen->io_threads[0], std::optional<std::size_t>{0});
}

TEST(Pinning, PinHandlersFalseRunsTheHandlerOnTheScheduler) {
  runtime rt;
  auto& sys = rt.system();
  auto seen = std::make_shared<sighting>();
  server_options opts;
  opts.pin_handlers = false;
  auto srv = value_of(start_server(sys, recording_handler(seen, sys),
                                   "127.0.0.1", 0, opts)
                        .get(io_wait));
  EXPECT_EQ(ask(sys, srv.port(), "ping\n"), "sched: ping\n");
}

TEST(Pinning, AcceptedConnectionsSpreadOverTheIoThreads) {
  config cfg;
  cfg.io_threads(2);
  runtime rt{std::move(cfg)};
  auto& sys = rt.system();
  auto seen = std::make_shared<sighting>();
  auto srv = value_of(start_server(sys, recording_handler(seen, sys),
                                   "127.0.0.1", 0)
                        .get(io_wait));
  // One after the other: accepted in turn, so the threads alternate.
  std::multiset<std::string> replies;
  for (int i = 0; i < 4; ++i)
    replies.insert(ask(sys, srv.port(), "n\n"));
  EXPECT_EQ(replies, (std::multiset<std::string>{"io 0: n\n", "io 0: n\n",
                                                  "io 1: n\n", "io 1: n\n"}));
}

TEST(Pinning, GetInAPinnedHandlerFailsAtOnceInsteadOfDeadlocking) {
  runtime rt;
  auto& sys = rt.system();
  auto result = std::make_shared<std::promise<caf::error>>();
  auto handler = [result](caf::event_based_actor* self, stream_reader in,
                          stream_writer out) -> caf::behavior {
    auto line = in.readline().get(std::chrono::seconds{5});
    result->set_value(line ? caf::error{} : line.error());
    out.close();
    self->quit();
    return {};
  };
  auto srv = value_of(start_server(sys, handler, "127.0.0.1", 0).get(io_wait));
  auto conn = value_of(
    open_connection(sys, "127.0.0.1", srv.port()).get(io_wait));
  auto outcome = result->get_future();
  ASSERT_EQ(outcome.wait_for(io_wait), std::future_status::ready);
  auto err = outcome.get();
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  // The connection was not blocked: the close arrives.
  EXPECT_EQ(value_of(conn.reader.read(-1).get(io_wait)), "");
}

/// readline -> write -> drain, until EOF.
void echo_lines_step(caf::event_based_actor* self, stream_reader in,
                     stream_writer out) {
  in.readline().then(
    self,
    [self, in, out](bytes line) {
      if (line.empty()) {
        out.close();
        self->quit();
        return;
      }
      out.write(std::move(line));
      out.drain().then(
        self, [self, in, out] { echo_lines_step(self, in, out); },
        [self](caf::error) { self->quit(); });
    },
    [self](caf::error) { self->quit(); });
}

caf::behavior echo_lines_handler(caf::event_based_actor* self, stream_reader in,
                                 stream_writer out) {
  echo_lines_step(self, std::move(in), std::move(out));
  return {};
}

TEST(Pinning, ManyPipelinedLinesComeBackInOrderThroughOneHandler) {
  // The inline path (reply, write, drain and the next readline handled
  // within one activation, flushed together) keeps every byte in order.
  runtime rt;
  auto& sys = rt.system();
  auto srv = value_of(start_server(sys, echo_lines_handler, "127.0.0.1", 0).get(io_wait));
  auto conn = value_of(
    open_connection(sys, "127.0.0.1", srv.port()).get(io_wait));
  bytes all;
  for (int i = 0; i < 5000; ++i)
    all += "line " + std::to_string(i) + " " + std::string(i % 97, 'x') + "\n";
  conn.writer.write(all);
  conn.writer.write_eof();
  auto echoed = testing::read_n(conn.reader, all.size());
  EXPECT_EQ(echoed.size(), all.size());
  EXPECT_EQ(testing::first_difference(echoed, all), bytes::npos);
  EXPECT_EQ(value_of(conn.reader.read(-1).get(io_wait)), "");
}

} // namespace
} // namespace actorstreams
