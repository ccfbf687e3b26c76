#pragma once

// The read buffers of one I/O thread: where the bytes of a socket land
// first, and how they become a `bytes` without a copy when there are many.

#include <cstddef>
#include <utility>
#include <vector>

#include "streams/bytes.hpp"

namespace actorstreams::net {

/// Per-thread read buffers. A read goes into the thread's `current()`
/// buffer (64 KiB). A small read is copied out (an idle connection holds no
/// buffer); a large one hands the buffer itself over (`take`) and the thread
/// continues with a recycled one, so bulk data is never copied between the
/// kernel's read and its write. Buffers come back through `recycle` once
/// their bytes were written.
class read_buffers {
public:
  /// Bytes per read.
  static constexpr std::size_t size = 64 * 1024;

  /// Reads of at least this many bytes are handed over, not copied.
  static constexpr std::size_t handover = 16 * 1024;

  /// The buffers of the calling thread.
  static read_buffers& local() {
    static thread_local read_buffers buffers;
    return buffers;
  }

  /// The buffer to read into: `size` bytes.
  bytes& current() {
    if (current_.size() != size)
      current_ = fresh();
    return current_;
  }

  /// The first `n` bytes read into `current()`, as bytes of their own.
  bytes take(std::size_t n) {
    if (n < handover)
      return bytes{current_.data(), n};
    bytes result = std::move(current_);
    result.resize(n);
    current_ = fresh();
    return result;
  }

  /// Gives back the storage of `done` (bytes written and no longer needed).
  void recycle(bytes&& done) {
    if (pool_.size() >= max_pooled || done.capacity() < size
        || done.capacity() > 2 * size)
      return;
    done.resize(size);
    pool_.push_back(std::move(done));
  }

private:
  static constexpr std::size_t max_pooled = 16;

  bytes fresh() {
    if (pool_.empty())
      return bytes(size, '\0');
    bytes result = std::move(pool_.back());
    pool_.pop_back();
    return result;
  }

  bytes current_;
  std::vector<bytes> pool_;
};

} // namespace actorstreams::net
