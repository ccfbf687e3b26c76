#pragma once

// gather: run several tasks concurrently inside the awaiting task's actor.

#include <coroutine>
#include <cstddef>
#include <exception>
#include <vector>

#include "streams/task.hpp"

namespace actorstreams {

namespace detail {

/// Starts every task as a child of the awaiting task's actor and resumes
/// the awaiter once all have ended, or at the first failure.
template <class T>
class join_all {
public:
  using task_awaitable = void;

  explicit join_all(std::vector<task<T>>& tasks) : tasks_(tasks) {
    // nop
  }

  bool await_ready() const noexcept { return tasks_.empty(); }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> parent) {
    auto* host = parent.promise().host();
    // All or none: a misuse starts no task at all.
    for (auto& t : tasks_) {
      if (!t.handle() || t.handle().promise().started()) {
        failure_ = misuse("gather() got an empty or already started task");
        return false;
      }
    }
    running_ = tasks_.size();
    for (auto& t : tasks_) {
      auto h = t.handle();
      h.promise().bind(host, &join_all::child_done, this);
      // A child that ends before its first suspension reports at once.
      h.resume();
      if (failure_)
        break; // the rest never start; they are destroyed with the vector
    }
    if (running_ == 0 || failure_)
      return false;
    parent_ = parent;
    return true;
  }

  void await_resume() {
    if (failure_)
      std::rethrow_exception(failure_);
  }

private:
  static std::coroutine_handle<> child_done(void* arg,
                                            task_promise_base& child) {
    auto* self = static_cast<join_all*>(arg);
    --self->running_;
    if (child.error() && !self->failure_)
      self->failure_ = child.error();
    if ((self->running_ == 0 || self->failure_) && self->parent_)
      return std::exchange(self->parent_, {});
    return std::noop_coroutine();
  }

  static std::exception_ptr misuse(const char* what) {
    try {
      throw_misuse(what);
    } catch (...) {
      return std::current_exception();
    }
  }

  std::vector<task<T>>& tasks_;
  std::size_t running_ = 0;
  std::exception_ptr failure_;
  std::coroutine_handle<> parent_;
};

} // namespace detail

/// Runs `tasks` concurrently in the calling task's actor (asyncio.gather)
/// and yields their results in the order of `tasks`. The first task to fail
/// makes gather rethrow its exception; the tasks still running are then
/// cancelled (destroyed: their reads consume nothing), as in an
/// asyncio.TaskGroup.
template <class T>
task<std::vector<T>> gather(std::vector<task<T>> tasks) {
  std::exception_ptr failure;
  try {
    co_await detail::join_all<T>{tasks};
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // The siblings still running are cancelled now, whoever holds this
    // gather: they report to the awaiter that is gone.
    tasks.clear();
    std::rethrow_exception(failure);
  }
  std::vector<T> results;
  results.reserve(tasks.size());
  for (auto& t : tasks)
    results.push_back(t.handle().promise().take());
  co_return results;
}

/// As `gather` for tasks without a result.
inline task<void> gather(std::vector<task<void>> tasks) {
  std::exception_ptr failure;
  try {
    co_await detail::join_all<void>{tasks};
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    tasks.clear();
    std::rethrow_exception(failure);
  }
}

} // namespace actorstreams
