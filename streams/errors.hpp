#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "streams/bytes.hpp"

namespace caf {
class actor_system_config;
} // namespace caf

namespace actorstreams {

/// Error codes of actorstreams, the `"streams"` category of `caf::error`.
///
/// Every failure at the actor boundary is a `caf::error` with one of these
/// codes; the context carries `incomplete_read_error` or
/// `limit_overrun_error` for the first two, and a readable message (one
/// `std::string`) for the others.
enum class stream_errc : uint8_t {
  /// EOF before the request completed; context: `incomplete_read_error`.
  incomplete_read = 1,
  /// No separator within the limit; context: `limit_overrun_error`.
  limit_overrun,
  /// Bad argument, e.g. readexactly(-1), readuntil(""), limit 0.
  invalid_argument,
  /// The connection broke: peer reset, broken pipe, transport error.
  connection_reset,
  /// We closed it: use of a writer after close(), or of a connection whose
  /// actor has shut down.
  closed,
  /// Resolving or connecting failed; the message names every address tried.
  connect_failed,
  /// Binding or listening failed (address in use, bad path, ...).
  bind_failed,
  /// A request's deadline passed; it consumed nothing.
  timeout,
  /// The transport cannot do this (e.g. write_eof on a pipe's read end).
  not_supported,
  /// Its requester abandoned the request (a cancelled task); it consumed
  /// nothing.
  cancelled,
  /// TLS failed: the handshake (an untrusted or expired certificate, a wrong
  /// name, no common protocol), a setting that cannot be loaded, or a broken
  /// record; the message says which, with OpenSSL's reason.
  tls_error,
};

/// The category atom of `stream_errc` errors.
inline constexpr caf::atom_value stream_category = caf::atom("streams");

/// asyncio's IncompleteReadError: EOF before the request completed.
struct incomplete_read_error {
  /// Everything read before EOF.
  bytes partial;
  /// The requested size for readexactly; none for readuntil.
  std::optional<std::size_t> expected;

  /// asyncio's text, e.g. "18 bytes read on a total of 36 expected bytes"
  /// ("undefined" for none).
  std::string message() const;

  friend bool operator==(const incomplete_read_error&,
                         const incomplete_read_error&) = default;
};

/// asyncio's LimitOverrunError: the limit was reached before a separator.
struct limit_overrun_error {
  std::string message;
  /// As asyncio: the number of bytes to consume.
  std::size_t consumed = 0;

  friend bool operator==(const limit_overrun_error&,
                         const limit_overrun_error&) = default;
};

/// 0.17 inspectors do not know std::optional: the expected size travels as
/// a flag and a value.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        incomplete_read_error& x) {
  bool has_expected = x.expected.has_value();
  uint64_t expected = x.expected.value_or(0);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (has_expected)
      x.expected = static_cast<std::size_t>(expected);
    else
      x.expected.reset();
    return caf::none;
  });
  return f(caf::meta::type_name("actorstreams::incomplete_read_error"),
           x.partial, has_expected, expected, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, limit_overrun_error& x) {
  uint64_t consumed = x.consumed;
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.consumed = static_cast<std::size_t>(consumed);
    return caf::none;
  });
  return f(caf::meta::type_name("actorstreams::limit_overrun_error"),
           x.message, consumed, load);
}

/// Lets `stream_errc` convert implicitly to `caf::error` (found by ADL).
caf::error make_error(stream_errc code);

/// A `stream_errc` error with a readable message as context.
caf::error make_error(stream_errc code, std::string message);

/// `stream_errc::incomplete_read` with its payload.
caf::error make_error(incomplete_read_error payload);

/// `stream_errc::limit_overrun` with its payload.
caf::error make_error(limit_overrun_error payload);

/// The payload of an incomplete_read error, if `err` is one.
std::optional<incomplete_read_error> as_incomplete_read(const caf::error& err);

/// The payload of a limit_overrun error, if `err` is one.
std::optional<limit_overrun_error> as_limit_overrun(const caf::error& err);

/// The `stream_errc` of `err`, if it is in the streams category.
std::optional<stream_errc> as_stream_errc(const caf::error& err);

/// The error's readable text without an actor system: "connection_reset:
/// Connection reset by peer", or CAF's rendering for other categories.
std::string describe(const caf::error& err);

/// The enumerator's name, e.g. "limit_overrun".
std::string to_string(stream_errc code);

/// What `co_await` throws in a task when a request fails (streams/task.hpp):
/// the `caf::error` as an exception, so that `as_incomplete_read(e.error())`
/// and friends work on it. `what()` is `describe(error())`.
class stream_error : public std::runtime_error {
public:
  explicit stream_error(caf::error err);

  const caf::error& error() const noexcept { return err_; }

  /// The `stream_errc` of the error, if it is in the streams category.
  std::optional<stream_errc> code() const { return as_stream_errc(err_); }

private:
  caf::error err_;
};

/// Registers the payload types and the "streams" renderer with `cfg`.
void register_error_types(caf::actor_system_config& cfg);

} // namespace actorstreams
