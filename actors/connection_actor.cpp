#include "actors/connection_actor.hpp"

#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/connection_state.hpp"
#include "actors/io_module.hpp"
#include "actors/thread_logger_guard.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

namespace {

/// Turns transport events into messages to the actor. Holds the actor weakly:
/// an open socket does not keep an abandoned connection alive.
class actor_protocol : public net::protocol {
public:
  explicit actor_protocol(caf::weak_actor_ptr self) : self_(std::move(self)) {
    // nop
  }

  void connection_made() override {
    post(transport_connected{});
  }

  void data_received(bytes data) override {
    post(actorstreams::data_received{std::move(data)});
  }

  void eof_received() override {
    post(actorstreams::eof_received{});
  }

  void resume_writing() override {
    post(writing_resumed{});
  }

  void connection_lost(caf::error reason) override {
    post(transport_closed{std::move(reason)});
  }

private:
  template <class Event>
  void post(Event&& event) {
    // anon_send is the one send that is safe from a foreign thread.
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(self_))
      caf::anon_send(caf::actor_cast<connection_actor>(std::move(strong)),
                     std::forward<Event>(event));
  }

  caf::weak_actor_ptr self_;
};

using connection_pointer = connection_actor::stateful_pointer<connection_state>;

connection_actor::behavior_type
connection_impl(connection_pointer self, net::transport_ptr transport,
                connection_options opts, caf::actor owner) {
  auto& st = self->state;
  st.self = self;
  // stateful_actor constructs the state before this runs; reset the buffer
  // with the configured limit.
  st.buf = read_buffer{opts.limit > 0 ? opts.limit : 1};
  st.opts = opts;
  st.owner = std::move(owner);
  if (opts.limit == 0) {
    st.exception = make_error(stream_errc::invalid_argument,
                              "Limit cannot be <= 0");
    st.buf.set_exception();
  }
  self->set_down_handler(
    [self](caf::down_msg& dm) { self->state.forget(dm.source); });
  // Announce ourselves to the owning server before the transport can report
  // anything: our client_closed then always comes after this.
  if (st.owner)
    caf::anon_send(st.owner, connected_atom_v,
                   caf::actor_cast<connection_actor>(self));
  if (transport) {
    st.transport = transport;
    transport->start(std::make_shared<actor_protocol>(
      caf::actor_cast<caf::weak_actor_ptr>(self->ctrl())));
  }
  return {
    // -- reading --------------------------------------------------------------
    [self](read_atom, int64_t n) {
      return self->state.read(read_request{read_op::read, n, {}}, no_deadline);
    },
    [self](readline_atom) {
      return self->state.read(read_request{read_op::readline, 0, {}},
                              no_deadline);
    },
    [self](readexactly_atom, int64_t n) {
      return self->state.read(read_request{read_op::readexactly, n, {}},
                              no_deadline);
    },
    [self](readuntil_atom, std::vector<bytes>& seps) {
      return self->state.read(
        read_request{read_op::readuntil, 0, std::move(seps)}, no_deadline);
    },
    [self](read_atom, read_request& req, caf::timespan deadline) {
      return self->state.read(std::move(req), deadline);
    },
    [self](at_eof_atom) { return self->state.buf.at_eof(); },
    [self](exception_atom) {
      auto& st = self->state;
      return stored_exception{st.exception ? st.exception : st.source_error};
    },
    [self](feed_data_atom, bytes& data) {
      auto& st = self->state;
      if (!st.buf.feed_data(std::move(data)) && !st.exception) {
        st.exception = make_error(stream_errc::invalid_argument,
                                  "feed_data after feed_eof");
        st.buf.set_exception();
      }
      st.serve();
    },
    [self](feed_eof_atom) {
      self->state.buf.feed_eof();
      self->state.serve();
    },
    [self](set_exception_atom, caf::error& err) {
      auto& st = self->state;
      if (!err)
        return;
      st.exception = std::move(err);
      st.buf.set_exception();
      st.serve();
    },
    // -- writing --------------------------------------------------------------
    [self](write_atom, bytes& data) { self->state.write(std::move(data)); },
    [self](writelines_atom, std::vector<bytes>& lines) {
      for (auto& line : lines)
        self->state.write(std::move(line));
    },
    [self](drain_atom) -> caf::result<void> {
      auto& st = self->state;
      if (auto err = st.drain_error())
        return err;
      if (!st.write_paused)
        return caf::unit;
      st.drainers.push_back(st.park());
      return caf::delegated<void>{};
    },
    [self](can_write_eof_atom) {
      // A static property of the transport, as asyncio's.
      auto& st = self->state;
      return st.transport && st.transport->can_write_eof();
    },
    [self](write_eof_atom) {
      auto& st = self->state;
      if (!st.transport || st.lost || st.closing || st.eof_written)
        return;
      if (!st.transport->can_write_eof()) {
        st.write_error = make_error(stream_errc::not_supported,
                                    "write_eof() is not supported by this "
                                    "transport");
        return;
      }
      st.eof_written = true;
      st.transport->write_eof();
    },
    [self](close_atom) { self->state.close(false); },
    [self](abort_atom) { self->state.close(true); },
    [self](is_closing_atom) {
      return self->state.closing || self->state.lost;
    },
    [self](wait_closed_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.lost) {
        if (st.lost_reason)
          return st.lost_reason;
        return caf::unit;
      }
      st.closers.push_back(st.park());
      return caf::delegated<void>{};
    },
    [self](extra_info_atom, std::string& name) -> caf::result<bytes> {
      auto& st = self->state;
      if (st.transport && !st.connected && !st.lost) {
        // The transport describes itself once connected.
        auto parked = st.park();
        auto rp = parked.rp;
        st.info_waiters.emplace_back(std::move(name), std::move(parked));
        return rp;
      }
      return st.extra_info(name);
    },
    [self](connect_atom, caf::timespan deadline) -> caf::result<void> {
      auto& st = self->state;
      if (st.exception)
        return st.exception;
      if (st.connected)
        return caf::unit;
      if (st.lost)
        return st.lost_reason ? st.lost_reason
                              : make_error(stream_errc::closed,
                                           "closed before it connected");
      if (!st.transport)
        return make_error(stream_errc::not_supported,
                          "this connection has no transport");
      st.connectors.push_back(st.park());
      if (auto due = st.due_in(deadline);
          due && (!st.connect_due || *due < *st.connect_due)) {
        st.connect_due = due;
        st.arm(*due);
      }
      return caf::delegated<void>{};
    },
    // -- events ---------------------------------------------------------------
    [self](transport_connected) {
      auto& st = self->state;
      st.connected = true;
      st.connect_due.reset();
      for (auto& p : st.connectors)
        p.rp.deliver(caf::unit);
      st.connectors.clear();
      st.answer_info_waiters();
      st.update_flow();
    },
    [self](data_received& ev) {
      auto& st = self->state;
      auto n = ev.data.size();
      st.buf.feed_data(std::move(ev.data));
      st.transport->consumed(n);
      st.serve();
    },
    [self](eof_received) {
      self->state.buf.feed_eof();
      self->state.serve();
    },
    [self](writing_resumed) {
      auto& st = self->state;
      st.write_paused = false;
      for (auto& p : st.drainers)
        p.rp.deliver(caf::unit);
      st.drainers.clear();
    },
    [self](transport_closed& ev) { self->state.on_closed(std::move(ev.reason)); },
    [self](deadline_passed ev) { self->state.expire(ev.token); },
  };
}

} // namespace

connection_actor spawn_connection(caf::actor_system& sys,
                                  net::transport_ptr transport,
                                  connection_options opts, caf::actor owner) {
  thread_logger_guard unpin; // called from user and I/O threads
  auto hdl = sys.spawn<caf::hidden>(connection_impl, std::move(transport),
                                    opts, std::move(owner));
  if (auto mod = io_module::try_of(sys))
    mod->track(caf::actor_cast<caf::strong_actor_ptr>(hdl));
  return hdl;
}

} // namespace actorstreams
