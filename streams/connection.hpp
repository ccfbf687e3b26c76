#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "net/transport.hpp"
#include "streams/bytes.hpp"
#include "streams/pending.hpp"
#include "streams/stream_reader.hpp"
#include "streams/stream_writer.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace actorstreams {

/// Both halves of one connection (`auto [reader, writer] = ...`).
struct connection {
  stream_reader reader;
  stream_writer writer;

  friend bool operator==(const connection&, const connection&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection& x) {
  return f(caf::meta::type_name("actorstreams::connection"), x.reader,
           x.writer);
}

/// open_connection's result is built from the connection actor's handle.
template <>
struct pending_traits<connection> {
  using reply_type = void;
  static connection convert(const caf::actor& hdl);
};

/// Options of a client connection.
struct connect_options {
  /// The reader's limit (asyncio's `limit`).
  std::size_t limit = default_limit;
  /// drain() waits above this many buffered bytes ...
  std::size_t write_high_water = default_write_high_water;
  /// ... until the buffer falls to this many.
  std::size_t write_low_water = default_write_low_water;
  /// Read credit between the socket and the actor (net/transport.hpp).
  std::size_t read_window = net::default_read_window;
};

/// Connects over TCP: resolves `host`, tries every address (IPv4 and IPv6)
/// until one connects. Fails with connect_failed naming the addresses tried;
/// `get(timeout)` gives up with `timeout` and aborts the attempt.
pending<connection> open_connection(caf::actor_system& sys, std::string host,
                                    uint16_t port, connect_options opts = {});

/// Connects to a Unix-domain stream socket.
pending<connection> open_unix_connection(caf::actor_system& sys,
                                         std::string path,
                                         connect_options opts = {});

/// A connected stream socket's file descriptor.
using native_socket = int;

/// Adopts a connected TCP or Unix stream socket (asyncio's `sock=`); the
/// connection owns it from then on. Fails with invalid_argument for a
/// descriptor that is not a connected stream socket (and leaves it alone).
pending<connection> open_connection(caf::actor_system& sys, native_socket adopt,
                                    connect_options opts = {});

/// A connection over pipe ends, e.g. a child process's stdout (`read_fd`)
/// and stdin (`write_fd`); either may be -1 (without a write end, writes
/// are not supported). Both may be the same descriptor (a socket, a tty);
/// the connection then writes through a dup() of it. `write_eof()` closes
/// the write end. Once connected, the connection owns both descriptors and
/// closes them; the caller must not. Fails with invalid_argument if either
/// cannot be used (not open, not pollable), and then leaves both alone:
/// they are still the caller's to close.
pending<connection> open_pipe_connection(caf::actor_system& sys, int read_fd,
                                         int write_fd,
                                         connect_options opts = {});

/// Puts any transport under a connection actor (asyncio's
/// `set_transport`): the building block of the functions above, public so
/// that users can bring their own byte source (net/transport.hpp).
pending<connection> open_connection(caf::actor_system& sys,
                                    net::transport_ptr transport,
                                    connect_options opts = {});

} // namespace actorstreams
