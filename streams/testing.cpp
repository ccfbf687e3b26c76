#include "streams/testing.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include "actors/io_module.hpp"
#include "actors/messages.hpp"

namespace actorstreams::testing {

namespace {

/// Sends the request of an `await` (streams/testing.hpp) from an actor of
/// its own, which ends once it has its answer.
class await_helper : public caf::event_based_actor {
public:
  await_helper(caf::actor_config& cfg,
               std::function<void(caf::event_based_actor*)> fn)
    : caf::event_based_actor(cfg), fn_(std::move(fn)) {
    // nop
  }

  caf::behavior make_behavior() override {
    auto fn = std::move(fn_);
    fn(this);
    return {}; // no behavior: the actor ends once its requests are answered
  }

private:
  std::function<void(caf::event_based_actor*)> fn_;
};

// Atoms of the scripted peer, private to it.
using script_atom = caf::atom_constant<caf::atom("script")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;

const char* name_of(script::step::kind what) {
  switch (what) {
    case script::step::kind::expect:
      return "expect";
    case script::step::kind::send:
      return "send";
    case script::step::kind::pause:
      return "pause";
    case script::step::kind::eof:
      return "eof";
    case script::step::kind::close:
      return "close";
    case script::step::kind::reset:
      return "reset";
    case script::step::kind::expect_eof:
      return "expect_eof";
  }
  return "?";
}

std::string count_of(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

/// `b[from, to)` in single quotes with C escapes; "..." marks what was left
/// out on either side.
std::string quote(const bytes& b, std::size_t from, std::size_t to) {
  std::string out = from > 0 ? "...'" : "'";
  for (auto i = from; i < to; ++i) {
    auto c = static_cast<unsigned char>(b[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", c);
          out += hex;
        }
    }
  }
  out += to < b.size() ? "'..." : "'";
  return out;
}

/// Runs a script on its connection, one step after the other, and answers
/// `(script_atom, deadline)` when done.
class script_runner : public caf::event_based_actor {
public:
  script_runner(caf::actor_config& cfg, connection peer, script s)
    : caf::event_based_actor(cfg),
      peer_(std::move(peer)),
      steps_(s.steps()) {
    // nop
  }

  caf::behavior make_behavior() override {
    return {
      [this](script_atom, caf::timespan deadline) -> caf::result<void> {
        if (started_)
          return make_error(stream_errc::invalid_argument,
                            "this script already runs");
        started_ = true;
        promise_ = make_response_promise();
        if (deadline != no_deadline)
          delayed_send(this, deadline, expire_atom::value);
        next();
        return caf::delegated<void>{};
      },
      [this](resume_atom, uint64_t index) {
        if (!done_ && index == index_)
          advance();
      },
      [this](expire_atom) {
        if (done_)
          return;
        std::string what = where() + ": timed out";
        if (index_ < steps_.size()
            && steps_[index_].what == script::step::kind::expect)
          what += "; received " + quote(got_, 0, got_.size()) + " ("
                  + std::to_string(got_.size()) + " of "
                  + count_of(steps_[index_].data.size()) + ") so far";
        fail(make_error(stream_errc::timeout, std::move(what)));
      },
    };
  }

private:
  void next() {
    if (done_)
      return;
    if (index_ == steps_.size()) {
      done_ = true;
      promise_.deliver(caf::unit); // the empty reply
      quit();
      return;
    }
    auto& s = steps_[index_];
    auto on_error = [this](caf::error err) { fail_with(std::move(err)); };
    switch (s.what) {
      case script::step::kind::expect:
        got_.clear();
        expect_more();
        break;
      case script::step::kind::send:
        peer_.writer.write(s.data);
        peer_.writer.drain().then(this, [this] { advance(); }, on_error);
        break;
      case script::step::kind::pause:
        delayed_send(this, s.delay, resume_atom::value,
                     static_cast<uint64_t>(index_));
        break;
      case script::step::kind::eof:
        peer_.writer.write_eof();
        advance();
        break;
      case script::step::kind::close:
        peer_.writer.close();
        advance();
        break;
      case script::step::kind::reset:
        send(peer_.writer.handle(), abort_atom_v);
        advance();
        break;
      case script::step::kind::expect_eof:
        peer_.reader.read(4096).then(
          this,
          [this](bytes more) {
            if (more.empty())
              advance();
            else
              fail(make_error(stream_errc::invalid_argument,
                              where() + ": expected EOF, received "
                                + quote(more, 0, std::min<std::size_t>(
                                                   more.size(), 64))
                                + (more.size() == 4096 ? " (4096 bytes or more)"
                                                       : " ("
                                                           + count_of(
                                                             more.size())
                                                           + ")")));
          },
          on_error);
        break;
    }
  }

  void advance() {
    ++index_;
    next();
  }

  /// Reads what the expect step still lacks and checks each piece as it
  /// comes; never reads past the step's bytes.
  void expect_more() {
    auto& want = steps_[index_].data;
    if (got_.size() == want.size()) {
      advance();
      return;
    }
    peer_.reader.read(static_cast<int64_t>(want.size() - got_.size()))
      .then(
        this,
        [this](bytes piece) {
          auto& want = steps_[index_].data;
          if (piece.empty()) {
            fail(make_error(stream_errc::invalid_argument,
                            where() + ": " + describe_mismatch(want, got_)
                              + ", then EOF"));
            return;
          }
          got_ += piece;
          if (want.compare(0, got_.size(), got_) != 0) {
            fail(make_error(stream_errc::invalid_argument,
                            where() + ": " + describe_mismatch(want, got_)));
            return;
          }
          expect_more();
        },
        [this](caf::error err) { fail_with(std::move(err)); });
  }

  std::string where() const {
    std::string out = "scripted peer, step " + std::to_string(index_ + 1)
                      + " of " + std::to_string(steps_.size());
    if (index_ < steps_.size())
      out += std::string{" ("} + name_of(steps_[index_].what) + ")";
    return out;
  }

  /// The connection's error, with the step in its message.
  void fail_with(caf::error err) {
    if (auto code = as_stream_errc(err);
        code && !as_incomplete_read(err) && !as_limit_overrun(err))
      fail(make_error(*code, where() + ": " + describe(err)));
    else
      fail(std::move(err));
  }

  /// Ends the script with `err`, aborting its end of the connection so that
  /// the code under test does not wait for it forever.
  void fail(caf::error err) {
    done_ = true;
    send(peer_.writer.handle(), abort_atom_v);
    promise_.deliver(std::move(err));
    quit();
  }

  connection peer_;
  std::vector<script::step> steps_;
  std::size_t index_ = 0;
  bytes got_;
  bool started_ = false;
  bool done_ = false;
  caf::response_promise promise_;
};

} // namespace

// -- deterministic_runtime --------------------------------------------------

deterministic_runtime::deterministic_runtime()
  : deterministic_runtime(config{}) {
  // nop
}

deterministic_runtime::deterministic_runtime(config cfg)
  : cfg_(std::make_unique<config>(std::move(cfg))) {
  cfg_->set("scheduler.policy", caf::atom("testing"));
  cfg_->io_threads(0);
  // The middleman on CAF's simulated network: no multiplexer thread.
  cfg_->set("middleman.network-backend", caf::atom("testing"));
  cfg_->set("middleman.manual-multiplexing", true);
  cfg_->set("middleman.workers", std::size_t{0});
  cfg_->set("middleman.heartbeat-interval", caf::timespan{0});
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  // As CAF's own fixture: the virtual clock does not start at zero.
  sched_->clock().current_time += std::chrono::hours{1};
}

deterministic_runtime::~deterministic_runtime() {
  if (auto mod = io_module::try_of(*sys_))
    mod->request_shutdown();
  // Deliver the exits and what they set off, timers included; bounded, as a
  // periodic timer of the user's would go on forever.
  for (int round = 0; round < 10'000; ++round) {
    sched_->run();
    if (!sched_->trigger_timeout())
      break;
  }
  sched_->run();
  sched_->clock().cancel_all();
  // The user's actors may still be alive (they may hold handles): waiting
  // for them would wait forever, as nothing runs them any more.
  sys_->await_actors_before_shutdown(false);
  sys_.reset();
}

bool deterministic_runtime::step() {
  return sched_->try_run_once();
}

std::size_t deterministic_runtime::run() {
  return sched_->run();
}

std::size_t deterministic_runtime::advance_time(caf::timespan d) {
  return sched_->advance_time(d);
}

caf::actor_clock::time_point deterministic_runtime::now() const {
  return sched_->clock().now();
}

void deterministic_runtime::send_from_helper(
  std::function<void(caf::event_based_actor*)> fn) {
  sys_->spawn<await_helper, caf::hidden>(std::move(fn));
}

void deterministic_runtime::run_until(const std::function<bool()>& done,
                                      std::optional<caf::timespan> budget) {
  auto limit = caf::actor_clock::time_point::max();
  if (budget && *budget < limit - now())
    limit = now() + *budget;
  while (!done()) {
    if (sched_->try_run_once())
      continue;
    if (!budget)
      return;
    auto& schedule = sched_->clock().schedule();
    if (schedule.empty() || schedule.begin()->first > limit)
      return;
    sched_->trigger_timeout();
  }
}

void deterministic_runtime::cancel(const caf::actor& actor) {
  caf::anon_send_exit(actor, caf::exit_reason::kill);
  sched_->run();
}

caf::error deterministic_runtime::went_idle(const char* what) const {
  return make_error(stream_errc::timeout,
                    std::string{"the deterministic runtime went idle before "}
                      + what
                      + ": no message left to deliver and no timer due in "
                        "time (the clock moves only by advance_time, or "
                        "while an await with a timeout waits)");
}

// -- script -----------------------------------------------------------------

script& script::expect(bytes data) {
  steps_.push_back({step::kind::expect, std::move(data), {}});
  return *this;
}

script& script::send(bytes data) {
  steps_.push_back({step::kind::send, std::move(data), {}});
  return *this;
}

script& script::pause(caf::timespan d) {
  steps_.push_back({step::kind::pause, {}, d});
  return *this;
}

script& script::eof() {
  steps_.push_back({step::kind::eof, {}, {}});
  return *this;
}

script& script::close() {
  steps_.push_back({step::kind::close, {}, {}});
  return *this;
}

script& script::reset() {
  steps_.push_back({step::kind::reset, {}, {}});
  return *this;
}

script& script::expect_eof() {
  steps_.push_back({step::kind::expect_eof, {}, {}});
  return *this;
}

pending<void> run_script(caf::actor_system& sys, connection peer, script s) {
  auto spawn = [&sys, peer = std::move(peer),
                s = std::move(s)]() -> caf::expected<caf::actor> {
    if (!peer.writer)
      return make_error(stream_errc::invalid_argument,
                        "run_script: the peer is not a connection");
    auto runner = sys.spawn<script_runner, caf::hidden>(peer, s);
    if (auto mod = io_module::try_of(sys))
      mod->track(caf::actor_cast<caf::strong_actor_ptr>(runner));
    return runner;
  };
  return {std::move(spawn), caf::make_message(script_atom::value, no_deadline),
          true};
}

std::string describe_mismatch(const bytes& expected, const bytes& received) {
  auto common = std::min(expected.size(), received.size());
  auto at = static_cast<std::size_t>(
    std::mismatch(expected.begin(), expected.begin() + common,
                  received.begin())
      .first
    - expected.begin());
  if (at == common && expected.size() == received.size())
    return {};
  // Long ones are shown around the first difference.
  constexpr std::size_t window = 64;
  constexpr std::size_t before = 16;
  auto show = [&](const bytes& b) {
    if (b.size() <= window)
      return quote(b, 0, b.size());
    auto from = std::min(at > before ? at - before : 0, b.size());
    return quote(b, from, std::min(b.size(), from + window));
  };
  std::string out = "expected " + show(expected) + " ("
                    + count_of(expected.size()) + "), received "
                    + show(received) + " (" + count_of(received.size())
                    + "); ";
  if (at < common)
    out += "first difference at byte " + std::to_string(at);
  else if (received.size() < expected.size())
    out += "received ends at byte " + std::to_string(at) + ", "
           + count_of(expected.size() - at) + " short";
  else
    out += count_of(received.size() - at) + " more than expected from byte "
           + std::to_string(at);
  return out;
}

} // namespace actorstreams::testing
