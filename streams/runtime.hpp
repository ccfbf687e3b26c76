#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace actorstreams {

/// The actor-system configuration for actorstreams: loads the I/O module
/// (Asio threads) and CAF's middleman (`publish` / `remote_actor`: handles
/// work across nodes, docs/distributed.md), registers every message type
/// and the "streams" error category, and adds the option
/// `actorstreams.io-threads` (default 1).
/// Derive from it to add your own types and options, as from CAF's.
class config : public caf::actor_system_config {
public:
  config();

  config(config&&) = default;

  /// Sets the number of Asio I/O threads.
  config& io_threads(std::size_t count);
};

/// Closes everything actorstreams opened on `sys` (servers, connections,
/// per-connection handler actors): their pending requests fail and their
/// sockets close. `runtime` does this when destroyed; call it yourself
/// before destroying a `caf::actor_system` that you built from `config`, so
/// that none of your actors waits forever on a connection while CAF waits
/// for your actors. Does nothing on a system without the I/O module.
void shutdown(caf::actor_system& sys);

/// Call on a thread of yours that spawned actors with CAF itself
/// (`sys.spawn`, a `scoped_actor`) and outlives the runtime, once it is done
/// spawning: CAF 0.17 pins the system's logger to every thread that spawns,
/// and the system's destruction waits until each such thread has ended or
/// released it. actorstreams' own calls (get(), open_connection,
/// start_server, ...) release the thread themselves.
void release_thread() noexcept;

/// The embedded default: one line gives a working actor system with its I/O
/// threads. Destroying it closes every server and connection actorstreams
/// opened, stops the I/O threads and the system, and returns promptly;
/// should it wait longer than `actorstreams.shutdown-warning` (5 s), it says
/// on stderr what it waits for (usually a thread that needs
/// `release_thread`).
class runtime {
public:
  runtime();

  /// Takes `cfg` (or an object of a class derived from `config`).
  template <class Config,
            class = std::enable_if_t<
              std::is_base_of_v<config, std::decay_t<Config>>
              && !std::is_lvalue_reference_v<Config>>>
  explicit runtime(Config&& cfg)
    : runtime(std::unique_ptr<config>(
      new std::decay_t<Config>(std::forward<Config>(cfg)))) {
    // nop
  }

  ~runtime();

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  caf::actor_system& system() noexcept { return *sys_; }

  /// Closes everything actorstreams opened (as the destructor does) while
  /// the system keeps running.
  void shutdown();

private:
  explicit runtime(std::unique_ptr<config> cfg);

  std::unique_ptr<config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
};

} // namespace actorstreams
