#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "net/transport.hpp"
#include "streams/errors.hpp"

namespace actorstreams::net {

/// Fault injection on the first transport of a pair (Beast's fail_count):
/// the Nth operation of a kind fails with `error` (0: never). A failed read
/// delivery drops the bytes it would have delivered (those delivered before
/// stay with the receiver), a failed write sends nothing, a failed close
/// reports the error instead of closing cleanly; the transport is then
/// lost with `error`, and its peer sees EOF after what it had received.
struct fault_plan {
  std::size_t read = 0;
  std::size_t write = 0;
  std::size_t close = 0;
  stream_errc error = stream_errc::connection_reset;
};

/// Options of an in-memory transport pair.
struct memory_options {
  /// Deliver bytes in pieces of at most this size; 0: as written.
  std::size_t chunk = 0;
  /// Read credit per end (see transport.hpp).
  std::size_t read_window = default_read_window;
  /// Faults of the first transport.
  fault_plan faults;
};

/// Two transports wired back to back in memory (trio's
/// `memory_stream_pair`): what one writes, the other receives, with the
/// semantics of a socket pair:
/// - the write buffer of one end is what the other has not taken yet, so
///   a peer that stops reading makes drain() wait;
/// - `write_eof` gives the other end EOF after the data;
/// - `close` gives the other end EOF after the data; writing to an end whose
///   peer closed, or closing while the peer still has data in flight to
///   us, fails the writer with connection_reset (as a TCP RST would);
/// - `abort` drops what the other end has not taken yet, then closes.
/// Thread-safe; no I/O threads are involved.
std::pair<transport_ptr, transport_ptr>
make_memory_transports(memory_options opts = {});

} // namespace actorstreams::net
