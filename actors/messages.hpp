#pragma once

// Every atom and message type of actorstreams, in one place.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>
#include <caf/type_id.hpp>

#include <caf/allowed_unsafe_message_type.hpp>

#include "net/tls.hpp"
#include "streams/bytes.hpp"

namespace caf {
class actor_system_config;
} // namespace caf

// start_tls carries TLS settings (an SSL_CTX): local only, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorstreams::net::tls_options)

// -- atoms (text <= 10 characters; equal text means the same type) -----------

CAF_ADD_ATOM(actorstreams, actorstreams, read_atom, "read")
CAF_ADD_ATOM(actorstreams, actorstreams, readline_atom, "readline")
CAF_ADD_ATOM(actorstreams, actorstreams, readexactly_atom, "readexact")
CAF_ADD_ATOM(actorstreams, actorstreams, readuntil_atom, "readuntil")
CAF_ADD_ATOM(actorstreams, actorstreams, at_eof_atom, "at_eof")
CAF_ADD_ATOM(actorstreams, actorstreams, exception_atom, "exception")
CAF_ADD_ATOM(actorstreams, actorstreams, feed_data_atom, "feed_data")
CAF_ADD_ATOM(actorstreams, actorstreams, feed_eof_atom, "feed_eof")
CAF_ADD_ATOM(actorstreams, actorstreams, set_exception_atom, "set_exc")
CAF_ADD_ATOM(actorstreams, actorstreams, cancel_atom, "cancel")
CAF_ADD_ATOM(actorstreams, actorstreams, unread_atom, "unread")
CAF_ADD_ATOM(actorstreams, actorstreams, wake_atom, "wake")
CAF_ADD_ATOM(actorstreams, actorstreams, subscribe_atom, "subscribe")
CAF_ADD_ATOM(actorstreams, actorstreams, grant_atom, "grant")
CAF_ADD_ATOM(actorstreams, actorstreams, unsubscribe_atom, "unsubscrib")
CAF_ADD_ATOM(actorstreams, actorstreams, frame_atom, "frame")
CAF_ADD_ATOM(actorstreams, actorstreams, stream_end_atom, "stream_end")
CAF_ADD_ATOM(actorstreams, actorstreams, start_tls_atom, "start_tls")
CAF_ADD_ATOM(actorstreams, actorstreams, write_atom, "write")
CAF_ADD_ATOM(actorstreams, actorstreams, writelines_atom, "writelines")
CAF_ADD_ATOM(actorstreams, actorstreams, drain_atom, "drain")
CAF_ADD_ATOM(actorstreams, actorstreams, can_write_eof_atom, "can_wr_eof")
CAF_ADD_ATOM(actorstreams, actorstreams, write_eof_atom, "write_eof")
CAF_ADD_ATOM(actorstreams, actorstreams, close_atom, "close")
CAF_ADD_ATOM(actorstreams, actorstreams, abort_atom, "abort")
CAF_ADD_ATOM(actorstreams, actorstreams, is_closing_atom, "is_closing")
CAF_ADD_ATOM(actorstreams, actorstreams, wait_closed_atom, "wait_close")
CAF_ADD_ATOM(actorstreams, actorstreams, extra_info_atom, "extra_info")
CAF_ADD_ATOM(actorstreams, actorstreams, connect_atom, "connect")
CAF_ADD_ATOM(actorstreams, actorstreams, connected_atom, "connected")
CAF_ADD_ATOM(actorstreams, actorstreams, owner_atom, "owner")
CAF_ADD_ATOM(actorstreams, actorstreams, serve_atom, "serve")
CAF_ADD_ATOM(actorstreams, actorstreams, is_serving_atom, "is_serving")
CAF_ADD_ATOM(actorstreams, actorstreams, close_clients_atom, "close_cli")
CAF_ADD_ATOM(actorstreams, actorstreams, abort_clients_atom, "abort_cli")

