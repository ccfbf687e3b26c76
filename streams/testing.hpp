#pragma once

// The test kit for users' message-based unit tests (API.md section 8,
// docs/testing.md): a deterministic runtime on CAF's test coordinator with
// virtual time, fault plans on memory pairs (streams/memory_pair.hpp), and a
// scripted peer. No GoogleTest here: its matchers and printers are in
// streams/testing_gtest.hpp.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/sec.hpp>
#include <caf/timespan.hpp>

#include "streams/bytes.hpp"
#include "streams/connection.hpp"
#include "streams/errors.hpp"
#include "streams/memory_pair.hpp"
#include "streams/pending.hpp"
#include "streams/run.hpp"
#include "streams/runtime.hpp"
#include "streams/task.hpp"

namespace caf::scheduler {
class test_coordinator;
} // namespace caf::scheduler

namespace actorstreams::testing {

/// The reply to a request that `deterministic_runtime::start` sent: empty
/// until the system delivers it (`run`, `step`, `advance_time`, an await).
template <class T>
class reply {
public:
  reply() : slot_(std::make_shared<std::optional<caf::expected<T>>>()) {
    // nop
  }

  /// Whether the reply has come.
  bool ready() const noexcept { return slot_->has_value(); }

  /// The reply (once), or an error if it has not come yet.
  caf::expected<T> take() {
    if (!ready())
      return make_error(stream_errc::timeout,
                        "no reply yet: run the deterministic runtime first");
    auto result = std::move(**slot_);
    slot_->reset();
    return result;
  }

private:
  friend class deterministic_runtime;

  std::shared_ptr<std::optional<caf::expected<T>>> slot_;
};

/// An actor system whose every actor (connection actors, your handler
/// actors and tasks, the deadline machinery) runs on CAF 0.17's test
/// coordinator: no scheduler threads, no I/O threads, virtual time, one
/// message at a time, in the order they were sent. The same scenario
/// delivers the same messages in the same order on every run.
///
/// Time moves only when the test says so: `advance_time`, or an `await`
/// with a timeout. Memory pairs (`make_memory_pair`, with
/// `memory_pair_options::faults`) and in-memory readers work in it; opening
/// a socket or a server fails with not_supported. `pending::get()` and
/// `run(sys, task)` inside it fail at once with invalid_argument (nothing
/// would run while they block): use `await`. Not thread-safe: drive it from
/// one thread.
class deterministic_runtime {
public:
  deterministic_runtime();

  /// With your own settings and message types (derive from `config`); the
  /// scheduler and the I/O threads are set here.
  explicit deterministic_runtime(config cfg);

  /// Stops every actor actorstreams spawned (delivering what that takes)
  /// and the system; actors of yours that are still alive do not hold it up.
  ~deterministic_runtime();

  deterministic_runtime(const deterministic_runtime&) = delete;
  deterministic_runtime& operator=(const deterministic_runtime&) = delete;

  caf::actor_system& system() noexcept { return *sys_; }

  /// Delivers one message (runs one actor for one message); false when
  /// nothing is pending.
  bool step();

  /// Delivers messages until nothing is pending; returns how many.
  std::size_t run();

  /// Moves the virtual clock by `d`, firing what falls due; returns how many
  /// timers fired. (Run the messages they sent with `run`.)
  std::size_t advance_time(caf::timespan d);

  /// The virtual clock's current time.
  caf::actor_clock::time_point now() const;

  /// Sends `p` from an actor of its own and returns at once: several
  /// requests can wait at the same time (FIFO tests), their replies come as
  /// the system runs. Nothing is delivered yet.
  template <class T>
  reply<T> start(pending<T> p) {
    reply<T> result;
    auto request = std::make_shared<pending<T>>(std::move(p));
    send_from_helper([request, out = result.slot_](caf::event_based_actor* helper) {
      auto on_error = [out](caf::error err) { out->emplace(std::move(err)); };
      if constexpr (std::is_void_v<T>)
        request->then(helper, [out] { out->emplace(); }, on_error);
      else
        request->then(
          helper, [out](T value) { out->emplace(std::move(value)); },
          on_error);
    });
    return result;
  }

  /// Sends `p` and runs the system until its reply: the value, or its
  /// error; an error (timeout) if the system went idle with no reply.
  template <class T>
  caf::expected<T> await(pending<T> p) {
    return await_impl(std::move(p), std::nullopt);
  }

  /// As `await`, with a deadline on virtual time: whenever the system is
  /// idle, the clock jumps to the next due timer, so a 30 s deadline takes
  /// microseconds. A read that times out consumes nothing (its connection
  /// enforces the deadline, as always).
  template <class T>
  caf::expected<T> await(pending<T> p, caf::timespan timeout) {
    return await_impl(std::move(p).with_timeout(timeout), timeout);
  }

  /// Runs `t` in an actor of its own (as `spawn_task`) until it ends: its
  /// value, or its exception as an error (a `stream_error`'s own error;
  /// sec::runtime_error with the text of any other). If the system goes
  /// idle first, the task is cancelled (consuming nothing) and the result is
  /// a timeout error.
  template <class T>
  caf::expected<T> await(task<T> t) {
    return await_task(std::move(t), std::nullopt);
  }

