#include "streams/pending.hpp"

#include <caf/sec.hpp>

namespace actorstreams::detail {

caf::error normalize(caf::error err) {
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout:
        return make_error(stream_errc::timeout, "the request timed out");
      case caf::sec::request_receiver_down:
        return make_error(stream_errc::closed,
                          "the actor serving the request is gone");
      default:
        break;
    }
  }
  return err;
}

caf::error already_awaited() {
  return make_error(stream_errc::invalid_argument,
                    "this pending was already awaited");
}

} // namespace actorstreams::detail
