// The test kit tests itself (streams/testing.hpp): a deterministic runtime
// on CAF's test coordinator, virtual time, fault plans on memory pairs and
// the scripted peer.
#include "streams/testing.hpp"

#include <cctype>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/send.hpp>

#include "test_support.hpp"

namespace actorstreams::testing {
namespace {

using namespace std::chrono_literals;

using steady = std::chrono::steady_clock;

// -- a handler under test ---------------------------------------------------

bytes upper(bytes line) {
  for (auto& c : line)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return line;
}

/// Answers each line in upper case until "bye\n" or EOF, then closes.
task<void> upper_echo(stream_reader in, stream_writer out,
                      std::vector<bytes>* seen = nullptr) {
  for (;;) {
    auto line = co_await in.readline();
    if (seen)
      seen->push_back(line);
    if (line.empty() || line == "bye\n")
      break;
    out.write(upper(std::move(line)));
    co_await out.drain();
  }
  out.close();
}

task<void> logged_upper_echo(stream_reader in, stream_writer out,
                             std::vector<bytes>* seen) {
  co_await upper_echo(std::move(in), std::move(out), seen);
}

// -- deterministic_runtime --------------------------------------------------

TEST(DeterministicRuntime, ReadsAndWritesOnAMemoryPair) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  a.writer.write("x\nrest");
  EXPECT_EQ(value_of(rt.await(b.reader.readline())), "x\n");
  EXPECT_TRUE(succeeded(rt.await(a.writer.drain())));
  a.writer.write_eof();
  EXPECT_EQ(value_of(rt.await(b.reader.read())), "rest");
}

TEST(DeterministicRuntime, StepDeliversOneMessageAtATime) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  EXPECT_GT(rt.run(), 0u) << "the connection actors start";
  EXPECT_FALSE(rt.step()) << "nothing was sent yet";
  a.writer.write("x");
  std::size_t steps = 0;
  while (rt.step())
    ++steps;
  EXPECT_GE(steps, 2u) << "the write, then the bytes' arrival";
  EXPECT_EQ(rt.run(), 0u);
  EXPECT_FALSE(rt.step());
}

/// The handler scenario of the reproducibility test: how many messages it
/// took, and what the handler saw, in order.
struct outcome {
  std::size_t messages = 0;
  std::vector<bytes> seen;
  bytes answer;
};

outcome run_upper_echo_scenario() {
  outcome result;
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.chunk = 3;
  auto [client, server] = make_memory_pair(rt.system(), opts);
  spawn_task(rt.system(), logged_upper_echo, server.reader, server.writer,
             &result.seen);
  client.writer.write("alpha\nbeta\ngamma\nbye\n");
  result.messages = rt.run();
  auto answer = rt.await(client.reader.read());
  result.answer = answer ? *answer : describe(answer.error());
  result.messages += rt.run();
  return result;
}

TEST(DeterministicRuntime, TheSameScenarioDeliversTheSameMessagesEveryRun) {
  auto first = run_upper_echo_scenario();
  EXPECT_EQ(first.answer, "ALPHA\nBETA\nGAMMA\n");
  EXPECT_EQ(first.seen,
            (std::vector<bytes>{"alpha\n", "beta\n", "gamma\n", "bye\n"}));
  EXPECT_GT(first.messages, 10u);
  for (int run = 0; run < 5; ++run) {
    auto again = run_upper_echo_scenario();
    EXPECT_EQ(again.messages, first.messages) << "run " << run;
    EXPECT_EQ(again.seen, first.seen) << "run " << run;
    EXPECT_EQ(again.answer, first.answer) << "run " << run;
  }
}

TEST(DeterministicRuntime, AThirtySecondDeadlineTakesNoRealTimeAndConsumesNothing) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  a.writer.write("abcd"); // 4 of the 10 bytes asked for
  auto virtual_start = rt.now();
  auto real_start = steady::now();
  auto timed_out = rt.await(b.reader.readexactly(10), 30s);
  EXPECT_LT(steady::now() - real_start, 2s);
  EXPECT_EQ(code_of(error_of(std::move(timed_out))), stream_errc::timeout);
  EXPECT_EQ(rt.now() - virtual_start, caf::timespan{30s})
    << "the clock jumped to the read's deadline, no further";
  // Nothing was consumed: the 4 bytes are still there, in order.
  a.writer.write("efghij");
  EXPECT_EQ(value_of(rt.await(b.reader.readexactly(10))), "abcdefghij");
}

