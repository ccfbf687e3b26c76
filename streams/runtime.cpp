#include "streams/runtime.hpp"

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include <caf/config_option_adder.hpp>
#include <caf/io/middleman.hpp>
#include <caf/logger.hpp>

#include "actors/io_module.hpp"
#include "actors/messages.hpp"
#include "actors/thread_logger_guard.hpp"
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
  opt_group{custom_options_, "actorstreams"}
    .add<std::size_t>("io-threads", "number of Asio I/O threads (default: 1)")
    .add<caf::timespan>("shutdown-warning",
                        "how long destroying a runtime may take before it "
                        "says on stderr what it waits for (default: 5s)");
}

config& config::io_threads(std::size_t count) {
  set("actorstreams.io-threads", count);
  return *this;
}

runtime::runtime() : runtime(std::make_unique<config>()) {
  // nop
}

namespace {

std::unique_ptr<caf::actor_system> make_system(config& cfg) {
  // CAF's constructor pins the system's logger to this thread, and its
  // destructor unpins only the thread it runs on: without this, a runtime
  // destroyed on another thread would wait for this one to end.
  thread_logger_guard unpin;
  return std::make_unique<caf::actor_system>(cfg);
}

} // namespace

runtime::runtime(std::unique_ptr<config> cfg)
  : cfg_(std::move(cfg)), sys_(make_system(*cfg_)) {
  // nop
}

namespace {

/// Says on stderr what a runtime's destruction waits for once it has taken
/// longer than `after`; silent if it ends before.
class shutdown_watch {
public:
  explicit shutdown_watch(caf::timespan after)
    : thread_([this, after] {
        std::unique_lock guard{mtx_};
        if (cv_.wait_for(guard, after, [this] { return done_; }))
          return;
        std::cerr
          << "actorstreams: destroying the runtime has waited "
          << std::chrono::duration_cast<std::chrono::milliseconds>(after).count()
          << " ms for CAF's actor system to end, and goes on waiting.\n"
             "  Usual cause (CAF 0.17): a thread of yours that called "
             "sys.spawn or made a scoped_actor is still alive: CAF pinned its "
             "logger to that thread and waits for the thread to end. End it "
             "first, or call actorstreams::release_thread() on it once it is "
             "done spawning.\n"
             "  Other causes: an actor of yours that never terminates, or a "
             "live scoped_actor. docs/reliability.md\n";
      }) {
    // nop
  }

  ~shutdown_watch() {
    {
      std::lock_guard guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace

runtime::~runtime() {
  shutdown();
  auto warning = caf::get_or(*cfg_, "actorstreams.shutdown-warning",
                             caf::timespan{std::chrono::seconds{5}});
  shutdown_watch watch{warning};
  sys_.reset();
}

void release_thread() noexcept {
  caf::logger::set_current_actor_system(nullptr);
}

void runtime::shutdown() {
  actorstreams::shutdown(*sys_);
}

void shutdown(caf::actor_system& sys) {
  if (auto mod = io_module::try_of(sys))
    mod->shutdown();
}

} // namespace actorstreams
