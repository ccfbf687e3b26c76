#include "actors/server_actor.hpp"

#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/deadline_relay.hpp"
#include "actors/io_module.hpp"
#include "actors/thread_logger_guard.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

namespace {

struct server_state {
  static inline const char* name = "actorstreams.server";

  net::listener_ptr listener;
  client_handler handler;
  connection_options opts;
  bool serving = false;
  bool closed = false;
  caf::response_promise opening;
  /// Accepted connections whose transport is still open (weak: a server
  /// does not keep abandoned connections alive).
  std::unordered_map<caf::actor_id, caf::weak_actor_ptr> clients;
  std::vector<caf::response_promise> waiters;

  /// After close, the listener counts as a client under this id (no actor
  /// has it) until its sockets are closed on an I/O thread, so that
  /// wait_closed() replies only once they are (and a Unix socket file is
  /// gone), as asyncio's synchronous close guarantees.
  static constexpr caf::actor_id listener_id = caf::invalid_actor_id;

  ~server_state() {
    if (listener)
      listener->close();
    auto gone = make_error(stream_errc::closed, "the server actor shut down");
    if (opening.pending())
      opening.deliver(gone);
    for (auto& rp : waiters)
      rp.deliver(gone);
  }

  void close(const server_actor& self) {
    if (closed)
      return;
    closed = true;
    serving = false;
    if (listener) {
      clients.emplace(listener_id, caf::weak_actor_ptr{});
      listener->close(
        [self] { caf::anon_send(self, client_closed{listener_id}); });
    }
    if (opening.pending())
      opening.deliver(make_error(stream_errc::closed, "server closed"));
    check_closed();
  }

  void check_closed() {
    if (!closed || !clients.empty())
      return;
    for (auto& rp : waiters)
      rp.deliver(caf::unit);
    waiters.clear();
  }

  template <class Atom>
  void tell_clients(Atom atom) {
    for (auto& [id, weak] : clients)
      if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
        caf::anon_send(caf::actor_cast<connection_actor>(strong), atom);
  }
};

using server_pointer = server_actor::stateful_pointer<server_state>;

server_actor::behavior_type server_impl(server_pointer self,
                                        net::listener_ptr listener,
                                        client_handler handler,
                                        connection_options opts) {
  auto& st = self->state;
  st.listener = std::move(listener);
  st.handler = std::move(handler);
  st.opts = opts;
  return {
    [self](serve_atom, caf::timespan deadline) -> caf::result<listener_opened> {
      auto& st = self->state;
      if (st.closed)
        return make_error(stream_errc::closed, "server closed");
      if (st.opening.pending() || st.serving)
        return make_error(stream_errc::invalid_argument,
                          "the server is already started");
      auto rp = self->make_response_promise<listener_opened>();
      st.opening = rp;
      if (deadline != no_deadline && deadline < std::chrono::hours{24})
        schedule_deadline(self->home_system(), self->address(),
                          self->clock().now()
                            + std::max(deadline, caf::timespan::zero()),
                          0);
      auto& sys = self->home_system();
      auto opts = st.opts;
      // The listener calls these on an I/O thread. The accept handler holds
      // the server strongly: a listening server stays alive until closed.
      server_actor srv = self;
      st.listener->open(
        [srv](caf::expected<net::listen_result> result) {
          if (result)
            caf::anon_send(srv, listener_opened{std::move(result->addresses),
                                                result->port});
          else
            caf::anon_send(srv, listener_failed{std::move(result.error())});
        },
        [srv, &sys, opts, accepted = std::size_t{0}](
          net::transport_ptr transport) mutable {
          // An injected accept fault (the listener calls this on its one
          // thread): the connection goes, as if the accept had failed.
          if (++accepted == opts.faults.accept) {
            transport->abort();
            return;
          }
          // The connection announces itself to its owner: (connected_atom,
          // connection_actor) below.
          spawn_connection(sys, std::move(transport), opts,
                           caf::actor_cast<caf::actor>(srv));
        });
      return rp;
    },
    [self](close_atom) { self->state.close(self); },
    [self](wait_closed_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.closed && st.clients.empty())
        return caf::unit;
      st.waiters.push_back(self->make_response_promise());
      return caf::delegated<void>{};
    },
    [self](is_serving_atom) { return self->state.serving; },
    [self](close_clients_atom) { self->state.tell_clients(close_atom_v); },
    [self](abort_clients_atom) { self->state.tell_clients(abort_atom_v); },
    // -- events ---------------------------------------------------------------
    [self](listener_opened& ev) {
      auto& st = self->state;
      if (st.closed || !st.opening.pending()) {
        st.listener->close();
        return;
      }
      st.serving = true;
      st.opening.deliver(std::move(ev));
    },
    [self](listener_failed& ev) {
      auto& st = self->state;
      if (st.opening.pending())
        st.opening.deliver(std::move(ev.reason));
      // Nothing is bound: the server is closed (wait_closed replies once
      // the listener confirms), and lives on while handles to it exist.
      st.close(self);
    },
    [self](connected_atom, connection_actor& conn) {
      auto& st = self->state;
      if (st.closed) {
        // Accepted while closing: asyncio would not have accepted it.
        caf::anon_send(conn, close_atom_v);
        return;
      }
      st.clients.emplace(conn->id(),
                         caf::actor_cast<caf::weak_actor_ptr>(conn));
      // Forget it when its actor is gone, even if its transport never
      // reported (the actor was dropped).
      server_actor srv = self;
      conn->attach_functor([srv, id = conn->id()] {
        caf::anon_send(srv, client_closed{id});
      });
      if (st.handler)
        st.handler(std::move(conn));
    },
    [self](client_closed ev) {
      auto& st = self->state;
      st.clients.erase(ev.id);
      st.check_closed();
    },
    [self](deadline_passed) {
      auto& st = self->state;
      if (st.opening.pending()) {
        st.opening.deliver(make_error(stream_errc::timeout,
                                      "start_server timed out"));
        st.close(self);
      }
    },
  };
}

} // namespace

server_actor spawn_server(caf::actor_system& sys, net::listener_ptr listener,
                          client_handler handler, connection_options opts) {
  thread_logger_guard unpin; // called from user threads
  auto hdl = sys.spawn<caf::hidden>(server_impl, std::move(listener),
                                    std::move(handler), opts);
  if (auto mod = io_module::try_of(sys))
    mod->track(caf::actor_cast<caf::strong_actor_ptr>(hdl));
  return hdl;
}

} // namespace actorstreams
