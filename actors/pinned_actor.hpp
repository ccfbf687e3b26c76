#pragma once

#include <cstddef>
#include <utility>

#include <caf/abstract_actor.hpp>
#include <caf/actor_config.hpp>
#include <caf/execution_unit.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/resumable.hpp>

#include "actors/io_unit.hpp"

namespace actorstreams {

/// An actor that runs on one I/O thread (its `io_unit`, given as the
/// `host` of its `caf::actor_config`), as CAF's brokers run on their
/// multiplexer: every message it receives is handled on that thread, so it
/// may own that thread's Asio objects and a message between two actors on
/// the same thread costs no thread hand-off. Spawned with no `io_unit` as
/// host, it is an ordinary actor of CAF's scheduler.
///
/// Messages between actors of one thread skip the queue: a message to an
/// idle pinned actor sent by another actor of the same unit is handled at
/// once, inside the send, as CAF would
/// handle it on its next activation. Nothing can tell the difference except
/// the clock: the receiver's mailbox was empty, it was not running, and its
/// messages keep their order. Nested at most `max_inline_depth` deep, so
/// that a chain of actors cannot grow the stack without bound.
///
/// A pinned actor must never block: a blocking call would stall every
/// socket of its thread.
///
/// `Base` is any CAF scheduled actor type: `caf::event_based_actor`, a
/// `caf::typed_event_based_actor<...>`, or a class derived from them.
namespace detail {

/// Inline activations in progress on the calling thread.
inline int& inline_depth() noexcept {
  static thread_local int depth = 0;
  return depth;
}

} // namespace detail

template <class Base>
class pinned_actor : public Base {
public:
  static constexpr int max_inline_depth = 4;

  explicit pinned_actor(caf::actor_config& cfg)
    : Base(cfg), host_(dynamic_cast<io_unit*>(cfg.host)) {
    // nop
  }

  /// The unit this actor runs on, or nullptr when it is not pinned.
  io_unit* host() const noexcept {
    return host_;
  }

  /// Whether code running now on the calling thread may call into this
  /// actor's state directly, as its own handler would: it is pinned to this
  /// thread, initialized, alive, and not in the middle of an activation (or
  /// of another direct call) that the call would re-enter.
  bool can_run_inline() const noexcept {
    return host_ != nullptr && !active_
           && detail::inline_depth() < max_inline_depth && host_->on_thread()
           && this->getf(caf::abstract_actor::is_initialized_flag)
           && !this->getf(caf::abstract_actor::is_terminated_flag);
  }

  /// Runs `f` as part of this actor (see can_run_inline), then ends the
  /// activation as a message would (`on_activation_end`).
  template <class F>
  void run_inline(F&& f) {
    // Restored on every way out, an exception included.
    struct activation {
      pinned_actor* self;
      explicit activation(pinned_actor* ptr) : self(ptr) {
        self->active_ = true;
        ++detail::inline_depth();
      }
      ~activation() {
        --detail::inline_depth();
        self->active_ = false;
      }
    } running_now{this};
    io_unit::scope running{host_};
    this->context(host_);
    std::forward<F>(f)();
    if (!this->getf(caf::abstract_actor::is_terminated_flag))
      on_activation_end();
  }

  // -- caf::resumable and caf::abstract_actor --------------------------------

  caf::resumable::subtype_t subtype() const override {
    return host_ ? caf::resumable::io_actor : Base::subtype();
  }

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    // Only from an actor of this very unit (`eu`): an anonymous send (a
    // transport event, a foreign thread) may come with locks held.
    // can_run_inline first: it checks that this is the actor's thread, where
    // its mailbox and awaited responses may be looked at.
    if (host_ && eu == host_ && can_run_inline()
        && ptr->mid.category() == caf::message_id::normal_message_category
        && this->mailbox().blocked() && this->awaited_responses_.empty()) {
      dispatch_inline(std::move(ptr));
      return;
    }
    Base::enqueue(std::move(ptr), host_ ? host_ : eu);
  }

  void launch(caf::execution_unit* eu, bool lazy, bool hide) override {
    Base::launch(host_ ? host_ : eu, lazy, hide);
  }

  caf::resumable::resume_result resume(caf::execution_unit* eu,
                                       std::size_t max_throughput) override {
    active_ = true;
    auto result = Base::resume(eu, max_throughput);
    // A terminated actor's state is gone (and its destructor flushed).
    if (result != caf::resumable::done
        && !this->getf(caf::abstract_actor::is_terminated_flag))
      on_activation_end();
    active_ = false;
    return result;
  }

protected:
  /// Runs after every activation (a batch of messages or a direct call):
  /// a connection flushes what its handlers wrote, in one gathered write.
  virtual void on_activation_end() {
    // nop
  }

private:
  /// Handles `ptr` now, as the next activation would have.
  void dispatch_inline(caf::mailbox_element_ptr ptr) {
    // The sender may hold the last reference to us.
    caf::strong_actor_ptr keep_alive{this->ctrl()};
    run_inline([&] {
      // A message the current behavior skips waits in the cache, as CAF
      // keeps it on a normal activation.
      if (this->activate(host_, *ptr) == Base::activation_result::skipped)
        this->push_to_cache(std::move(ptr));
    });
  }

  io_unit* host_;
  bool active_ = false;
};

} // namespace actorstreams
