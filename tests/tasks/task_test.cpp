#include "streams/task.hpp"

// Tier 2: the coroutine front end in memory: task<T>, run, spawn_task,
// sleep, with_timeout, as_expected, gather, exceptions and cancellation.

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::bound;
using testing::code_of;
using testing::value_of;

class Task : public testing::runtime_test {
public:
  /// Waits (bounded) until `actor` has terminated; returns its exit reason.
  caf::error wait_down(const caf::actor& actor) {
    caf::scoped_actor self{sys(), true};
    self->monitor(actor);
    caf::error reason = make_error(stream_errc::timeout, "no down message");
    self->receive([&](const caf::down_msg& dm) { reason = dm.reason; },
                  caf::after(bound) >> [] {});
    return reason;
  }
};

task<int> answer() {
  co_return 42;
}

task<int> add_after_sleep(int x, int y) {
  co_await sleep(1ms);
  co_return x + y;
}

TEST_F(Task, RunReturnsTheValueOfATaskThatNeverSuspends) {
  EXPECT_EQ(run(sys(), answer()), 42);
}

TEST_F(Task, RunReturnsTheValueAfterSleeping) {
  EXPECT_EQ(run(sys(), add_after_sleep(40, 2)), 42);
}

TEST_F(Task, SleepWaitsAtLeastItsDuration) {
  auto body = []() -> task<std::chrono::steady_clock::duration> {
    auto start = std::chrono::steady_clock::now();
    co_await sleep(30ms);
    co_return std::chrono::steady_clock::now() - start;
  };
  EXPECT_GE(run(sys(), body()), 30ms);
}

TEST_F(Task, NestedTasksResumeInOrder) {
  auto trace = std::make_shared<std::vector<std::string>>();
  auto inner = [](std::shared_ptr<std::vector<std::string>> log,
                  std::string name) -> task<std::string> {
    log->push_back(name + ":start");
    co_await sleep(1ms);
    log->push_back(name + ":end");
    co_return name;
  };
  auto outer = [inner](std::shared_ptr<std::vector<std::string>> log)
    -> task<std::string> {
    log->push_back("outer:start");
    auto a = co_await inner(log, "a");
    auto b = co_await inner(log, "b");
    log->push_back("outer:end");
    co_return a + b;
  };
  EXPECT_EQ(run(sys(), outer(trace)), "ab");
  EXPECT_EQ(*trace, (std::vector<std::string>{"outer:start", "a:start",
                                              "a:end", "b:start", "b:end",
                                              "outer:end"}));
}

TEST_F(Task, AwaitedReadsYieldTheirBytesInOrder) {
  auto reader = make_stream_reader(sys());
  reader.feed_data("one\ntwo\nthree");
  reader.feed_eof();
  auto body = [](stream_reader r) -> task<std::vector<bytes>> {
    std::vector<bytes> lines;
    for (;;) {
      auto line = co_await r.readline();
      if (line.empty())
        break;
      lines.push_back(std::move(line));
    }
    co_return lines;
  };
  EXPECT_EQ(run(sys(), body(reader)),
            (std::vector<bytes>{"one\n", "two\n", "three"}));
}

TEST_F(Task, AFailedReadThrowsStreamErrorWithItsPayload) {
  auto reader = make_stream_reader(sys());
  reader.feed_data("abc");
  reader.feed_eof();
  auto body = [](stream_reader r) -> task<incomplete_read_error> {
    try {
      co_await r.readexactly(5);
    } catch (const stream_error& e) {
      auto ire = as_incomplete_read(e.error());
      if (!ire)
        throw;
      EXPECT_EQ(e.code(), stream_errc::incomplete_read);
      EXPECT_EQ(std::string{e.what()},
                "incomplete_read: 3 bytes read on a total of 5 expected bytes");
      co_return *ire;
    }
    throw std::logic_error("readexactly(5) of 3 bytes succeeded");
  };
  auto ire = run(sys(), body(reader));
  EXPECT_EQ(ire.partial, "abc");
  EXPECT_EQ(ire.expected, std::optional<std::size_t>{5});
}

