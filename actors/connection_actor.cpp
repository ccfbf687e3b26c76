#include "actors/connection_actor.hpp"

#include <deque>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/io_module.hpp"
#include "actors/thread_logger_guard.hpp"
#include "streams/errors.hpp"
#include "streams/read_buffer.hpp"

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

struct read_waiter {
  read_request req;
  caf::response_promise rp;
  /// Nonzero while a deadline is armed for it.
  uint64_t id = 0;
};

const char* op_name(read_op op) {
  switch (op) {
    case read_op::read:
      return "read";
    case read_op::readline:
      return "readline";
    case read_op::readexactly:
      return "readexactly";
    case read_op::readuntil:
      return "readuntil";
  }
  return "read";
}

struct connection_state {
  static inline const char* name = "actorstreams.connection";

  // -- reading ----------------------------------------------------------------
  read_buffer buf;
  /// set_exception's error (also: limit 0, feed_data after feed_eof).
  caf::error exception;
  /// Why the transport broke; reads fail with it once the buffer runs dry.
  caf::error source_error;
  std::deque<read_waiter> waiters;
  uint64_t next_id = 0;
  bool reading_paused = false;

  // -- writing and lifecycle ----------------------------------------------------
  net::transport_ptr transport;
  connection_options opts;
  caf::actor owner;
  caf::actor_id self_id = 0;
  bool connected = false;
  bool write_paused = false;
  bool eof_written = false;
  bool closing = false;
  bool lost = false;
  caf::error lost_reason;
  /// A misuse of the writer (write after write_eof, ...) that the next
  /// drain reports.
  caf::error write_error;
  std::vector<caf::response_promise> drainers;
  std::vector<caf::response_promise> closers;
  std::vector<caf::response_promise> connectors;
  /// get_extra_info requests that came before the transport described
  /// itself (an accepted connection reaches its handler that early).
  std::vector<std::pair<std::string, caf::typed_response_promise<bytes>>>
    info_waiters;
  uint64_t connect_deadline = 0;

  ~connection_state() {
    // The actor is gone (its last handle dropped, or shutdown): close as
    // asyncio's StreamWriter.__del__ does, flushing what was written, so
    // that a close() sent just before the last handle went loses nothing.
    if (transport && !lost)
      transport->close();
    auto gone = make_error(stream_errc::closed, "the connection actor shut down");
    for (auto& w : waiters)
      w.rp.deliver(gone);
    for (auto& rp : drainers)
      rp.deliver(gone);
    for (auto& rp : closers)
      rp.deliver(gone);
    for (auto& rp : connectors)
      rp.deliver(gone);
    for (auto& [name, rp] : info_waiters)
      rp.deliver(gone);
  }

  // -- reading ----------------------------------------------------------------

  read_outcome attempt(const read_request& req) {
    switch (req.op) {
      case read_op::read:
        return buf.try_read(req.n);
      case read_op::readline:
        return buf.try_readline();
      case read_op::readexactly:
        return buf.try_readexactly(req.n);
      case read_op::readuntil:
        return buf.try_readuntil(req.separators);
    }
    return buf.try_read(req.n);
  }

  caf::expected<bytes> result_of(read_outcome& out) {
    using kind = read_outcome::kind;
    switch (out.state) {
      case kind::done:
        return std::move(out.data);
      case kind::incomplete:
        return make_error(
          incomplete_read_error{std::move(out.data), out.expected});
      case kind::overrun:
        return make_error(
          limit_overrun_error{std::string{out.message}, out.consumed});
      case kind::invalid_argument:
        return make_error(stream_errc::invalid_argument,
                          std::string{out.message});
      case kind::exception:
        return exception;
      case kind::source_failed:
        return source_error;
      case kind::need_more:
        break;
    }
    return make_error(stream_errc::invalid_argument, "request not complete");
  }

  void deliver(caf::response_promise& rp, caf::expected<bytes> result) {
    if (result)
      rp.deliver(std::move(*result));
    else
      rp.deliver(std::move(result.error()));
  }

  /// Serves waiting reads in order until one needs more data.
  void serve() {
    while (!waiters.empty()) {
      auto out = attempt(waiters.front().req);
      if (!out.ready())
        break;
      auto w = std::move(waiters.front());
      waiters.pop_front();
      deliver(w.rp, result_of(out));
    }
    update_flow();
  }

