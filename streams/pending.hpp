#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/duration.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/io_unit.hpp"
#include "actors/messages.hpp"
#include "actors/thread_logger_guard.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

/// How a `pending<T>` turns its actor's reply into a `T`; specialized where
/// the reply differs from `T` (e.g. open_connection replies nothing and the
/// result is built from the actor's handle).
template <class T>
struct pending_traits {
  using reply_type = T;
  static T convert(const caf::actor&, T&& reply) { return std::move(reply); }
};

template <>
struct pending_traits<void> {
  using reply_type = void;
};

template <>
struct pending_traits<std::optional<caf::error>> {
  using reply_type = stored_exception;
  static std::optional<caf::error> convert(const caf::actor&,
                                           stored_exception&& reply) {
    if (!reply.error)
      return std::nullopt;
    return std::move(reply.error);
  }
};

template <class T>
class pending;

namespace detail {

/// Maps CAF's own request errors to `stream_errc` (a requester timeout to
/// `timeout`, a vanished actor to `closed`); other errors pass through.
caf::error normalize(caf::error err);

/// The error of a `pending` awaited twice.
caf::error already_awaited();

/// For a request to an actor on another node (`dest` a proxy): makes the
/// requester get an error response (`closed`) should the actor's node be
/// lost, or the actor terminate, before it answered: CAF 0.17 leaves such a
/// request waiting forever. `id` is the id its answer carries (the
/// response handle's). Returns a token for `unwatch` (0: `dest` is local,
/// nothing to watch).
uint64_t watch_if_remote(const caf::actor& dest,
                         caf::actor_control_block* requester,
                         caf::message_id id);

/// Ends a watch once the answer came.
void unwatch(const caf::actor& dest, uint64_t token);

/// The error of `get()` on a system that runs on CAF's test coordinator
/// (streams/testing.hpp), if `dest` lives on one: blocking there would wait
/// forever, since nothing runs unless the test delivers it.
caf::error blocking_forbidden(const caf::actor& dest);

/// `co_await p.as_expected()`: the pending, awaited without throwing
/// (streams/task.hpp awaits it).
template <class T>
struct expected_awaitable {
  pending<T> request;

  /// As `pending::with_timeout`.
  template <class Rep, class Period>
  expected_awaitable with_timeout(std::chrono::duration<Rep, Period> timeout) {
    return expected_awaitable{request.with_timeout(timeout)};
  }
};

} // namespace detail

/// One request to an actor, not sent yet: the result of every operation.
///
/// A `pending` is lazy: nothing is sent (for `open_connection` and
/// `start_server`, nothing is even spawned) until it is awaited, once, in one
/// of these ways:
/// - `get()`: blocks the calling thread until the reply. Call it from plain
///   threads (main, tests); inside an actor's handler it would block a
///   scheduler thread: use `then` there. In an actor on an I/O thread (a
///   pinned connection handler) it fails at once with invalid_argument
///   instead of blocking that thread's sockets for good; so it does in a
///   deterministic runtime (streams/testing.hpp: use its `await`).
/// - `get(timeout)`: as `get()`, but gives up after `timeout` with
///   `stream_errc::timeout`. For reads (and connects) the connection actor
///   enforces the deadline itself, so a read that times out consumes
///   nothing; the caller waits for that answer (see `receiver_grace`).
/// - `then(self, on_value, on_error)`: inside an event-based actor; the
///   handlers run in `self`'s context. `on_value` takes `T` (nothing for
///   `void`), `on_error` takes `caf::error`.
/// - `co_await` inside a `task` (streams/task.hpp): yields `T` or throws
///   `stream_error`; `co_await p.as_expected()` yields `caf::expected<T>`.
///
/// `with_timeout(d)` gives any of these a timeout (`co_await
/// p.with_timeout(d)`).
///
/// A second await fails with `invalid_argument`. Moving is allowed; copying
/// is not (a copy would send the request twice).
template <class T>
class pending {
public:
  /// Where the receiver enforces the deadline (reads, connects), the caller
  /// still gives up this long after it, should the receiver not answer at
  /// all (an unreachable node); only then can it not promise that nothing
  /// was consumed.
  static constexpr auto receiver_grace = std::chrono::seconds{10};

  /// A timeout this long (or longer) means none.
  static constexpr auto longest_timeout = std::chrono::hours{24 * 365 * 10};

  using value_type = T;
  using traits = pending_traits<T>;
  using reply_type = typename traits::reply_type;
  using spawner = std::function<caf::expected<caf::actor>()>;

  /// A request `msg` to `dest`. With `receiver_deadline`, `msg` ends with a
  /// `caf::timespan` that the receiver enforces (`no_deadline`: none).
  pending(caf::actor dest, caf::message msg, bool receiver_deadline = false)
    : dest_(std::move(dest)),
      msg_(std::move(msg)),
      receiver_deadline_(receiver_deadline) {
    // nop
  }

