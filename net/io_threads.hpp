#pragma once

#include <cstddef>
#include <memory>
#include <optional>

namespace actorstreams::net {

/// The Asio I/O threads: one `io_context` per thread, each run by exactly
/// one thread.
///
/// One context per thread (not one context shared by all threads) is what
/// makes a connection single-threaded without a strand or a lock: its
/// socket, its transport and its connection actor all live on one thread
/// (actors/pinned_actor.hpp). Connections are spread over the threads;
/// nothing on the hot path is shared between them.
///
/// Owned by the actor system's I/O module (actors/io_module.hpp), started and
/// stopped with the system. Opaque here so that no public header includes
/// Asio; net's own sources reach the contexts through net/internal/io.hpp.
class io_threads {
public:
  struct impl;

  io_threads();
  ~io_threads();

  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  /// Creates `count` contexts (at least one) and starts one thread for each.
  /// Idempotent.
  void start(std::size_t count);

  /// Lets queued handlers finish for at most a short grace period, then
  /// stops the contexts and joins the threads. Idempotent.
  void stop();

  /// Number of threads (and contexts).
  std::size_t size() const noexcept;

  /// The index of the calling thread if it is one of these, or none.
  std::optional<std::size_t> this_thread_index() const noexcept;

  /// Where a new connection should live: the calling thread if it is one
  /// of these (a connection opened by a pinned actor stays next to it),
  /// otherwise the next thread in turn.
  std::size_t pick() noexcept;

  impl& internal() noexcept { return *impl_; }

private:
  std::unique_ptr<impl> impl_;
};

} // namespace actorstreams::net
