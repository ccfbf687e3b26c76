#pragma once

// Starting tasks from outside any task: run (asyncio.run) and spawn_task
// (asyncio.create_task, as an actor of its own).

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "actors/connection_actor.hpp"
#include "actors/io_unit.hpp"
#include "actors/task_actor.hpp"
#include "streams/errors.hpp"
#include "streams/stream_reader.hpp"
#include "streams/stream_writer.hpp"
#include "streams/task.hpp"

namespace actorstreams {

namespace detail {

/// The actor's exit reason for a task that ended with `ep` (none: normal).
caf::error exit_reason_of(const std::exception_ptr& ep);

/// Reports an exception that escaped a spawned task, once, on stderr.
void report_task_exception(const task_actor& host, const std::exception_ptr& ep);

/// Reports an exception that escaped a task handler of a server, with the
/// peer, once, on stderr, and closes the connection.
void report_handler_exception(const connection_actor& conn,
                              const std::exception_ptr& ep,
                              const std::string& peer);

/// A task_root whose coroutine `make()` creates in the actor (so that what
/// the coroutine refers to lives in the actor, next to it).
template <class Factory>
class factory_root : public task_root {
public:
  /// `report`: whether an exception that ends the task is reported.
  factory_root(Factory make, bool report)
    : make_(std::move(make)), report_(report) {
    // nop
  }

  void start(task_actor& host) override {
    host_ = &host;
    try {
      task_ = make_();
    } catch (...) {
      done(std::current_exception());
      return;
    }
    auto h = task_.handle();
    if (!h) {
      done(nullptr);
      return;
    }
    h.promise().bind(&host, &factory_root::on_done, this);
    h.resume();
  }

private:
  static std::coroutine_handle<> on_done(void* arg, task_promise_base& p) {
    static_cast<factory_root*>(arg)->done(p.error());
    return std::noop_coroutine();
  }

  void done(const std::exception_ptr& ep) {
    if (ep && report_)
      report_task_exception(*host_, ep);
    host_->finish(exit_reason_of(ep));
  }

  // The factory (and the arguments it holds) outlives the coroutine.
  Factory make_;
  task<void> task_;
  task_actor* host_ = nullptr;
  bool report_;
};

template <class Factory>
std::unique_ptr<task_root> make_root(Factory make, bool report) {
  return std::make_unique<factory_root<Factory>>(std::move(make), report);
}

/// Where `run` waits for its task's result.
template <class T>
class run_result {
public:
  template <class... Ts>
  void set_value(Ts&&... xs) {
    std::lock_guard guard{mtx_};
    if constexpr (!std::is_void_v<T>)
      value_.emplace(std::forward<Ts>(xs)...);
    finished_ = true;
    cv_.notify_all();
  }

  void set_error(std::exception_ptr ep) {
    std::lock_guard guard{mtx_};
    if (finished_)
      return;
    error_ = std::move(ep);
    finished_ = true;
    cv_.notify_all();
  }

  bool finished() {
    std::lock_guard guard{mtx_};
    return finished_;
  }

  T wait() {
    std::unique_lock guard{mtx_};
    cv_.wait(guard, [this] { return finished_; });
    if (error_)
      std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>)
      return std::move(*value_);
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::exception_ptr error_;
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value_{};
};

/// Fails `run` with `cancelled` if the task's actor goes away first (the
/// runtime shut down, even before the actor ever ran): the actor's root,
/// which holds this guard, is destroyed with the task unfinished.
template <class T>
class run_guard {
public:
  explicit run_guard(std::shared_ptr<run_result<T>> result)
    : result_(std::move(result)) {
    // nop
  }

  run_guard(run_guard&&) noexcept = default;
  run_guard& operator=(run_guard&&) noexcept = default;

  ~run_guard() {
    if (result_ && !result_->finished())
      result_->set_error(std::make_exception_ptr(stream_error(make_error(
        stream_errc::cancelled, "the task was cancelled: its actor was shut "
                                "down before the task ended"))));
  }

private:
  std::shared_ptr<run_result<T>> result_;
};

template <class T>
task<void> run_root(task<T> t, std::shared_ptr<run_result<T>> result) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      result->set_value();
    } else {
      result->set_value(co_await std::move(t));
    }
  } catch (...) {
    result->set_error(std::current_exception());
  }
}

/// `run` blocks: never on an I/O thread (it would block its own sockets),
/// nor in a deterministic runtime (nothing would run while it waits).
void check_can_block(caf::actor_system& sys, const char* what);

/// How spawn_task keeps an argument: `caf::actor_system` by reference (it
/// cannot be copied), everything else by value.
template <class A>
using stored_arg_t
  = std::conditional_t<std::is_same_v<std::decay_t<A>, caf::actor_system>,
                       std::reference_wrapper<caf::actor_system>,
                       std::decay_t<A>>;

/// A server's task handler for one connection: the handler's task, with an
/// escaped exception reported (with the peer) and the connection closed.
template <class Fn>
task<void> serve_client(Fn fn, connection_actor conn) {
  std::exception_ptr failure;
  try {
    co_await fn(stream_reader{conn}, stream_writer{conn});
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    auto peer
      = co_await stream_writer{conn}.get_extra_info("peername").as_expected();
    report_handler_exception(conn, failure, peer ? *peer : std::string{});
  }
}

} // namespace detail

/// Runs `t` to its end in an actor of its own and returns its value, or
/// rethrows its exception (asyncio.run). Blocks the calling thread: call it
/// from `main` or another plain thread, never from an actor. If the runtime
/// shuts down first, it throws `stream_error` (`cancelled`).
template <class T>
T run(caf::actor_system& sys, task<T> t) {
  detail::check_can_block(sys, "run()");
  auto result = std::make_shared<detail::run_result<T>>();
  auto make = [t = std::move(t), result,
               guard = detail::run_guard<T>{result}]() mutable {
    return detail::run_root(std::move(t), result);
  };
  spawn_task_actor(sys, detail::make_root(std::move(make), false), nullptr,
                   true);
  return result->wait();
}

/// Starts `fn(args...)`, which returns `task<void>`, as an actor of its own
/// and returns the actor (asyncio.create_task). The arguments are kept in
/// the actor for as long as the task runs (a `caf::actor_system` by
/// reference). The actor quits when the task ends; an exception that
/// escapes the task is reported on stderr and becomes the actor's exit
/// reason. Killing the actor (`caf::anon_send_exit`) cancels the task; so
/// does the runtime's shutdown.
template <class Fn, class... Args>
caf::actor spawn_task(caf::actor_system& sys, Fn fn, Args&&... args) {
  using stored = std::tuple<detail::stored_arg_t<Args>...>;
  static_assert(
    std::is_same_v<std::invoke_result_t<Fn&, detail::stored_arg_t<Args>&&...>,
                   task<void>>,
    "spawn_task(sys, fn, args...): fn(args...) must return task<void>");
  auto make = [fn = std::move(fn),
               args = stored{std::forward<Args>(args)...}]() mutable {
    return std::apply(fn, std::move(args));
  };
  return spawn_task_actor(sys, detail::make_root(std::move(make), true),
                          nullptr, false);
}

} // namespace actorstreams