  /// A request whose reply is a `T` as it is, whatever `pending_traits<T>`
  /// says (`request<T>` to any actor: a user's actor may reply a
  /// `connection`, where open_connection's actor replies nothing).
  struct plain_reply_t {};
  pending(plain_reply_t, caf::actor dest, caf::message msg)
    : dest_(std::move(dest)), msg_(std::move(msg)), plain_(true) {
    // nop
  }

  /// A request to an actor that `spawn` creates when awaited.
  pending(spawner spawn, caf::message msg, bool receiver_deadline = false)
    : spawn_(std::move(spawn)),
      msg_(std::move(msg)),
      receiver_deadline_(receiver_deadline) {
    // nop
  }

  pending(pending&&) noexcept = default;
  pending& operator=(pending&&) noexcept = default;
  pending(const pending&) = delete;
  pending& operator=(const pending&) = delete;

  /// Sends the request and blocks until the reply (or the `with_timeout`
  /// timeout).
  caf::expected<T> get() {
    if (timeout_)
      return get(*timeout_);
    return await_blocking(no_deadline, caf::infinite);
  }

  /// Sends the request and blocks until the reply or `timeout`.
  template <class Rep, class Period>
  caf::expected<T> get(std::chrono::duration<Rep, Period> timeout) {
    if (timeout >= longest_timeout)
      return await_blocking(no_deadline, caf::infinite);
    auto ts = std::chrono::duration_cast<caf::timespan>(timeout);
    if (receiver_deadline_)
      return await_blocking(ts, caf::duration{ts + receiver_grace});
    return await_blocking(no_deadline, caf::duration{ts});
  }

  /// Sends the request from `self`; runs `on_value` or `on_error` in
  /// `self`'s context when the reply arrives (after the `with_timeout`
  /// timeout, if one was set, with `stream_errc::timeout`).
  template <class Self, class OnValue, class OnError>
  void then(Self* self, OnValue on_value, OnError on_error) {
    send_then(self, std::move(on_value), std::move(on_error));
  }

  /// As `then`, failing with `stream_errc::timeout` after `timeout` (reads
  /// consume nothing when they time out).
  template <class Self, class Rep, class Period, class OnValue, class OnError>
  void then(Self* self, std::chrono::duration<Rep, Period> timeout,
            OnValue on_value, OnError on_error) {
    with_timeout(timeout).send_then(self, std::move(on_value),
                                    std::move(on_error));
  }

  /// The same request with a timeout for whichever way it is awaited:
  /// `co_await p.with_timeout(200ms)` in a task, or `then` / `get`. As with
  /// `get(timeout)`, a read that times out consumes nothing. Takes the
  /// request out of this pending.
  template <class Rep, class Period>
  pending with_timeout(std::chrono::duration<Rep, Period> timeout) {
    pending result = std::move(*this);
    if (timeout < longest_timeout)
      result.timeout_ = std::chrono::duration_cast<caf::timespan>(timeout);
    else
      result.timeout_.reset();
    return result;
  }

  /// `co_await p.as_expected()` in a task yields `caf::expected<T>` instead
  /// of throwing `stream_error` (streams/task.hpp).
  detail::expected_awaitable<T> as_expected() {
    return detail::expected_awaitable<T>{std::move(*this)};
  }

  /// The timeout that `with_timeout` set, if any.
  std::optional<caf::timespan> timeout() const noexcept { return timeout_; }

  /// Where `send_then` sent the request, and its id.
  struct sent_request {
    caf::actor dest;
    caf::message_id id;
  };

  /// `then` for awaiters that may abandon the request (tasks): returns the
  /// destination and the request's id (none if it was never sent), which
  /// `(cancel_atom, id)` names.
  template <class Self, class OnValue, class OnError>
  sent_request send_then(Self* self, OnValue on_value, OnError on_error) {
    if (!timeout_)
      return then_impl(self, no_deadline, caf::infinite, std::move(on_value),
                       std::move(on_error));
    auto ts = *timeout_;
    if (receiver_deadline_)
      return then_impl(self, ts, caf::duration{ts + receiver_grace},
                       std::move(on_value), std::move(on_error));
    return then_impl(self, no_deadline, caf::duration{ts}, std::move(on_value),
                     std::move(on_error));
  }

  /// Takes the request out for a custom awaiter (coroutines, tests):
  /// the destination and the message, with `deadline` in place when the
  /// receiver enforces one. The pending is spent afterwards.
  caf::expected<std::pair<caf::actor, caf::message>>
  release(caf::timespan deadline = no_deadline) {
    if (used_)
      return detail::already_awaited();
    used_ = true;
    if (!dest_ && spawn_) {
      auto spawned = spawn_();
      spawn_ = nullptr; // let go of what it captured (a transport, ...)
      if (!spawned)
        return std::move(spawned.error());
      dest_ = std::move(*spawned);
    }
    if (!dest_)
      return make_error(stream_errc::closed, "no actor to send the request to");
    if (receiver_deadline_ && !msg_.empty())
      *static_cast<caf::timespan*>(msg_.get_mutable(msg_.size() - 1))
        = deadline;
    return std::make_pair(std::move(dest_), std::move(msg_));
  }

  /// Where the request goes (none until a spawning pending is awaited).
  const caf::actor& destination() const noexcept { return dest_; }