  /// asyncio's pause/resume rule, plus: a waiting read always resumes.
  void update_flow() {
    if (!transport || lost)
      return;
    bool waiting = !waiters.empty();
    if (reading_paused) {
      if (waiting || buf.may_resume()) {
        reading_paused = false;
        transport->resume_reading();
      }
    } else if (!waiting && buf.should_pause()) {
      reading_paused = true;
      transport->pause_reading();
    }
  }

  void expire(uint64_t id) {
    if (id == 0)
      return;
    if (id == connect_deadline) {
      connect_deadline = 0;
      if (connected || lost)
        return;
      auto err = make_error(stream_errc::timeout, "connect timed out");
      for (auto& rp : connectors)
        rp.deliver(err);
      connectors.clear();
      if (transport)
        transport->abort();
      return;
    }
    for (auto i = waiters.begin(); i != waiters.end(); ++i) {
      if (i->id == id) {
        auto w = std::move(*i);
        waiters.erase(i);
        w.rp.deliver(make_error(stream_errc::timeout,
                                std::string{op_name(w.req.op)}
                                  + "() timed out; nothing was consumed"));
        // The next waiter may be servable now (it was only blocked by FIFO).
        serve();
        return;
      }
    }
  }

  // -- writing ----------------------------------------------------------------

  void write(bytes data) {
    if (data.empty())
      return;
    if (!transport) {
      write_error = make_error(stream_errc::not_supported,
                               "this connection has no transport");
      return;
    }
    if (closing || lost)
      return; // drain() reports it: the writer is closed
    if (eof_written) {
      write_error = make_error(stream_errc::closed,
                               "Cannot call write() after write_eof()");
      return;
    }
    auto buffered = transport->write(std::move(data));
    if (!write_paused && buffered > opts.write_high_water) {
      write_paused = true;
      transport->notify_writable(opts.write_low_water);
    }
  }

  /// Why drain (and writing) cannot go on, or none.
  caf::error drain_error() const {
    if (exception)
      return exception;
    if (lost)
      return lost_reason ? lost_reason
                         : make_error(stream_errc::closed, "Connection lost");
    if (closing)
      return make_error(stream_errc::closed, "the writer is closed");
    return write_error;
  }

  void fail_drainers() {
    auto err = drain_error();
    for (auto& rp : drainers)
      rp.deliver(err);
    drainers.clear();
  }

  // -- extra info -------------------------------------------------------------

  caf::expected<bytes> extra_info(const std::string& name) const {
    if (!transport)
      return make_error(stream_errc::invalid_argument,
                        "no extra info '" + name
                          + "': this connection has no transport");
    if (auto value = transport->extra_info(name))
      return std::move(*value);
    return make_error(stream_errc::invalid_argument,
                      "unknown extra info '" + name + "'");
  }

  void answer_info_waiters() {
    for (auto& [name, rp] : info_waiters) {
      auto value = extra_info(name);
      if (value)
        rp.deliver(std::move(*value));
      else
        rp.deliver(std::move(value.error()));
    }
    info_waiters.clear();
  }

  // -- lifecycle --------------------------------------------------------------

  void close(bool abort) {
    if (closing) {
      if (abort && transport && !lost)
        transport->abort();
      return;
    }
    closing = true;
    // A local close gives the reader EOF; buffered bytes stay readable.
    buf.feed_eof();
    fail_drainers();
    if (transport && !lost) {
      if (abort)
        transport->abort();
      else
        transport->close();
    } else {
      on_closed(caf::error{});
    }
    serve();
  }

  void on_closed(caf::error reason) {
    if (lost)
      return;
    lost = true;
    lost_reason = reason;
    if (!connected) {
      auto err = reason ? reason
                        : make_error(stream_errc::closed,
                                     "closed before it connected");
      for (auto& rp : connectors)
        rp.deliver(err);
      connectors.clear();
    }
    if (reason) {
      source_error = reason;
      buf.feed_error();
    } else {
      buf.feed_eof();
    }
    fail_drainers();
    for (auto& rp : closers) {
      if (reason)
        rp.deliver(reason);
      else
        rp.deliver(caf::unit);
    }
    closers.clear();
    answer_info_waiters();
    if (owner && connected)
      caf::anon_send(owner, client_closed{self_id});
    serve();
  }
};