TEST(DeterministicRuntime, AwaitWithoutTimeoutFailsWhenIdleAndLeavesTheClock) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  auto before = rt.now();
  auto err = error_of(rt.await(b.reader.read(10)));
  EXPECT_EQ(code_of(err), stream_errc::timeout);
  EXPECT_NE(message_of(err).find("went idle"), std::string::npos)
    << message_of(err);
  EXPECT_EQ(rt.now(), before);
}

TEST(DeterministicRuntime, AdvanceTimeFiresWhatFallsDue) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  auto late_writer = [](stream_writer out) -> task<void> {
    co_await sleep(5s);
    out.write("late");
    co_await out.drain();
  };
  spawn_task(rt.system(), late_writer, a.writer);
  rt.run();
  EXPECT_EQ(rt.advance_time(4s), 0u);
  EXPECT_EQ(rt.run(), 0u);
  EXPECT_EQ(rt.advance_time(1s), 1u);
  EXPECT_EQ(value_of(rt.await(b.reader.read(10))), "late");
}

TEST(DeterministicRuntime, AwaitWithATimeoutWaitsThroughTimers) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  auto slow_writer = [](stream_writer out) -> task<void> {
    for (int i = 0; i < 3; ++i) {
      co_await sleep(1s);
      out.write(std::to_string(i));
    }
  };
  spawn_task(rt.system(), slow_writer, a.writer);
  auto start = rt.now();
  EXPECT_EQ(value_of(rt.await(b.reader.readexactly(3), 1min)), "012");
  EXPECT_EQ(rt.now() - start, caf::timespan{3s});
}

TEST(DeterministicRuntime, GetFailsAtOnceInsteadOfBlockingForever) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  for (auto result : {b.reader.read(1).get(), b.reader.read(1).get(5s)}) {
    auto err = error_of(std::move(result));
    EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
    EXPECT_NE(message_of(err).find("deterministic_runtime::await"),
              std::string::npos)
      << message_of(err);
  }
  // Nothing was sent: the bytes are there for the next read.
  a.writer.write("z");
  EXPECT_EQ(value_of(rt.await(b.reader.read(1))), "z");
}

TEST(DeterministicRuntime, RunOfATaskThrowsInsteadOfBlockingForever) {
  deterministic_runtime rt;
  auto answer = []() -> task<int> { co_return 42; };
  try {
    run(rt.system(), answer());
    ADD_FAILURE() << "run() returned";
  } catch (const stream_error& e) {
    EXPECT_EQ(code_of(e.error()), stream_errc::invalid_argument);
  }
}

TEST(DeterministicRuntime, SocketsAndServersFailWithAClearError) {
  deterministic_runtime rt;
  for (auto err : {error_of(rt.await(open_connection(rt.system(), "127.0.0.1",
                                                    9))),
                   error_of(rt.await(open_unix_connection(rt.system(),
                                                          "/nonexistent")))}) {
    EXPECT_EQ(code_of(err), stream_errc::not_supported);
    EXPECT_NE(message_of(err).find("make_memory_pair"), std::string::npos)
      << message_of(err);
  }
  auto handler = [](stream_reader, stream_writer) {};
  auto err = error_of(rt.await(start_server(rt.system(), handler, "127.0.0.1",
                                            0)));
  EXPECT_EQ(code_of(err), stream_errc::not_supported);
}

TEST(DeterministicRuntime, AwaitsATaskForItsValueOrItsError) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  auto first_line = [](stream_reader in) -> task<bytes> {
    co_return co_await in.readline();
  };
  a.writer.write("one\n");
  EXPECT_EQ(value_of(rt.await(first_line(b.reader))), "one\n");
  a.writer.write("two");
  a.writer.write_eof();
  auto exact = [](stream_reader in) -> task<bytes> {
    co_return co_await in.readexactly(5);
  };
  auto err = error_of(rt.await(exact(b.reader)));
  auto payload = as_incomplete_read(err);
  ASSERT_TRUE(payload) << describe(err);
  EXPECT_EQ(payload->partial, "two");
  EXPECT_EQ(payload->expected, std::optional<std::size_t>{5});
  auto thrower = []() -> task<void> {
    throw std::logic_error("broken");
    co_return;
  };
  auto text = describe(error_of(rt.await(thrower())));
  EXPECT_NE(text.find("broken"), std::string::npos) << text;
}

