#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include <caf/execution_unit.hpp>
#include <caf/fwd.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>

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

  /// The unit whose pinned actor the calling thread runs right now, or
  /// nullptr (a plain thread, a scheduler worker, an I/O thread between
  /// actors).
  static io_unit* current() noexcept {
    return current_ref();
  }

  /// Sets `current()` for a scope.
  class scope {
  public:
    explicit scope(io_unit* unit) noexcept : prev_(current_ref()) {
      current_ref() = unit;
    }
    ~scope() {
      current_ref() = prev_;
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

  private:
    io_unit* prev_;
  };

  /// Flushes `transport` once the actors of this thread have handled what
  /// is queued for them (or after `max_flush_rounds` rounds): the writes of
  /// many activations (a handler answering 16 pipelined lines one readline
  /// at a time) leave in one gathered write instead of one each. Call on
  /// this unit's thread.
  void flush_later(net::transport_ptr transport);

  /// How often a deferred flush lets queued actors run first, at most.
  static constexpr int max_flush_rounds = 8;

private:
  static io_unit*& current_ref() noexcept {
    static thread_local io_unit* unit = nullptr;
    return unit;
  }

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

/// A one-way message to `dest` from whatever code runs now, as
/// `caf::anon_send`, except that inside a pinned actor it goes out with that
/// actor's unit: an idle actor pinned to the same thread then handles it at
/// once (actors/pinned_actor.hpp) instead of being woken up later. The
/// handles' one-way calls (stream_writer::write, ...) send this way.
template <class Handle, class... Ts>
void tell(const Handle& dest, Ts&&... xs) {
  if (!dest)
    return;
  dest->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                          std::forward<Ts>(xs)...),
                io_unit::current());
}

} // namespace actorstreams
