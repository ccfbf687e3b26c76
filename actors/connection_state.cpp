#include "actors/connection_state.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/local_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/send.hpp>

#include "actors/deadline_relay.hpp"
#include "streams/errors.hpp"

namespace actorstreams {

namespace {

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
    case read_op::readframe:
      return "readframe";
  }
  return "read";
}

/// The read that cuts `how`'s frames, or the reason it cannot cut any.
caf::expected<read_request> frame_reader(const framing& how,
                                         std::size_t limit) {
  using k = framing::kind;
  switch (how.how()) {
    case k::lines:
      return read_request{read_op::readline, 0, {}};
    case k::until:
      if (how.separators().empty())
        return make_error(stream_errc::invalid_argument,
                          std::string{read_buffer::no_separators});
      for (const auto& sep : how.separators())
        if (sep.empty())
          return make_error(stream_errc::invalid_argument,
                            std::string{read_buffer::empty_separator});
      return read_request{read_op::readuntil, 0, how.separators()};
    case k::exactly:
      if (how.size() == 0 || how.size() > static_cast<uint64_t>(INT64_MAX))
        return make_error(stream_errc::invalid_argument,
                          "framing::exactly(n) needs 0 < n");
      return read_request{read_op::readexactly,
                          static_cast<int64_t>(how.size()), {}};
    case k::length_prefixed:
      if (how.size() != 1 && how.size() != 2 && how.size() != 4
          && how.size() != 8)
        return make_error(stream_errc::invalid_argument,
                          std::string{read_buffer::bad_frame_width});
      return read_request{read_op::readframe,
                          static_cast<int64_t>(how.size()), {}};
    case k::chunks:
      return read_request{read_op::read, static_cast<int64_t>(limit), {}};
  }
  return make_error(stream_errc::invalid_argument, "unknown framing");
}

/// Whether a requester is known to be gone (its down message may still be
/// on its way).
bool gone(const caf::actor_addr& who) {
  if (!who)
    return false; // an anonymous request: no one to watch
  auto strong = caf::actor_cast<caf::strong_actor_ptr>(who);
  return !strong
         || strong->get()->getf(caf::abstract_actor::is_terminated_flag);
}

void deliver(parked_request& p, caf::expected<bytes> result) {
  if (result)
    p.rp.deliver(std::move(*result));
  else
    p.rp.deliver(std::move(result.error()));
}

/// A timeout this long means none (and `now() + timeout` cannot overflow).
constexpr auto longest_deadline = std::chrono::hours{24 * 365 * 10};

uint64_t token_of(caf::actor_clock::time_point t) {
  return static_cast<uint64_t>(t.time_since_epoch().count());
}

caf::actor_clock::time_point time_of(uint64_t token) {
  return caf::actor_clock::time_point{
    caf::actor_clock::duration_type{static_cast<int64_t>(token)}};
}

} // namespace

connection_state::~connection_state() {
  // The actor is gone (its last handle dropped, or shutdown): close as
  // asyncio's StreamWriter.__del__ does, flushing what was written, so that
  // a close() sent just before the last handle went loses nothing.
  if (transport && !lost)
    transport->close();
  auto gone = make_error(stream_errc::closed, "the connection actor shut down");
  for (auto& w : waiters)
    w.parked.rp.deliver(gone);
  for (auto* list : {&drainers, &closers, &connectors})
    for (auto& p : *list)
      p.rp.deliver(gone);
  for (auto& [name, p] : info_waiters)
    p.rp.deliver(gone);
  if (tls_upgrade)
    tls_upgrade->rp.deliver(gone);
  if (sub)
    caf::anon_send(sub->subscriber, stream_end_atom_v, sub->me, gone);
}

// -- reading -------------------------------------------------------------------

read_outcome connection_state::attempt(const read_request& req) {
  switch (req.op) {
    case read_op::read:
      return buf.try_read(req.n);
    case read_op::readline:
      return buf.try_readline();
    case read_op::readexactly:
      return buf.try_readexactly(req.n);
    case read_op::readuntil:
      return buf.try_readuntil(req.separators);
    case read_op::readframe:
      return buf.try_readframe(static_cast<std::size_t>(std::max<int64_t>(req.n, 0)));
  }
  return buf.try_read(req.n);
}

