#include "actors/io_module.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/settings.hpp>

#include "actors/deadline_relay.hpp"
#include "actors/thread_logger_guard.hpp"

namespace actorstreams {

struct io_module::tracker {
  std::mutex mtx;
  std::condition_variable cv;
  std::unordered_map<caf::actor_id, caf::weak_actor_ptr> actors;
  bool closed = false;

  void forget(caf::actor_id id) {
    std::lock_guard guard{mtx};
    actors.erase(id);
    if (actors.empty())
      cv.notify_all();
  }
};

io_module::io_module(caf::actor_system& sys)
  : sys_(sys), tracker_(std::make_shared<tracker>()) {
  // nop
}

io_module::~io_module() {
  io_.stop();
}

io_module* io_module::try_of(caf::actor_system& sys) noexcept {
  if (!sys.has_network_manager())
    return nullptr;
  // subtype_ptr() returns `this`; CAF only hands it back typed as its own
  // (never defined) net::middleman.
  return reinterpret_cast<io_module*>(&sys.network_manager());
}

void io_module::track(const caf::strong_actor_ptr& actor) {
  if (!actor)
    return;
  auto id = actor->id();
  {
    std::lock_guard guard{tracker_->mtx};
    if (tracker_->closed) {
      // Spawned during shutdown: do not let it outlive the system.
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
      return;
    }
    tracker_->actors.emplace(id, caf::actor_cast<caf::weak_actor_ptr>(actor));
  }
  std::weak_ptr<tracker> weak = tracker_;
  actor->get()->attach_functor([weak, id] {
    if (auto t = weak.lock())
      t->forget(id);
  });
}

std::size_t io_module::tracked() const {
  std::lock_guard guard{tracker_->mtx};
  return tracker_->actors.size();
}

void io_module::shutdown() {
  request_shutdown();
  if (runs_deterministically(sys_))
    return;
  std::unique_lock guard{tracker_->mtx};
  tracker_->cv.wait_for(guard, std::chrono::seconds{5},
                        [this] { return tracker_->actors.empty(); });
}

void io_module::request_shutdown() {
  std::vector<caf::strong_actor_ptr> live;
  {
    std::lock_guard guard{tracker_->mtx};
    tracker_->closed = true;
    for (auto& [id, weak] : tracker_->actors)
      if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
        live.push_back(std::move(strong));
  }
  for (auto& actor : live)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

caf::actor io_module::deadline_relay() {
  std::lock_guard guard{relay_mtx_};
  if (!relay_) {
    thread_logger_guard unpin; // any thread may arm the first deadline
    relay_ = sys_.spawn<actorstreams::deadline_relay, caf::hidden>();
    track(caf::actor_cast<caf::strong_actor_ptr>(relay_));
  }
  return relay_;
}

caf::actor_system::module* io_module::make(caf::actor_system& sys,
                                           caf::detail::type_list<>) {
  return new io_module(sys);
}

void io_module::init(caf::actor_system_config& cfg) {
  threads_ = caf::get_or(cfg, "actorstreams.io-threads", std::size_t{1});
}

void io_module::start() {
  if (threads_ == 0)
    return; // no I/O at all (a deterministic runtime)
  io_.start(threads_);
  for (std::size_t i = 0; i < io_.size(); ++i)
    units_.push_back(std::make_unique<io_unit>(sys_, io_, i));
}

void io_module::stop() {
  shutdown();
  {
    std::lock_guard guard{relay_mtx_};
    relay_ = nullptr;
  }
  io_.stop();
}

caf::actor_system::module::id_t io_module::id() const {
  return network_manager;
}

void* io_module::subtype_ptr() {
  return this;
}

bool runs_deterministically(caf::actor_system& sys) noexcept {
  return dynamic_cast<caf::scheduler::test_coordinator*>(&sys.scheduler())
         != nullptr;
}

} // namespace actorstreams
