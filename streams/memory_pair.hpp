#pragma once

#include <cstddef>
#include <utility>

#include "streams/bytes.hpp"
#include "streams/connection.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace actorstreams {

/// Options of `make_memory_pair`.
struct memory_pair_options {
  /// Deliver bytes in pieces of this size; 0: as written.
  std::size_t chunk = 0;
  /// Each side's reader limit.
  std::size_t limit = default_limit;
};

/// Two connections wired back to back in memory (trio's
/// `memory_stream_pair`): what one side writes, the other reads; write_eof,
/// close and flow control behave as on a socket pair (net/memory_transport.hpp).
/// For message-based tests of protocol code with no sockets at all; works on
/// any actor system (no I/O module needed). See docs/testing.md.
std::pair<connection, connection>
make_memory_pair(caf::actor_system& sys, memory_pair_options opts = {});

} // namespace actorstreams
