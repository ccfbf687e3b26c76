#include "streams/pending.hpp"

#include <caf/sec.hpp>

#include "actors/io_module.hpp"

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

caf::error blocking_forbidden(const caf::actor& dest) {
  if (!dest || !runs_deterministically(dest.home_system()))
    return {};
  return make_error(stream_errc::invalid_argument,
                    "get() called in a deterministic runtime: nothing runs "
                    "while it blocks, so it would wait forever; use "
                    "deterministic_runtime::await(pending) instead");
}

} // namespace actorstreams::detail