TEST(DeterministicRuntime, ATaskThatOutsleepsItsTimeoutIsCancelledConsumingNothing) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system());
  auto sleepy_reader = [](stream_reader in) -> task<bytes> {
    co_await sleep(10s);
    co_return co_await in.read(100);
  };
  a.writer.write("kept");
  auto start = rt.now();
  EXPECT_EQ(code_of(error_of(rt.await(sleepy_reader(b.reader), 5s))),
            stream_errc::timeout);
  EXPECT_LE(rt.now() - start, caf::timespan{5s});
  EXPECT_EQ(code_of(error_of(rt.await(sleepy_reader(b.reader)))),
            stream_errc::timeout)
    << "idle: the clock does not move without a timeout";
  EXPECT_EQ(value_of(rt.await(b.reader.read(100))), "kept");
}

TEST(DeterministicRuntime, ShutsDownWithUserActorsStillAlive) {
  auto real_start = steady::now();
  {
    deterministic_runtime rt;
    auto [a, b] = make_memory_pair(rt.system());
    // An actor of the user's that never ends and holds a connection.
    rt.system().spawn(
      [](caf::event_based_actor* self, stream_reader in) -> caf::behavior {
        in.read(10).then(self, [](bytes) {}, [](caf::error) {});
        return {[in](int) {}};
      },
      b.reader);
    a.writer.write("x");
    rt.run();
  }
  EXPECT_LT(steady::now() - real_start, 3s);
}

/// A config of the user's, with an option of its own.
struct my_config : config {
  my_config() {
    opt_group{custom_options_, "my-app"}.add<int>("answer", "an option");
  }
};

TEST(DeterministicRuntime, TakesTheUsersConfig) {
  my_config cfg;
  cfg.set("my-app.answer", 42);
  deterministic_runtime rt{std::move(cfg)};
  EXPECT_EQ(caf::get_or(rt.system().config(), "my-app.answer", 0), 42);
  auto [a, b] = make_memory_pair(rt.system());
  a.writer.write("ok");
  EXPECT_EQ(value_of(rt.await(b.reader.read(2))), "ok");
}

// -- fault plans ------------------------------------------------------------

TEST(FaultPlan, AReadFaultKeepsWhatWasDeliveredThenFails) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.chunk = 1;
  opts.faults.read = 3; // the third delivery to the first connection fails
  auto [a, b] = make_memory_pair(rt.system(), opts);
  b.writer.write("abcdef");
  rt.run();
  EXPECT_EQ(value_of(rt.await(a.reader.readexactly(2))), "ab");
  auto err = error_of(rt.await(a.reader.read(1)));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset);
  EXPECT_NE(message_of(err).find("injected fault: operation 3 (read)"),
            std::string::npos)
    << message_of(err);
  // The other side sees EOF.
  EXPECT_EQ(value_of(rt.await(b.reader.read())), "");
}

TEST(FaultPlan, BufferedBytesStayReadableBeforeTheFault) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.chunk = 2;
  opts.faults.read = 2;
  opts.faults.error = stream_errc::timeout;
  auto [a, b] = make_memory_pair(rt.system(), opts);
  b.writer.write("xyzw");
  rt.run(); // "xy" delivered, "zw" failed
  EXPECT_EQ(value_of(rt.await(a.reader.read(1))), "x");
  EXPECT_EQ(value_of(rt.await(a.reader.read(5))), "y");
  EXPECT_EQ(code_of(error_of(rt.await(a.reader.read(1)))),
            stream_errc::timeout)
    << "the planned error, not a generic one";
}

