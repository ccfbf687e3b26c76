#pragma once

// The Asio transport shared by sockets (TCP, Unix, adopted) and pipes.
//
// Threads: the owning actor calls the public members; everything that
// touches the Asio objects runs on the transport's strand (the executor its
// streams were made with). Shared between the two: the write queue, its size
// and the notify level (under mutex_), the pause flag and the read credit
// (atomics), and the extra-info table (under mutex_).

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "net/internal/error.hpp"
#include "net/transport.hpp"

namespace actorstreams::net {

/// Reads into this per-thread buffer, then copies exactly what arrived into
/// the event: an idle connection holds no read buffer at all.
inline asio::mutable_buffer read_scratch() {
  static thread_local char scratch[64 * 1024];
  return asio::buffer(scratch);
}

/// `Streams` provides: `in()` and `out()` (the Asio objects to read from and
/// write to, possibly the same), `wait_readable(handler)`, `readable()`,
/// `can_write()` (fixed at construction: read from the owner's thread),
/// `can_write_eof()`, `shutdown_send(ec)`, `close()` and `prepare(info)`
/// (sets non-blocking mode and fills the extra-info table once connected).
template <class Streams>
class stream_transport : public transport {
public:
  stream_transport(asio::any_io_executor ex, std::size_t read_window)
    : ex_(std::move(ex)), streams_(ex_), read_window_(read_window) {
    // nop
  }

  // -- transport interface ---------------------------------------------------

  void start(std::shared_ptr<protocol> events) override {
    events_ = std::move(events);
    asio::post(ex_, [self = self_ptr()] { self->on_start(); });
  }

  std::size_t write(bytes data) override {
    std::unique_lock guard{mutex_};
    // No write side: drop, never reach async_write on an unopened
    // descriptor (its error would tear down the read side too).
    if (writes_closed_ || data.empty() || !streams_.can_write())
      return queued_;
    queued_ += data.size();
    queue_.push_back(std::move(data));
    auto size = queued_;
    bool post = !flush_posted_;
    flush_posted_ = true;
    guard.unlock();
    if (post)
      asio::post(ex_, [self = self_ptr()] { self->flush(); });
    return size;
  }

