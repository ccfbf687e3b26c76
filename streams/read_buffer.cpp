#include "streams/read_buffer.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace actorstreams {

namespace {

using kind = read_outcome::kind;

read_outcome make(kind k) {
  read_outcome r;
  r.state = k;
  return r;
}

read_outcome fail(kind k, std::string_view message) {
  auto r = make(k);
  r.message = message;
  return r;
}

read_outcome overrun(std::string_view message, std::size_t consumed) {
  auto r = fail(kind::overrun, message);
  r.consumed = consumed;
  return r;
}

const std::vector<bytes>& newline() {
  static const std::vector<bytes> seps{bytes{"\n"}};
  return seps;
}

} // namespace

read_buffer::read_buffer(std::size_t limit) noexcept : limit_(limit) {
  // nop
}

// -- feeding -------------------------------------------------------------------

bool read_buffer::feed_data(bytes chunk) {
  if (eof_)
    return false;
  if (discarding_) {
    drop_rest_of_line(chunk);
    if (discarding_)
      return true;
  }
  if (chunk.empty())
    return true;
  if (empty()) {
    // Take the chunk's storage: no copy on the common path.
    data_ = std::move(chunk);
    head_ = 0;
    return true;
  }
  if (chunk.size() >= keep_chunk || !more_.empty()) {
    // Keep it whole (in order behind the kept ones): no copy now, none at
    // all if a read takes it whole.
    more_size_ += chunk.size();
    more_.push_back(std::move(chunk));
    return true;
  }
  // Compact once the consumed prefix is at least as long as the live bytes:
  // every live byte moves at most a constant number of times overall.
  if (head_ > 0 && head_ >= size()) {
    data_.erase(0, head_);
    head_ = 0;
  }
  data_.append(chunk);
  return true;
}

void read_buffer::feed_eof() noexcept {
  eof_ = true;
  // No more bytes will come, so none are left to discard.
  discarding_ = false;
}

void read_buffer::feed_error() noexcept {
  // A failure after a clean EOF does not concern the bytes already complete.
  if (eof_)
    return;
  eof_ = true;
  failed_ = true;
  discarding_ = false;
}

void read_buffer::set_exception() noexcept {
  exception_ = true;
}

void read_buffer::drop_rest_of_line(bytes& chunk) {
  auto pos = chunk.find('\n');
  if (pos == bytes::npos) {
    chunk.clear();
    return;
  }
  chunk.erase(0, pos + 1);
  discarding_ = false;
}

// -- requests ------------------------------------------------------------------

read_outcome read_buffer::try_read(int64_t n) {
  if (exception_)
    return make(kind::exception);
  if (n == 0)
    return make(kind::done);
  if (n < 0) {
    if (!eof_)
      return make(kind::need_more);
    if (failed_)
      return make(kind::source_failed);
    return take(size());
  }
  if (empty()) {
    if (!eof_)
      return make(kind::need_more);
    if (failed_)
      return make(kind::source_failed);
    return make(kind::done);
  }
  return take(std::min(static_cast<std::size_t>(n), size()));
}

read_outcome read_buffer::try_readexactly(int64_t n) {
  if (n < 0)
    return fail(kind::invalid_argument, negative_size);
  if (exception_)
    return make(kind::exception);
  auto want = static_cast<std::size_t>(n);
  if (size() >= want)
    return take(want);
  if (!eof_)
    return make(kind::need_more);
  if (failed_)
    return make(kind::source_failed);
  auto r = take(size());
  r.state = kind::incomplete;
  r.expected = want;
  return r;
}

read_outcome read_buffer::try_readuntil(const std::vector<bytes>& separators) {
  if (separators.empty())
    return fail(kind::invalid_argument, no_separators);
  for (const auto& sep : separators)
    if (sep.empty())
      return fail(kind::invalid_argument, empty_separator);
  if (exception_)
    return make(kind::exception);
  return scan(separators);
}

read_outcome read_buffer::try_readline() {
  if (exception_)
    return make(kind::exception);
  auto r = scan(newline());
  switch (r.state) {
    case kind::incomplete:
      // The partial line at EOF is a result, not an error.
      r.state = kind::done;
      r.expected.reset();
      return r;
    case kind::overrun:
      if (r.message == sep_too_long) {
        // The newline is here: drop the line through it.
        drop(r.consumed + 1);
      } else {
        // The newline has not arrived: drop what is here and, unlike asyncio,
        // the rest of the line when it comes.
        drop(size());
        discarding_ = !eof_;
      }
      return r;
    default:
      return r;
  }
}

