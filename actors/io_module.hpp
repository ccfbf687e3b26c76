#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/fwd.hpp>

#include "actors/io_unit.hpp"
#include "net/io_threads.hpp"

namespace actorstreams {

/// The actor-system module that owns the Asio I/O threads, their execution
/// units (one per thread: where connection actors run, see
/// actors/pinned_actor.hpp), and shuts down every actor actorstreams spawned.
///
/// Loaded by `actorstreams::config`. Option `actorstreams.io-threads`
/// (default 1) sets the thread count. CAF 0.17 has a fixed set of module
/// slots; this module takes the `network_manager` slot, which only the
/// never-released libcaf_net would use.
///
/// Shutdown: `shutdown()` (called by `runtime`'s destructor, and by `stop()`
/// when the system goes down) sends an exit to every tracked actor and waits
/// for them, so their transports close before the I/O threads stop.
class io_module : public caf::actor_system::module {
public:
  explicit io_module(caf::actor_system& sys);
  ~io_module() override;

  /// The module of `sys`, or nullptr if `sys` was not built from
  /// `actorstreams::config`.
  static io_module* try_of(caf::actor_system& sys) noexcept;

  /// The I/O threads.
  net::io_threads& io() noexcept { return io_; }

  /// Whether there are I/O threads at all: none with `actorstreams.io-threads`
  /// 0 (a deterministic runtime, streams/testing.hpp), where no socket can
  /// be opened and every actor runs on CAF's scheduler.
  bool has_io() const noexcept { return !units_.empty(); }

  /// The execution unit of I/O thread `index`.
  io_unit& unit(std::size_t index) { return *units_.at(index); }

  /// Where a new pinned actor should run: the calling I/O thread's unit,
  /// else the next one in turn (see net::io_threads::pick).
  io_unit& pick_unit() { return unit(io_.pick()); }

  /// Remembers `actor` (weakly) so that `shutdown()` terminates it.
  void track(const caf::strong_actor_ptr& actor);

  /// How many tracked actors are alive (connections, servers, handlers):
  /// tests check that nothing outlives its connection.
  std::size_t tracked() const;

  /// Terminates every tracked actor and waits (at most a few seconds) until
  /// they are gone (on the test coordinator, which runs only when told to,
  /// it does not wait: the deterministic runtime delivers the exits).
  /// Idempotent.
  void shutdown();

  /// Sends every tracked actor an exit and returns at once. Idempotent.
  void request_shutdown();

  /// The system's deadline relay (actors/deadline_relay.hpp), spawned on
  /// first use and tracked like every other actor of actorstreams.
  caf::actor deadline_relay();

  // -- caf::actor_system::module ---------------------------------------------

  static caf::actor_system::module* make(caf::actor_system& sys,
                                         caf::detail::type_list<>);

  void start() override;
  void stop() override;
  void init(caf::actor_system_config& cfg) override;
  id_t id() const override;
  void* subtype_ptr() override;

private:
  struct tracker;

  caf::actor_system& sys_;
  net::io_threads io_;
  std::vector<std::unique_ptr<io_unit>> units_;
  std::size_t threads_ = 1;
  std::shared_ptr<tracker> tracker_;
  std::mutex relay_mtx_;
  caf::actor relay_;
};

/// Whether `sys` runs on CAF's test coordinator (a deterministic runtime,
/// streams/testing.hpp): nothing runs unless the test delivers it, so
/// nothing may block waiting for an actor.
bool runs_deterministically(caf::actor_system& sys) noexcept;

} // namespace actorstreams
