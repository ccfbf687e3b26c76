#pragma once

// The Asio transport shared by sockets (TCP, Unix, adopted) and pipes.
//
// Threads: a stream transport lives on one I/O thread (its `affinity()`),
// whose context made its Asio objects, and its owner, the connection actor,
// is pinned to that thread: every member runs there, so nothing here is
// locked or atomic. Only `close` and `abort` may be called from elsewhere
// (a connection actor's state destroyed off its thread); they post.
//
// Re-entrancy: the owner handles events inside the calls below when it is
// idle, and may call back into the transport from there (write, flush,
// pause_reading, close, ...). So no event is reported from the middle of an
// operation that such a call could disturb: after every report the
// transport re-checks its state.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "net/internal/error.hpp"
#include "net/internal/read_buffers.hpp"
#include "streams/errors.hpp"
#include "net/transport.hpp"

namespace actorstreams::net {

/// `Streams` provides non-blocking `read_some(buffer, ec)` and
/// `write_some(buffers, ec)` of plaintext, `wait_readable(handler)` and
/// `wait_writable(handler)`, `has_buffered_input()` and `output_pending()`
/// (TLS holds records on either side of the socket), `readable()`,
/// `can_write()` (fixed at construction), `can_write_eof()`,
/// `shutdown_send(ec)`, `before_close()` (TLS: close_notify), `close()`,
/// `prepare(info)` (non-blocking mode, the extra-info table) and
/// `describe_tls(info)`, and the TLS handshake: `handshake_pending()`,
/// `handshake_step()`, `wait_handshake(handler)`,
/// `explain_handshake_failure(ec)`. socket_streams and pipe_streams
/// (net/internal/socket_streams.hpp) are the two.
template <class Streams>
class stream_transport : public transport {
public:
  stream_transport(asio::io_context& ctx, std::size_t index,
                   std::size_t read_window)
    : ctx_(ctx), index_(index), streams_(ctx.get_executor()),
      timer_(ctx), read_window_(read_window) {
    // nop
  }

  /// How long a TLS handshake, and a TLS close (the queued data and the
  /// close_notify getting out), may take.
  void set_tls_timeouts(std::chrono::nanoseconds handshake,
                        std::chrono::nanoseconds shutdown) {
    handshake_timeout_ = handshake;
    shutdown_timeout_ = shutdown;
  }

  /// A server's TLS connection before anyone owns it: runs the handshake
  /// (on the transport's thread) and reports once, `done(none)` on success;
  /// a failed or timed-out handshake closes the socket. `start` then goes
  /// straight to `connection_made`.
  void handshake_first(std::function<void(caf::error)> done) {
    asio::post(ctx_, [self = self_ptr(), done = std::move(done)]() mutable {
      self->streams_.prepare(self->info_);
      self->run_handshake(std::move(done));
    });
  }

  // -- transport interface ---------------------------------------------------

  void start(std::shared_ptr<protocol> events) override {
    events_ = std::move(events);
    asio::post(ctx_, [self = self_ptr()] { self->on_start(); });
  }

  std::size_t affinity() const override {
    return index_;
  }

  std::size_t write(bytes data) override {
    // No write side: drop, never reach a write on an unopened descriptor
    // (its error would tear down the read side too).
    if (writes_closed_ || data.empty() || !streams_.can_write())
      return queued_;
    queued_ += data.size();
    queue_.push_back(std::move(data));
    return queued_;
  }

  void flush() override {
    // A handshake in progress (start_tls): writes wait for it.
    if (closed_ || !connected_ || writing_ || handshake_done_)
      return;
    if (!queue_.empty() || streams_.output_pending()) {
      send_queued();
      return;
    }
    // Nothing queued: a requested half-close or close can happen now.
    if (eof_requested_ && !eof_sent_) {
      eof_sent_ = true;
      std::error_code ec;
      streams_.shutdown_send(ec);
      if (streams_.output_pending()) {
        send_queued(); // TLS: the close_notify record
        return;
      }
    }
    if (close_requested_) {
      if (streams_.before_close()) {
        send_queued(); // TLS: the close_notify record, then here again
        return;
      }
      finish(caf::error{});
    }
  }

