#pragma once

// framing: how a subscribed connection cuts its byte stream into frames
// (push mode, API.md section 9; docs/push.md). A framing names one of the
// reads of the reader core, so that frames are cut by the very code that
// serves readline / readuntil / readexactly / read: one parser, the same
// limit, the same errors.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>

#include "streams/bytes.hpp"

namespace actorstreams {

/// How the byte stream is cut into frames: the reads' own semantics.
class framing {
public:
  enum class kind : uint8_t {
    /// As readline: each frame ends with "\n" (kept); the partial last line
    /// at EOF is a frame; an over-long line is an error frame, skipped.
    lines,
    /// As readuntil: each frame ends with the separator that matches first.
    until,
    /// As readexactly(n).
    exactly,
    /// A big-endian length of `width` bytes, then the payload (the frame).
    length_prefixed,
    /// As read(limit): what arrived, at most `limit` bytes a frame.
    chunks,
  };

  /// Each frame as readline returns it ("\n" kept; a partial last line at
  /// EOF is a frame).
  static framing lines() { return framing{kind::lines, 0, {}}; }

  /// As readuntil(separators): a frame ends with its separator.
  static framing until(std::vector<bytes> separators) {
    return framing{kind::until, 0, std::move(separators)};
  }

  /// `n` bytes each, as readexactly(n); `n` must be positive.
  static framing exactly(std::size_t n) {
    return framing{kind::exactly, static_cast<uint64_t>(n), {}};
  }

  /// An unsigned big-endian length of `width` (1, 2, 4 or 8) bytes, then
  /// that many bytes; the frame is the payload, prefix stripped.
  static framing length_prefixed(std::size_t width = 4) {
    return framing{kind::length_prefixed, static_cast<uint64_t>(width), {}};
  }

  /// What arrived, at most the reader's `limit` bytes a frame.
  static framing chunks() { return framing{kind::chunks, 0, {}}; }

  framing() = default;

  kind how() const noexcept { return how_; }

  /// exactly's size, length_prefixed's width; 0 otherwise.
  uint64_t size() const noexcept { return n_; }

  const std::vector<bytes>& separators() const noexcept { return seps_; }

  friend bool operator==(const framing&, const framing&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, framing& x) {
    auto how = static_cast<uint8_t>(x.how_);
    auto load = caf::meta::load_callback([&]() -> caf::error {
      x.how_ = static_cast<kind>(how);
      return caf::none;
    });
    return f(caf::meta::type_name("actorstreams::framing"), how, x.n_, x.seps_,
             load);
  }

private:
  framing(kind how, uint64_t n, std::vector<bytes> seps)
    : how_(how), n_(n), seps_(std::move(seps)) {
    // nop
  }

  kind how_ = kind::lines;
  uint64_t n_ = 0;
  std::vector<bytes> seps_;
};

/// How a subscription delivers its frames (stream_reader::subscribe).
struct subscribe_options {
  /// Frames that may be sent before the first `grant`.
  std::size_t credit = 16;
  /// 1: each frame in a message of its own, `(frame_atom, from, bytes)`.
  /// More: frames come as `(frame_atom, from, std::vector<bytes>)`, each
  /// message with the frames ready at once, up to this many (and never
  /// more than the credit). Error frames and `stream_end` still come alone,
  /// in stream order.
  std::size_t batch = 1;
};

} // namespace actorstreams