TEST_F(Task, AsExpectedYieldsTheErrorInsteadOfThrowing) {
  auto reader = make_stream_reader(sys());
  reader.feed_data(bytes(10, 'x'));
  auto body = [](stream_reader r) -> task<std::pair<bytes, caf::error>> {
    auto ok = co_await r.readexactly(4).as_expected();
    auto bad = co_await r.readexactly(-1).as_expected();
    co_return std::make_pair(ok ? *ok : bytes{"<error>"},
                             bad ? caf::error{} : bad.error());
  };
  auto [ok, err] = run(sys(), body(reader));
  EXPECT_EQ(ok, "xxxx");
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
}

TEST_F(Task, AnExceptionInANestedTaskReachesRun) {
  auto failing = []() -> task<int> {
    co_await sleep(1ms);
    throw std::runtime_error("nested boom");
  };
  auto outer = [failing]() -> task<int> { co_return co_await failing() + 1; };
  try {
    run(sys(), outer());
    FAIL() << "run() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "nested boom");
  }
}

TEST_F(Task, AnExceptionCanBeCaughtByTheAwaitingTask) {
  auto failing = []() -> task<int> {
    throw std::runtime_error("caught");
    co_return 0;
  };
  auto outer = [failing]() -> task<std::string> {
    try {
      co_await failing();
    } catch (const std::runtime_error& e) {
      co_return std::string{"handled: "} + e.what();
    }
    co_return "not thrown";
  };
  EXPECT_EQ(run(sys(), outer()), "handled: caught");
}

TEST_F(Task, AwaitingAFinishedTaskTwiceIsAMisuse) {
  auto body = []() -> task<caf::error> {
    auto t = answer();
    EXPECT_EQ(co_await t, 42);
    try {
      co_await t;
    } catch (const stream_error& e) {
      co_return e.error();
    }
    co_return caf::error{};
  };
  EXPECT_EQ(code_of(run(sys(), body())), stream_errc::invalid_argument);
}

TEST_F(Task, ATimedOutReadThrowsTimeoutAndConsumesNothing) {
  auto reader = make_stream_reader(sys());
  reader.feed_data("partial");
  auto body = [](stream_reader r) -> task<caf::error> {
    try {
      co_await r.readline().with_timeout(50ms);
    } catch (const stream_error& e) {
      co_return e.error();
    }
    co_return caf::error{};
  };
  EXPECT_EQ(code_of(run(sys(), body(reader))), stream_errc::timeout);
  reader.feed_data(" line\n");
  EXPECT_EQ(value_of(reader.readline().get(bound)), "partial line\n");
}

TEST_F(Task, WithTimeoutAndAsExpectedCombine) {
  auto reader = make_stream_reader(sys());
  auto body = [](stream_reader r) -> task<caf::error> {
    auto got = co_await r.read(10).with_timeout(20ms).as_expected();
    co_return got ? caf::error{} : got.error();
  };
  EXPECT_EQ(code_of(run(sys(), body(reader))), stream_errc::timeout);
}

TEST_F(Task, GatherRunsTasksConcurrentlyAndKeepsTheirOrder) {
  auto reader = make_stream_reader(sys());
  // Three readers queue on one connection in the order gather starts them;
  // the fourth task feeds them. Run one after the other, the first would
  // wait for the fourth forever (and time out).
  auto read_one = [](stream_reader r) -> task<bytes> {
    co_return co_await r.readline().with_timeout(bound);
  };
  auto feed = [](stream_reader r) -> task<bytes> {
    co_await sleep(1ms);
    r.feed_data("a\nb\nc\n");
    co_return "fed";
  };
  auto body = [=](stream_reader r) -> task<std::vector<bytes>> {
    std::vector<task<bytes>> all;
    all.push_back(read_one(r));
    all.push_back(read_one(r));
    all.push_back(read_one(r));
    all.push_back(feed(r));
    co_return co_await gather(std::move(all));
  };
  EXPECT_EQ(run(sys(), body(reader)),
            (std::vector<bytes>{"a\n", "b\n", "c\n", "fed"}));
}

