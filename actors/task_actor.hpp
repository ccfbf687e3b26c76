#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/pinned_actor.hpp"

namespace actorstreams {

class task_actor;

/// The coroutine an actor runs (streams/run.hpp makes them from tasks).
class task_root {
public:
  virtual ~task_root() = default;

  /// Starts the coroutine in `host`; it tells `host.finish()` when it ends.
  virtual void start(task_actor& host) = 0;
};

/// The actor a top-level coroutine task runs in (streams/task.hpp): the
/// task's code is this actor's code, single-threaded as an asyncio task, and
/// every `co_await` is a request from this actor whose reply resumes it.
///
/// It lives until its root task ends (it then quits, with an error if the
/// task failed) or it is killed. When it terminates, the task and everything
/// it awaits are destroyed: each abandoned read is cancelled at its
/// connection and consumes nothing (docs/coroutines.md).
///
/// Spawned with an `io_unit` as host, it is pinned to that I/O thread, next
/// to a connection (server handlers); otherwise it runs on CAF's scheduler.
class task_actor : public pinned_actor<caf::event_based_actor> {
public:
  using super = pinned_actor<caf::event_based_actor>;

  task_actor(caf::actor_config& cfg, std::unique_ptr<task_root> root);

  ~task_actor() override;

  caf::behavior make_behavior() override;

  void on_exit() override;

  const char* name() const override { return "actorstreams.task"; }

  /// Resumes `h` after `delay` unless `cancel_wake(token)` comes first.
  /// Returns the (non-zero) token.
  uint64_t wake_after(caf::timespan delay, std::coroutine_handle<> h);

  /// Forgets a wake-up (its sleeper is gone). Unknown tokens are ignored.
  void cancel_wake(uint64_t token) noexcept;

  /// The root task ended: the actor quits with `reason` (none: normally),
  /// once no abandoned read is still to be answered.
  void finish(caf::error reason);

  /// A cancelled task abandoned a read from `conn` whose answer is still to
  /// come: the actor stays until `release(conn)`, so that it can give those
  /// bytes back, and its next reads from `conn` wait (`defer`) until then.
  void hold(const caf::actor& conn);

  /// The answer to an abandoned read from `conn` arrived (and went back):
  /// the deferred reads go out, in order.
  void release(const caf::actor& conn);

  /// Whether an abandoned read from `conn` is still to be answered.
  bool holds(const caf::actor& conn) const noexcept;

  /// Runs `send` once `conn` is no longer held.
  void defer(const caf::actor& conn, std::function<void()> send);

private:
  std::unique_ptr<task_root> root_;
  std::unordered_map<uint64_t, std::coroutine_handle<>> sleepers_;
  uint64_t next_token_ = 0;
  /// make_behavior is starting the root: a finish now must wait for it.
  bool starting_ = false;
  bool finished_ = false;
  caf::error exit_reason_;
  /// Connections with abandoned reads not answered yet.
  struct held_connection {
    caf::actor conn;
    std::size_t reads = 0;
    std::vector<std::function<void()>> deferred;
  };
  std::vector<held_connection> held_;
};

/// Spawns a task actor that runs `root`. `host`: an I/O thread's unit to pin
/// it to, or nullptr (CAF's scheduler). A hidden actor does not hold up
/// `await_all_actors_done`. Either way, the system's I/O module (if any)
/// terminates it at shutdown, as asyncio.run cancels the tasks left over.
caf::actor spawn_task_actor(caf::actor_system& sys,
                            std::unique_ptr<task_root> root,
                            caf::execution_unit* host, bool hidden);

} // namespace actorstreams