  void notify_writable(std::size_t low) override {
    std::unique_lock guard{mutex_};
    if (queued_ > low) {
      notify_level_ = low;
      return;
    }
    guard.unlock();
    asio::post(ex_, [self = self_ptr()] {
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
    {
      std::lock_guard guard{mutex_};
      if (writes_closed_)
        return;
      writes_closed_ = true;
    }
    asio::post(ex_, [self = self_ptr()] {
      self->eof_requested_ = true;
      self->flush();
    });
  }

  void pause_reading() override {
    paused_ = true;
  }

  void resume_reading() override {
    paused_ = false;
    asio::post(ex_, [self = self_ptr()] { self->start_read(); });
  }

  void consumed(std::size_t n) override {
    auto before = in_flight_.fetch_sub(n);
    if (before - n < read_window_ && stalled_.exchange(false))
      asio::post(ex_, [self = self_ptr()] { self->start_read(); });
  }

  void close() override {
    {
      std::lock_guard guard{mutex_};
      writes_closed_ = true;
    }
    asio::post(ex_, [self = self_ptr()] {
      self->close_requested_ = true;
      self->flush();
    });
  }

  void abort() override {
    {
      std::lock_guard guard{mutex_};
      writes_closed_ = true;
    }
    asio::post(ex_, [self = self_ptr()] { self->finish(caf::error{}); });
  }

  std::optional<bytes> extra_info(std::string_view name) const override {
    std::lock_guard guard{mutex_};
    auto i = info_.find(std::string{name});
    if (i == info_.end())
      return std::nullopt;
    return i->second;
  }

protected:
  std::shared_ptr<stream_transport> self_ptr() {
    return std::static_pointer_cast<stream_transport>(shared_from_this());
  }

  /// Runs on the strand once `start` is called; client transports override
  /// it to connect first, then call `begin`.
  virtual void on_start() {
    begin();
  }

  /// The streams are connected: describe them, report, start reading.
  void begin() {
    if (closed_)
      return;
    std::map<std::string, std::string> info;
    streams_.prepare(info);
    {
      std::lock_guard guard{mutex_};
      info_ = std::move(info);
    }
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
    streams_.close();
    {
      // in_progress_ stays: a cancelled async_write may still refer to it
      // until its handler runs (on_written releases it).
      std::lock_guard guard{mutex_};
      writes_closed_ = true;
      queue_.clear();
      queued_ = 0;
    }
    if (auto ev = std::move(events_))
      ev->connection_lost(std::move(reason));
  }

  asio::any_io_executor ex_;
  Streams streams_;
  std::shared_ptr<protocol> events_;
  bool closed_ = false;

private:
  // -- reading (strand) -------------------------------------------------------

  void start_read() {
    if (closed_ || !connected_ || reading_ || read_done_ || paused_
        || !streams_.readable())
      return;
    if (out_of_credit())
      return;
    reading_ = true;
    streams_.wait_readable(
      [self = self_ptr()](const std::error_code& ec) {
        self->reading_ = false;
        self->on_readable(ec);
      });
  }

  // Sets `stalled_` before re-checking, so that a concurrent `consumed`
  // either sees the flag or we see its credit.
  bool out_of_credit() {
    if (in_flight_.load() < read_window_)
      return false;
    stalled_ = true;
    if (in_flight_.load() < read_window_ && stalled_.exchange(false))
      return false;
    return true;
  }

  void on_readable(const std::error_code& wait_ec) {
    if (closed_)
      return;
    if (wait_ec) {
      finish(to_error(wait_ec, io_phase::transfer));
      return;
    }
    // Drain what the OS has, within the credit, a bounded number of times
    // so one busy connection cannot starve the others on this thread.
    for (int i = 0; i < 16; ++i) {
      if (paused_ || out_of_credit())
        return;
      std::error_code ec;
      auto buf = read_scratch();
      auto n = streams_.in().read_some(buf, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again)
        break;
      if (ec == asio::error::eof) {
        read_done_ = true;
        if (events_)
          events_->eof_received();
        return;
      }
      if (ec) {
        finish(to_error(ec, io_phase::transfer));
        return;
      }
      in_flight_ += n;
      if (events_)
        events_->data_received(bytes{static_cast<const char*>(buf.data()), n});
      if (n < buf.size())
        break;
    }
    start_read();
  }

  // -- writing (strand) -------------------------------------------------------

  void flush() {
    std::vector<asio::const_buffer> bufs;
    {
      std::lock_guard guard{mutex_};
      flush_posted_ = false;
      if (closed_ || !connected_ || writing_)
        return;
      if (!queue_.empty()) {
        in_progress_.swap(queue_);
        bufs.reserve(in_progress_.size());
        for (auto& chunk : in_progress_)
          bufs.emplace_back(asio::buffer(chunk));
        writing_ = true;
      }
    }
    if (!writing_) {
      // Nothing queued: the requested half-close or close can happen now.
      if (eof_requested_ && !eof_sent_) {
        eof_sent_ = true;
        std::error_code ec;
        streams_.shutdown_send(ec);
      }
      if (close_requested_)
        finish(caf::error{});
      return;
    }
    asio::async_write(streams_.out(), bufs,
                      [self = self_ptr()](const std::error_code& ec,
                                          std::size_t) {
                        self->on_written(ec);
                      });
  }

  void on_written(const std::error_code& ec) {
    writing_ = false;
    if (closed_) {
      std::lock_guard guard{mutex_};
      in_progress_.clear();
      return;
    }
    if (ec) {
      finish(to_error(ec, io_phase::transfer));
      return;
    }
    bool notify = false;
    {
      std::lock_guard guard{mutex_};
      for (auto& chunk : in_progress_)
        queued_ -= chunk.size();
      in_progress_.clear();
      if (notify_level_ && queued_ <= *notify_level_) {
        notify_level_.reset();
        notify = true;
      }
    }
    if (notify && events_)
      events_->resume_writing();
    flush();
  }

  // Shared with the owner's thread.
  mutable std::mutex mutex_;
  std::vector<bytes> queue_;
  std::size_t queued_ = 0;
  std::optional<std::size_t> notify_level_;
  bool flush_posted_ = false;
  bool writes_closed_ = false;
  std::map<std::string, std::string> info_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> stalled_{false};
  std::atomic<std::size_t> in_flight_{0};
  const std::size_t read_window_;

  // Strand only.
  std::vector<bytes> in_progress_;
  bool connected_ = false;
  bool reading_ = false;
  bool read_done_ = false;
  bool writing_ = false;
  bool eof_requested_ = false;
  bool eof_sent_ = false;
  bool close_requested_ = false;
};

} // namespace actorstreams::net
