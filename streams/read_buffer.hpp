#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "streams/bytes.hpp"

namespace actorstreams {

/// The outcome of one try-operation on a `read_buffer`.
///
/// "Need more data" is not an error: the caller waits for `feed_data`,
/// `feed_eof` or `feed_error` and tries again.
struct read_outcome {
  enum class kind : uint8_t {
    /// Completed; `data` holds the result.
    done,
    /// Cannot complete yet; nothing was consumed.
    need_more,
    /// EOF came first; `data` holds the partial bytes, `expected` the wanted
    /// size (none for readuntil). The partial bytes left the buffer.
    incomplete,
    /// The limit was exceeded; `message` and `consumed` as asyncio's
    /// LimitOverrunError.
    overrun,
    /// Bad arguments; `message` says which.
    invalid_argument,
    /// A stored exception (`set_exception`) wins; the buffer is unchanged.
    exception,
    /// The byte source failed (`feed_error`) and the request cannot be served
    /// from what is buffered; the buffer is unchanged, so nothing is lost.
    source_failed,
  };

  kind state = kind::need_more;
  bytes data;
  std::optional<std::size_t> expected;
  std::size_t consumed = 0;
  std::string_view message;

  bool ready() const noexcept { return state != kind::need_more; }
};

/// asyncio's StreamReader algorithm as a synchronous, I/O-free state machine.
///
/// The buffer holds bytes fed by a byte source and serves one request at a
/// time through the `try_*` members, each of which either completes (bytes or
/// a failure with its payload) or answers `need_more` without consuming
/// anything. Semantics are Python 3.13's, with the deliberate differences of
/// docs/semantics.md: `try_readline` discards a whole over-long line, and a
/// failed byte source (`feed_error`) keeps the buffered bytes readable.
///
/// Cost: bytes are copied at most once on the way in (none when the buffer is
/// empty) and once on the way out (none when a request takes the whole
/// buffer); a line or frame arriving in many chunks is scanned once, never
/// from the start again.
class read_buffer {
public:
  /// Messages as asyncio spells them.
  static constexpr std::string_view sep_not_found
    = "Separator is not found, and chunk exceed the limit";
  static constexpr std::string_view sep_too_long
    = "Separator is found, but chunk is longer than limit";
  static constexpr std::string_view negative_size
    = "readexactly size can not be less than zero";
  static constexpr std::string_view empty_separator
    = "Separator should be at least one-byte string";
  static constexpr std::string_view no_separators
    = "Separator should contain at least one element";
  static constexpr std::string_view bad_frame_width
    = "Frame length width should be 1, 2, 4 or 8 bytes";
  static constexpr std::string_view frame_too_long
    = "Frame length is announced, but frame is longer than limit";

  /// @pre `limit > 0` (callers report `limit == 0` as invalid_argument).
  explicit read_buffer(std::size_t limit = default_limit) noexcept;

  // -- feeding ---------------------------------------------------------------

  /// Appends `chunk`. Returns false, dropping the chunk, after EOF or
  /// `feed_error` (asyncio asserts 'feed_data after feed_eof').
  bool feed_data(bytes chunk);

  /// Marks EOF. Idempotent.
  void feed_eof() noexcept;

  /// The byte source failed: behaves as EOF, except that a request reaching
  /// the end fails with `source_failed` and keeps the buffer.
  void feed_error() noexcept;

  /// Stores an exception: after argument checks, every request fails with
  /// `exception`, even with bytes buffered (which stay buffered).
  void set_exception() noexcept;

  /// Puts `chunk` back in front of the buffered bytes, as if it had never
  /// been consumed: the answer to a request that its requester abandoned
  /// after it was served (a cancelled task, docs/coroutines.md). Several
  /// given back in a row line up in the order they came (behind one
  /// another, ahead of the rest). Allowed after EOF and failures too.
  void unread(bytes chunk);

  // -- requests ---------------------------------------------------------------

  /// n < 0: everything up to EOF; n == 0: empty at once; n > 0: 1..n bytes,
  /// empty at EOF. Not capped by the limit.
  read_outcome try_read(int64_t n);

  /// Through "\n"; the partial line at EOF; empty at EOF. An over-long line is
  /// reported as `overrun` and discarded whole, including the part that has
  /// not arrived yet.
  read_outcome try_readline();

  /// Exactly n bytes; `incomplete{partial, n}` at EOF.
  read_outcome try_readexactly(int64_t n);

  /// Through the separator whose match ends first (ties: the shorter one);
  /// `overrun` leaves the buffer intact; `incomplete{all, none}` at EOF.
  read_outcome try_readuntil(const std::vector<bytes>& separators);

  /// A length-prefixed frame: an unsigned big-endian length of `width`
  /// bytes (1, 2, 4 or 8), then that many bytes; the result is the payload,
  /// the prefix dropped. A length over the limit is `overrun` with
  /// `consumed` = width + length and the buffer intact (so that
  /// `readexactly(consumed)` skips the frame). At EOF: `incomplete` with
  /// what arrived of the prefix (expected: width) or of the payload
  /// (expected: the length); an empty partial at a frame boundary.
  read_outcome try_readframe(std::size_t width);

  // -- queries ----------------------------------------------------------------

  /// True after `feed_eof` once the buffer is empty.
  bool at_eof() const noexcept;

  /// True after `feed_eof` or `feed_error`.
  bool eof() const noexcept { return eof_; }

  bool failed() const noexcept { return failed_; }

  bool has_exception() const noexcept { return exception_; }

  /// True while the rest of an over-long line is being dropped.
  bool discarding() const noexcept { return discarding_; }

  std::size_t size() const noexcept {
    return data_.size() - head_ + more_size_;
  }

  bool empty() const noexcept { return size() == 0; }

  std::size_t limit() const noexcept { return limit_; }

  /// Flow control: the source should stop above 2 * limit ...
  bool should_pause() const noexcept { return size() > 2 * limit_; }

  /// ... and may go on again at limit or below.
  bool may_resume() const noexcept { return size() <= limit_; }

  /// The buffered bytes (asyncio's `_buffer`; tests and diagnostics).
  std::string_view view() const {
    merge();
    return std::string_view{data_}.substr(head_);
  }

  /// Chunks of at least this many bytes that arrive behind others are kept
  /// as they are, not appended: `read(n)` of a bulk stream then hands each
  /// one over whole, and nothing is copied unless a request spans chunks.
  static constexpr std::size_t keep_chunk = 16 * 1024;

private:
  /// Appends the kept chunks to data_ (a request needs contiguous bytes).
  void merge() const;

  /// data_ is used up: the next kept chunk takes its place.
  void promote() noexcept;

  read_outcome take(std::size_t n);
  void drop(std::size_t n);
  void drop_rest_of_line(bytes& chunk);
  read_outcome scan(const std::vector<bytes>& separators);

  // The bytes are data_ from head_, then the chunks in more_ (mutable:
  // view() merges them).
  mutable bytes data_;
  mutable std::size_t head_ = 0;
  mutable std::vector<bytes> more_; // few: at most 2 x limit / keep_chunk
  mutable std::size_t more_size_ = 0;
  std::size_t limit_;
  // readuntil's scan position relative to head_: no match starts before it.
  // Valid for scan_seps_ until something is consumed.
  std::size_t scan_offset_ = 0;
  std::vector<bytes> scan_seps_;
  /// How many bytes at the front were given back by unread and not read
  /// since (the next unread goes behind them).
  std::size_t unread_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool exception_ = false;
  bool discarding_ = false;
};

} // namespace actorstreams