  /// As `await(task)`, with the clock jumping to the next due timer whenever
  /// the system is idle, up to `timeout` of virtual time: then the task is
  /// cancelled and the result is a timeout error.
  template <class T>
  caf::expected<T> await(task<T> t, caf::timespan timeout) {
    return await_task(std::move(t), timeout);
  }

private:
  template <class T>
  caf::expected<T> await_impl(pending<T> p,
                              std::optional<caf::timespan> timeout) {
    auto answer = start(std::move(p));
    // Where the receiver enforces the deadline, its answer comes then; the
    // requester's own timeout, receiver_grace later, is the backstop.
    run_until([&answer] { return answer.ready(); },
              timeout ? std::optional{*timeout + pending<T>::receiver_grace}
                      : std::nullopt);
    if (!answer.ready())
      return went_idle("the reply");
    return answer.take();
  }

  template <class T>
  caf::expected<T> await_task(task<T> t, std::optional<caf::timespan> timeout) {
    auto result = std::make_shared<actorstreams::detail::run_result<T>>();
    auto make = [t = std::move(t), result,
                 guard = actorstreams::detail::run_guard<T>{result}]() mutable {
      return actorstreams::detail::run_root(std::move(t), result);
    };
    auto actor = spawn_task_actor(*sys_,
                                  actorstreams::detail::make_root(std::move(make), false),
                                  nullptr, true);
    run_until([result] { return result->finished(); }, timeout);
    if (!result->finished()) {
      cancel(actor);
      return went_idle("the task's end");
    }
    try {
      if constexpr (std::is_void_v<T>) {
        result->wait(); // returns at once: finished
        return {};
      } else {
        return result->wait();
      }
    } catch (const stream_error& e) {
      return e.error();
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string{e.what()});
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error,
                             std::string{"unknown exception"});
    }
  }

  /// Runs `fn(helper)` in a fresh hidden actor of this system, which lives
  /// until its requests are answered.
  void send_from_helper(std::function<void(caf::event_based_actor*)> fn);

  /// Delivers messages until `done()` or nothing is pending. With a
  /// `budget`, whenever nothing is pending it fires the next timer as long
  /// as that one falls due within `budget` of virtual time from the start.
  void run_until(const std::function<bool()>& done,
                 std::optional<caf::timespan> budget);

  /// Kills `actor` and delivers what that takes.
  void cancel(const caf::actor& actor);

  /// The error of an await that ended with no result.
  caf::error went_idle(const char* what) const;

  std::unique_ptr<config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
};

// -- fault plans ----------------------------------------------------------------

/// `memory_pair_options::faults` (streams/memory_pair.hpp).
using actorstreams::fault_plan;

// -- a scripted peer ------------------------------------------------------------

/// What a scripted peer does, step by step, in the spirit of tokio-test's
/// IO builder:
///
///     script{}.expect("EHLO me\r\n").send("250 OK\r\n").expect_eof()
class script {
public:
  /// The next bytes the peer must receive, exactly. Bytes are checked as
  /// they arrive: a wrong byte fails the script at once with a report of
  /// expected and received bytes, as does EOF before the last one.
  script& expect(bytes data);

  /// Bytes the peer sends; the next step starts once they are drained.
  script& send(bytes data);

  /// Waits `d` (virtual time in a deterministic runtime: await the script
  /// with a timeout, or advance_time, for the clock to move).
  script& pause(caf::timespan d);

  /// Half-closes: the other side reads EOF after what was sent, and can
  /// still write.
  script& eof();

  /// Closes the connection after what was sent.
  script& close();

  /// Aborts the connection: what the other side has not received yet is
  /// lost. On a memory pair the other side then sees EOF after what it had
  /// received (for a connection_reset there, use a fault plan); over a
  /// socket, it sees what its OS makes of an abort.
  script& reset();

  /// The peer must see EOF from the other side now: no more bytes.
  script& expect_eof();

  struct step {
    enum class kind { expect, send, pause, eof, close, reset, expect_eof };
    kind what;
    bytes data;
    caf::timespan delay{0};
  };

  const std::vector<step>& steps() const noexcept { return steps_; }

private:
  std::vector<step> steps_;
};

/// Runs `s` as the peer on `peer` (one end of a memory pair, or any
/// connection) in an actor of its own, once awaited. The pending completes
/// when the last step has run; it fails with invalid_argument and a report
/// on a mismatch ("scripted peer, step 2 of 3 (expect): expected
/// 'EHLO me\r\n' (9 bytes), received 'HELO' (4 bytes); first difference
/// at byte 0"), with the connection's error (its message prefixed with the
/// step), or, given a timeout (`with_timeout`, `get(d)`, `await(p, d)`),
/// with timeout and what the step had received by then.
pending<void> run_script(caf::actor_system& sys, connection peer, script s);

/// How `expected` and `received` differ, as run_script reports it (use it
/// in your own checks too): both quoted with C escapes (long ones shortened
/// around the first difference), their sizes, and where they first differ.
/// Empty if they are equal.
std::string describe_mismatch(const bytes& expected, const bytes& received);

} // namespace actorstreams::testing
