#include "streams/runtime.hpp"

// Tier 4: the runtime's lifecycle with real sockets: shutdown with open
// connections, and more than one I/O thread.

#include <condition_variable>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>
#include <memory>
#include <vector>

#include "actors/io_module.hpp"
#include "net_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::echo_lines;
using testing::connection_slot;
using testing::io_wait;
using testing::raw_fd;
using testing::value_of;

/// Ends the process with a message if it is still alive after `limit`: a
/// hang should fail loudly well before ctest's timeout (120 s). Uses no CAF,
/// so it cannot hold up the actor system it watches.
class watchdog {
public:
  explicit watchdog(const char* what, std::chrono::seconds limit = 60s)
    : thread_([this, what, limit] {
        std::unique_lock guard{mtx_};
        if (!cv_.wait_for(guard, limit, [this] { return done_; })) {
          std::cerr << "FATAL: " << what << " did not return within "
                    << limit.count() << " s" << std::endl;
          std::_Exit(1);
        }
      }) {
    // nop
  }

  ~watchdog() {
    {
      std::lock_guard guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};


TEST(Runtime, DestroyingItWithAServerAndOpenConnectionsClosesEverySocket) {
  // Holds the server's port (bound, not listening) beyond the runtime, so
  // that no other process can listen there when the server is gone; the
  // server shares it with reuse_port.
  auto holder = testing::raw_tcp_port_holder();
  ASSERT_TRUE(holder);
  server_options shared_port;
  shared_port.reuse_port = true;
  const auto baseline = testing::open_fd_count();
  testing::temp_dir dir;
  auto unix_path = dir.file("runtime.sock");
  // Handles that outlive the runtime: its destructor must not wait for them.
  server srv;
  server unix_srv;
  std::vector<connection> clients;
  std::vector<connection> accepted;
  raw_fd raw;
  auto pending_read = std::make_shared<std::promise<caf::error>>();
  auto pending_read_result = pending_read->get_future();
  {
    auto rt = std::make_unique<runtime>();
    auto& sys = rt->system();
    auto slot = std::make_shared<connection_slot>();
    srv = value_of(start_server(sys, connection_slot::handler(slot),
                                "127.0.0.1", testing::local_port(holder.get()),
                                shared_port)
                     .get(io_wait));
    unix_srv = value_of(
      start_unix_server(sys, connection_slot::handler(slot), unix_path)
        .get(io_wait));
    for (int i = 0; i < 3; ++i) {
      clients.push_back(value_of(
        open_connection(sys, "127.0.0.1", srv.port()).get(io_wait)));
      auto peer = slot->take();
      ASSERT_TRUE(peer);
      accepted.push_back(*peer);
    }
    clients.push_back(
      value_of(open_unix_connection(sys, unix_path).get(io_wait)));
    auto unix_peer = slot->take();
    ASSERT_TRUE(unix_peer);
    accepted.push_back(*unix_peer);
    // A raw client with unread data on both sides.
    raw = testing::raw_tcp_connect(srv.port());
    ASSERT_TRUE(raw) << std::strerror(errno);
    auto raw_peer = slot->take();
    ASSERT_TRUE(raw_peer);
    ASSERT_EQ(::send(raw.get(), "unread", 6, MSG_NOSIGNAL), 6);
    // A read that waits on the first accepted connection, from an actor.
    auto sent = std::make_shared<std::promise<void>>();
    auto sent_future = sent->get_future();
    sys.spawn([reader = accepted[0].reader, sent, shared = pending_read](
                caf::event_based_actor* self) -> caf::behavior {
      reader.read(10).then(
        self,
        [self, shared](bytes data) {
          shared->set_value(make_error(stream_errc::invalid_argument,
                                       "unexpected data: " + data));
          self->quit();
        },
        [self, shared](caf::error err) {
          shared->set_value(std::move(err));
          self->quit();
        });
      sent->set_value();
      return {};
    });
    ASSERT_EQ(sent_future.wait_for(io_wait), std::future_status::ready);
    // Queued behind the read in the same mailbox: once this replies, the
    // read is waiting.
    EXPECT_FALSE(value_of(accepted[0].reader.at_eof().get(io_wait)));
    ASSERT_EQ(pending_read_result.wait_for(0s), std::future_status::timeout)
      << "the read should wait for data";
    EXPECT_TRUE(testing::exists_path(unix_path));
    // Two listeners, four clients, five accepted, the raw client: all open.
    EXPECT_GE(testing::open_fd_count(), baseline + 12);
    watchdog bound{"destroying the runtime"};
    rt.reset();
  }
  // The waiting read failed with closed.
  ASSERT_EQ(pending_read_result.wait_for(0s), std::future_status::ready);
  auto err = pending_read_result.get();
  EXPECT_EQ(code_of(err), stream_errc::closed) << describe(err);
  // The raw client sees its connection end.
  auto end = testing::raw_wait_end(raw.get());
  EXPECT_TRUE(end == "eof" || end == "reset") << end;
  raw.reset();
  // The listening sockets are gone too, the Unix one with its file (the
  // holder still keeps the port from anyone else).
  errno = 0;
  EXPECT_FALSE(testing::raw_tcp_connect(srv.port()));
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_FALSE(testing::exists_path(unix_path));
  EXPECT_EQ(testing::open_fd_count(), baseline);
  // Dropping the handles after the runtime is gone is harmless.
  clients.clear();
  accepted.clear();
  srv = server{};
  unix_srv = server{};
  EXPECT_EQ(testing::open_fd_count(), baseline);
}

TEST(Runtime, DestroyingItReturnsWhileAThreadThatAwaitedRequestsLivesOn) {
  // CAF 0.17 pins a system's logger to each thread that spawns there, and
  // ~actor_system waits for every pin to go: get(), open_connection and
  // make_stream_reader on a thread that outlives the runtime must not pin.
  std::mutex mtx;
  std::condition_variable cv;
  bool used = false;
  bool release = false;
  std::string seen;
  auto rt = std::make_unique<runtime>();
  auto slot = std::make_shared<connection_slot>();
  auto srv = value_of(start_server(rt->system(), connection_slot::handler(slot),
                                   "127.0.0.1", 0)
                        .get(io_wait));
  std::thread user([&] {
    auto& sys = rt->system();
    auto reader = make_stream_reader(sys);
    reader.feed_data("fed\n");
    auto line = reader.readline().get(io_wait);
    auto conn = open_connection(sys, "127.0.0.1", srv.port()).get(io_wait);
    auto pair = make_memory_pair(sys);
    pair.first.writer.write("paired\n");
    auto paired = pair.second.reader.readline().get(io_wait);
    std::unique_lock guard{mtx};
    seen = (line ? *line : describe(line.error()))
           + (conn ? "connected\n" : describe(conn.error()))
           + (paired ? *paired : describe(paired.error()));
    used = true;
    cv.notify_all();
    // Lives on, idle, until the runtime is gone.
    cv.wait(guard, [&] { return release; });
  });
  {
    std::unique_lock guard{mtx};
    cv.wait(guard, [&] { return used; });
  }
  EXPECT_EQ(seen, "fed\nconnected\npaired\n");
  {
    watchdog bound{"destroying the runtime while a user thread lives"};
    rt.reset();
  }
  {
    std::lock_guard guard{mtx};
    release = true;
  }
  cv.notify_all();
  user.join();
}

/// A thread that spawns an actor with CAF itself, then lives on, idle,
/// until `end()`; `release` makes it call release_thread() after spawning.
class spawning_thread {
public:
  spawning_thread(caf::actor_system& sys, bool release) {
    thread_ = std::thread{[this, &sys, release] {
      auto worker = sys.spawn([](caf::event_based_actor* self) {
        self->quit();
      });
      worker = nullptr;
      if (release)
        release_thread();
      std::unique_lock guard{mtx_};
      spawned_ = true;
      cv_.notify_all();
      cv_.wait(guard, [this] { return end_; });
    }};
    std::unique_lock guard{mtx_};
    cv_.wait(guard, [this] { return spawned_; });
  }

  void end() {
    {
      std::lock_guard guard{mtx_};
      end_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

  ~spawning_thread() {
    end();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool spawned_ = false;
  bool end_ = false;
  std::thread thread_;
};

TEST(Runtime, AThreadThatSpawnedAndCalledReleaseThreadDoesNotHoldUpItsEnd) {
  auto rt = std::make_unique<runtime>();
  spawning_thread user{rt->system(), true};
  {
    watchdog bound{"destroying the runtime while a released thread lives"};
    rt.reset();
  }
  user.end();
}

/// Destroys a runtime on a thread of its own; `done` is ready once it is
/// gone.
struct destroyer {
  explicit destroyer(std::unique_ptr<runtime> rt)
    : done(gone.get_future()), thread([this, rt = std::move(rt)]() mutable {
        rt.reset();
        gone.set_value();
      }) {
    // nop
  }

  void join() { thread.join(); }

  std::promise<void> gone;
  std::future<void> done;
  std::thread thread;
};

TEST(Runtime, DestroyingItWhileASpawningThreadLivesOnSaysWhatItWaitsFor) {
  // CAF 0.17 cannot end the system before that thread: the runtime cannot
  // fix it, so it says so, loudly, and ends once the thread is gone.
  config cfg;
  cfg.set("actorstreams.shutdown-warning",
          caf::timespan{std::chrono::milliseconds{100}});
  auto rt = std::make_unique<runtime>(std::move(cfg));
  spawning_thread user{rt->system(), false};
  ::testing::internal::CaptureStderr();
  destroyer destroying{std::move(rt)};
  // Still waiting well after the warning.
  EXPECT_EQ(destroying.done.wait_for(1s), std::future_status::timeout);
  user.end();
  EXPECT_EQ(destroying.done.wait_for(io_wait), std::future_status::ready);
  destroying.join();
  auto said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("destroying the runtime has waited 100 ms"),
            std::string::npos) << said;
  EXPECT_NE(said.find("a thread of yours that called sys.spawn"),
            std::string::npos) << said;
  EXPECT_NE(said.find("actorstreams::release_thread()"), std::string::npos)
    << said;
}

TEST(Runtime, ARuntimeMadeOnOneThreadIsDestroyedOnAnotherWhileTheFirstLivesOn) {
  // CAF's constructor pins the logger to the constructing thread; the
  // runtime must not wait for that thread when destroyed elsewhere.
  auto rt = std::make_unique<runtime>();
  auto reader = make_stream_reader(rt->system());
  destroyer destroying{std::move(rt)};
  EXPECT_EQ(destroying.done.wait_for(io_wait), std::future_status::ready);
  if (destroying.done.wait_for(0s) != std::future_status::ready)
    release_thread(); // so that the destroyer ends and the test can report
  destroying.join();
}

TEST(Runtime, ARuntimeThatEndsPromptlySaysNothing) {
  config cfg;
  cfg.set("actorstreams.shutdown-warning",
          caf::timespan{std::chrono::milliseconds{500}});
  auto rt = std::make_unique<runtime>(std::move(cfg));
  auto reader = make_stream_reader(rt->system());
  ::testing::internal::CaptureStderr();
  rt.reset();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(Runtime, ARuntimeWithTwoIoThreadsServesConcurrentClients) {
  config cfg;
  cfg.io_threads(2);
  runtime rt{std::move(cfg)};
  auto& sys = rt.system();
  auto mod = io_module::try_of(sys);
  ASSERT_NE(mod, nullptr);
  EXPECT_EQ(mod->io().size(), 2u);
  auto srv = value_of(
    start_server(sys, echo_lines, "127.0.0.1", 0).get(io_wait));
  constexpr int clients = 8;
  constexpr int lines = 200;
  std::vector<std::future<std::string>> results;
  for (int c = 0; c < clients; ++c)
    results.push_back(std::async(std::launch::async, [&sys, &srv, c] {
      auto conn = open_connection(sys, "127.0.0.1", srv.port()).get(io_wait);
      if (!conn)
        return "connect: " + describe(conn.error());
      bytes expected;
      for (int i = 0; i < lines; ++i) {
        auto line = "client " + std::to_string(c) + " line "
                    + std::to_string(i) + "\n";
        expected += line;
        conn->writer.write(line);
      }
      conn->writer.write_eof();
      auto echoed = conn->reader.read().get(testing::bulk_wait);
      if (!echoed)
        return "read: " + describe(echoed.error());
      return *echoed == expected ? std::string{"ok"}
                                 : "mismatch: " + echoed->substr(0, 80);
    }));
  for (auto& result : results)
    EXPECT_EQ(result.get(), "ok");
  srv.close();
  EXPECT_TRUE(srv.wait_closed().get(io_wait));
}

} // namespace
} // namespace actorstreams
