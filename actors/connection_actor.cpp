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
#include "actors/pinned_actor.hpp"
#include "actors/thread_logger_guard.hpp"
#include "net/fault_transport.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

namespace {

/// The connection actor: pinned to the I/O thread of its transport
/// (actors/pinned_actor.hpp), it flushes the transport once per activation,
/// so that everything its handlers wrote goes out in one gathered write.
class connection_impl
  : public caf::stateful_actor<connection_state,
                               pinned_actor<connection_actor::base>> {
public:
  using super = caf::stateful_actor<connection_state,
                                    pinned_actor<connection_actor::base>>;

  connection_impl(caf::actor_config& cfg, net::transport_ptr transport,
                  connection_options opts, caf::actor server)
    : super(cfg),
      transport_(std::move(transport)),
      opts_(opts),
      server_(std::move(server)) {
    // nop
  }

  behavior_type make_behavior() override;

  /// Writes of at least this many bytes are flushed at once.
  static constexpr std::size_t flush_now_threshold = 64 * 1024;

protected:
  void on_activation_end() override {
    auto& tr = state.transport;
    if (!tr || state.lost)
      return;
    // Small writes wait for the other actors of this thread (one gathered
    // write for many); a large one has nothing to gain from waiting.
    auto* unit = host();
    if (unit && state.unflushed < flush_now_threshold)
      unit->flush_later(tr);
    else
      tr->flush();
    state.unflushed = 0;
  }

private:
  net::transport_ptr transport_;
  connection_options opts_;
  caf::actor server_;
};

/// Delivers transport events to the actor. On the actor's own I/O thread,
/// when the actor is idle, an event is a direct call into its state (no
/// message, no hand-off); otherwise it is a message. Holds the actor
/// weakly: an open socket does not keep an abandoned connection alive.
class actor_protocol : public net::protocol {
public:
  /// `direct`: the transport lives on the actor's thread, so that its
  /// events may be direct calls.
  actor_protocol(caf::weak_actor_ptr self, bool direct)
    : self_(std::move(self)), direct_(direct) {
    // nop
  }

  void connection_made() override {
    post(transport_connected{},
         [](connection_state& st, transport_connected&) { st.on_connected(); });
  }

  void data_received(bytes data) override {
    post(actorstreams::data_received{std::move(data)},
         [](connection_state& st, actorstreams::data_received& ev) {
           st.on_data(std::move(ev.data));
         });
  }

  void eof_received() override {
    post(actorstreams::eof_received{},
         [](connection_state& st, actorstreams::eof_received&) { st.on_eof(); });
  }

  void resume_writing() override {
    post(writing_resumed{},
         [](connection_state& st, writing_resumed&) { st.on_writable(); });
  }

  void tls_started(caf::error reason) override {
    post(tls_upgraded{std::move(reason)},
         [](connection_state& st, tls_upgraded& ev) {
           st.on_tls_started(std::move(ev.reason));
         });
  }

  void connection_lost(caf::error reason) override {
    post(transport_closed{std::move(reason)},
         [](connection_state& st, transport_closed& ev) {
           st.on_closed(std::move(ev.reason));
         });
  }

private:
  caf::strong_actor_ptr lock() const {
    return caf::actor_cast<caf::strong_actor_ptr>(self_);
  }

  connection_impl* inline_target(const caf::strong_actor_ptr& strong) const {
    if (!direct_)
      return nullptr;
    auto* impl = static_cast<connection_impl*>(
      caf::actor_cast<caf::abstract_actor*>(strong));
    return impl->can_run_inline() ? impl : nullptr;
  }

  /// `event` as a direct call (`handle`, the same code as the actor's
  /// handler for it) when the actor may take it now, else as a message.
  template <class Event, class Handle>
  void post(Event event, Handle handle) {
    auto strong = lock();
    if (!strong)
      return;
    if (auto* impl = inline_target(strong)) {
      impl->run_inline([&] { handle(impl->state, event); });
      return;
    }
    // anon_send is the one send that is safe from a foreign thread.
    caf::anon_send(caf::actor_cast<connection_actor>(std::move(strong)),
                   std::move(event));
  }

