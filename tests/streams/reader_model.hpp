#pragma once

// The reader core's rules written out the slow way, and a checker that runs
// any sequence of feeds and requests through both `read_buffer` and this
// model. Every request rescans from the front, as asyncio does, and the
// buffer is a plain string: whatever the real buffer's chunk keeping,
// incremental scans and storage hand-overs do, the outcomes and the state
// must be the same. Used by the unit tests (fixed seeds), the fuzz target
// (tests/fuzz/fuzz_read_buffer.cpp) and the threaded TSan test.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streams/read_buffer.hpp"

namespace actorstreams::model {

using kind = read_outcome::kind;

/// `s` quoted (not std::quoted: it escapes no control bytes), control bytes escaped, long strings abbreviated.
inline std::string show(std::string_view s) {
  constexpr std::size_t max_shown = 80;
  std::ostringstream os;
  os << '"';
  for (auto c : s.substr(0, max_shown)) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n')
      os << "\\n";
    else if (c == '\r')
      os << "\\r";
    else if (c == '"')
      os << "\\\"";
    else if (byte < 0x20 || byte >= 0x7f)
      os << "\\x" << "0123456789abcdef"[byte >> 4] << "0123456789abcdef"[byte & 15];
    else
      os << c;
  }
  os << '"';
  if (s.size() > max_shown)
    os << "... (" << s.size() << " bytes)";
  return os.str();
}

/// One outcome, every field comparable.
struct result {
  kind state = kind::need_more;
  bytes data;
  std::optional<std::size_t> expected;
  std::size_t consumed = 0;
  std::string message;

  static result of(const read_outcome& r) {
    return {r.state, r.data, r.expected, r.consumed, std::string{r.message}};
  }

  friend bool operator==(const result&, const result&) = default;

  friend std::ostream& operator<<(std::ostream& os, const result& x) {
    os << "{kind " << static_cast<int>(x.state) << ", data " << show(x.data)
       << ", expected ";
    if (x.expected)
      os << *x.expected;
    else
      os << "none";
    return os << ", consumed " << x.consumed << ", message "
              << show(x.message) << "}";
  }
};

/// asyncio's StreamReader rules (with docs/semantics.md's differences) on a
/// plain string.
class naive_buffer {
public:
  explicit naive_buffer(std::size_t limit) : limit_(limit) {
    // nop
  }

  bool feed_data(bytes chunk) {
    if (eof_)
      return false;
    if (discarding_) {
      auto pos = chunk.find('\n');
      if (pos == bytes::npos)
        return true;
      chunk.erase(0, pos + 1);
      discarding_ = false;
    }
    buf_ += chunk;
    return true;
  }

  void feed_eof() {
    eof_ = true;
    discarding_ = false;
  }

  void feed_error() {
    if (!eof_) {
      eof_ = failed_ = true;
      discarding_ = false;
    }
  }

  void set_exception() {
    exception_ = true;
  }

  /// Back in front, behind what was given back before and not read since.
  void unread(bytes chunk) {
    buf_.insert(unread_, chunk);
    unread_ += chunk.size();
  }

  result read(int64_t n) {
    if (exception_)
      return make(kind::exception);
    if (n == 0)
      return done(bytes{});
    if (n < 0 || buf_.empty()) {
      if (!eof_)
        return make(kind::need_more);
      if (failed_)
        return make(kind::source_failed);
    }
    return done(take(n < 0 ? buf_.size() : static_cast<std::size_t>(n)));
  }

  result readexactly(int64_t n) {
    if (n < 0)
      return invalid(read_buffer::negative_size);
    if (exception_)
      return make(kind::exception);
    auto want = static_cast<std::size_t>(n);
    if (buf_.size() >= want)
      return done(take(want));
    if (!eof_)
      return make(kind::need_more);
    if (failed_)
      return make(kind::source_failed);
    return incomplete(take(buf_.size()), want);
  }

  result readuntil(const std::vector<bytes>& separators) {
    if (separators.empty())
      return invalid(read_buffer::no_separators);
    for (const auto& sep : separators)
      if (sep.empty())
        return invalid(read_buffer::empty_separator);
    if (exception_)
      return make(kind::exception);
    return scan(separators);
  }

  result readline() {
    if (exception_)
      return make(kind::exception);
    auto r = scan({"\n"});
    if (r.state == kind::incomplete)
      return done(r.data);
    if (r.state == kind::overrun) {
      if (r.message == read_buffer::sep_too_long) {
        take(r.consumed + 1);
      } else {
        take(buf_.size());
        discarding_ = !eof_;
      }
    }
    return r;
  }

