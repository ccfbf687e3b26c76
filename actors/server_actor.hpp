#pragma once

#include <functional>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/connection_actor.hpp"
#include "actors/messages.hpp"
#include "net/sockets.hpp"

namespace actorstreams {

/// A listening server: asyncio's `Server`. It owns the listener and spawns
/// one connection actor per client, which it hands to its client handler.
///
/// - `(serve_atom, caf::timespan deadline)` binds and starts accepting;
///   replies `listener_opened` (the bound addresses and port), or fails with
///   `bind_failed`, `invalid_argument` or `timeout`. Sent once, by
///   `start_server`.
/// - `(close_atom)` stops accepting and closes the listening sockets
///   (removing a Unix socket file, see net/sockets.hpp). Idempotent. Open
///   connections go on.
/// - `(wait_closed_atom)` replies once the server is closed, its listening
///   sockets are closed (a Unix socket file removed), and every connection
///   it accepted has closed its transport (asyncio 3.12+).
/// - `(is_serving_atom)` replies whether it accepts connections.
/// - `(close_clients_atom)` / `(abort_clients_atom)` close (flushing
///   writes) or abort every open connection it accepted (asyncio 3.13).
/// - `listener_opened`, `listener_failed`, `(connected_atom,
///   connection_actor)` and `client_closed` are the events its listener and
///   its connections send it.
///
/// While it listens, the listener keeps it alive; after `close`, it lives
/// while handles to it exist.
using server_actor = caf::typed_actor<
  caf::replies_to<serve_atom, caf::timespan>::with<listener_opened>,
  caf::reacts_to<close_atom>, caf::replies_to<wait_closed_atom>::with<void>,
  caf::replies_to<is_serving_atom>::with<bool>,
  caf::reacts_to<close_clients_atom>, caf::reacts_to<abort_clients_atom>,
  // -- events -----------------------------------------------------------------
  caf::reacts_to<listener_opened>, caf::reacts_to<listener_failed>,
  caf::reacts_to<connected_atom, connection_actor>,
  caf::reacts_to<client_closed>, caf::reacts_to<deadline_passed>>;

/// Runs in the server actor for each accepted connection; must not block.
using client_handler = std::function<void(connection_actor)>;

/// Spawns a server actor over `listener`. Nothing happens until it receives
/// `serve_atom`. Hidden and shut down with the system, as connections are.
server_actor spawn_server(caf::actor_system& sys, net::listener_ptr listener,
                          client_handler handler, connection_options opts);

} // namespace actorstreams
