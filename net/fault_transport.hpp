#pragma once

#include "net/fault_plan.hpp"
#include "net/transport.hpp"

namespace actorstreams::net {

/// Wraps `inner` so that the operations `plan` names fail, as on an
/// in-memory pair: the wrapper aborts `inner` and reports the injected error
/// as the reason the connection was lost (connect: before it connected).
/// `inner` must live on an I/O thread (`affinity()`): the wrapper runs there
/// with it and needs no lock. Returns `inner` itself if nothing is planned.
transport_ptr inject_faults(transport_ptr inner, fault_plan plan);

} // namespace actorstreams::net
