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
/// A pinned actor must never block: a blocking call would stall every
/// socket of its thread.
///
/// `Base` is any CAF scheduled actor type: `caf::event_based_actor`, a
/// `caf::typed_event_based_actor<...>`, or a class derived from them.
template <class Base>
class pinned_actor : public Base {
public:
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
    return host_ != nullptr && !active_ && host_->on_thread()
           && this->getf(caf::abstract_actor::is_initialized_flag)
           && !this->getf(caf::abstract_actor::is_terminated_flag);
  }

  /// Runs `f` as part of this actor (see can_run_inline), then ends the
  /// activation as a message would (`on_activation_end`).
  template <class F>
  void run_inline(F&& f) {
    active_ = true;
    this->context(host_);
    std::forward<F>(f)();
    if (!this->getf(caf::abstract_actor::is_terminated_flag))
      on_activation_end();
    active_ = false;
  }

  // -- caf::resumable and caf::abstract_actor --------------------------------

  caf::resumable::subtype_t subtype() const override {
    return host_ ? caf::resumable::io_actor : Base::subtype();
  }

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
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
  io_unit* host_;
  bool active_ = false;
};

} // namespace actorstreams
