#include "streams/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

namespace actorstreams {

std::string incomplete_read_error::message() const {
  std::string result = std::to_string(partial.size());
  result += " bytes read on a total of ";
  result += expected ? std::to_string(*expected) : std::string{"undefined"};
  result += " expected bytes";
  return result;
}

caf::error make_error(stream_errc code) {
  return caf::error{static_cast<uint8_t>(code), stream_category};
}

caf::error make_error(stream_errc code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), stream_category,
                    caf::make_message(std::move(message))};
}

caf::error make_error(incomplete_read_error payload) {
  return caf::error{static_cast<uint8_t>(stream_errc::incomplete_read),
                    stream_category, caf::make_message(std::move(payload))};
}

caf::error make_error(limit_overrun_error payload) {
  return caf::error{static_cast<uint8_t>(stream_errc::limit_overrun),
                    stream_category, caf::make_message(std::move(payload))};
}

std::optional<stream_errc> as_stream_errc(const caf::error& err) {
  if (!err || err.category() != stream_category)
    return std::nullopt;
  return static_cast<stream_errc>(err.code());
}

namespace {

template <class T>
std::optional<T> payload_of(const caf::error& err, stream_errc code) {
  if (as_stream_errc(err) != code)
    return std::nullopt;
  const auto& ctx = err.context();
  if (!ctx.match_elements<T>())
    return std::nullopt;
  return ctx.get_as<T>(0);
}

std::string render(uint8_t code, const caf::message& ctx) {
  auto c = static_cast<stream_errc>(code);
  std::string result = to_string(c);
  if (ctx.match_elements<incomplete_read_error>()) {
    result += ": ";
    result += ctx.get_as<incomplete_read_error>(0).message();
  } else if (ctx.match_elements<limit_overrun_error>()) {
    const auto& x = ctx.get_as<limit_overrun_error>(0);
    result += ": ";
    result += x.message;
    result += " (consumed ";
    result += std::to_string(x.consumed);
    result += ")";
  } else if (ctx.match_elements<std::string>()) {
    result += ": ";
    result += ctx.get_as<std::string>(0);
  } else if (!ctx.empty()) {
    result += ": ";
    result += caf::deep_to_string(ctx);
  }
  return result;
}

} // namespace

std::optional<incomplete_read_error> as_incomplete_read(const caf::error& err) {
  return payload_of<incomplete_read_error>(err, stream_errc::incomplete_read);
}

std::optional<limit_overrun_error> as_limit_overrun(const caf::error& err) {
  return payload_of<limit_overrun_error>(err, stream_errc::limit_overrun);
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() == stream_category)
    return render(err.code(), err.context());
  return caf::to_string(err);
}

std::string to_string(stream_errc code) {
  switch (code) {
    case stream_errc::incomplete_read:
      return "incomplete_read";
    case stream_errc::limit_overrun:
      return "limit_overrun";
    case stream_errc::invalid_argument:
      return "invalid_argument";
    case stream_errc::connection_reset:
      return "connection_reset";
    case stream_errc::closed:
      return "closed";
    case stream_errc::connect_failed:
      return "connect_failed";
    case stream_errc::bind_failed:
      return "bind_failed";
    case stream_errc::timeout:
      return "timeout";
    case stream_errc::not_supported:
      return "not_supported";
    case stream_errc::cancelled:
      return "cancelled";
    case stream_errc::tls_error:
      return "tls_error";
  }
  return "stream_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

stream_error::stream_error(caf::error err)
  : std::runtime_error(describe(err)), err_(std::move(err)) {
  // nop
}

void register_error_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<incomplete_read_error>(
    "actorstreams::incomplete_read_error");
  cfg.add_message_type<limit_overrun_error>(
    "actorstreams::limit_overrun_error");
  cfg.add_error_category(stream_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return render(code, ctx);
                         });
}

} // namespace actorstreams
