#pragma once

#include <cstdint>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

namespace actorstreams {

/// Asks the system's deadline relay to send `deadline_passed{token}` to
/// `target` at `due`, without keeping `target` alive meanwhile.
///
/// CAF 0.17's clock holds the receiver of a delayed message strongly, so an
/// actor that armed `delayed_send(self, ...)` for a long timeout would live
/// (with its socket) until it fires, however early its last handle went. The
/// relay is one hidden actor per system, owned by the I/O module (which
/// shuts it down with the rest); it holds only the target's address and
/// forwards to it if it still lives. Without the I/O module, the deadline is
/// sent to `target` directly.
void schedule_deadline(caf::actor_system& sys, caf::actor_addr target,
                       caf::actor_clock::time_point due, uint64_t token);

/// The relay (spawned by io_module::deadline_relay). A class, not a
/// function: CAF 0.17's function-based spawn without arguments trips UBSan.
class deadline_relay : public caf::event_based_actor {
public:
  explicit deadline_relay(caf::actor_config& cfg);

  caf::behavior make_behavior() override;
};

/// What the clock delivers to the relay.
struct relayed_deadline {
  caf::actor_addr target;
  uint64_t token = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relayed_deadline& x) {
  return f(caf::meta::type_name("actorstreams::relayed_deadline"), x.target,
           x.token);
}

} // namespace actorstreams
