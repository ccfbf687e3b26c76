#pragma once

// Asio access for net's own sources (and the execution units of actors/);
// never included by a public header.

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "net/io_threads.hpp"

namespace actorstreams::net {

/// One I/O thread and the context only it runs.
struct io_worker {
  // A concurrency hint of 1: Asio may skip locking for handlers posted from
  // the thread itself, the common case here.
  asio::io_context context{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
    guard;
  std::thread thread;
};

struct io_threads::impl {
  std::vector<std::unique_ptr<io_worker>> workers;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
};

/// The context of thread `index` (see io_threads::pick).
inline asio::io_context& context_of(io_threads& io, std::size_t index) {
  return io.internal().workers.at(index)->context;
}

} // namespace actorstreams::net