using connection_pointer = connection_actor::stateful_pointer<connection_state>;

connection_actor::behavior_type
connection_impl(connection_pointer self, net::transport_ptr transport,
                connection_options opts, caf::actor owner) {
  auto& st = self->state;
  // stateful_actor constructs the state before this runs; reset it with
  // the configured limit.
  st.buf = read_buffer{opts.limit > 0 ? opts.limit : 1};
  st.opts = opts;
  st.owner = std::move(owner);
  st.self_id = self->id();
  if (opts.limit == 0) {
    st.exception = make_error(stream_errc::invalid_argument,
                              "Limit cannot be <= 0");
    st.buf.set_exception();
  }
  if (transport) {
    st.transport = transport;
    transport->start(std::make_shared<actor_protocol>(
      caf::actor_cast<caf::weak_actor_ptr>(self->ctrl())));
  }
  // Every read goes through here; returns a value, an error or a promise.
  auto read = [self](read_request req,
                     caf::timespan deadline) -> caf::result<bytes> {
    auto& st = self->state;
    if (st.waiters.empty()) {
      auto out = st.attempt(req);
      if (out.ready()) {
        auto result = st.result_of(out);
        st.update_flow();
        if (result)
          return std::move(*result);
        return std::move(result.error());
      }
    }
    auto rp = self->make_response_promise<bytes>();
    read_waiter w{std::move(req), rp, 0};
    if (deadline != no_deadline) {
      w.id = ++st.next_id;
      self->delayed_send(self, std::max(deadline, caf::timespan{0}),
                         deadline_passed{w.id});
    }
    st.waiters.push_back(std::move(w));
    st.update_flow();
    return rp;
  };
  return {
    // -- reading --------------------------------------------------------------
    [read](read_atom, int64_t n) {
      return read(read_request{read_op::read, n, {}}, no_deadline);
    },
    [read](readline_atom) {
      return read(read_request{read_op::readline, 0, {}}, no_deadline);
    },
    [read](readexactly_atom, int64_t n) {
      return read(read_request{read_op::readexactly, n, {}}, no_deadline);
    },
    [read](readuntil_atom, std::vector<bytes>& seps) {
      return read(read_request{read_op::readuntil, 0, std::move(seps)},
                  no_deadline);
    },
    [read](read_atom, read_request& req, caf::timespan deadline) {
      return read(std::move(req), deadline);
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
      auto rp = self->make_response_promise();
      st.drainers.push_back(rp);
      return caf::delegated<void>{};
    },
    [self](can_write_eof_atom) {
      auto& st = self->state;
      return st.transport && !st.lost && !st.closing
             && st.transport->can_write_eof();
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
      st.closers.push_back(self->make_response_promise());
      return caf::delegated<void>{};
    },
    [self](extra_info_atom, std::string& name) -> caf::result<bytes> {
      auto& st = self->state;
      if (st.transport && !st.connected && !st.lost) {
        // The transport describes itself once connected.
        auto rp = self->make_response_promise<bytes>();
        st.info_waiters.emplace_back(std::move(name), rp);
        return rp;
      }
      auto value = st.extra_info(name);
      if (value)
        return std::move(*value);
      return std::move(value.error());
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
      st.connectors.push_back(self->make_response_promise());
      if (deadline != no_deadline && st.connect_deadline == 0) {
        st.connect_deadline = ++st.next_id;
        self->delayed_send(self, std::max(deadline, caf::timespan{0}),
                           deadline_passed{st.connect_deadline});
      }
      return caf::delegated<void>{};
    },
    // -- events ---------------------------------------------------------------
    [self](transport_connected) {
      auto& st = self->state;
      st.connected = true;
      for (auto& rp : st.connectors)
        rp.deliver(caf::unit);
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
      for (auto& rp : st.drainers)
        rp.deliver(caf::unit);
      st.drainers.clear();
    },
    [self](transport_closed& ev) { self->state.on_closed(std::move(ev.reason)); },
    [self](deadline_passed ev) { self->state.expire(ev.request_id); },
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
