#include "streams/task.hpp"

namespace actorstreams::detail {

void throw_misuse(const char* what) {
  throw stream_error(make_error(stream_errc::invalid_argument, what));
}

} // namespace actorstreams::detail
