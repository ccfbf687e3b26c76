#include "net/transport.hpp"

#include "streams/errors.hpp"

namespace actorstreams::net {

protocol::~protocol() = default;

transport::~transport() = default;

void protocol::tls_started(caf::error) {
  // nop
}

caf::error transport::start_tls(tls_options) {
  return make_error(stream_errc::not_supported,
                    "start_tls needs a TCP, Unix or adopted socket");
}

} // namespace actorstreams::net