TEST_F(Task, GatherOfVoidTasksWaitsForAll) {
  auto count = std::make_shared<std::atomic<int>>(0);
  auto bump = [](std::shared_ptr<std::atomic<int>> n, int ms) -> task<void> {
    co_await sleep(std::chrono::milliseconds{ms});
    ++*n;
  };
  auto body = [=]() -> task<void> {
    std::vector<task<void>> all;
    for (int i = 0; i < 5; ++i)
      all.push_back(bump(count, 5 - i));
    co_await gather(std::move(all));
  };
  run(sys(), body());
  EXPECT_EQ(count->load(), 5);
}

TEST_F(Task, GatherOfNothingYieldsNothing) {
  auto body = []() -> task<std::size_t> {
    auto none = co_await gather(std::vector<task<int>>{});
    co_return none.size();
  };
  EXPECT_EQ(run(sys(), body()), 0u);
}

// -- any CAF actor ---------------------------------------------------------------

using caf::add_atom;
using caf::add_atom_v;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
constexpr auto fail_atom_v = fail_atom::value;

using calculator_actor
  = caf::typed_actor<caf::replies_to<add_atom, int, int>::with<int>>;

calculator_actor::behavior_type typed_calculator() {
  return {[](add_atom, int x, int y) { return x + y; }};
}

caf::behavior calculator() {
  return {
    [](add_atom, int x, int y) { return x + y; },
    [](fail_atom) -> caf::result<int> {
      return make_error(stream_errc::closed, "no more sums");
    },
  };
}

TEST_F(Task, ATaskAwaitsRequestsToAnyActorTypedOrNot) {
  auto plain = sys().spawn(calculator);
  auto typed = sys().spawn(typed_calculator);
  auto body = [](caf::actor a, calculator_actor t) -> task<int> {
    auto x = co_await request<int>(a, add_atom_v, 40, 1);
    auto y = co_await request<int>(t, add_atom_v, x, 1);
    co_return y;
  };
  EXPECT_EQ(run(sys(), body(plain, typed)), 42);
  caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(typed, caf::exit_reason::user_shutdown);
}

TEST_F(Task, AnErrorReplyIsThrownAndAReplyOfAnotherTypeIsUnexpectedResponse) {
  auto plain = sys().spawn(calculator);
  auto body = [](caf::actor a) -> task<std::string> {
    std::string log;
    try {
      co_await request<int>(a, fail_atom_v);
    } catch (const stream_error& e) {
      log += std::string{e.what()} + "; ";
    }
    // A reply that is not the T asked for is CAF's unexpected_response.
    auto wrong = co_await request<std::string>(a, add_atom_v, 1, 2)
                   .as_expected();
    log += wrong ? *wrong : to_string(wrong.error());
    co_return log;
  };
  auto log = run(sys(), body(plain));
  EXPECT_EQ(log.substr(0, log.find("; ") + 2), "closed: no more sums; ");
  EXPECT_NE(log.find("unexpected_response"), std::string::npos) << log;
  caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
}

TEST_F(Task, ARequestToAnActorThatIsGoneFailsWithClosed) {
  auto plain = sys().spawn(calculator);
  caf::anon_send_exit(plain, caf::exit_reason::kill);
  {
    caf::scoped_actor self{sys(), true};
    self->wait_for(plain);
  }
  auto body = [](caf::actor a) -> task<stream_errc> {
    auto sum = co_await request<int>(a, add_atom_v, 1, 2).as_expected();
    co_return sum ? stream_errc::invalid_argument : *as_stream_errc(sum.error());
  };
  EXPECT_EQ(run(sys(), body(plain)), stream_errc::closed);
}

// -- cancellation ----------------------------------------------------------------