namespace actorstreams {

/// "No deadline" in the deadline slot that ends a request message.
inline constexpr caf::timespan no_deadline = caf::timespan::max();

/// How long a connection whose owner is gone waits for a new one before it
/// closes (connection_actor.hpp, `owner_atom`).
inline constexpr caf::timespan default_owner_grace = std::chrono::seconds{5};

/// `idle_timeout` off: a connection may stay silent for ever.
inline constexpr caf::timespan no_idle_timeout = caf::timespan::zero();

// -- requests -------------------------------------------------------------------

/// The read operations of a connection (readframe: a length-prefixed
/// frame, `n` being the width of its length).
enum class read_op : uint8_t { read, readline, readexactly, readuntil, readframe };

/// One read request, as the handles send it:
/// `(read_atom, read_request, caf::timespan deadline)`.
struct read_request {
  read_op op = read_op::read;
  /// The size for read / readexactly, the length's width for readframe.
  int64_t n = -1;
  /// The separators for readuntil.
  std::vector<bytes> separators;

  friend bool operator==(const read_request&, const read_request&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_request& x) {
  auto op = static_cast<uint8_t>(x.op);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.op = static_cast<read_op>(op);
    return caf::none;
  });
  return f(caf::meta::type_name("actorstreams::read_request"), op, x.n,
           x.separators, load);
}

/// The reply to `exception_atom`. A struct, because CAF takes a reply that
/// is a lone `caf::error` for a failure.
struct stored_exception {
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_exception& x) {
  return f(caf::meta::type_name("actorstreams::stored_exception"), x.error);
}

// -- events a transport sends its connection actor ---------------------------

/// The transport connected (accepted connections: at once).
struct transport_connected {};

/// Bytes arrived from the transport.
struct data_received {
  bytes data;
};

/// The peer sent EOF.
struct eof_received {};

/// The write buffer fell to the low-water mark.
struct writing_resumed {};

/// The transport closed; `reason` is none after a local close.
struct transport_closed {
  caf::error reason;
};

/// A start_tls upgrade ended: none on success, a tls_error otherwise.
struct tls_upgraded {
  caf::error reason;
};

/// A deadline armed at the time `token` encodes arrived (through the
/// deadline relay, actors/deadline_relay.hpp).
struct deadline_passed {
  uint64_t token = 0;
};

// -- events of a server actor ---------------------------------------------------

/// The listener is bound.
struct listener_opened {
  std::vector<std::string> addresses;
  uint16_t port = 0;
};

/// Binding failed.
struct listener_failed {
  caf::error reason;
};

/// One of the server's connections closed its transport (or its actor is
/// gone); `id` is the connection actor's id.
struct client_closed {
  uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_connected&) {
  return f(caf::meta::type_name("actorstreams::transport_connected"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, data_received& x) {
  return f(caf::meta::type_name("actorstreams::data_received"), x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, eof_received&) {
  return f(caf::meta::type_name("actorstreams::eof_received"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, writing_resumed&) {
  return f(caf::meta::type_name("actorstreams::writing_resumed"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_closed& x) {
  return f(caf::meta::type_name("actorstreams::transport_closed"), x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tls_upgraded& x) {
  return f(caf::meta::type_name("actorstreams::tls_upgraded"), x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deadline_passed& x) {
  return f(caf::meta::type_name("actorstreams::deadline_passed"), x.token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listener_opened& x) {
  return f(caf::meta::type_name("actorstreams::listener_opened"), x.addresses,
           x.port);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listener_failed& x) {
  return f(caf::meta::type_name("actorstreams::listener_failed"), x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_closed& x) {
  return f(caf::meta::type_name("actorstreams::client_closed"), x.id);
}

/// Registers every type above, the error payloads, and the typed handles
/// (connection_actor, server_actor) with `cfg`, under portable names
/// ("actorstreams::read_request", ...), so that they cross nodes.
void register_message_types(caf::actor_system_config& cfg);

} // namespace actorstreams