TEST(FaultPlan, EveryReadOperationFailsWithThePlannedErrorAndLosesNothing) {
  using op = std::function<pending<bytes>(const stream_reader&)>;
  std::vector<std::pair<const char*, op>> ops{
    {"readline", [](const stream_reader& r) { return r.readline(); }},
    {"readexactly", [](const stream_reader& r) { return r.readexactly(5); }},
    {"readuntil", [](const stream_reader& r) { return r.readuntil(";"); }},
    {"readframe", [](const stream_reader& r) { return r.readframe(4); }},
    {"read(-1)", [](const stream_reader& r) { return r.read(-1); }},
  };
  for (auto& [name, read] : ops) {
    deterministic_runtime rt;
    memory_pair_options opts;
    opts.faults.read = 2;
    opts.faults.error = stream_errc::cancelled;
    auto [a, b] = make_memory_pair(rt.system(), opts);
    b.writer.write("ab");
    rt.run(); // delivered: the first delivery
    b.writer.write("cd");
    rt.run(); // the second fails
    auto err = error_of(rt.await(read(a.reader)));
    EXPECT_EQ(code_of(err), stream_errc::cancelled) << name;
    // What had arrived is still there, in order.
    EXPECT_EQ(value_of(rt.await(a.reader.read(10))), "ab") << name;
    EXPECT_EQ(code_of(error_of(rt.await(a.reader.read(10)))),
              stream_errc::cancelled)
      << name;
  }
}

TEST(FaultPlan, AfterAWriteFaultEveryWriteOperationFails) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.faults.write = 1;
  auto [a, b] = make_memory_pair(rt.system(), opts);
  a.writer.write("lost");
  EXPECT_EQ(code_of(error_of(rt.await(a.writer.drain()))),
            stream_errc::connection_reset);
  a.writer.write("after");
  EXPECT_EQ(code_of(error_of(rt.await(a.writer.drain()))),
            stream_errc::connection_reset);
  EXPECT_TRUE(value_of(rt.await(a.writer.is_closing())));
  EXPECT_EQ(code_of(error_of(rt.await(a.writer.wait_closed()))),
            stream_errc::connection_reset);
  EXPECT_EQ(value_of(rt.await(b.reader.read())), "");
}

TEST(FaultPlan, AWriteFaultSendsNothingAndFailsTheDrain) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.faults.write = 2;
  opts.faults.error = stream_errc::closed;
  auto [a, b] = make_memory_pair(rt.system(), opts);
  a.writer.write("one");
  EXPECT_TRUE(succeeded(rt.await(a.writer.drain())));
  a.writer.write("two");
  auto err = error_of(rt.await(a.writer.drain()));
  EXPECT_EQ(code_of(err), stream_errc::closed);
  EXPECT_NE(message_of(err).find("(write)"), std::string::npos)
    << message_of(err);
  EXPECT_EQ(value_of(rt.await(b.reader.read())), "one");
}

TEST(FaultPlan, ACloseFaultFailsWaitClosed) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.faults.close = 1;
  auto [a, b] = make_memory_pair(rt.system(), opts);
  a.writer.write("sent");
  rt.run();
  a.writer.close();
  EXPECT_EQ(code_of(error_of(rt.await(a.writer.wait_closed()))),
            stream_errc::connection_reset);
  EXPECT_EQ(value_of(rt.await(b.reader.read())), "sent");
}

TEST(FaultPlan, OnlyTheFirstConnectionFails) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.faults.write = 1;
  opts.faults.read = 1;
  auto [a, b] = make_memory_pair(rt.system(), opts);
  b.writer.write("to a");
  // b's write went through (its counterpart's read fails, not the write).
  EXPECT_TRUE(succeeded(rt.await(b.writer.drain())));
  EXPECT_EQ(code_of(error_of(rt.await(a.reader.read(4)))),
            stream_errc::connection_reset);
}

TEST(FaultPlan, ZeroMeansNeverAndEveryCountBeyondTheOperationsToo) {
  for (std::size_t n : {0, 100}) {
    deterministic_runtime rt;
    memory_pair_options opts;
    opts.chunk = 1;
    opts.faults.read = n;
    opts.faults.write = n;
    opts.faults.close = n;
    auto [a, b] = make_memory_pair(rt.system(), opts);
    a.writer.write("ping");
    b.writer.write("pong");
    EXPECT_EQ(value_of(rt.await(b.reader.readexactly(4))), "ping") << n;
    EXPECT_EQ(value_of(rt.await(a.reader.readexactly(4))), "pong") << n;
    a.writer.close();
    EXPECT_TRUE(succeeded(rt.await(a.writer.wait_closed()))) << n;
  }
}

