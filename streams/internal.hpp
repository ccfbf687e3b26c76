#pragma once

// Shared by the sources of open_connection and start_server; never included
// by a public header (and not installed).

#include <caf/error.hpp>

#include "actors/connection_actor.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

/// The error of a connect or a server on a system without the I/O module.
inline caf::error missing_io_module() {
  return make_error(stream_errc::not_supported,
                    "this actor system has no actorstreams I/O module: "
                    "create it from actorstreams::config");
}

/// The error of a socket on a system without I/O threads.
inline caf::error no_io_threads() {
  return make_error(stream_errc::not_supported,
                    "this actor system has no I/O threads (a deterministic "
                    "runtime): sockets cannot be opened here; use "
                    "make_memory_pair");
}

/// The connection actor's part of `connect_options` or `server_options`.
template <class Options>
connection_options to_connection_options(const Options& opts) {
  connection_options result;
  result.limit = opts.limit;
  result.write_high_water = opts.write_high_water;
  result.write_low_water = opts.write_low_water;
  result.owner_grace = opts.owner_grace;
  result.idle_timeout = opts.idle_timeout;
  result.faults = opts.faults;
  return result;
}

} // namespace actorstreams
