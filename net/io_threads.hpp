#pragma once

#include <cstddef>
#include <memory>

namespace actorstreams::net {

/// The Asio `io_context` and the threads that run it.
///
/// Owned by the actor system's I/O module (actors/io_module.hpp), started and
/// stopped with the system. Opaque here so that no public header includes
/// Asio; net's own sources reach the context through net/internal/io.hpp.
class io_threads {
public:
  struct impl;

  io_threads();
  ~io_threads();

  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  /// Starts `count` threads (at least one) running the context.
  void start(std::size_t count);

  /// Lets queued handlers finish for at most a short grace period, then
  /// stops the context and joins the threads. Idempotent.
  void stop();

  /// Number of running threads.
  std::size_t size() const noexcept;

  impl& internal() noexcept { return *impl_; }

private:
  std::unique_ptr<impl> impl_;
};

} // namespace actorstreams::net
