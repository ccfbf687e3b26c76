#pragma once

// C++20 coroutine tasks over the connection actors (API.md section 6):
// `task<T>`, and what a task can `co_await`. Running them: streams/run.hpp;
// gather: streams/gather.hpp; the guide: docs/coroutines.md.

#include <chrono>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/message_id.hpp>
#include <caf/timespan.hpp>

#include "actors/messages.hpp"
#include "actors/task_actor.hpp"
#include "streams/bytes.hpp"
#include "streams/errors.hpp"
#include "streams/pending.hpp"

namespace actorstreams {

template <class T = void>
class task;

namespace detail {

/// `co_await actorstreams::sleep(d)`.
struct sleep_request {
  caf::timespan delay;
};

/// The error of a task awaited where it cannot be (outside a task actor,
/// twice, ...).
[[noreturn]] void throw_misuse(const char* what);

// -- awaiting a pending -------------------------------------------------------

/// Where an awaited request's answer goes. Shared by the awaiter and the
/// reply handlers, because either may outlive the other: a cancelled task
/// destroys its awaiter while the reply is still on its way.
template <class T>
struct await_slot {
  std::optional<caf::expected<T>> result;
  /// The suspended coroutine; none before suspension and after resumption.
  std::coroutine_handle<> waiting;
  /// The awaiter is gone (its task was cancelled).
  bool abandoned = false;
  /// The request's id, once sent.
  caf::message_id id;
  /// For a read: the task's actor, and the connection to give an answer
  /// back to if it comes after the awaiter is gone.
  task_actor* host = nullptr;
  caf::actor conn;

  void complete(caf::expected<T> value) {
    if (abandoned) {
      if (host != nullptr) {
        give_back(value);
        host->release(conn, id);
      }
      return;
    }
    result.emplace(std::move(value));
    if (auto h = std::exchange(waiting, {}))
      h.resume();
  }

  /// A read answered after its requester gave up: what it took goes back
  /// to the front of the connection's buffer, so that nothing is lost.
  void give_back(caf::expected<T>& value) {
    if constexpr (std::is_same_v<T, bytes>) {
      if (value) {
        if (!value->empty())
          host->send(conn, unread_atom_v, std::move(*value));
      } else if (auto ire = as_incomplete_read(value.error());
                 ire && !ire->partial.empty()) {
        host->send(conn, unread_atom_v, std::move(ire->partial));
      }
    }
  }
};

/// `co_await p` (Expected: `co_await p.as_expected()`) inside a task: the
/// request goes out from the task's actor, the reply resumes the task.
///
/// Destroyed while it waits (its task cancelled), it abandons the request.
/// A read is cancelled at its connection (`cancel_atom`), which drops it,
/// consuming nothing. A read the connection answered before the cancel
/// arrived gives its bytes back (`unread_atom`); until then, the actor's
/// next reads from that connection wait (task_actor::hold), so that they
/// see those bytes first, as if the cancelled read had never been sent.
template <class T, bool Expected>
class pending_awaiter {
public:
  pending_awaiter(pending<T>&& request, task_actor* host)
    : request_(std::move(request)), host_(host) {
    // nop
  }

  pending_awaiter(const pending_awaiter&) = delete;
  pending_awaiter& operator=(const pending_awaiter&) = delete;

  ~pending_awaiter() {
    if (!slot_ || !slot_->waiting)
      return;
    slot_->waiting = {};
    slot_->abandoned = true;
    auto request_id = slot_->id.request_id().integer_value();
    // A sent read: its answer (the cancel's, or the read's own) is still to
    // come. Anything else: nothing to undo.
    if (!slot_->conn || request_id == 0
        || !host_->abandon(slot_->conn, slot_->id))
      slot_->host = nullptr;
  }

  bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> h) {
    slot_ = std::make_shared<await_slot<T>>();
    if (host_ == nullptr) {
      slot_->result.emplace(make_error(stream_errc::invalid_argument,
                                       "co_await outside a running task"));
      return false;
    }
    // A read (the only pending<bytes> whose receiver enforces deadlines)
    // can be cancelled at its connection and given back.
    bool read = std::is_same_v<T, bytes> && request_.receiver_deadline()
                && request_.destination();
    if (read && host_->holds(request_.destination())) {
      // A cancelled read's bytes may still come back: go after them.
      slot_->waiting = h;
      auto conn = request_.destination();
      auto req = std::make_shared<pending<T>>(std::move(request_));
      host_->defer(conn, [slot = slot_, req, host = host_] {
        if (!slot->abandoned)
          send(slot, *req, host, true);
      });
      return true;
    }
    send(slot_, request_, host_, read);
    if (slot_->result)
      return false; // failed before it was sent: go on at once
    slot_->waiting = h;
    return true;
  }

