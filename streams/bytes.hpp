#pragma once

#include <cstddef>
#include <string>

namespace actorstreams {

/// Binary-safe byte string, as protobuf's `bytes`: any byte value, including
/// `'\0'`, is data.
using bytes = std::string;

/// asyncio's default stream limit (2**16): the longest line `readline` and
/// `readuntil` accept, and half of the read-buffer pause threshold.
inline constexpr std::size_t default_limit = 64 * 1024;

/// The writer's default high-water mark: `drain()` waits above it.
inline constexpr std::size_t default_write_high_water = 64 * 1024;

/// The writer's default low-water mark: waiting drainers resume at or below it.
inline constexpr std::size_t default_write_low_water = 16 * 1024;

} // namespace actorstreams
