#pragma once

// GoogleTest matchers and printers for actorstreams' errors and results
// (docs/testing.md). Link the CMake target `actorstreams::gtest`, which
// brings GoogleTest's gmock; the core kit (streams/testing.hpp) does not
// need GoogleTest.
//
//   EXPECT_THAT(rt.await(r.readexactly(5)), IsIncompleteRead("abc", 5));
//   EXPECT_THAT(rt.await(r.readline()), IsLimitOverrun(4));
//   EXPECT_THAT(rt.await(w.drain()), HasStreamErrc(stream_errc::closed));
//
// Each matcher takes a `caf::error` or a `caf::expected<T>` (a value there
// does not match, and says so).
//
// Include this header in every test file that compares or prints these
// types (or in your tests' common header): GoogleTest's printers are
// templates, and a file that prints a caf::error without the PrintTo
// overloads below instantiates a different printer (an ODR violation that
// shows as "8-byte object <...>" in some builds).

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "streams/bytes.hpp"
#include "streams/errors.hpp"

namespace actorstreams::testing::matcher_detail {

inline const caf::error* error_in(const caf::error& err) {
  return &err;
}

template <class T>
const caf::error* error_in(const caf::expected<T>& x) {
  return x ? nullptr : &x.error();
}

/// Says why `arg` holds no error at all, or nothing; true if it has one.
template <class Arg>
const caf::error* error_or_explain(const Arg& arg,
                                   ::testing::MatchResultListener* listener) {
  auto* err = error_in(arg);
  if (err == nullptr || !*err) {
    *listener << "which holds a value, not an error";
    return nullptr;
  }
  return err;
}

inline std::string show_expected(const std::optional<std::size_t>& n) {
  return n ? std::to_string(*n) : std::string{"none (readuntil)"};
}

} // namespace actorstreams::testing::matcher_detail

namespace actorstreams::testing {

/// A `stream_errc::incomplete_read` error with exactly this partial data
/// and expected size (`std::nullopt` for readuntil's "undefined").
MATCHER_P2(IsIncompleteRead, partial, expected,
           std::string(negation ? "isn't" : "is")
             + " an incomplete_read error with partial "
             + ::testing::PrintToString(bytes(partial)) + " and expected "
             + matcher_detail::show_expected(std::optional<std::size_t>(expected))) {
  auto* err = matcher_detail::error_or_explain(arg, result_listener);
  if (err == nullptr)
    return false;
  auto payload = as_incomplete_read(*err);
  if (!payload) {
    *result_listener << "which is " << describe(*err);
    return false;
  }
  auto want_expected = std::optional<std::size_t>(expected);
  bool ok = payload->partial == bytes(partial)
            && payload->expected == want_expected;
  *result_listener << "whose partial is "
                   << ::testing::PrintToString(payload->partial)
                   << " and expected "
                   << matcher_detail::show_expected(payload->expected);
  return ok;
}

/// A `stream_errc::limit_overrun` error whose `consumed` is `consumed`.
MATCHER_P(IsLimitOverrun, consumed,
          std::string(negation ? "isn't" : "is")
            + " a limit_overrun error with consumed "
            + ::testing::PrintToString(static_cast<std::size_t>(consumed))) {
  auto* err = matcher_detail::error_or_explain(arg, result_listener);
  if (err == nullptr)
    return false;
  auto payload = as_limit_overrun(*err);
  if (!payload) {
    *result_listener << "which is " << describe(*err);
    return false;
  }
  *result_listener << "whose consumed is " << payload->consumed;
  return payload->consumed == static_cast<std::size_t>(consumed);
}

/// An error of the streams category with code `code`.
MATCHER_P(HasStreamErrc, code,
          std::string(negation ? "isn't" : "is") + " a " + to_string(code)
            + " error") {
  auto* err = matcher_detail::error_or_explain(arg, result_listener);
  if (err == nullptr)
    return false;
  *result_listener << "which is " << describe(*err);
  return as_stream_errc(*err) == std::optional<stream_errc>(code);
}

// -- printers (found by ADL: readable failures instead of object bytes) -----

} // namespace actorstreams::testing

namespace actorstreams {

inline void PrintTo(stream_errc code, std::ostream* os) {
  *os << to_string(code);
}

inline void PrintTo(const incomplete_read_error& x, std::ostream* os) {
  *os << "incomplete_read_error{partial " << ::testing::PrintToString(x.partial)
      << ", expected " << testing::matcher_detail::show_expected(x.expected) << "}";
}

inline void PrintTo(const limit_overrun_error& x, std::ostream* os) {
  *os << "limit_overrun_error{consumed " << x.consumed << ": " << x.message
      << "}";
}

} // namespace actorstreams

namespace caf {

/// `caf::error` as actorstreams::describe renders it, e.g. "timeout: the
/// request timed out", or "no error".
inline void PrintTo(const error& err, std::ostream* os) {
  *os << (err ? actorstreams::describe(err) : std::string{"no error"});
}

/// A `caf::expected` as its value or its error.
template <class T>
void PrintTo(const expected<T>& x, std::ostream* os) {
  if (x)
    *os << "value " << ::testing::PrintToString(*x);
  else
    PrintTo(x.error(), os);
}

inline void PrintTo(const expected<void>& x, std::ostream* os) {
  if (x)
    *os << "value (void)";
  else
    PrintTo(x.error(), os);
}

} // namespace caf
