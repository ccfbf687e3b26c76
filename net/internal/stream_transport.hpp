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

#include <map>
#include <string>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "net/internal/error.hpp"
#include "net/internal/read_buffers.hpp"
#include "net/transport.hpp"

namespace actorstreams::net {

/// `Streams` provides: `in()` and `out()` (the Asio objects to read from and
/// write to, possibly the same), `wait_readable(handler)`, `readable()`,
/// `can_write()` (fixed at construction), `can_write_eof()`,
/// `shutdown_send(ec)`, `close()` and `prepare(info)` (sets non-blocking
/// mode and fills the extra-info table once connected).
template <class Streams>
class stream_transport : public transport {
public:
  stream_transport(asio::io_context& ctx, std::size_t index,
                   std::size_t read_window)
    : ctx_(ctx), index_(index), streams_(ctx.get_executor()),
      read_window_(read_window) {
    // nop
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
    if (closed_ || !connected_ || writing_)
      return;
    if (!queue_.empty()) {
      send_queued();
      return;
    }
    // Nothing queued: a requested half-close or close can happen now.
    if (eof_requested_ && !eof_sent_) {
      eof_sent_ = true;
      std::error_code ec;
      streams_.shutdown_send(ec);
    }
    if (close_requested_)
      finish(caf::error{});
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
    writes_closed_ = true;
    close_requested_ = true;
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

  /// Runs on the I/O thread once `start` is called; client transports
  /// override it to connect first, then call `begin`.
  virtual void on_start() {
    begin();
  }

  /// The streams are connected: describe them, report, start reading.
  void begin() {
    if (closed_)
      return;
    streams_.prepare(info_);
    connected_ = true;
    if (events_)
      events_->connection_made();
    start_read();
    flush();
  }

  /// Reports `reason` (none: a local close) and closes everything. Once.
  void finish(caf::error reason) {
    if (closed_)
      return;
    closed_ = true;
    writes_closed_ = true;
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
      auto n = streams_.in().read_some(asio::buffer(buf), ec);
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
      if (!full)
        break;
    }
    in_read_loop_ = false;
    start_read();
  }

  // -- writing ----------------------------------------------------------------

  /// Writes what is queued: at once as far as the OS takes it (no hand-off
  /// in the common case), the rest with one async_write.
  void send_queued() {
    in_progress_.swap(queue_);
    head_offset_ = 0;
    writing_ = true;
    std::vector<asio::const_buffer> bufs;
    bufs.reserve(in_progress_.size());
    for (auto& chunk : in_progress_)
      bufs.emplace_back(asio::buffer(chunk));
    std::error_code ec;
    auto n = streams_.out().write_some(bufs, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec.clear();
      n = 0;
    }
    if (ec) {
      on_written(ec);
      return;
    }
    written(n);
    if (in_progress_.empty()) {
      writing_ = false;
      after_write();
      return;
    }
    bufs.clear();
    bufs.emplace_back(asio::buffer(in_progress_.front()) + head_offset_);
    for (std::size_t i = 1; i < in_progress_.size(); ++i)
      bufs.emplace_back(asio::buffer(in_progress_[i]));
    asio::async_write(streams_.out(), bufs,
                      [self = self_ptr()](const std::error_code& ec,
                                          std::size_t n) {
                        if (!self->closed_ && !ec)
                          self->written(n);
                        self->on_written(ec);
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
  }

  static constexpr int max_reads_per_event = 4;

  std::map<std::string, std::string> info_;
  std::vector<bytes> queue_;
  std::vector<bytes> in_progress_;
  /// Bytes of in_progress_.front() already written.
  std::size_t head_offset_ = 0;
  std::size_t queued_ = 0;
  std::optional<std::size_t> notify_level_;
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