  auto await_resume() {
    auto result = std::move(*slot_->result);
    slot_.reset();
    if constexpr (Expected) {
      return result;
    } else {
      if (!result)
        throw stream_error(std::move(result.error()));
      if constexpr (!std::is_void_v<T>)
        return std::move(*result);
    }
  }

private:
  static void send(const std::shared_ptr<await_slot<T>>& slot,
                   pending<T>& request, task_actor* host, bool read) {
    auto on_error = [slot](caf::error err) { slot->complete(std::move(err)); };
    typename pending<T>::sent_request sent;
    if constexpr (std::is_void_v<T>)
      sent = request.send_then(host, [slot] { slot->complete({}); }, on_error);
    else
      sent = request.send_then(
        host, [slot](T value) { slot->complete(std::move(value)); }, on_error);
    slot->id = sent.id;
    if (read) {
      slot->host = host;
      slot->conn = std::move(sent.dest);
    }
  }

  pending<T> request_;
  task_actor* host_;
  std::shared_ptr<await_slot<T>> slot_;
};

// -- sleeping -----------------------------------------------------------------

class sleep_awaiter {
public:
  sleep_awaiter(caf::timespan delay, task_actor* host)
    : delay_(delay), host_(host) {
    // nop
  }

  sleep_awaiter(const sleep_awaiter&) = delete;
  sleep_awaiter& operator=(const sleep_awaiter&) = delete;

  ~sleep_awaiter() {
    if (token_ != 0)
      host_->cancel_wake(token_);
  }

  bool await_ready() const noexcept { return false; }

  void await_suspend(std::coroutine_handle<> h) {
    if (host_ == nullptr)
      throw_misuse("sleep() awaited outside a running task");
    token_ = host_->wake_after(delay_, h);
  }

  void await_resume() noexcept {
    token_ = 0; // woken: the actor forgot it already
  }

private:
  caf::timespan delay_;
  task_actor* host_;
  uint64_t token_ = 0;
};

// -- promises -----------------------------------------------------------------

template <class T>
class task_promise;

template <class T>
class task_awaiter;

/// What every task's promise holds: the actor it runs in, who waits for it.
class task_promise_base {
public:
  /// Called when the task ends, if no coroutine awaits it: returns the
  /// coroutine to go on with (or a noop one).
  using done_fn = std::coroutine_handle<> (*)(void* arg,
                                              task_promise_base& done);

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }

    template <class Promise>
    std::coroutine_handle<>
    await_suspend(std::coroutine_handle<Promise> h) noexcept {
      task_promise_base& self = h.promise();
      if (self.continuation_)
        return self.continuation_;
      if (self.on_done_)
        return self.on_done_(self.on_done_arg_, self);
      return std::noop_coroutine();
    }

    void await_resume() const noexcept {}
  };

  final_awaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  // -- what a task can co_await ---------------------------------------------

  template <class U>
  pending_awaiter<U, false> await_transform(pending<U>&& request) {
    return {std::move(request), host_};
  }

  template <class U>
  pending_awaiter<U, false> await_transform(pending<U>& request) {
    return {std::move(request), host_};
  }

  template <class U>
  pending_awaiter<U, true> await_transform(expected_awaitable<U>&& request) {
    return {std::move(request.request), host_};
  }

  template <class U>
  task_awaiter<U> await_transform(task<U>&& child) {
    return task_awaiter<U>{child.handle(), host_};
  }

  template <class U>
  task_awaiter<U> await_transform(task<U>& child) {
    return task_awaiter<U>{child.handle(), host_};
  }

  sleep_awaiter await_transform(sleep_request req) {
    return {req.delay, host_};
  }

  /// The library's own awaitables (gather) pass through.
  template <class Awaitable>
    requires requires { typename std::decay_t<Awaitable>::task_awaitable; }
  std::decay_t<Awaitable> await_transform(Awaitable&& a) {
    return std::forward<Awaitable>(a);
  }

  // -- the task machinery ---------------------------------------------------

  task_actor* host() const noexcept { return host_; }

  /// Starts as part of `host`: the root task of a task actor, or a child
  /// that gather runs.
  void bind(task_actor* host, done_fn on_done, void* arg) noexcept {
    host_ = host;
    on_done_ = on_done;
    on_done_arg_ = arg;
    started_ = true;
  }

  /// Starts as a child awaited by `parent`.
  void bind(task_actor* host, std::coroutine_handle<> parent) noexcept {
    host_ = host;
    continuation_ = parent;
    started_ = true;
  }

  bool started() const noexcept { return started_; }

  /// The exception the task ended with, if any.
  const std::exception_ptr& error() const noexcept { return error_; }

