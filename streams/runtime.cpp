#include "streams/runtime.hpp"

#include <caf/config_option_adder.hpp>
#include <caf/io/middleman.hpp>

#include "actors/io_module.hpp"
#include "actors/messages.hpp"
#include "streams/connection.hpp"
#include "streams/server.hpp"
#include "streams/stream_reader.hpp"
#include "streams/stream_writer.hpp"

namespace actorstreams {

config::config() {
  // CAF's distribution layer: publish and remote_actor work on every
  // runtime, and connection handles cross nodes (docs/distributed.md).
  load<caf::io::middleman>();
  load<io_module>();
  register_message_types(*this);
  add_message_type<stream_reader>("actorstreams::stream_reader");
  add_message_type<stream_writer>("actorstreams::stream_writer");
  add_message_type<connection>("actorstreams::connection");
  add_message_type<server>("actorstreams::server");
  opt_group{custom_options_, "actorstreams"}.add<std::size_t>(
    "io-threads", "number of Asio I/O threads (default: 1)");
}

config& config::io_threads(std::size_t count) {
  set("actorstreams.io-threads", count);
  return *this;
}

runtime::runtime() : runtime(std::make_unique<config>()) {
  // nop
}

runtime::runtime(std::unique_ptr<config> cfg)
  : cfg_(std::move(cfg)), sys_(std::make_unique<caf::actor_system>(*cfg_)) {
  // nop
}

runtime::~runtime() {
  shutdown();
  sys_.reset();
}

void runtime::shutdown() {
  actorstreams::shutdown(*sys_);
}

void shutdown(caf::actor_system& sys) {
  if (auto mod = io_module::try_of(sys))
    mod->shutdown();
}

} // namespace actorstreams