  /// Whether the receiver enforces deadlines (reads, connects).
  bool receiver_deadline() const noexcept { return receiver_deadline_; }

private:
  caf::expected<T> await_blocking(caf::timespan deadline,
                                  caf::duration client_timeout) {
    // Blocking an I/O thread would stall its sockets, the reply's among
    // them: a sure deadlock, reported instead of entered.
    if (io_unit::current() != nullptr)
      return make_error(stream_errc::invalid_argument,
                        "get() called in an actor that runs on an I/O "
                        "thread (a connection handler): it would block its "
                        "own sockets; use then(self, ...) or run the handler "
                        "on the scheduler (server_options::pin_handlers)");
    if (auto err = detail::blocking_forbidden(dest_))
      return err;
    // Outlives the scoped actor and any actor that release() spawns.
    thread_logger_guard unpin;
    auto req = release(deadline);
    if (!req)
      return std::move(req.error());
    auto dest = std::move(req->first);
    std::optional<caf::expected<T>> result;
    // Hidden, so that a blocked caller never holds up system shutdown.
    caf::scoped_actor self{dest.home_system(), true};
    auto on_error = [&](caf::error& err) {
      result.emplace(detail::normalize(std::move(err)));
    };
    auto hdl = self->request(dest, client_timeout, std::move(req->second));
    auto watch = detail::watch_if_remote(dest, self->ctrl(), hdl.id());
    if constexpr (has_plain_path) {
      if (plain_) {
        std::move(hdl).receive(
          [&](T& reply) { result.emplace(std::move(reply)); }, on_error);
        detail::unwatch(dest, watch);
        if (!result)
          return make_error(stream_errc::closed, "no reply");
        return std::move(*result);
      }
    }
    if constexpr (std::is_void_v<reply_type>) {
      std::move(hdl).receive(
        [&] {
          if constexpr (std::is_void_v<T>)
            result.emplace();
          else
            result.emplace(traits::convert(dest));
        },
        on_error);
    } else {
      std::move(hdl).receive(
        [&](reply_type& reply) {
          result.emplace(traits::convert(dest, std::move(reply)));
        },
        on_error);
    }
    detail::unwatch(dest, watch);
    if (!result)
      return make_error(stream_errc::closed, "no reply");
    return std::move(*result);
  }

  template <class Self, class OnValue, class OnError>
  sent_request then_impl(Self* self, caf::timespan deadline,
                         caf::duration client_timeout, OnValue on_value,
                         OnError on_error) {
    auto req = release(deadline);
    if (!req) {
      on_error(req.error());
      return {};
    }
    auto dest = std::move(req->first);
    auto hdl = self->request(dest, client_timeout, std::move(req->second));
    sent_request sent{dest, hdl.id()};
    auto watch = detail::watch_if_remote(dest, self->ctrl(), hdl.id());
    // Both handlers hold the destination: a connection whose last handle was
    // this pending stays alive until it has replied.
    auto err_handler = [dest, on_error, watch](caf::error& err) mutable {
      detail::unwatch(dest, watch);
      on_error(detail::normalize(std::move(err)));
    };
    if constexpr (has_plain_path) {
      if (plain_) {
        std::move(hdl).then(
          [dest, on_value, watch](T& reply) mutable {
            detail::unwatch(dest, watch);
            on_value(std::move(reply));
          },
          std::move(err_handler));
        return sent;
      }
    }
    if constexpr (std::is_void_v<reply_type>) {
      std::move(hdl).then(
        [dest, on_value, watch]() mutable {
          detail::unwatch(dest, watch);
          if constexpr (std::is_void_v<T>)
            on_value();
          else
            on_value(traits::convert(dest));
        },
        std::move(err_handler));
    } else {
      std::move(hdl).then(
        [dest, on_value, watch](reply_type& reply) mutable {
          detail::unwatch(dest, watch);
          on_value(traits::convert(dest, std::move(reply)));
        },
        std::move(err_handler));
    }
    return sent;
  }

  /// Whether a `plain_reply_t` pending can differ from the traits' one.
  static constexpr bool has_plain_path = !std::is_void_v<T>
                                         && !std::is_same_v<reply_type, T>;

  caf::actor dest_;
  spawner spawn_;
  caf::message msg_;
  bool receiver_deadline_ = false;
  bool plain_ = false;
  bool used_ = false;
  std::optional<caf::timespan> timeout_;
};

/// A request to any CAF actor as a `pending<T>`, so that a task can
/// `co_await` it like a stream operation (`int sum = co_await
/// request<int>(calculator, add_atom_v, 1, 2);`), and `get` / `then` work
/// on it too. `T` is the type of the reply (`void` for an empty one); a
/// reply of another type fails with CAF's `unexpected_response`, an error
/// reply is the error. `dest` is any actor handle, typed or not.
template <class T, class Handle, class... Ts>
pending<T> request(const Handle& dest, Ts&&... xs) {
  return {typename pending<T>::plain_reply_t{},
          caf::actor_cast<caf::actor>(dest),
          caf::make_message(std::forward<Ts>(xs)...)};
}

} // namespace actorstreams
