#pragma once

// A subscriber for the push-mode tests (docs/push.md): a hidden scoped actor
// that receives a connection's frame and stream_end messages, one at a time
// or until the end, granting credit as a real subscriber would.

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "test_support.hpp"

namespace actorstreams::testing {

/// One message a subscriber received.
struct push_event {
  enum class kind { frame, error_frame, end };
  kind what = kind::frame;
  bytes data;
  caf::error err;
  /// How many frames the message carried (batches: more than one each).
  std::size_t frames = 1;

  friend std::ostream& operator<<(std::ostream& os, const push_event& x) {
    switch (x.what) {
      case kind::frame:
        return os << "frame " << ::testing::PrintToString(x.data);
      case kind::error_frame:
        return os << "error frame " << describe(x.err);
      case kind::end:
        return os << "stream_end "
                  << (x.err ? describe(x.err) : std::string{"(none)"});
    }
    return os;
  }
};

class test_subscriber {
public:
  explicit test_subscriber(caf::actor_system& sys) : self_{sys, true} {
    // nop
  }

  caf::actor handle() { return caf::actor_cast<caf::actor>(self_.ptr()); }

  /// The next message within `timeout`, or none. Batches come as one event
  /// whose `data` is the frames joined and `frames` their count; `from` is
  /// checked against `expected_from` if set.
  std::optional<push_event> next(caf::timespan timeout = bound) {
    std::optional<push_event> ev;
    self_->receive(
      [&](frame_atom, const connection_actor& from, bytes& frame) {
        check_from(from);
        ev = push_event{push_event::kind::frame, std::move(frame), {}, 1};
      },
      [&](frame_atom, const connection_actor& from,
          std::vector<bytes>& frames) {
        check_from(from);
        push_event batch{push_event::kind::frame, {}, {}, frames.size()};
        batches.push_back(frames);
        for (auto& f : frames)
          batch.data += f;
        ev = std::move(batch);
      },
      [&](frame_atom, const connection_actor& from, caf::error& err) {
        check_from(from);
        ev = push_event{push_event::kind::error_frame, {}, std::move(err), 1};
      },
      [&](stream_end_atom, const connection_actor& from, caf::error& err) {
        check_from(from);
        ev = push_event{push_event::kind::end, {}, std::move(err), 0};
      },
      caf::after(timeout) >> [] {});
    return ev;
  }

  /// The next message's frame: a test failure (and "") if none comes or it
  /// is not a frame.
  bytes next_frame(caf::timespan timeout = bound) {
    auto ev = next(timeout);
    if (!ev) {
      ADD_FAILURE() << "no frame within the bound";
      return {};
    }
    if (ev->what != push_event::kind::frame) {
      ADD_FAILURE() << "expected a frame, got " << *ev;
      return {};
    }
    return ev->data;
  }

  /// The next message's end reason: a test failure if none comes or it is
  /// not a stream_end.
  caf::error next_end(caf::timespan timeout = bound) {
    auto ev = next(timeout);
    if (!ev) {
      ADD_FAILURE() << "no stream_end within the bound";
      return make_error(stream_errc::timeout, "no stream_end");
    }
    if (ev->what != push_event::kind::end) {
      ADD_FAILURE() << "expected stream_end, got " << *ev;
      return make_error(stream_errc::invalid_argument, "not stream_end");
    }
    return ev->err;
  }

  /// Receives until stream_end (bounded), granting `grant_each` after every
  /// frame message (0: never). Returns every event, stream_end last; fails
  /// the test if it does not come.
  std::vector<push_event> until_end(const stream_reader& reader,
                                    std::size_t grant_each = 1) {
    std::vector<push_event> all;
    for (;;) {
      auto ev = next();
      if (!ev) {
        ADD_FAILURE() << "no stream_end within the bound after "
                      << ::testing::PrintToString(all);
        return all;
      }
      all.push_back(*ev);
      if (ev->what == push_event::kind::end)
        return all;
      if (grant_each > 0)
        reader.grant(grant_each * ev->frames);
    }
  }