  result readframe(std::size_t width) {
    if (width != 1 && width != 2 && width != 4 && width != 8)
      return invalid(read_buffer::bad_frame_width);
    if (exception_)
      return make(kind::exception);
    auto at_end = [this](std::size_t expected) {
      if (failed_)
        return make(kind::source_failed);
      return incomplete(take(buf_.size()), expected);
    };
    if (buf_.size() < width)
      return eof_ ? at_end(width) : make(kind::need_more);
    uint64_t length = 0;
    for (std::size_t i = 0; i < width; ++i)
      length = (length << 8) | static_cast<unsigned char>(buf_[i]);
    if (length > limit_) {
      // width + length, saturated (a length near 2^64 cannot be skipped).
      std::size_t consumed = length > SIZE_MAX - width
                               ? SIZE_MAX
                               : width + static_cast<std::size_t>(length);
      return {kind::overrun, {}, std::nullopt, consumed,
              std::string{read_buffer::frame_too_long}};
    }
    auto payload = static_cast<std::size_t>(length);
    if (buf_.size() - width >= payload) {
      take(width);
      return done(take(payload));
    }
    if (!eof_)
      return make(kind::need_more);
    if (failed_)
      return make(kind::source_failed);
    take(width);
    return at_end(payload);
  }

  const bytes& view() const {
    return buf_;
  }

  bool at_eof() const {
    return eof_ && !failed_ && buf_.empty();
  }

  bool eof() const {
    return eof_;
  }

  bool failed() const {
    return failed_;
  }

  bool discarding() const {
    return discarding_;
  }

private:
  static result make(kind k) {
    result r;
    r.state = k;
    return r;
  }

  static result done(bytes data) {
    return {kind::done, std::move(data), std::nullopt, 0, {}};
  }

  static result incomplete(bytes partial, std::optional<std::size_t> expected) {
    return {kind::incomplete, std::move(partial), expected, 0, {}};
  }

  static result invalid(std::string_view message) {
    auto r = make(kind::invalid_argument);
    r.message = message;
    return r;
  }

  bytes take(std::size_t n) {
    n = std::min(n, buf_.size());
    auto out = buf_.substr(0, n);
    buf_.erase(0, n);
    unread_ -= std::min(n, unread_);
    return out;
  }

  result scan(const std::vector<bytes>& separators) {
    std::size_t max_len = 0;
    std::optional<std::size_t> start;
    std::size_t end = 0;
    std::size_t len = 0;
    for (const auto& sep : separators) {
      max_len = std::max(max_len, sep.size());
      auto pos = buf_.find(sep);
      if (pos == bytes::npos)
        continue;
      if (!start || pos + sep.size() < end
          || (pos + sep.size() == end && sep.size() < len)) {
        start = pos;
        end = pos + sep.size();
        len = sep.size();
      }
    }
    if (!start) {
      auto offset = buf_.size() + 1 > max_len ? buf_.size() + 1 - max_len : 0;
      if (offset > limit_)
        return {kind::overrun, {}, std::nullopt, offset,
                std::string{read_buffer::sep_not_found}};
      if (!eof_)
        return make(kind::need_more);
      if (failed_)
        return make(kind::source_failed);
      return incomplete(take(buf_.size()), std::nullopt);
    }
    if (*start > limit_)
      return {kind::overrun, {}, std::nullopt, *start,
              std::string{read_buffer::sep_too_long}};
    return done(take(end));
  }

  bytes buf_;
  std::size_t limit_;
  std::size_t unread_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool exception_ = false;
  bool discarding_ = false;
};