  void notify_writable(std::size_t low) override {
    if (queued_ > low) {
      notify_level_ = low;
      return;
    }
    asio::post(ctx_, [self = self_ptr()] {
      if (self->events_)
        self->events_->resume_writing();
    });
  }

  bool can_write() const override {
    return streams_.can_write();
  }

  bool can_write_eof() const override {
    return streams_.can_write_eof();
  }

  void write_eof() override {
    if (writes_closed_)
      return;
    writes_closed_ = true;
    eof_requested_ = true;
    flush();
  }

  void pause_reading() override {
    paused_ = true;
  }

  void resume_reading() override {
    paused_ = false;
    start_read();
  }

  void consumed(std::size_t n) override {
    in_flight_ -= n;
    if (stalled_ && in_flight_ < read_window_) {
      stalled_ = false;
      start_read();
    }
  }

  void close() override {
    if (!on_my_thread()) {
      asio::post(ctx_, [self = self_ptr()] { self->close(); });
      return;
    }
    if (close_requested_)
      return;
    writes_closed_ = true;
    close_requested_ = true;
    if (connected_)
      bound_tls_close();
    flush();
  }

  void abort() override {
    if (!on_my_thread()) {
      asio::post(ctx_, [self = self_ptr()] { self->abort(); });
      return;
    }
    writes_closed_ = true;
    finish(caf::error{});
  }

  caf::error start_tls(tls_options opts) override {
    if (!streams_.can_start_tls())
      return transport::start_tls(std::move(opts));
    if (closed_ || writes_closed_)
      return make_error(stream_errc::closed, "the connection is closed");
    if (streams_.has_tls() || upgrade_)
      return make_error(stream_errc::invalid_argument,
                        "the connection is TLS already");
    // Nothing more is read as plaintext; what is queued leaves as such,
    // and the answer that lets the peer begin goes last. Not connected yet
    // (a server hands a connection to its handler before the transport has
    // started, a client may still be connecting): all of it waits for that.
    paused_ = true;
    if (!opts.send_first.empty())
      write(std::move(opts.send_first));
    upgrade_ = std::move(opts);
    flush();
    maybe_upgrade();
    return caf::error{};
  }

  std::optional<bytes> extra_info(std::string_view name) const override {
    auto i = info_.find(std::string{name});
    if (i == info_.end())
      return std::nullopt;
    return i->second;
  }

protected:
  std::shared_ptr<stream_transport> self_ptr() {
    return std::static_pointer_cast<stream_transport>(shared_from_this());
  }

  bool on_my_thread() const {
    return ctx_.get_executor().running_in_this_thread();
  }

  /// Runs as the transport closes (before the streams do): a client stops
  /// the attempts it still has running.
  virtual void on_finish() {
    // nop
  }

  /// Runs on the I/O thread once `start` is called; client transports
  /// override it to connect first, then call `begin`.
  virtual void on_start() {
    begin();
  }

  /// The streams are connected: describe them, shake hands if they are TLS
  /// (a client; a server's did already), report, start reading.
  void begin() {
    if (closed_)
      return;
    streams_.prepare(info_);
    if (streams_.handshake_pending()) {
      run_handshake([self = self_ptr()](caf::error err) {
        if (err)
          self->finish(std::move(err));
        else
          self->established();
      });
      return;
    }
    established();
  }

  void established() {
    if (closed_)
      return;
    streams_.describe_tls(info_);
    connected_ = true;
    if (close_requested_)
      bound_tls_close(); // a close that came before the connection
    if (events_)
      events_->connection_made();
    start_read();
    flush();
    maybe_upgrade(); // a start_tls that came before the connection
  }

  /// A TLS close may wait on a peer that reads nothing: bounded.
  void bound_tls_close() {
    if (streams_.has_tls())
      arm_timer(shutdown_timeout_, [this] { finish(caf::error{}); });
  }

  /// Runs the TLS handshake to its end, bounded by the handshake timeout;
  /// `done` once: none, or a tls_error (timeout) saying why.
  void run_handshake(std::function<void(caf::error)> done) {
    handshake_done_ = std::move(done);
    arm_timer(handshake_timeout_, [this] {
      end_handshake(tls_error("the TLS handshake timed out"));
    });
    step_handshake();
  }

