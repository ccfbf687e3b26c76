#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include <caf/execution_unit.hpp>
#include <caf/fwd.hpp>

#include "net/transport.hpp"

namespace actorstreams::net {
class io_threads;
} // namespace actorstreams::net

namespace actorstreams {

/// A CAF execution unit for one Asio I/O thread: actors pinned to it
/// (actors/pinned_actor.hpp) run on that thread, next to their sockets, as
/// CAF's brokers run on their multiplexer (caf-asio-notes D.5).
///
/// Only pinned actors stay here: every other actor that a pinned actor
/// messages is handed to CAF's scheduler (CAF passes the sender's execution
/// unit along with each send), so user actors never land on an I/O thread
/// by accident.
class io_unit : public caf::execution_unit {
public:
  /// Messages one activation handles at most before the thread turns to its
  /// sockets again: one busy actor cannot starve the others.
  static constexpr std::size_t max_throughput = 64;

  io_unit(caf::actor_system& sys, net::io_threads& io, std::size_t index);

  /// Runs `ptr` on this unit's thread if it is a pinned actor (taking over
  /// the reference its caller added), else gives it to the scheduler.
  void exec_later(caf::resumable* ptr) override;

  /// The I/O thread (an index of `net::io_threads`) this unit runs on.
  std::size_t index() const noexcept {
    return index_;
  }

  /// Whether the calling thread is this unit's.
  bool on_thread() const noexcept;

  /// Flushes `transport` once the actors of this thread have handled what
  /// is queued for them (or after `max_flush_rounds` rounds): the writes of
  /// many activations (a handler answering 16 pipelined lines one readline
  /// at a time) leave in one gathered write instead of one each. Call on
  /// this unit's thread.
  void flush_later(net::transport_ptr transport);

  /// How often a deferred flush lets queued actors run first, at most.
  static constexpr int max_flush_rounds = 8;

private:
  void resume(caf::resumable* ptr);

  void post_flush();

  net::io_threads& io_;
  std::size_t index_;
  /// Resumes posted and not yet run (posted from any thread).
  std::atomic<std::size_t> queued_{0};
  /// Transports to flush, and the state of the flush job (this thread only).
  std::vector<net::transport_ptr> to_flush_;
  bool flush_armed_ = false;
  int flush_rounds_ = 0;
};

} // namespace actorstreams