/// The echo handler, closing its end when its connection fails.
task<void> careful_upper_echo(stream_reader in, stream_writer out) {
  try {
    co_await upper_echo(in, out);
  } catch (const stream_error&) {
    out.close();
  }
}

/// The handler under test on the first connection, a client on the other:
/// at every fault point of every kind the scenario ends, the client gets a
/// prefix of the answer (nothing reordered), and the fault shows somewhere.
/// Past the scenario's last operation of a kind, it runs clean.
TEST(FaultPlan, EveryFailurePointOfAnEchoEndsCleanly) {
  const bytes full = "ONE\nTWO\n";
  for (auto kind : {0, 1, 2}) {
    std::size_t failures = 0;
    for (std::size_t n = 1;; ++n) {
      ASSERT_LT(n, 100u) << "no run without a fault";
      deterministic_runtime rt;
      memory_pair_options opts;
      opts.chunk = 2;
      (kind == 0 ? opts.faults.read
                 : kind == 1 ? opts.faults.write : opts.faults.close)
        = n;
      auto [server, client] = make_memory_pair(rt.system(), opts);
      spawn_task(rt.system(), careful_upper_echo, server.reader,
                 server.writer);
      client.writer.write("one\ntwo\nbye\n");
      auto answer = rt.await(client.reader.read(), 1min);
      ASSERT_TRUE(answer) << "kind " << kind << " n " << n << ": "
                          << describe(answer.error());
      auto closed = rt.await(server.writer.wait_closed(), 1min);
      if (*answer == full && closed)
        break;
      ++failures;
      EXPECT_EQ(full.substr(0, answer->size()), *answer)
        << "kind " << kind << " n " << n;
      if (!closed) {
        EXPECT_NE(message_of(closed.error()).find("injected fault"),
                  std::string::npos)
          << describe(closed.error());
      }
    }
    EXPECT_GT(failures, 0u) << "kind " << kind << " never failed";
  }
}

// -- the scripted peer ------------------------------------------------------

TEST(Script, DrivesAHandlerThroughAConversation) {
  deterministic_runtime rt;
  memory_pair_options opts;
  opts.chunk = 1;
  auto [client, server] = make_memory_pair(rt.system(), opts);
  spawn_task(rt.system(), logged_upper_echo, server.reader, server.writer,
             nullptr);
  auto s = script{}
             .send("hello\n")
             .expect("HELLO\n")
             .send("bye\n")
             .expect_eof();
  EXPECT_TRUE(succeeded(rt.await(run_script(rt.system(), client, s))));
}

/// A handler that gets the protocol wrong: "HELP" for "HELO".
task<void> sloppy_greeter(stream_reader in, stream_writer out) {
  co_await in.readline();
  out.write("HELP\n");
  co_await out.drain();
  co_await in.read(); // until the peer is done
}

TEST(Script, AMismatchFailsWithAReadableDiff) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  spawn_task(rt.system(), sloppy_greeter, server.reader, server.writer);
  auto err = error_of(rt.await(run_script(
    rt.system(), client, script{}.send("hi\n").expect("HELO\n"))));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err),
            "scripted peer, step 2 of 2 (expect): expected 'HELO\\n' "
            "(5 bytes), received 'HELP\\n' (5 bytes); first difference at "
            "byte 3");
}

TEST(Script, AWrongByteFailsAtOnceWithoutWaitingForTheRest) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  server.writer.write("X"); // and then nothing: the script must not wait
  auto err = error_of(rt.await(
    run_script(rt.system(), client, script{}.expect("HELLO"))));
  EXPECT_EQ(message_of(err),
            "scripted peer, step 1 of 1 (expect): expected 'HELLO' "
            "(5 bytes), received 'X' (1 byte); first difference at byte 0");
}

