#pragma once

// Shared helpers for the tests: a runtime per test, and unwrapping results.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "streams/all.hpp"
#include "streams/testing_gtest.hpp"

namespace actorstreams::testing {

using namespace std::chrono_literals;

/// A generous bound for every wait in the tests: a bug fails a test, never
/// hangs it.
inline constexpr auto bound = std::chrono::seconds{10};

/// `n` bytes that differ with `seed` and cover every byte value, "\0" and
/// 0xFF included; a prime period exposes shifted or repeated chunks.
inline bytes pattern(std::size_t n, unsigned seed = 0) {
  bytes out(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<char>((i * 7 + seed * 31 + i / 251) % 256);
  return out;
}

/// The index of the first byte where `x` and `y` differ (including a length
/// difference), or npos.
inline std::size_t first_difference(const bytes& x, const bytes& y) {
  auto n = std::min(x.size(), y.size());
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] != y[i])
      return i;
  return x.size() == y.size() ? bytes::npos : n;
}

/// A fresh runtime (actor system + I/O threads) per test.
class runtime_test : public ::testing::Test {
protected:
  runtime rt;

  caf::actor_system& sys() { return rt.system(); }
};

/// The value of `x`, or a test failure that shows the error.
template <class T>
T value_of(caf::expected<T> x, const char* what = "") {
  if (!x) {
    ADD_FAILURE() << what << ": " << describe(x.error());
    return T{};
  }
  return std::move(*x);
}

/// The error of `x`, or a test failure that shows the unexpected value.
template <class T>
caf::error error_of(caf::expected<T> x) {
  if (x) {
    ADD_FAILURE() << "expected an error, got a value";
    return caf::error{};
  }
  return std::move(x.error());
}

/// The success of a `pending<void>` result, or a failure that shows why not.
inline ::testing::AssertionResult succeeded(const caf::expected<void>& x) {
  if (x)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << describe(x.error());
}

/// The stream_errc of `err` (or a test failure if it has none).
inline stream_errc code_of(const caf::error& err) {
  auto code = as_stream_errc(err);
  if (!code) {
    ADD_FAILURE() << "not a stream error: " << describe(err);
    return stream_errc::invalid_argument;
  }
  return *code;
}

/// The readable message of a stream error (its `std::string` context), or
/// "" if it has none.
inline std::string message_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return {};
}

} // namespace actorstreams::testing
