#include "net/io_threads.hpp"

#include <chrono>
#include <csignal>

#include "net/internal/io.hpp"

namespace actorstreams::net {

namespace {

/// Which io_threads (and which of its threads) the calling thread runs.
struct thread_identity {
  const io_threads* owner = nullptr;
  std::size_t index = 0;
};

thread_local thread_identity current_thread;

} // namespace

io_threads::io_threads() : impl_(std::make_unique<impl>()) {
  // A peer that goes away must surface as an error, never kill the process:
  // sockets send with MSG_NOSIGNAL, but pipes have no such flag.
  std::signal(SIGPIPE, SIG_IGN);
}

io_threads::~io_threads() {
  stop();
}

void io_threads::start(std::size_t count) {
  if (impl_->started.exchange(true))
    return;
  if (count == 0)
    count = 1;
  // Every context exists before any thread runs: transports may be made
  // for any index as soon as start returns.
  for (std::size_t i = 0; i < count; ++i) {
    auto w = std::make_unique<io_worker>();
    w->guard.emplace(w->context.get_executor());
    impl_->workers.push_back(std::move(w));
  }
  for (std::size_t i = 0; i < count; ++i) {
    auto* w = impl_->workers[i].get();
    w->thread = std::thread{[this, w, i] {
      current_thread = thread_identity{this, i};
      w->context.run();
      current_thread = thread_identity{};
    }};
  }
}

void io_threads::stop() {
  if (impl_->stopped.exchange(true))
    return;
  for (auto& w : impl_->workers)
    w->guard.reset();
  // Closes posted by exiting actors run now; anything still pending after
  // the grace period is destroyed with the contexts (which closes sockets).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{1};
  for (auto& w : impl_->workers)
    while (w->thread.joinable() && !w->context.stopped()
           && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
  for (auto& w : impl_->workers)
    w->context.stop();
  for (auto& w : impl_->workers)
    if (w->thread.joinable())
      w->thread.join();
}

std::size_t io_threads::size() const noexcept {
  return impl_->workers.size();
}

std::optional<std::size_t> io_threads::this_thread_index() const noexcept {
  if (current_thread.owner != this)
    return std::nullopt;
  return current_thread.index;
}

std::size_t io_threads::pick() noexcept {
  if (auto here = this_thread_index())
    return *here;
  auto n = size();
  if (n <= 1)
    return 0;
  return impl_->next.fetch_add(1, std::memory_order_relaxed) % n;
}

} // namespace actorstreams::net