TEST(Script, EarlyEofIsReportedWithWhatCame) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  server.writer.write("HE");
  server.writer.write_eof();
  auto err = error_of(rt.await(
    run_script(rt.system(), client, script{}.expect("HELLO"))));
  EXPECT_EQ(message_of(err),
            "scripted peer, step 1 of 1 (expect): expected 'HELLO' "
            "(5 bytes), received 'HE' (2 bytes); received ends at byte 2, "
            "3 bytes short, then EOF");
}

TEST(Script, UnexpectedBytesInsteadOfEof) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  server.writer.write("more\r\n");
  server.writer.write_eof();
  auto err = error_of(
    rt.await(run_script(rt.system(), client, script{}.expect_eof())));
  EXPECT_EQ(message_of(err),
            "scripted peer, step 1 of 1 (expect_eof): expected EOF, "
            "received 'more\\r\\n' (6 bytes)");
}

TEST(Script, ATimeoutSaysWhatTheStepHadReceived) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  server.writer.write("HEL");
  auto real_start = steady::now();
  auto err = error_of(rt.await(
    run_script(rt.system(), client, script{}.send("x").expect("HELLO")), 30s));
  EXPECT_LT(steady::now() - real_start, 2s);
  EXPECT_EQ(code_of(err), stream_errc::timeout);
  EXPECT_EQ(message_of(err),
            "scripted peer, step 2 of 2 (expect): timed out; received 'HEL' "
            "(3 of 5 bytes) so far");
}

TEST(Script, PausesInVirtualTime) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  auto start = rt.now();
  auto done = rt.await(
    run_script(rt.system(), client,
               script{}.send("a").pause(10s).send("b").pause(1h).eof()),
    2h);
  EXPECT_TRUE(succeeded(std::move(done)));
  EXPECT_EQ(rt.now() - start, caf::timespan{10s + 1h});
  EXPECT_EQ(value_of(rt.await(server.reader.read())), "ab");
}

TEST(Script, ResetLosesWhatThePeerHadNotReceived) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  EXPECT_TRUE(succeeded(rt.await(
    run_script(rt.system(), client, script{}.send("taken").reset()))));
  EXPECT_EQ(value_of(rt.await(server.reader.read())), "taken");
}

TEST(Script, AFailedScriptAbortsItsEndSoTheHandlerDoesNotHang) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  server.writer.write("wrong");
  EXPECT_FALSE(
    rt.await(run_script(rt.system(), client, script{}.expect("right"))));
  // The handler side's read ends instead of waiting forever.
  EXPECT_EQ(value_of(rt.await(server.reader.read())), "");
  EXPECT_TRUE(value_of(rt.await(client.writer.is_closing())));
}

TEST(Script, RunsOnAThreadedRuntimeToo) {
  runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  spawn_task(rt.system(), logged_upper_echo, server.reader, server.writer,
             nullptr);
  auto s = script{}.send("abc\n").expect("ABC\n").eof().expect_eof();
  EXPECT_TRUE(succeeded(run_script(rt.system(), client, s).get(bound)));
}

TEST(DescribeMismatch, EqualBytesHaveNoReport) {
  EXPECT_EQ(describe_mismatch("same", "same"), "");
  EXPECT_EQ(describe_mismatch("", ""), "");
}

TEST(DescribeMismatch, EscapesWhatIsNotPrintable) {
  EXPECT_EQ(describe_mismatch(bytes("a\0\xff\t'\\", 6), "b"),
            "expected 'a\\x00\\xff\\t\\'\\\\' (6 bytes), received 'b' "
            "(1 byte); first difference at byte 0");
}

TEST(DescribeMismatch, SaysWhenTheReceivedBytesRunOn) {
  EXPECT_EQ(describe_mismatch("ab", "abcd"),
            "expected 'ab' (2 bytes), received 'abcd' (4 bytes); 2 bytes "
            "more than expected from byte 2");
}

TEST(DescribeMismatch, ShowsLongBytesAroundTheFirstDifference) {
  bytes expected(1000, 'a');
  bytes received = expected;
  received[500] = 'b';
  auto report = describe_mismatch(expected, received);
  EXPECT_EQ(report, "expected ...'" + bytes(64, 'a') + "'... (1000 bytes), "
                    "received ...'" + bytes(16, 'a') + "b" + bytes(47, 'a')
                    + "'... (1000 bytes); first difference at byte 500");
}

} // namespace
} // namespace actorstreams::testing
