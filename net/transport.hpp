#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "net/tls.hpp"
#include "streams/bytes.hpp"

namespace actorstreams::net {

/// Receives a transport's events: asyncio's `Protocol` (what
/// `StreamReaderProtocol` is to a `StreamReader`).
///
/// A transport calls these one at a time and in order: an Asio transport
/// from its I/O thread, outside any lock, an in-memory transport from
/// whichever thread drives it. Implementations must not block. The
/// connection actor's implementation handles an event of a transport on its
/// own I/O thread at once, inside the call, when the actor is idle (so it
/// may call back into that transport), and as a message to itself otherwise.
/// A transport without an affinity may hold locks while it reports; its
/// events always become messages.
class protocol {
public:
  virtual ~protocol();

  /// The transport is connected and reading. Called at most once, first.
  virtual void connection_made() = 0;

  /// Bytes arrived. The receiver must call `transport::consumed(n)` once it
  /// has taken them, to return the read credit.
  virtual void data_received(bytes data) = 0;

  /// The peer will send no more data (TCP FIN, pipe closed).
  virtual void eof_received() = 0;

  /// The write buffer fell to the level given to `transport::notify_writable`.
  virtual void resume_writing() = 0;

  /// Final event: the transport is closed. `reason` is none after a local
  /// close or abort, and a `stream_errc` error (connection_reset,
  /// connect_failed, ...) when it broke or never connected.
  virtual void connection_lost(caf::error reason) = 0;

  /// The upgrade that `transport::start_tls` began ended: none once the
  /// handshake succeeded (reading stays paused until `resume_reading`), a
  /// tls_error otherwise (`connection_lost` follows).
  virtual void tls_started(caf::error reason);
};

/// A byte stream under a connection actor: asyncio's `Transport`.
///
/// actorstreams ships TCP, Unix-socket, adopted-socket, pipe and in-memory
/// transports; users may implement their own to put any byte source under a
/// connection actor (`spawn_connection` in actors/connection_actor.hpp).
///
/// Threading: the owning connection actor calls every member function, never
/// concurrently. A transport with an `affinity()` lives on that I/O thread
/// and its owner runs there too (actors/pinned_actor.hpp), so its members
/// run with no lock and no hand-off; only `close` and `abort` may also come
/// from another thread (they are posted). A transport without an affinity
/// is thread-safe. No member blocks.
///
/// Writing is batched: `write` queues, and the queued bytes go out together
/// when the owner calls `flush` (the connection actor does at the end of
/// every activation), in one gathered write.
///
/// Flow control, both ways:
/// - reading: at most `read_window()` bytes are handed to `data_received`
///   and not yet returned through `consumed()`; `pause_reading()` stops
///   reading altogether until `resume_reading()`;
/// - writing: `write()` returns the bytes buffered and not yet taken by the
///   OS; the owner asks for `resume_writing` with `notify_writable(low)`.
class transport : public std::enable_shared_from_this<transport> {
public:
  virtual ~transport();

  /// Starts the transport: connects if needed, then reports
  /// `connection_made` (or `connection_lost` with the reason it could not
  /// connect) and starts reading. Called once.
  virtual void start(std::shared_ptr<protocol> events) = 0;

  /// Queues `data` after everything written before; returns the write buffer
  /// size afterwards. Writes after `close`, `abort` or `write_eof` are
  /// dropped (the connection actor reports them).
  virtual std::size_t write(bytes data) = 0;

  /// Starts sending what `write` queued, in one gathered write where the OS
  /// allows it. Transports that send as they go need not override it.
  virtual void flush() {
    // nop
  }

  /// The I/O thread (an index of `io_threads`) this transport lives on, or
  /// `no_affinity` for a thread-safe transport that any thread may drive.
  virtual std::size_t affinity() const {
    return no_affinity;
  }

  static constexpr std::size_t no_affinity = static_cast<std::size_t>(-1);

  /// Asks for one `resume_writing` event as soon as the write buffer is at or
  /// below `low` (at once if it already is).
  virtual void notify_writable(std::size_t low) = 0;

  /// Whether this transport has a write side at all (a pipe connection
  /// given no write end has none); writes to one without are dropped.
  virtual bool can_write() const {
    return true;
  }

  /// Whether `write_eof` is possible (TCP and Unix sockets: yes). A static
  /// property of the transport, as asyncio's.
  virtual bool can_write_eof() const = 0;

  /// Half-closes: sends EOF after the queued writes.
  virtual void write_eof() = 0;

  /// Stops reading until `resume_reading`.
  virtual void pause_reading() = 0;

  virtual void resume_reading() = 0;

  /// Returns `n` bytes of read credit (see `protocol::data_received`).
  virtual void consumed(std::size_t n) = 0;

  /// Flushes the queued writes, then closes; `connection_lost(none)` follows.
  virtual void close() = 0;

  /// Closes now, dropping queued writes; `connection_lost(none)` follows.
  virtual void abort() = 0;

  /// asyncio's get_extra_info: "peername", "sockname", "socket", ...;
  /// none for a name this transport does not know.
  virtual std::optional<bytes> extra_info(std::string_view name) const = 0;

  /// STARTTLS: upgrades this connection in place (asyncio 3.11's
  /// start_tls). Reading pauses at once; the bytes written so far leave in
  /// plaintext; then the handshake runs and `protocol::tls_started` reports.
  /// The owner writes nothing meanwhile. Called before the transport has
  /// connected, the upgrade begins once it has. Returns an error, changing
  /// nothing, if this transport cannot (not a socket, TLS already, closed).
  virtual caf::error start_tls(tls_options opts);
};

using transport_ptr = std::shared_ptr<transport>;

/// The default read credit: bytes in flight between a transport and its
/// connection actor (bounds the actor's mailbox, which CAF does not).
inline constexpr std::size_t default_read_window = 256 * 1024;

} // namespace actorstreams::net
