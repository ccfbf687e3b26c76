#pragma once

#include <cstddef>

#include "streams/errors.hpp"

namespace actorstreams::net {

/// Fault injection (Beast's fail_count): the Nth operation of a kind fails
/// (0: never). Used by in-memory pairs (memory_options::faults, read / write
/// / close) and, through `inject_faults` (net/fault_transport.hpp), by every
/// transport on an I/O thread: TCP, Unix, adopted sockets, pipes, TLS
/// (connect_options::faults, server_options::faults).
struct fault_plan {
  /// The Nth delivery of received bytes fails: its bytes are dropped (those
  /// delivered before stay with the receiver).
  std::size_t read = 0;
  /// The Nth write fails: nothing of it is sent.
  std::size_t write = 0;
  /// The Nth close fails: the transport is lost with the error instead of
  /// closing cleanly.
  std::size_t close = 0;
  /// 1: connecting fails (`connect_failed`) once the socket connected,
  /// before anything is read or written.
  std::size_t connect = 0;
  /// 1: the TLS handshake fails (`tls_error`) as it ends.
  std::size_t handshake = 0;
  /// Servers: the Nth accepted connection fails before its handler sees it
  /// (as an accept that failed); the server goes on.
  std::size_t accept = 0;
  /// What a read, write or close fault fails with.
  stream_errc error = stream_errc::connection_reset;

  /// Whether any fault is planned on a connection (accept aside).
  bool any() const noexcept {
    return read || write || close || connect || handshake;
  }
};

} // namespace actorstreams::net