task<void> write_after_reading(stream_reader in, stream_reader out) {
  auto line = co_await in.readline();
  out.feed_data("got " + line);
}


task<bytes> wait_for_line(stream_reader r) {
  co_return co_await r.readline();
}

task<bytes> fail_soon() {
  co_await sleep(5ms);
  throw std::runtime_error("sibling failed");
}

TEST_F(Task, AFailingSiblingCancelsAWaitingReadWhichConsumesNothing) {
  auto reader = make_stream_reader(sys());
  auto body = [](stream_reader r) -> task<std::string> {
    std::vector<task<bytes>> all;
    all.push_back(wait_for_line(r));
    all.push_back(fail_soon());
    try {
      co_await gather(std::move(all));
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "gather did not fail";
  };
  EXPECT_EQ(run(sys(), body(reader)), "sibling failed");
  reader.feed_data("kept\n");
  EXPECT_EQ(value_of(reader.readline().get(bound)), "kept\n");
}

TEST_F(Task, AReadAnsweredAfterItsTaskWasCancelledGivesItsBytesBack) {
  auto reader = make_stream_reader(sys());
  // From one actor, in this order: the read, the data that answers it, the
  // cancel. The connection answers before it sees the cancel, so the bytes
  // are on their way to a task that is gone: they must come back.
  auto feed_then_fail = [](stream_reader r) -> task<bytes> {
    r.feed_data("first\n");
    throw std::runtime_error("cancel the reader");
    co_return "";
  };
  auto body = [=](stream_reader r) -> task<bytes> {
    std::vector<task<bytes>> all;
    all.push_back(wait_for_line(r));
    all.push_back(feed_then_fail(r));
    try {
      co_await gather(std::move(all));
    } catch (const std::runtime_error&) {
      // the reader task is cancelled here
    }
    co_return co_await r.readline().with_timeout(bound);
  };
  EXPECT_EQ(run(sys(), body(reader)), "first\n");
}

TEST_F(Task, AnIncompleteReadAnsweredAfterCancelGivesItsPartialBack) {
  auto reader = make_stream_reader(sys());
  auto eof_then_fail = [](stream_reader r) -> task<bytes> {
    r.feed_data("tail");
    r.feed_eof();
    throw std::runtime_error("cancel the reader");
    co_return "";
  };
  auto read_exactly = [](stream_reader r) -> task<bytes> {
    co_return co_await r.readexactly(10);
  };
  auto body = [=](stream_reader r) -> task<bytes> {
    std::vector<task<bytes>> all;
    all.push_back(read_exactly(r));
    all.push_back(eof_then_fail(r));
    try {
      co_await gather(std::move(all));
    } catch (const std::runtime_error&) {
      // cancelled
    }
    co_return co_await r.read().with_timeout(bound);
  };
  EXPECT_EQ(run(sys(), body(reader)), "tail");
}

TEST_F(Task, TwoCancelledReadsAnsweredAlreadyGiveTheirBytesBackInStreamOrder) {
  auto reader = make_stream_reader(sys());
  // One actor sends two readlines, then the data that answers both; the
  // cancels come after the answers. "a\n" must come back before "b\n".
  auto feed_then_fail = [](stream_reader r) -> task<bytes> {
    r.feed_data("a\nb\nc\n");
    throw std::runtime_error("cancel the readers");
    co_return "";
  };
  auto body = [=](stream_reader r) -> task<std::vector<bytes>> {
    std::vector<task<bytes>> all;
    all.push_back(wait_for_line(r));
    all.push_back(wait_for_line(r));
    all.push_back(feed_then_fail(r));
    try {
      co_await gather(std::move(all));
    } catch (const std::runtime_error&) {
      // both readers are cancelled here
    }
    std::vector<bytes> lines;
    for (int i = 0; i < 3; ++i)
      lines.push_back(co_await r.readline().with_timeout(bound));
    co_return lines;
  };
  EXPECT_EQ(run(sys(), body(reader)),
            (std::vector<bytes>{"a\n", "b\n", "c\n"}));
}

TEST_F(Task, AGatherThatFailedCancelsItsSiblingsEvenWhileItIsStillHeld) {
  auto reader = make_stream_reader(sys());
  auto body = [](stream_reader r) -> task<bytes> {
    std::vector<task<bytes>> all;
    all.push_back(wait_for_line(r));
    all.push_back(fail_soon());
    auto g = gather(std::move(all));
    try {
      co_await g;
    } catch (const std::runtime_error&) {
      // `g` is still alive here; its waiting sibling must not be.
    }
    r.feed_data("for the next read\n");
    co_await sleep(20ms);
    co_return co_await r.readline().with_timeout(bound);
  };
  EXPECT_EQ(run(sys(), body(reader)), "for the next read\n");
}

TEST_F(Task, ALinkedActorsNormalExitDoesNotStopATask) {
  auto reader = make_stream_reader(sys());
  auto out = make_stream_reader(sys());
  auto actor = spawn_task(sys(), write_after_reading, reader, out);
  {
    // Linked to a scoped actor that goes out of scope normally.
    caf::scoped_actor self{sys(), true};
    self->link_to(actor);
  }
  std::this_thread::sleep_for(20ms);
  reader.feed_data("still running\n");
  EXPECT_EQ(value_of(out.readexactly(18).get(bound)), "got still running\n");
  EXPECT_EQ(wait_down(actor), caf::error{});
}

TEST_F(Task, KillingATaskActorDropsItsReadAndTheConnectionStaysUsable) {
  auto reader = make_stream_reader(sys());
  auto started = std::make_shared<std::atomic<bool>>(false);
  auto waiter = [](stream_reader r,
                   std::shared_ptr<std::atomic<bool>> flag) -> task<void> {
    flag->store(true);
    co_await r.readline();
    ADD_FAILURE() << "the killed task read a line";
  };
  auto actor = spawn_task(sys(), waiter, reader, started);
  for (int i = 0; i < 1000 && !started->load(); ++i)
    std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(started->load());
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  EXPECT_EQ(wait_down(actor), caf::exit_reason::user_shutdown);
  reader.feed_data("for the next reader\n");
  EXPECT_EQ(value_of(reader.readline().get(bound)), "for the next reader\n");
}

/// A task actor is stopped with `reason` just as its read is answered, many
/// times: every line ends up either with the task or back in the reader.
void expect_no_line_lost_when_stopped(Task& test, caf::actor_system& sys,
                                      caf::exit_reason reason) {
  constexpr int rounds = 200;
  for (int i = 0; i < rounds; ++i) {
    auto reader = make_stream_reader(sys);
    auto got = std::make_shared<std::atomic<int>>(0);
    auto waiting = std::make_shared<std::atomic<bool>>(false);
    auto waiter = [](stream_reader r, std::shared_ptr<std::atomic<int>> count,
                     std::shared_ptr<std::atomic<bool>> flag) -> task<void> {
      flag->store(true);
      if (co_await r.readline() == "x\n")
        ++*count;
    };
    auto actor = spawn_task(sys, waiter, reader, got, waiting);
    for (int j = 0; j < 1000 && !waiting->load(); ++j)
      std::this_thread::sleep_for(100us);
    // Alternate which goes first; either way they race at the actors.
    if (i % 2 == 0) {
      reader.feed_data("x\n");
      caf::anon_send_exit(actor, reason);
    } else {
      caf::anon_send_exit(actor, reason);
      reader.feed_data("x\n");
    }
    test.wait_down(actor);
    if (got->load() == 1)
      continue; // the task had it
    // Not taken: it is in the reader, or on its way back (after a kill,
    // an answer the dead actor gets later is given back then).
    ASSERT_EQ(value_of(reader.readline().get(bound)), "x\n") << "round " << i;
  }
}

TEST_F(Task, AStoppedTaskActorLosesNoLineAnsweredAsItStops) {
  expect_no_line_lost_when_stopped(*this, sys(),
                                   caf::exit_reason::user_shutdown);
}

TEST_F(Task, AKilledTaskActorLosesNoLineAnsweredAsItDies) {
  expect_no_line_lost_when_stopped(*this, sys(), caf::exit_reason::kill);
}

TEST_F(Task, KillingASleepingTaskActorIsClean) {
  auto sleeper = []() -> task<void> { co_await sleep(1h); };
  auto actor = spawn_task(sys(), sleeper);
  caf::anon_send_exit(actor, caf::exit_reason::kill);
  EXPECT_EQ(wait_down(actor), caf::exit_reason::kill);
}

// -- spawn_task ------------------------------------------------------------------

TEST_F(Task, SpawnTaskRunsTheTaskInItsOwnActorThatQuitsWhenItEnds) {
  auto in = make_stream_reader(sys());
  auto out = make_stream_reader(sys());
  auto actor = spawn_task(sys(), write_after_reading, in, out);
  in.feed_data("hello\n");
  EXPECT_EQ(value_of(out.readexactly(10).get(bound)), "got hello\n");
  EXPECT_EQ(wait_down(actor), caf::error{});
}

task<void> uses_the_system(caf::actor_system& sys, std::string text,
                           stream_reader out) {
  auto reader = make_stream_reader(sys);
  reader.feed_data(text);
  out.feed_data(co_await reader.readexactly(static_cast<int64_t>(text.size())));
}

TEST_F(Task, SpawnTaskKeepsTheActorSystemByReference) {
  auto out = make_stream_reader(sys());
  spawn_task(sys(), uses_the_system, sys(), std::string{"by reference"}, out);
  EXPECT_EQ(value_of(out.readexactly(12).get(bound)), "by reference");
}

TEST_F(Task, AnExceptionInASpawnedTaskIsReportedAndBecomesItsExitReason) {
  auto failing = []() -> task<void> {
    co_await sleep(1ms);
    throw stream_error(make_error(stream_errc::closed, "spawned boom"));
  };
  ::testing::internal::CaptureStderr();
  auto actor = spawn_task(sys(), failing);
  auto reason = wait_down(actor);
  auto log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code_of(reason), stream_errc::closed);
  EXPECT_NE(log.find("Unhandled exception in task (actor "), std::string::npos)
    << log;
  EXPECT_NE(log.find("): closed: spawned boom"), std::string::npos) << log;
}

