#include "net/internal/error.hpp"

#include <asio/error.hpp>

#include "streams/errors.hpp"

namespace actorstreams::net {

caf::error to_error(const std::error_code& ec, io_phase phase,
                    std::string_view what) {
  std::string msg;
  if (!what.empty()) {
    msg.assign(what);
    msg += ": ";
  }
  msg += ec.message();
  if (ec == asio::error::operation_aborted)
    return make_error(stream_errc::closed, std::move(msg));
  switch (phase) {
    case io_phase::connect:
      return make_error(stream_errc::connect_failed, std::move(msg));
    case io_phase::bind:
      return make_error(stream_errc::bind_failed, std::move(msg));
    case io_phase::transfer:
      break;
  }
  return make_error(stream_errc::connection_reset, std::move(msg));
}

} // namespace actorstreams::net