caf::expected<bytes> connection_state::result_of(read_outcome& out) {
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

caf::result<bytes> connection_state::read(read_request req,
                                          caf::timespan deadline) {
  if (sub)
    return make_error(stream_errc::invalid_argument,
                      "the reader is subscribed (push mode): unsubscribe "
                      "before reading");
  if (waiters.empty()) {
    auto out = attempt(req);
    if (out.ready()) {
      auto result = result_of(out);
      update_flow();
      return result;
    }
  }
  read_waiter w{std::move(req), park(), due_in(deadline)};
  auto rp = w.parked.rp;
  if (w.due)
    arm(*w.due);
  waiters.push_back(std::move(w));
  update_flow();
  return rp;
}

void connection_state::serve() {
  while (!waiters.empty()) {
    if (gone(waiters.front().parked.from)) {
      // Its requester died and the down message is still on its way:
      // serve it nothing, so that the bytes go to the next reader.
      waiters.pop_front();
      continue;
    }
    auto out = attempt(waiters.front().req);
    if (!out.ready())
      break;
    auto w = std::move(waiters.front());
    waiters.pop_front();
    deliver(w.parked, result_of(out));
  }
  if (sub)
    push();
  update_flow();
}

void connection_state::update_flow() {
  // During start_tls the transport keeps reading paused itself.
  if (!transport || lost || tls_upgrade)
    return;
  bool waiting = !waiters.empty() || (sub && sub->active && sub->credit > 0);
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

// -- push mode -----------------------------------------------------------------

template <class... Ts>
void connection_state::to_subscriber(Ts&&... xs) {
  // From this actor, with its execution unit: a subscriber pinned to the
  // same I/O thread handles the frame at once (actors/pinned_actor.hpp).
  sub->subscriber->enqueue(
    caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {},
                              std::forward<Ts>(xs)...),
    self->context());
}

void connection_state::subscribe(caf::actor subscriber, framing how,
                                 uint64_t credit, uint64_t batch) {
  if (!subscriber)
    return;
  auto refuse = [&](caf::error err) {
    caf::anon_send(subscriber, stream_end_atom_v,
                   caf::actor_cast<connection_actor>(self), std::move(err));
  };
  if (sub) {
    refuse(make_error(stream_errc::invalid_argument,
                      "the reader already has a subscriber"));
    return;
  }
  auto req = frame_reader(how, buf.limit());
  if (!req) {
    refuse(std::move(req.error()));
    return;
  }
  // Watched as requesters are: if it goes away, the subscription ends and
  // what it did not get stays readable.
  auto addr = caf::actor_cast<caf::actor_addr>(subscriber);
  if (watched.insert(addr).second)
    self->monitor<caf::message_priority::high>(subscriber);
  sub = subscription{std::move(subscriber),
                     caf::actor_cast<connection_actor>(self),
                     std::move(how),
                     std::move(*req),
                     static_cast<std::size_t>(credit),
                     static_cast<std::size_t>(std::max<uint64_t>(batch, 1)),
                     false};
  serve();
}

void connection_state::grant(uint64_t n) {
  if (!sub)
    return;
  // Saturating: a huge grant means "no limit", not a wrap to little.
  auto room = SIZE_MAX - sub->credit;
  sub->credit += n > room ? room : static_cast<std::size_t>(n);
  serve();
}

void connection_state::unsubscribe() {
  if (!sub)
    return;
  drop_subscription();
  update_flow();
}

void connection_state::drop_subscription() {
  auto who = caf::actor_cast<caf::actor_addr>(sub->subscriber);
  // Release the keep-alive last: it may be the connection's last handle
  // (then the actor goes once this activation ends).
  auto me = std::move(sub->me);
  sub.reset();
  unwatch_if_idle(who);
}

void connection_state::end_subscription(caf::error reason) {
  to_subscriber(stream_end_atom_v, sub->me, std::move(reason));
  drop_subscription();
  // Reads work again; flow control no longer counts on the subscriber.
  update_flow();
}

void connection_state::push() {
  if (!sub->active) {
    if (!waiters.empty())
      return; // reads queued before the subscription go first
    sub->active = true;
  }
  using kind = read_outcome::kind;
  auto ends_on_empty = sub->how.how() == framing::kind::lines
                       || sub->how.how() == framing::kind::chunks;
  // A batch is built in a vector of its own; sized for the usual case, not
  // for a huge batch option.
  constexpr std::size_t max_reserve = 64;
  std::vector<bytes> batch;
  auto reserve = [&] {
    if (sub->batch > 1)
      batch.reserve(std::min({sub->batch, sub->credit, max_reserve}));
  };
  reserve();
  auto flush = [&] {
    if (!batch.empty()) {
      to_subscriber(frame_atom_v, sub->me, std::exchange(batch, {}));
      reserve();
    }
  };
  for (;;) {
    // A subscriber that died (its down message still on its way) gets
    // nothing more: what it would have got stays readable.
    if (sub->subscriber->getf(caf::abstract_actor::is_terminated_flag)) {
      batch.clear();
      drop_subscription();
      return;
    }
    // Without credit no frame is cut, but the end of the stream is still
    // reported once nothing is left to cut: EOF (or a broken transport)
    // with the buffer empty, or a stored exception.
    if (sub->credit == 0 && !buf.has_exception() && !(buf.eof() && buf.empty()))
      break;
    bool boundary = buf.empty();
    auto out = attempt(sub->req);
    if (!out.ready())
      break;
    if (out.state == kind::done && !(out.data.empty() && ends_on_empty)) {
      --sub->credit;
      if (sub->batch == 1) {
        to_subscriber(frame_atom_v, sub->me, std::move(out.data));
      } else {
        batch.push_back(std::move(out.data));
        if (batch.size() == sub->batch)
          flush();
      }
      continue;
    }
    flush();
    if (out.state == kind::overrun && sub->how.how() == framing::kind::lines) {
      // readline discarded the over-long line: report it, go on.
      --sub->credit;
      to_subscriber(frame_atom_v, sub->me, result_of(out).error());
      continue;
    }
    // EOF on a frame boundary: nothing was buffered when the frame was
    // asked for (an empty partial after a length prefix is a cut frame).
    if (out.state == kind::done
        || (out.state == kind::incomplete && out.data.empty() && boundary)) {
      end_subscription(caf::error{});
      return;
    }
    // The rest: incomplete (a partial frame), overrun (nothing consumed),
    // the stored exception, the transport's error.
    end_subscription(result_of(out).error());
    return;
  }
  flush();
}

// -- writing -------------------------------------------------------------------

void connection_state::write(bytes data) {
  if (data.empty())
    return;
  if (!transport || !transport->can_write()) {
    write_error = make_error(stream_errc::not_supported,
                             transport ? "this transport cannot write"
                                       : "this connection has no transport");
    return;
  }
  if (closing || lost)
    return; // drain() reports it: the writer is closed
  if (tls_upgrade) {
    held_writes.push_back(std::move(data)); // encrypted once TLS is up
    return;
  }
  if (eof_written) {
    write_error = make_error(stream_errc::closed,
                             "Cannot call write() after write_eof()");
    return;
  }
  auto buffered = transport->write(std::move(data));
  unflushed = buffered;
  if (!write_paused && buffered > opts.write_high_water) {
    write_paused = true;
    transport->notify_writable(opts.write_low_water);
  }
}

caf::error connection_state::drain_error() const {
  if (exception)
    return exception;
  if (lost)
    return lost_reason ? lost_reason
                       : make_error(stream_errc::closed, "Connection lost");
  if (closing)
    return make_error(stream_errc::closed, "the writer is closed");
  return write_error;
}

void connection_state::fail_drainers() {
  auto err = drain_error();
  for (auto& p : drainers)
    p.rp.deliver(err);
  drainers.clear();
}

// -- extra info ----------------------------------------------------------------

caf::expected<bytes> connection_state::extra_info(const std::string& name) const {
  if (!transport)
    return make_error(stream_errc::invalid_argument,
                      "no extra info '" + name
                        + "': this connection has no transport");
  if (auto value = transport->extra_info(name))
    return std::move(*value);
  if (name == "peercert" || name == "cipher" || name == "sslcontext"
      || name == "ssl_object" || name == "tls_version"
      || name == "server_hostname")
    return make_error(stream_errc::invalid_argument,
                      "no extra info '" + name + "': not a TLS connection");
  return make_error(stream_errc::invalid_argument,
                    "unknown extra info '" + name + "'");
}

void connection_state::answer_info_waiters() {
  for (auto& [name, p] : info_waiters)
    deliver(p, extra_info(name));
  info_waiters.clear();
}

// -- lifecycle -----------------------------------------------------------------

void connection_state::close(bool abort) {
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

void connection_state::close_idle() {
  // Reads fail with the reason, not with a plain EOF; what arrived before
  // stays readable. The peer is not waited for: abort.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              opts.idle_timeout)
              .count();
  source_error = make_error(stream_errc::timeout,
                            "no data from the peer for " + std::to_string(ms)
                              + " ms (idle_timeout): connection closed");
  buf.feed_error();
  close(true);
}

void connection_state::on_connected() {
  connected = true;
  connect_due.reset();
  if (opts.idle_timeout > caf::timespan::zero()) {
    last_input = self->clock().now();
    idle_due = last_input + opts.idle_timeout;
    arm(*idle_due);
  }
  for (auto& p : connectors)
    p.rp.deliver(caf::unit);
  connectors.clear();
  answer_info_waiters();
  update_flow();
}

void connection_state::on_data(bytes data) {
  if (idle_due)
    last_input = self->clock().now(); // checked when idle_due comes
  auto n = data.size();
  buf.feed_data(std::move(data));
  transport->consumed(n);
  serve();
}

void connection_state::on_eof() {
  buf.feed_eof();
  serve();
}

void connection_state::on_writable() {
  write_paused = false;
  for (auto& p : drainers)
    p.rp.deliver(caf::unit);
  drainers.clear();
}

void connection_state::on_closed(caf::error reason) {
  if (lost)
    return;
  lost = true;
  lost_reason = reason;
  if (tls_upgrade) {
    auto rp = std::move(tls_upgrade);
    tls_upgrade.reset();
    held_writes.clear();
    rp->rp.deliver(reason ? reason
                          : make_error(stream_errc::closed,
                                       "the connection closed during "
                                       "start_tls"));
  }
  if (!connected) {
    auto err = reason ? reason
                      : make_error(stream_errc::closed,
                                   "closed before it connected");
    for (auto& p : connectors)
      p.rp.deliver(err);
    connectors.clear();
  }
  if (reason) {
    source_error = reason;
    buf.feed_error();
  } else {
    buf.feed_eof();
  }
  fail_drainers();
  for (auto& p : closers) {
    if (reason)
      p.rp.deliver(reason);
    else
      p.rp.deliver(caf::unit);
  }
  closers.clear();
  answer_info_waiters();
  if (server && connected)
    caf::anon_send(server, client_closed{self->id()});
  serve();
}

void connection_state::on_tls_started(caf::error reason) {
  if (!tls_upgrade)
    return;
  auto rp = std::move(tls_upgrade);
  tls_upgrade.reset();
  if (reason) {
    held_writes.clear();
    rp->rp.deliver(std::move(reason)); // connection_lost follows
    return;
  }
  for (auto& data : held_writes)
    write(std::move(data));
  held_writes.clear();
  // The transport paused reading for the upgrade; the usual rule decides
  // from here.
  reading_paused = false;
  transport->resume_reading();
  update_flow();
  rp->rp.deliver(caf::unit);
}

caf::result<void> connection_state::start_tls(net::tls_options opts) {
  if (!transport)
    return make_error(stream_errc::not_supported,
                      "start_tls needs a connection with a transport");
  if (lost || closing)
    return make_error(stream_errc::closed, "the connection is closed");
  if (tls_upgrade)
    return make_error(stream_errc::invalid_argument,
                      "start_tls is in progress already");
  if (auto err = transport->start_tls(std::move(opts)))
    return err;
  tls_upgrade = park();
  return caf::delegated<void>{};
}

// -- parking, deadlines, requesters --------------------------------------------

parked_request connection_state::park() {
  auto& sender = self->current_sender();
  auto from = caf::actor_cast<caf::actor_addr>(sender);
  // Monitor each requester once: if it goes away, its parked requests are
  // dropped (consuming nothing), and their promises, which hold this actor
  // strongly, no longer keep an abandoned connection alive.
  if (sender && watched.insert(from).second)
    self->monitor<caf::message_priority::high>(sender);
  return parked_request{self->make_response_promise(), std::move(from)};
}

std::optional<connection_state::time_point>
connection_state::due_in(caf::timespan timeout) const {
  if (timeout == no_deadline || timeout >= longest_deadline)
    return std::nullopt;
  return self->clock().now() + std::max(timeout, caf::timespan::zero());
}

void connection_state::arm(time_point due) {
  // A deadline already armed at or before `due` will come back in time: the
  // usual case of a series of reads with one timeout arms one timer at a
  // time, not one per read.
  if (!armed.empty() && *armed.begin() <= due)
    return;
  armed.insert(due);
  schedule_deadline(self->home_system(), self->address(), due, token_of(due));
}

void connection_state::set_owner(const caf::actor& who) {
  auto addr = caf::actor_cast<caf::actor_addr>(who);
  orphan_due.reset();
  if (addr == owner)
    return;
  auto old = std::exchange(owner, addr);
  if (old)
    unwatch_if_idle(old);
  if (who && watched.insert(addr).second)
    self->monitor<caf::message_priority::high>(who);
}

void connection_state::orphan() {
  owner = caf::actor_addr{};
  if (closing || lost)
    return;
  orphan_due = self->clock().now() + std::max(opts.owner_grace,
                                               caf::timespan::zero());
  arm(*orphan_due);
}

void connection_state::expire(uint64_t token) {
  armed.erase(time_of(token));
  auto now = self->clock().now();
  if (orphan_due && *orphan_due <= now) {
    orphan_due.reset();
    // Nobody took the connection over: close it. Queued writes go out if
    // the peer takes them; a peer that stopped reading (the writer is
    // paused) would hold the socket open, so it is aborted instead.
    if (!owner)
      close(write_paused);
  }
  if (idle_due && *idle_due <= now) {
    idle_due.reset();
    if (!closing && !lost) {
      if (last_input + opts.idle_timeout <= now)
        close_idle();
      else
        idle_due = last_input + opts.idle_timeout;
    }
  }
  if (connect_due && *connect_due <= now) {
    connect_due.reset();
    if (!connected && !lost) {
      auto err = make_error(stream_errc::timeout, "connect timed out");
      for (auto& p : connectors)
        p.rp.deliver(err);
      connectors.clear();
      if (transport)
        transport->abort();
    }
  }
  bool removed = false;
  for (auto i = waiters.begin(); i != waiters.end();) {
    if (i->due && *i->due <= now) {
      i->parked.rp.deliver(make_error(stream_errc::timeout,
                                      std::string{op_name(i->req.op)}
                                        + "() timed out; nothing was consumed"));
      i = waiters.erase(i);
      removed = true;
    } else {
      ++i;
    }
  }
  // Re-arm for what is still waiting.
  std::optional<time_point> next = connect_due;
  if (orphan_due && (!next || *orphan_due < *next))
    next = orphan_due;
  if (idle_due && (!next || *idle_due < *next))
    next = idle_due;
  for (auto& w : waiters)
    if (w.due && (!next || *w.due < *next))
      next = w.due;
  if (next)
    arm(*next);
  // The next waiter may be servable now (it was only blocked by FIFO).
  if (removed)
    serve();
}

void connection_state::forget(const caf::actor_addr& who) {
  watched.erase(who);
  if (owner && who == owner)
    orphan();
  if (sub && caf::actor_cast<caf::actor_addr>(sub->subscriber) == who) {
    // Gone: no stream_end for it; what it did not get stays readable.
    drop_subscription();
    update_flow();
  }
  auto gone = [&who](const parked_request& p) { return p.from == who; };
  auto before = waiters.size();
  waiters.erase(std::remove_if(waiters.begin(), waiters.end(),
                               [&](const read_waiter& w) {
                                 return gone(w.parked);
                               }),
                waiters.end());
  for (auto* list : {&drainers, &closers, &connectors})
    list->erase(std::remove_if(list->begin(), list->end(), gone), list->end());
  info_waiters.erase(std::remove_if(info_waiters.begin(), info_waiters.end(),
                                    [&](const auto& x) {
                                      return gone(x.second);
                                    }),
                     info_waiters.end());
  if (waiters.size() != before)
    serve();
}

void connection_state::unwatch_if_idle(const caf::actor_addr& who) {
  if (!who || !watched.count(who) || who == owner)
    return;
  if (sub && caf::actor_cast<caf::actor_addr>(sub->subscriber) == who)
    return;
  auto from_who = [&who](const parked_request& p) { return p.from == who; };
  if (std::any_of(waiters.begin(), waiters.end(),
                  [&](const read_waiter& w) { return from_who(w.parked); }))
    return;
  for (auto* list : {&drainers, &closers, &connectors})
    if (std::any_of(list->begin(), list->end(), from_who))
      return;
  if (std::any_of(info_waiters.begin(), info_waiters.end(),
                  [&](const auto& x) { return from_who(x.second); }))
    return;
  watched.erase(who);
  self->demonitor(who);
}

void connection_state::cancel(const caf::actor_addr& who,
                              uint64_t request_id) {
  auto match = [&](const parked_request& p) {
    return p.from == who
           && p.rp.id().request_id().integer_value() == request_id;
  };
  auto err = [](const char* what) {
    return make_error(stream_errc::cancelled,
                      std::string{what} + " was cancelled; nothing was consumed");
  };
  for (auto i = waiters.begin(); i != waiters.end(); ++i) {
    if (match(i->parked)) {
      i->parked.rp.deliver(err(op_name(i->req.op)));
      waiters.erase(i);
      // The next waiter may be servable now (it was only blocked by FIFO).
      serve();
      return;
    }
  }
  for (auto* list : {&drainers, &closers, &connectors}) {
    auto i = std::find_if(list->begin(), list->end(), match);
    if (i != list->end()) {
      i->rp.deliver(err("the request"));
      list->erase(i);
      return;
    }
  }
}

void connection_state::unread(bytes data) {
  buf.unread(std::move(data));
  serve();
}

} // namespace actorstreams