  caf::weak_actor_ptr self_;
  bool direct_;
};

using connection_pointer = connection_impl*;

connection_actor::behavior_type
connection_behavior(connection_pointer self, net::transport_ptr transport,
                    connection_options opts, caf::actor server) {
  auto& st = self->state;
  st.self = self;
  // stateful_actor constructs the state before this runs; reset the buffer
  // with the configured limit.
  st.buf = read_buffer{opts.limit > 0 ? opts.limit : 1};
  st.opts = opts;
  st.server = std::move(server);
  if (opts.limit == 0) {
    st.exception = make_error(stream_errc::invalid_argument,
                              "Limit cannot be <= 0");
    st.buf.set_exception();
  }
  self->set_down_handler(
    [self](caf::down_msg& dm) { self->state.forget(dm.source); });
  // Announce ourselves to the owning server before the transport can report
  // anything: our client_closed then always comes after this.
  if (st.server)
    caf::anon_send(st.server, connected_atom_v,
                   caf::actor_cast<connection_actor>(self));
  if (transport) {
    st.transport = transport;
    auto* host = self->host();
    bool direct = host && transport->affinity() == host->index();
    transport->start(std::make_shared<actor_protocol>(
      caf::actor_cast<caf::weak_actor_ptr>(self->ctrl()), direct));
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
    [self](cancel_atom, uint64_t request_id) {
      self->state.cancel(
        caf::actor_cast<caf::actor_addr>(self->current_sender()), request_id);
    },
    [self](unread_atom, bytes& data) { self->state.unread(std::move(data)); },
    // -- push mode ------------------------------------------------------------
    [self](subscribe_atom, caf::actor& subscriber, framing& how,
           uint64_t credit, uint64_t batch) {
      self->state.subscribe(std::move(subscriber), std::move(how), credit,
                            batch);
    },
    [self](grant_atom, uint64_t n) { self->state.grant(n); },
    [self](unsubscribe_atom) { self->state.unsubscribe(); },
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
    [self](start_tls_atom, net::tls_options& opts) -> caf::result<void> {
      return self->state.start_tls(std::move(opts));
    },
    [self](owner_atom, const caf::actor& who) { self->state.set_owner(who); },
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
    [self](transport_connected) { self->state.on_connected(); },
    [self](data_received& ev) { self->state.on_data(std::move(ev.data)); },
    [self](eof_received) { self->state.on_eof(); },
    [self](writing_resumed) { self->state.on_writable(); },
    [self](transport_closed& ev) { self->state.on_closed(std::move(ev.reason)); },
    [self](deadline_passed ev) { self->state.expire(ev.token); },
    [self](tls_upgraded& ev) { self->state.on_tls_started(std::move(ev.reason)); },
  };
}

connection_impl::behavior_type connection_impl::make_behavior() {
  return connection_behavior(this, std::move(transport_), opts_,
                             std::move(server_));
}

} // namespace

connection_actor spawn_connection(caf::actor_system& sys,
                                  net::transport_ptr transport,
                                  connection_options opts, caf::actor server) {
  thread_logger_guard unpin; // called from user and I/O threads
  // Next to the transport's socket; a transport without a thread of its own
  // (in memory) or no transport at all: next to the caller, or anywhere.
  auto mod = io_module::try_of(sys);
  caf::actor_config cfg;
  if (mod && mod->has_io()) {
    auto where = transport ? transport->affinity() : net::transport::no_affinity;
    cfg.host = where != net::transport::no_affinity ? &mod->unit(where)
                                                    : &mod->pick_unit();
  }
  // Injected faults wrap a transport that lives on an I/O thread (an
  // in-memory one injects its own).
  if (opts.faults.any() && transport
      && transport->affinity() != net::transport::no_affinity)
    transport = net::inject_faults(std::move(transport), opts.faults);
  auto hdl = sys.spawn_class<connection_impl, caf::hidden>(
    cfg, std::move(transport), opts, std::move(server));
  if (mod)
    mod->track(caf::actor_cast<caf::strong_actor_ptr>(hdl));
  return hdl;
}

} // namespace actorstreams

namespace actorstreams {

caf::execution_unit* host_of(const connection_actor& conn) {
  if (!conn)
    return nullptr;
  auto* impl = dynamic_cast<connection_impl*>(
    caf::actor_cast<caf::abstract_actor*>(conn));
  return impl ? impl->host() : nullptr;
}

} // namespace actorstreams
