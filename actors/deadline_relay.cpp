#include "actors/deadline_relay.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/io_module.hpp"
#include "actors/messages.hpp"

namespace actorstreams {

deadline_relay::deadline_relay(caf::actor_config& cfg)
  : caf::event_based_actor(cfg) {
  // nop
}

caf::behavior deadline_relay::make_behavior() {
  return {
    [](relayed_deadline& x) {
      if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(x.target))
        caf::anon_send(caf::actor_cast<caf::actor>(std::move(strong)),
                       deadline_passed{x.token});
    },
  };
}

void schedule_deadline(caf::actor_system& sys, caf::actor_addr target,
                       caf::actor_clock::time_point due, uint64_t token) {
  auto delay = due - sys.clock().now();
  if (delay < caf::timespan::zero())
    delay = caf::timespan::zero();
  if (auto mod = io_module::try_of(sys)) {
    caf::delayed_anon_send(mod->deadline_relay(), delay,
                           relayed_deadline{std::move(target), token});
    return;
  }
  // A system without the I/O module (in-memory readers only) has no relay
  // whose shutdown we control: deliver directly, holding the target until
  // the deadline.
  if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(target))
    caf::delayed_anon_send(caf::actor_cast<caf::actor>(std::move(strong)),
                           delay, deadline_passed{token});
}

} // namespace actorstreams