TEST_F(Task, TenThousandConcurrentTasksEachWaitingForALine) {
  constexpr int n = 10'000;
  auto done = std::make_shared<std::atomic<int>>(0);
  auto waiter = [](stream_reader r,
                   std::shared_ptr<std::atomic<int>> count) -> task<void> {
    auto line = co_await r.readline();
    if (line == "go\n")
      ++*count;
  };
  std::vector<stream_reader> readers;
  readers.reserve(n);
  for (int i = 0; i < n; ++i) {
    readers.push_back(make_stream_reader(sys()));
    spawn_task(sys(), waiter, readers.back(), done);
  }
  // Every task is suspended now (none can finish before its line): no
  // thread is held by any of them.
  EXPECT_EQ(done->load(), 0);
  for (auto& r : readers)
    r.feed_data("go\n");
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (done->load() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(done->load(), n);
}

TEST_F(Task, RunFailsWithCancelledWhenTheRuntimeShutsDownFirst) {
  auto reader = make_stream_reader(sys());
  std::thread stopper{[this] {
    std::this_thread::sleep_for(50ms);
    rt.shutdown();
  }};
  try {
    run(sys(), wait_for_line(reader));
    ADD_FAILURE() << "run() returned";
  } catch (const stream_error& e) {
    // The connection's actor or the task's may go first.
    auto code = e.code();
    EXPECT_TRUE(code == stream_errc::cancelled || code == stream_errc::closed)
      << e.what();
  }
  stopper.join();
}

} // namespace
} // namespace actorstreams
