#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/send.hpp>

#include "actors/pinned_actor.hpp"
#include "actors/server_actor.hpp"
#include "net/transport.hpp"
#include "streams/connection.hpp"
#include "streams/pending.hpp"
#include "streams/run.hpp"
#include "streams/task.hpp"

namespace actorstreams {

/// A listening server (asyncio's `Server`): a handle to its server actor
/// plus the addresses it bound. Cheap and copyable; the listening sockets
/// stay open until `close()` (or runtime shutdown), whether or not a handle
/// is kept.
class server {
public:
  server() = default;

  server(server_actor hdl, std::vector<std::string> addresses, uint16_t port)
    : hdl_(std::move(hdl)), addresses_(std::move(addresses)), port_(port) {
    // nop
  }

  /// The bound addresses: "127.0.0.1:8888", "[::1]:8888" or a socket path.
  std::vector<std::string> addresses() const { return addresses_; }

  /// The first socket's port (the real one when port 0 was asked for).
  uint16_t port() const { return port_; }

  /// One-way: stops accepting and closes the listening sockets. Open
  /// connections go on (see close_clients). Idempotent.
  void close() const;

  /// Replies once the server is closed and every connection it accepted has
  /// closed (asyncio 3.12+).
  pending<void> wait_closed() const;

  /// Whether it accepts connections.
  pending<bool> is_serving() const;

  /// One-way: closes every open connection it accepted (asyncio 3.13).
  void close_clients() const;

  /// One-way: aborts every open connection it accepted, dropping unsent data.
  void abort_clients() const;

  server_actor handle() const { return hdl_; }

  friend bool operator==(const server& x, const server& y) {
    return x.hdl_ == y.hdl_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, server& x) {
    return f(caf::meta::type_name("actorstreams::server"), x.hdl_,
             x.addresses_, x.port_);
  }

private:
  server_actor hdl_;
  std::vector<std::string> addresses_;
  uint16_t port_ = 0;
};

template <>
struct pending_traits<server> {
  using reply_type = listener_opened;
  static server convert(const caf::actor& hdl, listener_opened&& reply);
};

/// Options of a server.
struct server_options {
  /// Each connection's reader limit.
  std::size_t limit = default_limit;
  int backlog = 100;
  bool reuse_address = true;
  bool reuse_port = false;
  /// Unix servers: remove the socket file on close (unless replaced).
  bool cleanup_socket = true;
  std::size_t write_high_water = default_write_high_water;
  std::size_t write_low_water = default_write_low_water;
  std::size_t read_window = net::default_read_window;
  /// How long the connection waits for a new owner once its owner
  /// terminated before it closes (stream_writer::set_owner).
  caf::timespan owner_grace = default_owner_grace;
  /// Opt-in: closes each connection once no byte has come from the peer for
  /// this long (a silent or slowloris peer); pending and later reads fail
  /// with `timeout`, bytes already received stay readable. Off by default.
  caf::timespan idle_timeout = no_idle_timeout;
  /// Fault injection for tests (docs/reliability.md): on every accepted
  /// connection, the Nth read, write or close fails, or its TLS handshake
  /// does; `accept`: the Nth accepted connection fails before its handler
  /// sees it. Sockets, pipes
  /// and TLS; in-memory pairs take theirs in memory_pair_options.
  net::fault_plan faults;
  /// TLS (asyncio's `ssl`): a server context, `tls_context::server(cert,
  /// key)`. A client is handed to the handler only once its handshake
  /// succeeded; one that fails or stalls in it (until the handshake
  /// timeout) costs its socket, nothing else. Empty: plain.
  tls_context ssl;
  caf::timespan ssl_handshake_timeout = std::chrono::seconds{60};
  caf::timespan ssl_shutdown_timeout = std::chrono::seconds{30};
  /// Run each per-connection handler actor (the caf::behavior and task
  /// forms) on its connection's I/O thread, so that the two talk without a thread
  /// hand-off (docs/performance.md). Such a handler must never block, not
  /// even briefly; set false for handlers that compute for long or call
  /// blocking code, to run them on CAF's scheduler.
  bool pin_handlers = true;
};

namespace detail {

/// Reports an exception from a plain callback (asyncio's 'Unhandled
/// exception in client_connected_cb') and closes the connection.
void report_handler_exception(const connection_actor& conn,
                              std::exception_ptr ep);

/// Spawns a per-connection handler actor, hidden and shut down with the
/// system, as the connection actors are.
void track_handler(caf::actor_system& sys, const caf::actor& handler);

/// A per-connection handler actor: `fn(self, reader, writer)` makes its
/// behavior. Pinned to its connection's I/O thread when spawned with that
/// unit as host, an ordinary actor otherwise.
template <class Fn>
class handler_actor : public pinned_actor<caf::event_based_actor> {
public:
  handler_actor(caf::actor_config& cfg, Fn fn, stream_reader reader,
                stream_writer writer)
    : pinned_actor(cfg),
      fn_(std::move(fn)),
      reader_(std::move(reader)),
      writer_(std::move(writer)) {
    // nop
  }

