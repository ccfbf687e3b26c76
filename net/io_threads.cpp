#include "net/io_threads.hpp"

#include <chrono>
#include <csignal>

#include "net/internal/io.hpp"

namespace actorstreams::net {

io_threads::io_threads() : impl_(std::make_unique<impl>()) {
  // A peer that goes away must surface as an error, never kill the process:
  // sockets send with MSG_NOSIGNAL, but pipes have no such flag.
  std::signal(SIGPIPE, SIG_IGN);
}

io_threads::~io_threads() {
  stop();
}

void io_threads::start(std::size_t count) {
  if (!impl_->threads.empty())
    return;
  impl_->guard.emplace(impl_->context.get_executor());
  if (count == 0)
    count = 1;
  for (std::size_t i = 0; i < count; ++i)
    impl_->threads.emplace_back([ctx = &impl_->context] { ctx->run(); });
}

void io_threads::stop() {
  if (impl_->stopped.exchange(true))
    return;
  impl_->guard.reset();
  // Closes posted by exiting actors run now; anything still pending after
  // the grace period is destroyed with the context (which closes sockets).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{1};
  while (!impl_->threads.empty() && !impl_->context.stopped()
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  impl_->context.stop();
  for (auto& t : impl_->threads)
    if (t.joinable())
      t.join();
  impl_->threads.clear();
}

std::size_t io_threads::size() const noexcept {
  return impl_->threads.size();
}

} // namespace actorstreams::net
