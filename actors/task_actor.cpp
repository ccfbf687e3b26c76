#include "actors/task_actor.hpp"

#include <algorithm>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>

#include "actors/io_module.hpp"
#include "actors/messages.hpp"
#include "actors/thread_logger_guard.hpp"

namespace actorstreams {

task_actor::task_actor(caf::actor_config& cfg, std::unique_ptr<task_root> root)
  : super(cfg), root_(std::move(root)) {
  // nop
}

task_actor::~task_actor() {
  // nop
}

caf::behavior task_actor::make_behavior() {
  // The task starts at once, as asyncio's create_task runs it at the next
  // turn of the loop; it may even finish before it awaits anything.
  starting_ = true;
  root_->start(*this);
  starting_ = false;
  if (finished_ && held_.empty()) {
    quit(std::move(exit_reason_));
    return {};
  }
  return {
    [this](wake_atom, uint64_t token) {
      auto i = sleepers_.find(token);
      if (i == sleepers_.end())
        return; // its sleeper was cancelled meanwhile
      auto h = i->second;
      sleepers_.erase(i);
      h.resume();
    },
  };
}

void task_actor::on_exit() {
  // Destroying the coroutines runs their awaiters' destructors, here, in
  // the actor's context: each abandoned read is cancelled at its
  // connection (from this actor, the requester it knows).
  root_.reset();
  sleepers_.clear();
}

uint64_t task_actor::wake_after(caf::timespan delay,
                                std::coroutine_handle<> h) {
  auto token = ++next_token_;
  sleepers_.emplace(token, h);
  delayed_send(caf::actor_cast<caf::actor>(this),
               delay < caf::timespan::zero() ? caf::timespan::zero() : delay,
               wake_atom_v, token);
  return token;
}

void task_actor::cancel_wake(uint64_t token) noexcept {
  sleepers_.erase(token);
}

void task_actor::finish(caf::error reason) {
  finished_ = true;
  exit_reason_ = std::move(reason);
  // make_behavior quits once the root is started; held reads: release().
  if (!starting_ && held_.empty())
    quit(std::move(exit_reason_));
}

void task_actor::hold(const caf::actor& conn) {
  for (auto& h : held_) {
    if (h.conn == conn) {
      ++h.reads;
      return;
    }
  }
  held_.push_back(held_connection{conn, 1, {}});
}

void task_actor::release(const caf::actor& conn) {
  auto i = std::find_if(held_.begin(), held_.end(),
                        [&](const held_connection& h) { return h.conn == conn; });
  if (i == held_.end() || --i->reads > 0)
    return;
  auto deferred = std::move(i->deferred);
  held_.erase(i);
  for (auto& send : deferred)
    send();
  if (finished_ && held_.empty() && !starting_)
    quit(std::move(exit_reason_));
}

bool task_actor::holds(const caf::actor& conn) const noexcept {
  return std::any_of(held_.begin(), held_.end(),
                     [&](const held_connection& h) { return h.conn == conn; });
}

void task_actor::defer(const caf::actor& conn, std::function<void()> send) {
  for (auto& h : held_) {
    if (h.conn == conn) {
      h.deferred.push_back(std::move(send));
      return;
    }
  }
  send(); // not held (any more)
}

caf::actor spawn_task_actor(caf::actor_system& sys,
                            std::unique_ptr<task_root> root,
                            caf::execution_unit* host, bool hidden) {
  thread_logger_guard unpin; // called from user threads and actors alike
  caf::actor_config cfg{host};
  auto hdl = hidden
               ? sys.spawn_class<task_actor, caf::hidden>(cfg, std::move(root))
               : sys.spawn_class<task_actor, caf::no_spawn_options>(cfg,
                                                                std::move(root));
  if (auto mod = io_module::try_of(sys))
    mod->track(caf::actor_cast<caf::strong_actor_ptr>(hdl));
  return hdl;
}

} // namespace actorstreams