read_outcome read_buffer::try_readframe(std::size_t width) {
  if (width != 1 && width != 2 && width != 4 && width != 8)
    return fail(kind::invalid_argument, bad_frame_width);
  if (exception_)
    return make(kind::exception);
  auto at_end = [this](std::size_t expected) {
    if (failed_)
      return make(kind::source_failed);
    auto r = take(size());
    r.state = kind::incomplete;
    r.expected = expected;
    return r;
  };
  if (size() < width)
    return eof_ ? at_end(width) : make(kind::need_more);
  if (data_.size() - head_ < width)
    merge();
  uint64_t length = 0;
  for (std::size_t i = 0; i < width; ++i)
    length = (length << 8) | static_cast<unsigned char>(data_[head_ + i]);
  if (length > limit_) {
    auto consumed = length > SIZE_MAX - width ? SIZE_MAX
                                              : width + static_cast<std::size_t>(length);
    return overrun(frame_too_long, consumed);
  }
  auto payload = static_cast<std::size_t>(length);
  if (size() - width >= payload) {
    drop(width);
    return take(payload);
  }
  if (!eof_)
    return make(kind::need_more);
  if (failed_)
    return make(kind::source_failed);
  drop(width);
  return at_end(payload);
}

read_outcome read_buffer::scan(const std::vector<bytes>& separators) {
  if (separators != scan_seps_) {
    scan_seps_ = separators;
    scan_offset_ = 0;
  }
  auto [min_it, max_it] = std::minmax_element(
    separators.begin(), separators.end(),
    [](const bytes& x, const bytes& y) { return x.size() < y.size(); });
  const auto min_len = min_it->size();
  const auto max_len = max_it->size();
  const auto buf = view();
  const auto len = buf.size();
  auto match_start = bytes::npos;
  auto match_end = bytes::npos;
  auto match_len = std::size_t{0};
  if (len >= scan_offset_ && len - scan_offset_ >= min_len) {
    for (const auto& sep : separators) {
      std::size_t pos;
      if (sep.size() == 1) {
        auto p = std::memchr(buf.data() + scan_offset_, sep[0],
                             len - scan_offset_);
        pos = p ? static_cast<std::size_t>(static_cast<const char*>(p)
                                           - buf.data())
                : bytes::npos;
      } else {
        pos = buf.find(sep, scan_offset_);
      }
      if (pos == bytes::npos)
        continue;
      auto end = pos + sep.size();
      if (match_end == bytes::npos || end < match_end
          || (end == match_end && sep.size() < match_len)) {
        match_start = pos;
        match_end = end;
        match_len = sep.size();
      }
    }
    if (match_end == bytes::npos)
      scan_offset_ = len + 1 > max_len ? len + 1 - max_len : 0;
  }
  if (match_end == bytes::npos) {
    if (scan_offset_ > limit_)
      return overrun(sep_not_found, scan_offset_);
    if (!eof_)
      return make(kind::need_more);
    if (failed_)
      return make(kind::source_failed);
    auto r = take(size());
    r.state = kind::incomplete;
    return r;
  }
  if (match_start > limit_)
    return overrun(sep_too_long, match_start);
  return take(match_end);
}

// -- queries -------------------------------------------------------------------

bool read_buffer::at_eof() const noexcept {
  return eof_ && !failed_ && empty();
}

// -- consuming -----------------------------------------------------------------

read_outcome read_buffer::take(std::size_t n) {
  auto r = make(kind::done);
  if (n > data_.size() - head_)
    merge();
  if (head_ == 0 && n == data_.size()) {
    // The request takes all of data_: hand over the storage.
    unread_ = 0;
    r.data = std::move(data_);
    data_ = bytes{};
    scan_offset_ = 0;
    promote();
    return r;
  }
  r.data.assign(data_, head_, n);
  drop(n);
  return r;
}

void read_buffer::drop(std::size_t n) {
  if (n > data_.size() - head_)
    merge();
  unread_ -= std::min(n, unread_);
  head_ += n;
  scan_offset_ = 0;
  if (head_ >= data_.size()) {
    // Give the memory back: an idle connection holds no buffer.
    bytes{}.swap(data_);
    head_ = 0;
    promote();
  }
}

void read_buffer::unread(bytes chunk) {
  if (chunk.empty())
    return;
  const auto n = chunk.size(); // before the move below
  if (empty()) {
    data_ = std::move(chunk);
    head_ = 0;
  } else {
    // Behind what was given back before and not read since: abandoned
    // reads answered in stream order come back in stream order. (Given-back
    // bytes always sit in data_; the kept chunks stay behind, in order.)
    data_.insert(head_ + unread_, chunk);
  }
  unread_ += n;
  // Scan positions were relative to the old front.
  scan_offset_ = 0;
}

void read_buffer::merge() const {
  if (more_.empty())
    return;
  if (head_ > 0) {
    data_.erase(0, head_);
    head_ = 0;
  }
  data_.reserve(data_.size() + more_size_);
  for (auto& chunk : more_)
    data_.append(chunk);
  more_.clear();
  more_size_ = 0;
}

void read_buffer::promote() noexcept {
  if (more_.empty())
    return;
  data_ = std::move(more_.front());
  head_ = 0;
  more_size_ -= data_.size();
  more_.erase(more_.begin());
}

} // namespace actorstreams