  caf::behavior make_behavior() override {
    return fn_(this, std::move(reader_), std::move(writer_));
  }

private:
  Fn fn_;
  stream_reader reader_;
  stream_writer writer_;
};

template <class Handler>
client_handler make_client_handler(caf::actor_system& sys, Handler handler,
                                   bool pin) {
  using fn = std::decay_t<Handler>;
  if constexpr (std::is_convertible_v<fn, caf::actor>) {
    caf::actor dest = handler;
    return [dest](connection_actor conn) {
      // Owned by the handler, wherever it runs: if it (or its node) goes
      // away, the connection closes (docs/distributed.md).
      caf::anon_send(conn, owner_atom_v, dest);
      caf::anon_send(dest, connected_atom_v,
                     connection{stream_reader{conn}, stream_writer{conn}});
    };
  } else if constexpr (std::is_invocable_r_v<caf::behavior, fn,
                                             caf::event_based_actor*,
                                             stream_reader, stream_writer>) {
    return [sys = &sys, handler, pin](connection_actor conn) {
      caf::actor_config cfg{pin ? host_of(conn) : nullptr};
      auto actor = sys->spawn_class<handler_actor<fn>, caf::hidden>(
        cfg, handler, stream_reader{conn}, stream_writer{conn});
      track_handler(*sys, actor);
      caf::anon_send(conn, owner_atom_v, caf::actor_cast<caf::actor>(actor));
    };
  } else if constexpr (std::is_invocable_r_v<task<void>, fn, stream_reader,
                                             stream_writer>) {
    // One task, in one actor, per connection (asyncio wraps a coroutine
    // callback in a Task), next to its connection unless told otherwise.
    return [sys = &sys, handler, pin](connection_actor conn) {
      auto make = [handler, conn]() mutable {
        return serve_client(std::move(handler), std::move(conn));
      };
      auto host = pin ? host_of(conn) : nullptr;
      auto actor = spawn_task_actor(*sys, make_root(std::move(make), false),
                                    host, true);
      caf::anon_send(conn, owner_atom_v, actor);
    };
  } else {
    static_assert(std::is_invocable_v<fn, stream_reader, stream_writer>,
                  "a start_server handler is one of: "
                  "void(stream_reader, stream_writer), "
                  "caf::behavior(caf::event_based_actor*, stream_reader, "
                  "stream_writer), task<void>(stream_reader, stream_writer), "
                  "or a caf::actor that receives (connected_atom, "
                  "connection)");
    return [handler](connection_actor conn) {
      try {
        handler(stream_reader{conn}, stream_writer{conn});
      } catch (...) {
        report_handler_exception(conn, std::current_exception());
      }
    };
  }
}

pending<server> start_server_impl(caf::actor_system& sys,
                                  client_handler handler, bool unix_socket,
                                  std::string where, uint16_t port,
                                  server_options opts);

} // namespace detail

/// Listens on `host`:`port` (every address `host` resolves to; "" for all
/// interfaces; port 0 for a free port) and hands each client to `handler`,
/// which is one of:
/// - `void(stream_reader, stream_writer)`: a plain callback, run in the
///   server actor; it must not block (spawn an actor or use `then`);
/// - `caf::behavior(caf::event_based_actor*, stream_reader, stream_writer)`:
///   spawned as an actor per connection;
/// - `task<void>(stream_reader, stream_writer)`: a coroutine, run as a task
///   in an actor of its own per connection (streams/task.hpp); an exception
///   that escapes it is reported once on stderr ('Unhandled exception in
///   client_connected handler (peer ...)') and closes its connection;
/// - a `caf::actor` that receives `(connected_atom, connection)` per client,
///   on this node or another (docs/distributed.md).
/// A handler actor (of the last three forms) owns its connection: once it
/// has terminated, or its node is lost, the connection closes after
/// `server_options::owner_grace` unless it was handed on
/// (stream_writer::set_owner).
/// Fails with bind_failed (e.g. address in use) or invalid_argument.
template <class Handler>
pending<server> start_server(caf::actor_system& sys, Handler handler,
                             std::string host, uint16_t port,
                             server_options opts = {}) {
  return detail::start_server_impl(sys,
                                   detail::make_client_handler(sys, handler,
                                                               opts.pin_handlers),
                                   false, std::move(host), port, opts);
}

/// As `start_server`, on a Unix socket at `path`. A stale socket file is
/// replaced; the file is removed on close unless it was replaced meanwhile.
template <class Handler>
pending<server> start_unix_server(caf::actor_system& sys, Handler handler,
                                  std::string path, server_options opts = {}) {
  return detail::start_server_impl(sys,
                                   detail::make_client_handler(sys, handler,
                                                               opts.pin_handlers),
                                   true, std::move(path), 0, opts);
}

} // namespace actorstreams