protected:
  void rethrow_if_failed() {
    if (error_)
      std::rethrow_exception(error_);
  }

private:
  task_actor* host_ = nullptr;
  std::coroutine_handle<> continuation_;
  done_fn on_done_ = nullptr;
  void* on_done_arg_ = nullptr;
  std::exception_ptr error_;
  bool started_ = false;
};

template <class T>
class task_promise : public task_promise_base {
public:
  task<T> get_return_object() noexcept;

  void return_value(T value) { value_.emplace(std::move(value)); }

  /// The result, once: rethrows the task's exception.
  T take() {
    rethrow_if_failed();
    if (!value_)
      throw_misuse("the result of this task was taken already");
    T result = std::move(*value_);
    value_.reset();
    return result;
  }

private:
  std::optional<T> value_;
};

template <>
class task_promise<void> : public task_promise_base {
public:
  task<void> get_return_object() noexcept;

  void return_void() noexcept {}

  void take() { rethrow_if_failed(); }
};

/// `co_await child` in a task: runs the child in the same actor, resumes
/// the parent when it ends (symmetric transfer: no stack growth).
template <class T>
class task_awaiter {
public:
  task_awaiter(std::coroutine_handle<task_promise<T>> child, task_actor* host)
    : child_(child), host_(host) {
    // nop
  }

  bool await_ready() const noexcept { return !child_ || child_.done(); }

  std::coroutine_handle<>
  await_suspend(std::coroutine_handle<> parent) noexcept {
    auto& p = child_.promise();
    if (p.started())
      return parent; // awaited twice: await_resume reports it
    p.bind(host_, parent);
    return child_;
  }

  T await_resume() {
    if (!child_)
      throw_misuse("an empty task was awaited");
    if (!child_.done())
      throw_misuse("a task was awaited while it runs elsewhere");
    return child_.promise().take();
  }

private:
  std::coroutine_handle<task_promise<T>> child_;
  task_actor* host_;
};

} // namespace detail

/// A C++20 coroutine: asyncio's coroutine, on actorstreams.
///
/// Lazily started: nothing runs until the task is awaited by another task,
/// run (`actorstreams::run`), spawned as an actor (`spawn_task`), passed to
/// `gather`, or used as a server's per-connection handler. A top-level task
/// runs inside an actor of its own (actors/task_actor.hpp), so its code is
/// single-threaded, like an asyncio task; a nested task runs in its
/// parent's actor.
///
/// Inside a task:
/// - `co_await p` for any `pending<U>` sends the request from the task's
///   actor and suspends without blocking a thread; it yields the U or throws
///   `stream_error`. `co_await p.as_expected()` yields `caf::expected<U>`
///   and never throws; `co_await p.with_timeout(d)` fails with
///   `stream_errc::timeout` after `d`, a read then consuming nothing.
/// - `co_await other_task` runs it and yields its value (or rethrows);
/// - `co_await sleep(d)`, `co_await gather(std::move(tasks))`.
///
/// Destroying a task that waits cancels it: its awaited read is dropped at
/// the connection, consuming nothing, or, if it was answered already, its
/// bytes are given back (docs/coroutines.md). So does stopping the actor of
/// a top-level task with an exit message (task_actor). A task is move-only
/// and owns its coroutine frame.
template <class T>
class [[nodiscard]] task {
public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;

  explicit task(handle_type h) noexcept : h_(h) {
    // nop
  }

  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {
    // nop
  }

  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }

  task(const task&) = delete;
  task& operator=(const task&) = delete;

  ~task() { reset(); }

  /// Whether it holds a coroutine.
  bool valid() const noexcept { return static_cast<bool>(h_); }

  explicit operator bool() const noexcept { return valid(); }

  /// Whether it ran to its end.
  bool done() const noexcept { return h_ && h_.done(); }

  /// The coroutine (for the library's machinery; the task still owns it).
  handle_type handle() const noexcept { return h_; }

private:
  void reset() noexcept {
    if (h_)
      std::exchange(h_, {}).destroy();
  }

  handle_type h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}

inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{
    std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}

} // namespace detail

/// `co_await sleep(d)` in a task: resumes it after `d` (asyncio.sleep). A
/// zero or negative `d` still lets the actor handle its other messages.
template <class Rep, class Period>
detail::sleep_request sleep(std::chrono::duration<Rep, Period> d) {
  return {std::chrono::duration_cast<caf::timespan>(d)};
}

} // namespace actorstreams