/// Interprets `input` as a limit and a sequence of operations, runs them on
/// a `read_buffer` and on the model, and compares every outcome and the
/// state after every step. Returns the first difference, with the history
/// that led to it, or nullopt if there was none. Any input is valid: bytes
/// are read cyclically as opcodes and arguments; a chunk's bytes come from
/// the input (mostly mapped onto a small alphabet so that separators
/// occur), and "big" chunks (beyond read_buffer::keep_chunk) are patterns.
inline std::optional<std::string> check_reader_ops(std::string_view input) {
  if (input.empty())
    return std::nullopt;
  std::size_t pos = 0;
  auto next = [&]() -> unsigned {
    return pos < input.size() ? static_cast<unsigned char>(input[pos++]) : 0u;
  };
  static constexpr std::size_t limits[]
    = {1, 2, 3, 5, 8, 16, 100, 70000};
  const auto limit = limits[next() % 8];
  static const std::vector<std::vector<bytes>> separator_sets{
    {"\n"},       {"ab"},        {"aa", "b\n"},    {bytes{"\0ba\n", 4}, "abab"},
    {"bab", "ab"}, {"a", "aaaa"}, {},               {"a", ""}};
  static constexpr std::string_view alphabet{"ab\n\0", 4};
  auto byte_from = [&](unsigned b) {
    return static_cast<char>(b & 0x80 ? b : alphabet[b % 4]);
  };
  read_buffer buf{limit};
  naive_buffer model{limit};
  std::ostringstream history;
  history << "limit " << limit << ":";
  while (pos < input.size()) {
    std::optional<result> got;
    std::optional<result> want;
    auto op = next() % 16;
    switch (op) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {
        bytes chunk;
        for (auto n = next() % 9; n > 0; --n)
          chunk += byte_from(next());
        history << " feed " << show(chunk);
        auto fed = buf.feed_data(chunk);
        if (fed != model.feed_data(chunk))
          return history.str() + "\n  feed_data answered differently";
        break;
      }
      case 5: {
        // A chunk read_buffer keeps whole: a pattern with a newline or a
        // separator somewhere (or none).
        auto size = read_buffer::keep_chunk + next() * 64;
        auto mark = next();
        bytes chunk(size, 'x');
        for (std::size_t i = 0; i < size; i += 97)
          chunk[i] = alphabet[(i / 97 + mark) % 4];
        history << " feed <" << size << " bytes, mark " << mark << ">";
        if (buf.feed_data(chunk) != model.feed_data(chunk))
          return history.str() + "\n  feed_data answered differently";
        break;
      }
      case 6: {
        int64_t n = static_cast<int64_t>(next() % 12) - 1;
        if (n == 10)
          n = 40000;
        history << " read(" << n << ")";
        got = result::of(buf.try_read(n));
        want = model.read(n);
        break;
      }
      case 7:
        history << " readline";
        got = result::of(buf.try_readline());
        want = model.readline();
        break;
      case 8: {
        int64_t n = static_cast<int64_t>(next() % 12) - 1;
        if (n == 10)
          n = 20000;
        history << " readexactly(" << n << ")";
        got = result::of(buf.try_readexactly(n));
        want = model.readexactly(n);
        break;
      }
      case 9: {
        const auto& sep = separator_sets[next() % separator_sets.size()];
        history << " readuntil";
        for (const auto& x : sep)
          history << ' ' << show(x);
        got = result::of(buf.try_readuntil(sep));
        want = model.readuntil(sep);
        break;
      }
      case 10: {
        static constexpr std::size_t widths[] = {1, 2, 4, 8, 1, 2, 3, 0};
        auto width = widths[next() % 8];
        history << " readframe(" << width << ")";
        got = result::of(buf.try_readframe(width));
        want = model.readframe(width);
        break;
      }
      case 11: {
        bytes chunk;
        for (auto n = next() % 5; n > 0; --n)
          chunk += byte_from(next());
        history << " unread " << show(chunk);
        buf.unread(chunk);
        model.unread(chunk);
        break;
      }
      case 12:
        history << " eof";
        buf.feed_eof();
        model.feed_eof();
        break;
      case 13:
        history << " error";
        buf.feed_error();
        model.feed_error();
        break;
      case 14:
        // Rare: an exception ends every later request.
        if (next() % 8 == 0) {
          history << " exception";
          buf.set_exception();
          model.set_exception();
        }
        break;
      default:
        history << " read(-1)";
        got = result::of(buf.try_read(-1));
        want = model.read(-1);
    }
    if (got && !(*got == *want)) {
      history << "\n   got " << *got << "\n  want " << *want;
      return history.str();
    }
    // The state, without view(): it would merge the kept chunks, and the
    // next steps would not run on them.
    if (buf.size() != model.view().size() || buf.at_eof() != model.at_eof()
        || buf.eof() != model.eof() || buf.failed() != model.failed()
        || buf.discarding() != model.discarding()) {
      history << "\n  state differs: buffer of " << buf.size() << " bytes"
              << (buf.discarding() ? " (discarding)" : "") << ", model "
              << show(model.view())
              << (model.discarding() ? " (discarding)" : "");
      return history.str();
    }
  }
  if (buf.view() != model.view()) {
    history << "\n  bytes differ at the end: buffer " << show(buf.view())
            << ", model " << show(model.view());
    return history.str();
  }
  return std::nullopt;
}

} // namespace actorstreams::model
