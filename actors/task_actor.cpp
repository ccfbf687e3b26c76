#include "actors/task_actor.hpp"

#include <algorithm>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/intrusive/task_result.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/send.hpp>
#include <caf/type_erased_tuple.hpp>

#include "actors/io_module.hpp"
#include "actors/messages.hpp"
#include "actors/thread_logger_guard.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

task_actor::task_actor(caf::actor_config& cfg, std::unique_ptr<task_root> root)
  : super(cfg), root_(std::move(root)) {
  // nop
}

task_actor::~task_actor() {
  // Torn down without on_exit (the scheduler dropped it at shutdown, or its
  // last reference went): no messages now, the connections learn of its
  // end from their monitors. Its coroutines go first, while the members
  // their awaiters reach are still alive.
  destroying_ = true;
  root_.reset();
}

caf::behavior task_actor::make_behavior() {
  // An exit cancels the task instead of dropping it on the floor: see the
  // class comment. (CAF delivers exit_reason::kill past this handler.)
  set_exit_handler([this](caf::exit_msg& msg) {
    // As CAF's default: a linked actor's normal exit is not a stop.
    if (msg.reason)
      stop(std::move(msg.reason));
  });
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
    [this](cancel_atom) {
      // The grace after the task's end is over: whatever is still held is
      // given up.
      if (finished_)
        quit(std::move(exit_reason_));
    },
  };
}

void task_actor::on_exit() {
  // Destroying the coroutines runs their awaiters' destructors, here, in
  // the actor's context: each abandoned read is cancelled at its
  // connection (from this actor, the requester it knows).
  root_.reset();
  sleepers_.clear();
  if (!held_.empty())
    give_back_mailbox();
}

void task_actor::enqueue(caf::mailbox_element_ptr ptr,
                         caf::execution_unit* eu) {
  if (!ptr->mid.is_response()) {
    super::enqueue(std::move(ptr), eu);
    return;
  }
  // An answer to a read this actor abandoned as it died must not be dropped
  // by the dead mailbox. On the actor's own thread on_exit cannot run
  // meanwhile, so a live actor takes the answer as usual. Otherwise the lock
  // keeps "alive: push" and "dead: give back" apart: on_exit sets dead_ and
  // closes the mailbox under it.
  if (host() != nullptr && host()->on_thread() && !dead_) {
    super::enqueue(std::move(ptr), eu);
    return;
  }
  std::lock_guard<std::recursive_mutex> guard{orphan_mtx_};
  if (dead_) {
    give_back_orphan(ptr->mid, ptr->content());
    return; // CAF would drop it: a response to a dead actor
  }
  // Off this actor's thread: a push (and a wake-up), never an inline call.
  super::enqueue(std::move(ptr), eu);
}

namespace {

/// Visits every element of a dying actor's mailbox (CAF's nested queues
/// prefix each element with their keys and queues, as for
/// caf::detail::sync_request_bouncer).
template <class Fn>
struct element_visitor {
  Fn& fn;

  template <class Key, class Queue, class... Ts>
  caf::intrusive::task_result operator()(const Key&, const Queue&,
                                         Ts&... xs) {
    (*this)(xs...);
    return caf::intrusive::task_result::resume;
  }

  void operator()(caf::mailbox_element& x) { fn(x); }
};

} // namespace

