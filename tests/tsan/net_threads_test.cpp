// Threaded tests of the layers ThreadSanitizer can judge (make test-tsan):
// the Asio transports and the in-memory transport, driven by real threads
// without CAF (Debian's CAF is not instrumented, so a data race inside it, or
// through it, would go unseen or be misreported). Each test also passes
// without TSan; under it, a race is a failure. docs/reliability.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/post.hpp>
#include <gtest/gtest.h>

#include "net/internal/io.hpp"
#include "net/io_threads.hpp"
#include "net/memory_transport.hpp"
#include "net/sockets.hpp"
#include "net/transport.hpp"
#include "streams/reader_model.hpp"
#include "streams/testing_gtest.hpp"

namespace actorstreams::net {
namespace {

using namespace std::chrono_literals;

/// `n` bytes of a pattern that exposes shifted or repeated pieces.
bytes pattern(std::size_t n, unsigned seed) {
  bytes out(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<char>((i * 7 + seed * 31 + i / 251) % 256);
  return out;
}

/// A protocol that keeps what arrives and lets a test thread wait for a
/// condition on it. It returns the read credit inside `data_received` (an
/// I/O thread's transport allows that), or, for a transport that reports
/// under its lock, hands it to `return_credit`, run by a thread of its own.
class recorder : public protocol {
public:
  explicit recorder(bool inline_credit = true) : inline_credit_(inline_credit) {
    // nop
  }

  void bind(transport_ptr tr) {
    std::lock_guard guard{mtx_};
    tr_ = std::move(tr);
  }

  void connection_made() override { update([this] { made_ = true; }); }

  void data_received(bytes data) override {
    auto n = data.size();
    transport_ptr tr;
    update([&] {
      received_ += data;
      if (inline_credit_)
        tr = tr_;
      else
        credit_ += n;
    });
    if (tr)
      tr->consumed(n);
  }

  /// Returns the credit `data_received` kept, from the calling thread,
  /// until the transport is lost.
  void return_credit() {
    for (;;) {
      std::size_t n = 0;
      transport_ptr tr;
      {
        std::unique_lock guard{mtx_};
        cv_.wait(guard, [this] { return credit_ > 0 || lost_; });
        if (lost_)
          return;
        n = std::exchange(credit_, 0);
        tr = tr_;
      }
      if (tr)
        tr->consumed(n);
    }
  }

  void eof_received() override { update([this] { eof_ = true; }); }

  void resume_writing() override { update([this] { ++resumed_; }); }

  void connection_lost(caf::error reason) override {
    update([&] {
      lost_ = true;
      reason_ = std::move(reason);
      tr_ = nullptr;
    });
  }

  template <class Pred>
  bool wait(Pred pred, std::chrono::seconds timeout = 20s) {
    std::unique_lock guard{mtx_};
    return cv_.wait_for(guard, timeout, [&] { return pred(*this); });
  }

  bytes received() {
    std::lock_guard guard{mtx_};
    return received_;
  }

  // Read under the lock, by `wait` predicates.
  bool made_ = false;
  bool eof_ = false;
  bool lost_ = false;
  int resumed_ = 0;
  caf::error reason_;
  bytes received_;

private:
  template <class F>
  void update(F f) {
    {
      std::lock_guard guard{mtx_};
      f();
    }
    cv_.notify_all();
  }

  const bool inline_credit_;
  std::mutex mtx_;
  std::condition_variable cv_;
  transport_ptr tr_;
  std::size_t credit_ = 0;
};

// -- the reader core: one buffer per actor, so no state may be shared -------------

TEST(ReaderCoreThreads, BuffersOnManyThreadsAgreeWithTheModel) {
  // Each thread runs its own operation sequences against the model at the
  // same time: static state shared between buffers (a cache, the separator
  // tables) would be a race.
  std::vector<std::thread> threads;
  std::atomic<int> differences{0};
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([t, &differences] {
      for (unsigned seed = 1; seed <= 40; ++seed) {
        std::string input(300, '\0');
        unsigned x = seed * 2654435761u + t;
        for (auto& c : input) {
          x = x * 1103515245u + 12345u;
          c = static_cast<char>(x >> 16);
        }
        if (auto diff = model::check_reader_ops(input)) {
          ADD_FAILURE() << "thread " << t << ", seed " << seed << ": " << *diff;
          ++differences;
          return;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(differences.load(), 0);
}

// -- the in-memory transport: thread-safe, any thread drives it ---------------------

TEST(MemoryTransportThreads, TwoWritersTwoReadersAndACloseRacingThem) {
  constexpr std::size_t total = 4 << 20;
  constexpr std::size_t piece = 4096;
  memory_options opts;
  opts.chunk = 1000;
  auto [a, b] = make_memory_transports(opts);
  // It reports under its lock: credit goes back from other threads.
  auto ra = std::make_shared<recorder>(false);
  auto rb = std::make_shared<recorder>(false);
  ra->bind(a);
  rb->bind(b);
  a->start(ra);
  b->start(rb);
  std::thread credit_a{[ra = ra] { ra->return_credit(); }};
  std::thread credit_b{[rb = rb] { rb->return_credit(); }};
  auto writer = [](transport_ptr tr, unsigned seed) {
    auto data = pattern(total, seed);
    for (std::size_t off = 0; off < total; off += piece)
      tr->write(data.substr(off, piece));
    tr->write_eof();
  };
  std::thread ta{writer, a, 1};
  std::thread tb{writer, b, 2};
  ta.join();
  tb.join();
  EXPECT_TRUE(rb->wait([](recorder& r) { return r.eof_; }));
  EXPECT_TRUE(ra->wait([](recorder& r) { return r.eof_; }));
  EXPECT_TRUE(rb->received() == pattern(total, 1)) << "a -> b differs";
  EXPECT_TRUE(ra->received() == pattern(total, 2)) << "b -> a differs";
  // Closing both ends from two threads at once.
  std::thread ca{[a = a] { a->close(); }};
  std::thread cb{[b = b] { b->abort(); }};
  ca.join();
  cb.join();
  EXPECT_TRUE(ra->wait([](recorder& r) { return r.lost_; }));
  EXPECT_TRUE(rb->wait([](recorder& r) { return r.lost_; }));
  credit_a.join();
  credit_b.join();
}

// -- the socket transports: each lives on its I/O thread ----------------------------

/// Runs `f` on the I/O thread of `tr` (where its members must be called)
/// and waits for it.
template <class F>
void on_thread_of(io_threads& io, const transport_ptr& tr, F f) {
  std::promise<void> done;
  asio::post(context_of(io, tr->affinity()), [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

class SocketThreads : public ::testing::Test {
protected:
  void SetUp() override { io.start(2); }
  void TearDown() override { io.stop(); }

  /// A connected, started pair over 127.0.0.1: the accepted end, bound to
  /// `rs`, and the client end, bound to `rc` (a client connects on start).
  std::pair<transport_ptr, transport_ptr>
  connected_pair(const std::shared_ptr<recorder>& rs,
                 const std::shared_ptr<recorder>& rc) {
    std::promise<transport_ptr> accepted;
    std::promise<uint16_t> bound;
    listener_ptr lst = make_tcp_listener(io, "127.0.0.1", 0, {});
    auto once = std::make_shared<std::atomic<bool>>(false);
    lst->open(
      [&bound](caf::expected<listen_result> res) {
        bound.set_value(res ? res->port : 0);
      },
      [&accepted, once](transport_ptr tr) {
        if (!once->exchange(true))
          accepted.set_value(std::move(tr));
      });
    auto port = bound.get_future().get();
    EXPECT_NE(port, 0);
    auto client = make_tcp_client(io, "127.0.0.1", port, {}, {});
    rc->bind(client);
    on_thread_of(io, client, [&] { client->start(rc); });
    auto server = accepted.get_future().get();
    rs->bind(server);
    on_thread_of(io, server, [&] { server->start(rs); });
    std::promise<void> closed;
    lst->close([&closed] { closed.set_value(); });
    closed.get_future().wait();
    EXPECT_TRUE(rc->wait([](recorder& r) { return r.made_ || r.lost_; }));
    EXPECT_TRUE(rs->wait([](recorder& r) { return r.made_ || r.lost_; }));
    return {server, client};
  }

  io_threads io;
};

TEST_F(SocketThreads, BulkBothWaysWhileTheOtherThreadWrites) {
  auto rs = std::make_shared<recorder>();
  auto rc = std::make_shared<recorder>();
  auto [server, client] = connected_pair(rs, rc);
  ASSERT_TRUE(rc->made_ && rs->made_);
  constexpr std::size_t total = 8 << 20;
  constexpr std::size_t piece = 64 * 1024;
  // Each side writes from its own I/O thread, posted from two test
  // threads at once: the two I/O threads run both transports' hot paths
  // concurrently.
  auto feed = [&](transport_ptr tr, unsigned seed) {
    auto data = pattern(total, seed);
    for (std::size_t off = 0; off < total; off += piece) {
      on_thread_of(io, tr, [&] {
        tr->write(data.substr(off, piece));
        tr->flush();
      });
    }
    on_thread_of(io, tr, [&] { tr->write_eof(); });
  };
  std::thread t1{feed, server, 3};
  std::thread t2{feed, client, 4};
  t1.join();
  t2.join();
  ASSERT_TRUE(rc->wait([](recorder& r) { return r.eof_ || r.lost_; }, 60s));
  ASSERT_TRUE(rs->wait([](recorder& r) { return r.eof_ || r.lost_; }, 60s));
  EXPECT_TRUE(rc->received() == pattern(total, 3)) << "server -> client";
  EXPECT_TRUE(rs->received() == pattern(total, 4)) << "client -> server";
  on_thread_of(io, server, [server = server] { server->close(); });
  on_thread_of(io, client, [client = client] { client->close(); });
  EXPECT_TRUE(rs->wait([](recorder& r) { return r.lost_; }));
  EXPECT_TRUE(rc->wait([](recorder& r) { return r.lost_; }));
}

TEST_F(SocketThreads, CloseAndAbortFromForeignThreadsWhileDataFlows) {
  for (int round = 0; round < 20; ++round) {
    auto rs = std::make_shared<recorder>();
    auto rc = std::make_shared<recorder>();
    auto [server, client] = connected_pair(rs, rc);
    std::atomic<bool> stop{false};
    std::thread pump{[&, server = server] {
      while (!stop) {
        on_thread_of(io, server, [&] {
          server->write(pattern(16 * 1024, 5));
          server->flush();
        });
      }
    }};
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 5));
    // The documented exception: close and abort from any thread.
    std::thread closer{[client = client, round] {
      if (round % 2 == 0)
        client->abort();
      else
        client->close();
    }};
    closer.join();
    EXPECT_TRUE(rc->wait([](recorder& r) { return r.lost_; }));
    stop = true;
    pump.join();
    on_thread_of(io, server, [server = server] { server->abort(); });
    EXPECT_TRUE(rs->wait([](recorder& r) { return r.lost_; }));
  }
}

TEST(IoThreads, StartAndStopRaceWithPostedWork) {
  for (int round = 0; round < 50; ++round) {
    io_threads io;
    io.start(2);
    std::atomic<int> ran{0};
    std::thread poster{[&] {
      for (int i = 0; i < 100; ++i)
        asio::post(context_of(io, static_cast<std::size_t>(i % 2)),
                   [&] { ++ran; });
    }};
    poster.join();
    io.stop();
    EXPECT_LE(ran.load(), 100);
  }
}

} // namespace
} // namespace actorstreams::net
