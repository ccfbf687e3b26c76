#include "streams/memory_pair.hpp"

#include "actors/connection_actor.hpp"
#include "net/memory_transport.hpp"

namespace actorstreams {

std::pair<connection, connection> make_memory_pair(caf::actor_system& sys,
                                                   memory_pair_options opts) {
  net::memory_options mopts;
  mopts.chunk = opts.chunk;
  mopts.faults = opts.faults;
  auto [a, b] = net::make_memory_transports(mopts);
  connection_options copts;
  copts.limit = opts.limit;
  auto first = spawn_connection(sys, std::move(a), copts);
  auto second = spawn_connection(sys, std::move(b), copts);
  return {connection{stream_reader{first}, stream_writer{first}},
          connection{stream_reader{second}, stream_writer{second}}};
}

} // namespace actorstreams