void task_actor::give_back_mailbox() {
  // Requests to bounce, after the lock: a bounce goes to another actor's
  // enqueue, which may take a lock of its own.
  std::vector<std::pair<caf::strong_actor_ptr, caf::message_id>> requests;
  {
    // Held throughout, so that the answers found here go back before those
    // that reach enqueue later: the connection gets them in stream order.
    std::lock_guard<std::recursive_mutex> guard{orphan_mtx_};
    dead_ = true;
    for (auto& h : held_)
      for (auto& request : h.reads)
        orphans_.emplace_back(h.conn, request);
    held_.clear();
    // From here on nothing more lands in the mailbox (enqueue gives answers
    // back itself); what is in it now is all there is to look through.
    mailbox().close();
    auto visit = [&](caf::mailbox_element& x) {
      if (!give_back_orphan(x.mid, x.content()) && x.mid.is_request())
        requests.emplace_back(x.sender, x.mid);
    };
    element_visitor<decltype(visit)> visitor{visit};
    // The queue itself, as CAF's cleanup does: the closed inbox has nothing
    // more to fetch (fifo_inbox::new_round would try).
    get_normal_queue().flush_cache();
    get_urgent_queue().flush_cache();
    while (mailbox().queue().new_round(1000, visitor).consumed_items)
      ; // nop
  }
  caf::detail::sync_request_bouncer bounce{caf::exit_reason::user_shutdown};
  for (auto& [sender, mid] : requests)
    bounce(sender, mid);
}

bool task_actor::give_back_orphan(caf::message_id answer_id,
                                  caf::type_erased_tuple& answer) {
  if (!answer_id.is_response())
    return false;
  auto i = std::find_if(orphans_.begin(), orphans_.end(), [&](const auto& o) {
    return o.second.request_id() == answer_id.request_id();
  });
  if (i == orphans_.end())
    return false;
  auto conn = std::move(i->first);
  orphans_.erase(i);
  // anon_send: this may run on any thread, for an actor that is gone.
  if (answer.match_elements<bytes>()) {
    if (auto data = answer.move_if_unshared<bytes>(0); !data.empty())
      caf::anon_send(conn, unread_atom_v, std::move(data));
  } else if (answer.match_elements<caf::error>()) {
    auto ire = as_incomplete_read(answer.get_as<caf::error>(0));
    if (ire && !ire->partial.empty())
      caf::anon_send(conn, unread_atom_v, std::move(ire->partial));
  }
  return true;
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
  // Reads it abandoned on its way out (a gather that failed) are waited
  // for, but not for ever.
  if (!held_.empty())
    delayed_send(caf::actor_cast<caf::actor>(this), cancel_grace, cancel_atom_v);
  // make_behavior quits once the root is started; held reads: release().
  if (!starting_)
    quit_when_done();
}

void task_actor::stop(caf::error reason) {
  if (stopping_)
    return;
  stopping_ = true;
  finished_ = true;
  exit_reason_ = std::move(reason);
  // As in on_exit, but the actor lives on to take the answers to the reads
  // this abandons and give them back.
  auto root = std::move(root_);
  root.reset();
  sleepers_.clear();
  if (!held_.empty())
    delayed_send(caf::actor_cast<caf::actor>(this), cancel_grace, cancel_atom_v);
  quit_when_done();
}

void task_actor::quit_when_done() {
  if (finished_ && held_.empty())
    quit(std::move(exit_reason_));
}

bool task_actor::abandon(const caf::actor& conn, caf::message_id request) {
  if (destroying_)
    return false; // torn down: no messages; its monitors tell the connection
  hold(conn, request);
  send(conn, cancel_atom_v, request.request_id().integer_value());
  return true;
}

void task_actor::hold(const caf::actor& conn, caf::message_id request) {
  for (auto& h : held_) {
    if (h.conn == conn) {
      h.reads.push_back(request);
      return;
    }
  }
  held_.push_back(held_connection{conn, {request}, {}});
}

void task_actor::release(const caf::actor& conn, caf::message_id request) {
  auto i = std::find_if(held_.begin(), held_.end(),
                        [&](const held_connection& h) { return h.conn == conn; });
  if (i == held_.end())
    return;
  auto& reads = i->reads;
  reads.erase(std::remove(reads.begin(), reads.end(), request), reads.end());
  if (!reads.empty())
    return;
  auto deferred = std::move(i->deferred);
  held_.erase(i);
  for (auto& send : deferred)
    send();
  if (!starting_)
    quit_when_done();
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