  /// start_tls, once the plaintext queued before it has left.
  void maybe_upgrade() {
    if (!upgrade_ || !connected_ || writing_ || !queue_.empty() || closed_)
      return;
    auto opts = std::move(*upgrade_);
    upgrade_.reset();
    streams_.install_tls(opts);
    set_tls_timeouts(opts.handshake_timeout, opts.shutdown_timeout);
    run_handshake([self = self_ptr()](caf::error err) {
      if (!err)
        self->streams_.describe_tls(self->info_);
      if (self->events_)
        self->events_->tls_started(err);
      if (err)
        self->finish(std::move(err));
      else
        self->flush(); // what was written during the handshake
    });
  }

  void step_handshake() {
    if (!handshake_done_)
      return;
    auto ec = streams_.handshake_step();
    if (!ec) {
      end_handshake(caf::error{});
      return;
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      streams_.wait_handshake([self = self_ptr()](const std::error_code& wec) {
        if (!self->handshake_done_)
          return;
        if (wec)
          self->end_handshake(
            tls_error("the TLS handshake failed: " + wec.message()));
        else
          self->step_handshake();
      });
      return;
    }
    end_handshake(tls_error("the TLS handshake failed: "
                                 + streams_.explain_handshake_failure(ec)));
  }

  void end_handshake(caf::error err) {
    auto done = std::move(handshake_done_);
    handshake_done_ = nullptr;
    if (!done)
      return;
    cancel_timer();
    if (err)
      streams_.close(); // cancels the wait; the socket goes
    done(std::move(err));
  }


  /// Calls `fn` on this thread after `after`, unless cancel_timer comes
  /// first or the transport closes.
  template <class Fn>
  void arm_timer(std::chrono::nanoseconds after, Fn fn) {
    timer_.expires_after(after);
    timer_.async_wait([self = self_ptr(), fn](const std::error_code& ec) {
      if (!ec && !self->closed_)
        fn();
    });
  }

  void cancel_timer() {
    timer_.cancel();
  }

  /// Reports `reason` (none: a local close) and closes everything. Once.
  void finish(caf::error reason) {
    if (closed_)
      return;
    closed_ = true;
    writes_closed_ = true;
    timer_.cancel();
    on_finish();
    streams_.close();
    // in_progress_ stays: a cancelled async_write may still refer to it
    // until its handler runs (on_written releases it).
    queue_.clear();
    queued_ = 0;
    if (auto ev = std::move(events_))
      ev->connection_lost(std::move(reason));
  }

  asio::io_context& ctx_;
  const std::size_t index_;
  Streams streams_;
  std::shared_ptr<protocol> events_;
  bool closed_ = false;
  std::map<std::string, std::string> info_;

private:
  // -- reading ----------------------------------------------------------------

  void start_read() {
    if (closed_ || !connected_ || reading_ || in_read_loop_ || read_done_
        || paused_ || !streams_.readable())
      return;
    if (in_flight_ >= read_window_) {
      stalled_ = true;
      return;
    }
    reading_ = true;
    streams_.wait_readable([self = self_ptr()](const std::error_code& ec) {
      self->reading_ = false;
      self->on_readable(ec);
    });
  }

  void on_readable(const std::error_code& wait_ec) {
    if (closed_)
      return;
    if (wait_ec) {
      finish(to_error(wait_ec, io_phase::transfer));
      return;
    }
    // Drain what the OS has, within the credit, a bounded number of times
    // so that one busy connection cannot starve the others on this thread.
    // (A full read hands its buffer over, and the reader keeps such chunks
    // whole: reading ahead copies nothing.)
    in_read_loop_ = true;
    for (int i = 0; i < max_reads_per_event; ++i) {
      if (closed_ || paused_ || read_done_)
        break;
      if (in_flight_ >= read_window_) {
        stalled_ = true;
        break;
      }
      auto& rb = read_buffers::local();
      auto& buf = rb.current();
      std::error_code ec;
      auto n = streams_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again)
        break;
      if (ec == asio::error::eof) {
        read_done_ = true;
        if (events_)
          events_->eof_received();
        break;
      }
      if (ec) {
        in_read_loop_ = false;
        finish(to_error(ec, io_phase::transfer));
        return;
      }
      in_flight_ += n;
      bool full = n == buf.size();
      if (events_)
        events_->data_received(rb.take(n));
      // TLS hands out a record at a time: go on while it holds more.
      if (!full && !streams_.has_buffered_input())
        break;
    }
    in_read_loop_ = false;
    start_read();
  }