  /// Fails the test if a message arrives within `quiet`.
  void expect_nothing(caf::timespan quiet = std::chrono::milliseconds{100}) {
    if (auto ev = next(quiet))
      ADD_FAILURE() << "unexpected " << *ev;
  }

  /// The connection every message must come from (none: any).
  connection_actor expected_from;

  /// The frames of every batch received, as they were grouped.
  std::vector<std::vector<bytes>> batches;

private:
  void check_from(const connection_actor& from) {
    if (expected_from && from != expected_from)
      ADD_FAILURE() << "a message from another connection";
  }

  caf::scoped_actor self_;
};

/// A subscriber for a deterministic runtime (streams/testing.hpp): an
/// event-based actor that keeps what it receives. After `rt.run()` has run
/// the system dry, `take()` is exactly what arrived: "nothing more came" is
/// a fact, not a quiet period.
class recording_subscriber {
public:
  explicit recording_subscriber(caf::actor_system& sys)
    : events_(std::make_shared<std::vector<push_event>>()) {
    hdl_ = sys.spawn(
      [](caf::event_based_actor*,
         std::shared_ptr<std::vector<push_event>> out) -> caf::behavior {
        return {
          [out](frame_atom, const connection_actor&, bytes& frame) {
            out->push_back({push_event::kind::frame, std::move(frame), {}, 1});
          },
          [out](frame_atom, const connection_actor&,
                std::vector<bytes>& frames) {
            push_event batch{push_event::kind::frame, {}, {}, frames.size()};
            for (auto& f : frames)
              batch.data += f;
            out->push_back(std::move(batch));
          },
          [out](frame_atom, const connection_actor&, caf::error& err) {
            out->push_back(
              {push_event::kind::error_frame, {}, std::move(err), 1});
          },
          [out](stream_end_atom, const connection_actor&, caf::error& err) {
            out->push_back({push_event::kind::end, {}, std::move(err), 0});
          },
        };
      },
      events_);
  }

  ~recording_subscriber() {
    caf::anon_send_exit(hdl_, caf::exit_reason::user_shutdown);
  }

  caf::actor handle() const { return hdl_; }

  /// What arrived since the last take, in order.
  std::vector<push_event> take() {
    std::vector<push_event> result;
    result.swap(*events_);
    return result;
  }

  /// The frames of what arrived since the last take (a test failure for
  /// anything else).
  std::vector<bytes> take_frames() {
    std::vector<bytes> frames;
    for (auto& ev : take()) {
      if (ev.what == push_event::kind::frame)
        frames.push_back(std::move(ev.data));
      else
        ADD_FAILURE() << "expected frames only, got " << ev;
    }
    return frames;
  }

private:
  std::shared_ptr<std::vector<push_event>> events_;
  caf::actor hdl_;
};

/// The frames among `events` (error frames and the end left out).
inline std::vector<bytes> frames_of(const std::vector<push_event>& events) {
  std::vector<bytes> out;
  for (const auto& ev : events)
    if (ev.what == push_event::kind::frame)
      out.push_back(ev.data);
  return out;
}

/// The stream_end's reason: the last event, which must be the end.
inline caf::error end_of(const std::vector<push_event>& events) {
  if (events.empty() || events.back().what != push_event::kind::end) {
    ADD_FAILURE() << "the last event is not stream_end";
    return make_error(stream_errc::invalid_argument, "no stream_end");
  }
  return events.back().err;
}

/// `payload` behind its big-endian length of `width` bytes.
inline bytes framed(std::size_t width, const bytes& payload) {
  bytes out;
  for (auto shift = 8 * width; shift > 0; shift -= 8)
    out.push_back(static_cast<char>((payload.size() >> (shift - 8)) & 0xff));
  return out + payload;
}

} // namespace actorstreams::testing
