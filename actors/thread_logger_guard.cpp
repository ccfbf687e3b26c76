#include "actors/thread_logger_guard.hpp"

#include <caf/logger.hpp>

namespace actorstreams {

thread_logger_guard::thread_logger_guard() noexcept
  : was_pinned_(caf::logger::current_logger() != nullptr) {
  // nop
}

thread_logger_guard::~thread_logger_guard() {
  if (!was_pinned_)
    caf::logger::set_current_actor_system(nullptr);
}

} // namespace actorstreams