  // -- writing ----------------------------------------------------------------

  /// Writes what is queued: at once as far as the OS takes it (no hand-off
  /// in the common case), the rest each time the socket is writable again.
  void send_queued() {
    if (in_progress_.empty()) {
      in_progress_.swap(queue_);
      head_offset_ = 0;
    }
    writing_ = true;
    write_now();
  }

  void write_now() {
    std::vector<asio::const_buffer> bufs;
    bufs.reserve(in_progress_.size());
    if (!in_progress_.empty()) {
      bufs.emplace_back(asio::buffer(in_progress_.front()) + head_offset_);
      for (std::size_t i = 1; i < in_progress_.size(); ++i)
        bufs.emplace_back(asio::buffer(in_progress_[i]));
    }
    std::error_code ec;
    auto n = streams_.write_some(bufs, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec.clear();
      n = 0;
    }
    if (ec) {
      on_written(ec);
      return;
    }
    written(n);
    if (in_progress_.empty() && !streams_.output_pending()) {
      writing_ = false;
      after_write();
      return;
    }
    streams_.wait_writable([self = self_ptr()](const std::error_code& ec) {
      if (self->closed_) {
        self->on_written(ec);
        return;
      }
      if (ec)
        self->on_written(ec);
      else
        self->write_now();
    });
  }

  /// Accounts for `n` bytes of in_progress_ having left; recycles the
  /// buffers that left whole.
  void written(std::size_t n) {
    queued_ -= n;
    auto& rb = read_buffers::local();
    std::size_t done = 0;
    n += head_offset_;
    while (done < in_progress_.size() && n >= in_progress_[done].size()) {
      n -= in_progress_[done].size();
      rb.recycle(std::move(in_progress_[done]));
      ++done;
    }
    in_progress_.erase(in_progress_.begin(), in_progress_.begin() + done);
    head_offset_ = n;
  }

  void on_written(const std::error_code& ec) {
    writing_ = false;
    in_progress_.clear();
    head_offset_ = 0;
    if (closed_)
      return;
    if (ec) {
      finish(to_error(ec, io_phase::transfer));
      return;
    }
    after_write();
  }

  /// A write finished: wake a waiting drainer, go on with what was queued
  /// meanwhile.
  void after_write() {
    if (notify_level_ && queued_ <= *notify_level_) {
      notify_level_.reset();
      if (events_)
        events_->resume_writing();
      if (closed_)
        return;
    }
    // What the owner queued during an async_write, or a close or EOF it
    // asked for, goes now: the owner's flush found us busy.
    if (!queue_.empty() || eof_requested_ || close_requested_)
      flush();
    maybe_upgrade();
  }

  static constexpr int max_reads_per_event = 4;

  std::vector<bytes> queue_;
  std::vector<bytes> in_progress_;
  /// Bytes of in_progress_.front() already written.
  std::size_t head_offset_ = 0;
  std::size_t queued_ = 0;
  std::optional<std::size_t> notify_level_;
  asio::steady_timer timer_;
  std::chrono::nanoseconds handshake_timeout_ = std::chrono::seconds{60};
  std::chrono::nanoseconds shutdown_timeout_ = std::chrono::seconds{30};
  /// Set while a TLS handshake runs.
  std::function<void(caf::error)> handshake_done_;
  /// A start_tls waiting for the plaintext queued before it to leave.
  std::optional<tls_options> upgrade_;
  std::size_t in_flight_ = 0;
  const std::size_t read_window_;
  bool connected_ = false;
  bool reading_ = false;
  bool in_read_loop_ = false;
  bool read_done_ = false;
  bool paused_ = false;
  bool stalled_ = false;
  bool writing_ = false;
  bool writes_closed_ = false;
  bool eof_requested_ = false;
  bool eof_sent_ = false;
  bool close_requested_ = false;
};

} // namespace actorstreams::net
