#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "net/fault_plan.hpp"
#include "net/transport.hpp"
#include "streams/errors.hpp"

namespace actorstreams::net {

/// Options of an in-memory transport pair.
struct memory_options {
  /// Deliver bytes in pieces of at most this size; 0: as written.
  std::size_t chunk = 0;
  /// Read credit per end (see transport.hpp).
  std::size_t read_window = default_read_window;
  /// Faults of the first transport (read, write and close; a failed read
  /// delivery drops its bytes, a failed write sends nothing, a failed close
  /// reports the error; then the transport is lost with the error and its
  /// peer sees EOF after what it had received).
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
