#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/message_id.hpp>
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
/// task failed) or it is stopped. An exit message (`anon_send_exit`, a
/// link, the runtime's shutdown) cancels the task, as `Task.cancel()` does
/// in asyncio: the coroutines are destroyed at once, each abandoned read is
/// cancelled at its connection, and the actor quits with the exit's reason
/// as soon as every such read is accounted for (its bytes given back, or
/// its cancel confirmed), at most `cancel_grace` later. So a stopped task
/// consumes nothing. A linked actor's normal exit is not a stop (as in
/// CAF). `exit_reason::kill` cannot be intercepted in CAF: the
/// actor then dies at once, and the answers to the reads it abandoned are
/// given back as they arrive, from its mailbox or as they are delivered to
/// the dead actor (docs/coroutines.md).
///
/// Spawned with an `io_unit` as host, it is pinned to that I/O thread, next
/// to a connection (server handlers); otherwise it runs on CAF's scheduler.
class task_actor : public pinned_actor<caf::event_based_actor> {
public:
  using super = pinned_actor<caf::event_based_actor>;

  /// How long a stopped task actor waits for the answers to its abandoned
  /// reads (from a connection on a node that stopped answering, say).
  static constexpr auto cancel_grace = std::chrono::seconds{5};

  task_actor(caf::actor_config& cfg, std::unique_ptr<task_root> root);

  ~task_actor() override;

  caf::behavior make_behavior() override;

  void on_exit() override;

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override;

  const char* name() const override { return "actorstreams.task"; }

  /// Resumes `h` after `delay` unless `cancel_wake(token)` comes first.
  /// Returns the (non-zero) token.
  uint64_t wake_after(caf::timespan delay, std::coroutine_handle<> h);

  /// Forgets a wake-up (its sleeper is gone). Unknown tokens are ignored.
  void cancel_wake(uint64_t token) noexcept;

  /// The root task ended: the actor quits with `reason` (none: normally),
  /// once no abandoned read is still to be answered.
  void finish(caf::error reason);

  /// A cancelled task abandons its read from `conn` whose answer, with the
  /// id `request` (as `pending::send_then` returned it), is still to come:
  /// the read is cancelled at the connection (`cancel_atom`) and held (see
  /// `hold`). Returns false, doing nothing, while the actor is being torn
  /// down without on_exit (it can send nothing then; the connection drops
  /// the read when its monitor reports the actor gone).
  bool abandon(const caf::actor& conn, caf::message_id request);

  /// The actor stays until `release(conn, request)`, so that it can give the
  /// answer's bytes back, and its next reads from `conn` wait (`defer`)
  /// until then.
  void hold(const caf::actor& conn, caf::message_id request);

  /// The answer to the abandoned `request` arrived (and went back): once
  /// no read from `conn` is held, the deferred reads go out, in order.
  void release(const caf::actor& conn, caf::message_id request);

  /// Whether an abandoned read from `conn` is still to be answered.
  bool holds(const caf::actor& conn) const noexcept;

  /// Runs `send` once `conn` is no longer held.
  void defer(const caf::actor& conn, std::function<void()> send);

private:
  /// Cancels the task (an exit message): see the class comment.
  void stop(caf::error reason);

  /// Quits with `exit_reason_` if the task is over and nothing is held.
  void quit_when_done();

  /// Dying: gives back the answers to held reads that are already in the
  /// mailbox, and bounces the requests there as CAF's own cleanup would.
  void give_back_mailbox();

  /// If `answer` (with id `answer_id`) answers an orphaned read, gives its
  /// bytes back to that read's connection and returns true. Any thread;
  /// needs `orphan_mtx_`.
  bool give_back_orphan(caf::message_id answer_id,
                        caf::type_erased_tuple& answer);

  std::unique_ptr<task_root> root_;
  std::unordered_map<uint64_t, std::coroutine_handle<>> sleepers_;
  uint64_t next_token_ = 0;
  /// make_behavior is starting the root: a finish now must wait for it.
  bool starting_ = false;
  bool finished_ = false;
  bool stopping_ = false;
  /// In the destructor: the coroutines are destroyed, nothing is sent.
  bool destroying_ = false;
  caf::error exit_reason_;
  /// Connections with abandoned reads not answered yet.
  struct held_connection {
    caf::actor conn;
    std::vector<caf::message_id> reads;
    std::vector<std::function<void()>> deferred;
  };
  std::vector<held_connection> held_;
  /// Set by on_exit: the reads still held when the actor died, whose
  /// answers may yet be delivered to the dead actor (from any thread).
  /// Recursive: a bounce of a dying actor's request to itself re-enters
  /// enqueue on the same thread.
  std::recursive_mutex orphan_mtx_;
  bool dead_ = false;
  std::vector<std::pair<caf::actor, caf::message_id>> orphans_;
};

/// Spawns a task actor that runs `root`. `host`: an I/O thread's unit to pin
/// it to, or nullptr (CAF's scheduler). A hidden actor does not hold up
/// `await_all_actors_done`. Either way, the system's I/O module (if any)
/// terminates it at shutdown, as asyncio.run cancels the tasks left over.
caf::actor spawn_task_actor(caf::actor_system& sys,
                            std::unique_ptr<task_root> root,
                            caf::execution_unit* host, bool hidden);

} // namespace actorstreams
