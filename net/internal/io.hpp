#pragma once

// Asio access for net's own sources; never included by a public header.

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "net/io_threads.hpp"

namespace actorstreams::net {

struct io_threads::impl {
  asio::io_context context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
    guard;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
};

inline asio::io_context& context_of(io_threads& io) {
  return io.internal().context;
}

} // namespace actorstreams::net
