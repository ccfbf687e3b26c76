#pragma once

namespace actorstreams {

/// Undoes CAF 0.17's pinning of a system's logger to a plain thread.
///
/// Spawning an actor (a scoped actor included) pins the system's logger to
/// the calling thread, and `~actor_system` waits until no thread holds it:
/// a live thread that once called `get()` would make the runtime's
/// destructor hang. On destruction, unpins the thread unless it was pinned
/// before (an actor's own thread, or one that spawns actors itself).
class thread_logger_guard {
public:
  thread_logger_guard() noexcept;
  ~thread_logger_guard();

  thread_logger_guard(const thread_logger_guard&) = delete;
  thread_logger_guard& operator=(const thread_logger_guard&) = delete;

private:
  bool was_pinned_;
};

} // namespace actorstreams
