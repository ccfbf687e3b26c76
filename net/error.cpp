#include "net/internal/error.hpp"

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>

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
  // A broken TLS record (bad MAC, a fatal alert): TLS's failure, not the
  // socket's.
  if (ec.category() == asio::error::get_ssl_category()
      || ec == asio::ssl::error::stream_truncated
      || ec == asio::ssl::error::unexpected_result)
    return make_error(stream_errc::tls_error, std::move(msg));
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

caf::error tls_error(std::string what) {
  return make_error(stream_errc::tls_error, std::move(what));
}

} // namespace actorstreams::net
