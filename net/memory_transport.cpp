#include "net/memory_transport.hpp"

#include <deque>
#include <mutex>
#include <optional>

#include "streams/errors.hpp"

namespace actorstreams::net {

namespace {

/// Both ends' state under one mutex. Events are emitted under the lock so
/// that they keep their order whichever thread pumps.
struct memory_link {
  struct side {
    std::shared_ptr<protocol> events;
    bool started = false;
    bool closed = false;
    // Bytes flowing to this side, not yet handed to its protocol.
    std::deque<bytes> inbox;
    std::size_t inbox_bytes = 0;
    std::size_t front_offset = 0;
    bool inbox_eof = false;
    bool eof_delivered = false;
    bool paused = false;
    std::size_t in_flight = 0;
    // This side's writing.
    bool wrote_eof = false;
    std::optional<std::size_t> notify_level;
  };

  std::mutex mtx;
  side sides[2];
  memory_options opts;
  /// Operations of the first side so far (for its fault plan).
  std::size_t reads = 0;
  std::size_t writes = 0;
  std::size_t closes = 0;

  /// Whether the `count`th operation of a kind with plan `at` fails: then
  /// the first side is lost with the planned error and its peer sees EOF.
  bool inject(std::size_t& count, std::size_t at, const char* what) {
    ++count;
    if (at == 0 || count != at)
      return false;
    auto& peer = sides[1];
    peer.inbox_eof = true;
    fail(0, make_error(opts.faults.error,
                       "injected fault: operation " + std::to_string(at)
                         + " (" + what + ") of the memory pair's first end"));
    pump(1);
    return true;
  }

  /// Hands side `to` what its credit allows, then EOF, then wakes its
  /// peer's drainers.
  void pump(int to) {
    auto& s = sides[to];
    if (!s.started || s.closed || !s.events)
      return;
    while (!s.paused && s.in_flight < opts.read_window && !s.inbox.empty()) {
      auto& front = s.inbox.front();
      auto left = front.size() - s.front_offset;
      bytes piece;
      if (opts.chunk > 0 && left > opts.chunk) {
        piece.assign(front, s.front_offset, opts.chunk);
        s.front_offset += opts.chunk;
      } else if (s.front_offset > 0) {
        piece.assign(front, s.front_offset, left);
        s.inbox.pop_front();
        s.front_offset = 0;
      } else {
        piece = std::move(front);
        s.inbox.pop_front();
      }
      if (to == 0 && inject(reads, opts.faults.read, "read"))
        return;
      s.inbox_bytes -= piece.size();
      s.in_flight += piece.size();
      s.events->data_received(std::move(piece));
    }
    if (s.inbox.empty() && s.inbox_eof && !s.eof_delivered) {
      s.eof_delivered = true;
      s.events->eof_received();
    }
    auto& w = sides[1 - to];
    if (w.notify_level && s.inbox_bytes <= *w.notify_level && w.events
        && !w.closed) {
      w.notify_level.reset();
      w.events->resume_writing();
    }
  }

  void fail(int who, caf::error reason) {
    auto& s = sides[who];
    if (s.closed)
      return;
    s.closed = true;
    s.inbox.clear();
    s.inbox_bytes = 0;
    if (auto ev = std::move(s.events))
      ev->connection_lost(std::move(reason));
  }

  void close(int who, bool abort) {
    auto& me = sides[who];
    auto& peer = sides[1 - who];
    if (me.closed)
      return;
    if (who == 0 && inject(closes, opts.faults.close, "close"))
      return;
    if (abort) {
      peer.inbox.clear();
      peer.inbox_bytes = 0;
      peer.front_offset = 0;
    }
    peer.inbox_eof = true;
    pump(1 - who);
    if (!me.inbox.empty() && !peer.closed)
      fail(1 - who, make_error(stream_errc::connection_reset,
                               "Connection reset by peer (memory pair)"));
    fail(who, caf::error{});
  }
};

class memory_end : public transport {
public:
  memory_end(std::shared_ptr<memory_link> link, int index)
    : link_(std::move(link)), me_(index), peer_(1 - index) {
    // nop
  }

  void start(std::shared_ptr<protocol> events) override {
    std::lock_guard guard{link_->mtx};
    auto& s = link_->sides[me_];
    s.events = std::move(events);
    s.started = true;
    s.events->connection_made();
    link_->pump(me_);
    link_->pump(peer_);
  }

  std::size_t write(bytes data) override {
    std::lock_guard guard{link_->mtx};
    auto& me = link_->sides[me_];
    auto& peer = link_->sides[peer_];
    if (me.closed || me.wrote_eof || data.empty())
      return peer.inbox_bytes;
    if (me_ == 0 && link_->inject(link_->writes, link_->opts.faults.write,
                                  "write"))
      return 0;
    if (peer.closed) {
      link_->fail(me_, make_error(stream_errc::connection_reset,
                                  "Connection reset by peer (memory pair)"));
      return 0;
    }
    peer.inbox_bytes += data.size();
    peer.inbox.push_back(std::move(data));
    link_->pump(peer_);
    return peer.inbox_bytes;
  }

  void notify_writable(std::size_t low) override {
    std::lock_guard guard{link_->mtx};
    auto& me = link_->sides[me_];
    if (link_->sides[peer_].inbox_bytes <= low) {
      if (me.events)
        me.events->resume_writing();
      return;
    }
    me.notify_level = low;
  }

  bool can_write_eof() const override {
    return true;
  }

  void write_eof() override {
    std::lock_guard guard{link_->mtx};
    auto& me = link_->sides[me_];
    if (me.closed || me.wrote_eof)
      return;
    me.wrote_eof = true;
    link_->sides[peer_].inbox_eof = true;
    link_->pump(peer_);
  }

  void pause_reading() override {
    std::lock_guard guard{link_->mtx};
    link_->sides[me_].paused = true;
  }

  void resume_reading() override {
    std::lock_guard guard{link_->mtx};
    link_->sides[me_].paused = false;
    link_->pump(me_);
  }

  void consumed(std::size_t n) override {
    std::lock_guard guard{link_->mtx};
    auto& me = link_->sides[me_];
    me.in_flight -= std::min(n, me.in_flight);
    link_->pump(me_);
  }

  void close() override {
    std::lock_guard guard{link_->mtx};
    link_->close(me_, false);
  }

  void abort() override {
    std::lock_guard guard{link_->mtx};
    link_->close(me_, true);
  }

  std::optional<bytes> extra_info(std::string_view name) const override {
    if (name == "peername")
      return me_ == 0 ? "memory:b" : "memory:a";
    if (name == "sockname")
      return me_ == 0 ? "memory:a" : "memory:b";
    return std::nullopt;
  }

private:
  std::shared_ptr<memory_link> link_;
  int me_;
  int peer_;
};

} // namespace

std::pair<transport_ptr, transport_ptr>
make_memory_transports(memory_options opts) {
  auto link = std::make_shared<memory_link>();
  link->opts = opts;
  if (link->opts.read_window == 0)
    link->opts.read_window = default_read_window;
  return {std::make_shared<memory_end>(link, 0),
          std::make_shared<memory_end>(link, 1)};
}

} // namespace actorstreams::net
