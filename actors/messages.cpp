#include "actors/messages.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/connection_actor.hpp"
#include "actors/deadline_relay.hpp"
#include "actors/server_actor.hpp"
#include "streams/errors.hpp"
#include "streams/framing.hpp"

namespace actorstreams {

void register_message_types(caf::actor_system_config& cfg) {
  register_error_types(cfg);
  cfg.add_message_type<read_request>("actorstreams::read_request");
  cfg.add_message_type<framing>("actorstreams::framing");
  cfg.add_message_type<stored_exception>("actorstreams::stored_exception");
  cfg.add_message_type<transport_connected>(
    "actorstreams::transport_connected");
  cfg.add_message_type<data_received>("actorstreams::data_received");
  cfg.add_message_type<eof_received>("actorstreams::eof_received");
  cfg.add_message_type<writing_resumed>("actorstreams::writing_resumed");
  cfg.add_message_type<transport_closed>("actorstreams::transport_closed");
  cfg.add_message_type<deadline_passed>("actorstreams::deadline_passed");
  cfg.add_message_type<tls_upgraded>("actorstreams::tls_upgraded");
  cfg.add_message_type<listener_opened>("actorstreams::listener_opened");
  cfg.add_message_type<listener_failed>("actorstreams::listener_failed");
  cfg.add_message_type<client_closed>("actorstreams::client_closed");
  cfg.add_message_type<relayed_deadline>("actorstreams::relayed_deadline");
  cfg.add_message_type<connection_actor>("actorstreams::connection_actor");
  cfg.add_message_type<server_actor>("actorstreams::server_actor");
}

} // namespace actorstreams
