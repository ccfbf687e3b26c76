#include "streams/pending.hpp"

#include <atomic>
#include <string>

#include <caf/attachable.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "actors/io_module.hpp"

namespace actorstreams::detail {

namespace {

/// What `unwatch` names a watch by.
struct watch_token {
  static constexpr size_t token_type = 0x5354524d; // "STRM", not CAF's
  uint64_t id;
};

/// Attached to a remote actor's proxy for one request: when the proxy
/// terminates (the actor exited, or its node was lost) before the answer
/// came, it answers the request with an error in the actor's place.
class remote_request_watch : public caf::attachable {
public:
  /// `mid`: the id the answer carries (a response id).
  remote_request_watch(caf::weak_actor_ptr requester, caf::message_id mid,
                       uint64_t id)
    : requester_(std::move(requester)), mid_(mid), id_(id) {
    // nop
  }

  void actor_exited(const caf::error& reason,
                    caf::execution_unit* host) override {
    auto who = caf::actor_cast<caf::strong_actor_ptr>(requester_);
    if (!who)
      return;
    auto why = reason.category() == caf::atom("exit")
                 ? caf::to_string(static_cast<caf::exit_reason>(reason.code()))
                 : caf::to_string(reason);
    // A stale answer (the real one came first) is dropped by the requester.
    who->enqueue(nullptr, mid_,
                 caf::make_message(make_error(
                   stream_errc::closed,
                   "the remote actor serving the request is gone (" + why
                     + ") before it answered")),
                 host);
  }

  bool matches(const token& what) override {
    return what.subtype == watch_token::token_type
           && static_cast<const watch_token*>(what.ptr)->id == id_;
  }

private:
  caf::weak_actor_ptr requester_;
  caf::message_id mid_;
  uint64_t id_;
};

std::atomic<uint64_t> next_watch{1};

} // namespace

uint64_t watch_if_remote(const caf::actor& dest,
                         caf::actor_control_block* requester,
                         caf::message_id id) {
  if (!dest || requester == nullptr
      || dest.node() == dest.home_system().node())
    return 0;
  auto token = next_watch++;
  caf::actor_cast<caf::abstract_actor*>(dest)->attach(
    std::make_unique<remote_request_watch>(
      caf::weak_actor_ptr{requester}, id, token));
  return token;
}

void unwatch(const caf::actor& dest, uint64_t token) {
  if (token == 0 || !dest)
    return;
  watch_token what{token};
  caf::actor_cast<caf::abstract_actor*>(dest)->detach(
    caf::attachable::token{watch_token::token_type, &what});
}

caf::error normalize(caf::error err) {
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout:
        return make_error(stream_errc::timeout, "the request timed out");
      case caf::sec::request_receiver_down:
        return make_error(stream_errc::closed,
                          "the actor serving the request is gone");
      default:
        break;
    }
  }
  return err;
}

caf::error already_awaited() {
  return make_error(stream_errc::invalid_argument,
                    "this pending was already awaited");
}

caf::error blocking_forbidden(const caf::actor& dest) {
  if (!dest || !runs_deterministically(dest.home_system()))
    return {};
  return make_error(stream_errc::invalid_argument,
                    "get() called in a deterministic runtime: nothing runs "
                    "while it blocks, so it would wait forever; use "
                    "deterministic_runtime::await(pending) instead");
}

} // namespace actorstreams::detail
