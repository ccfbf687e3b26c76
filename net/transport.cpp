#include "net/transport.hpp"

namespace actorstreams::net {

protocol::~protocol() = default;

transport::~transport() = default;

} // namespace actorstreams::net
