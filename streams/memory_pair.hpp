#pragma once

#include <cstddef>
#include <utility>

#include "net/memory_transport.hpp"
#include "streams/bytes.hpp"
#include "streams/connection.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace actorstreams {

/// Fault injection (Beast's fail_count): the Nth read delivery, write or
/// close of a memory pair's FIRST connection fails with `error` (0 =
/// never). After a read fault, the bytes delivered before stay readable,
/// then reads fail with `error`; a write fault makes the next drain fail
/// with it (the write is not sent); a close fault makes wait_closed fail
/// with it. The other connection sees EOF after what it had received. A
/// test can loop N over every failure point of a scenario (docs/testing.md).
using net::fault_plan;

/// Options of `make_memory_pair`.
struct memory_pair_options {
  /// Deliver bytes in pieces of this size; 0: as written.
  std::size_t chunk = 0;
  /// Each side's reader limit.
  std::size_t limit = default_limit;
  /// Faults of the first connection.
  fault_plan faults;
};

/// Two connections wired back to back in memory (trio's
/// `memory_stream_pair`): what one side writes, the other reads; write_eof,
/// close and flow control behave as on a socket pair (net/memory_transport.hpp).
/// For message-based tests of protocol code with no sockets at all; works on
/// any actor system (no I/O module needed). See docs/testing.md.
std::pair<connection, connection>
make_memory_pair(caf::actor_system& sys, memory_pair_options opts = {});

} // namespace actorstreams
