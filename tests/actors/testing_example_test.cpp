// The worked example of docs/testing.md, compiled and run so that it cannot
// rot: one handler tested three ways with the test kit.
#include <streams/all.hpp>
#include <streams/testing.hpp>
#include <streams/testing_gtest.hpp>

#include <cctype>

#include <gtest/gtest.h>

namespace {

namespace as = actorstreams;
namespace ast = actorstreams::testing;
using namespace std::chrono_literals;

// -- the handler under test ------------------------------------------------

/// Answers each line in upper case until the client sends "bye\n" or
/// leaves, then closes. (start_server(sys, upper_echo, host, port) serves
/// real clients with it.)
as::task<void> upper_echo(as::stream_reader in, as::stream_writer out) {
  for (;;) {
    auto line = co_await in.readline();
    if (line.empty() || line == "bye\n")
      break;
    for (auto& c : line)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.write(std::move(line));
    co_await out.drain();
  }
  out.close();
}

/// The client's side of a good conversation.
ast::script polite_client() {
  return ast::script{}
    .send("hello\nworld\n")
    .expect("HELLO\nWORLD\n")
    .send("bye\n")
    .expect_eof();
}

// -- 1. deterministic: one message at a time, virtual time ------------------

TEST(UpperEcho, AnswersEachLineThenClosesOnBye) {
  ast::deterministic_runtime rt;
  auto [client, server] = as::make_memory_pair(rt.system());
  as::spawn_task(rt.system(), upper_echo, server.reader, server.writer);
  auto done = rt.await(ast::run_script(rt.system(), client, polite_client()));
  EXPECT_TRUE(done) << as::describe(done.error());
}

TEST(UpperEcho, AnIdleClientIsNotAnswered) {
  ast::deterministic_runtime rt;
  auto [client, server] = as::make_memory_pair(rt.system());
  as::spawn_task(rt.system(), upper_echo, server.reader, server.writer);
  client.writer.write("no newline yet");
  // Ten minutes of virtual time pass in microseconds; nothing comes back,
  // and the timed-out read consumed nothing.
  EXPECT_THAT(rt.await(client.reader.read(100), 10min),
              ast::HasStreamErrc(as::stream_errc::timeout));
  client.writer.write("\n");
  EXPECT_EQ(*rt.await(client.reader.readline()), "NO NEWLINE YET\n");
}

// -- 2. every chunking: the network may split bytes anywhere ------------------

TEST(UpperEcho, AnswersTheSameAtEveryChunking) {
  for (std::size_t chunk = 1; chunk <= 13; ++chunk) {
    ast::deterministic_runtime rt;
    as::memory_pair_options opts;
    opts.chunk = chunk; // deliver at most `chunk` bytes at a time
    auto [client, server] = as::make_memory_pair(rt.system(), opts);
    as::spawn_task(rt.system(), upper_echo, server.reader, server.writer);
    auto done = rt.await(ast::run_script(rt.system(), client, polite_client()));
    EXPECT_TRUE(done) << "chunk " << chunk << ": " << as::describe(done.error());
  }
}

// -- 3. every fault point: the Nth read, write or close fails ------------------

TEST(UpperEcho, EveryFaultOfItsConnectionEndsWithoutAHangOrAWrongAnswer) {
  for (int kind = 0; kind < 3; ++kind) {
    for (std::size_t n = 1;; ++n) {
      ASSERT_LT(n, 50u) << "no run without a fault";
      ast::deterministic_runtime rt;
      as::memory_pair_options opts;
      opts.chunk = 4;
      auto& at = kind == 0 ? opts.faults.read
                 : kind == 1 ? opts.faults.write
                             : opts.faults.close;
      at = n; // the handler's connection is the pair's first
      auto [server, client] = as::make_memory_pair(rt.system(), opts);
      as::spawn_task(rt.system(), [](as::stream_reader in, as::stream_writer out)
                                    -> as::task<void> {
        try {
          co_await upper_echo(in, out);
        } catch (const as::stream_error&) {
          out.close(); // a handler gives up on a broken connection
        }
      }, server.reader, server.writer);
      client.writer.write("hello\nworld\nbye\n");
      auto answer = rt.await(client.reader.read(), 1min); // up to EOF
      ASSERT_TRUE(answer) << as::describe(answer.error());
      // Whatever the fault, the client gets a prefix of the right answer.
      EXPECT_EQ(std::string{"HELLO\nWORLD\n"}.substr(0, answer->size()),
                *answer)
        << "fault kind " << kind << " at " << n;
      auto closed = rt.await(server.writer.wait_closed(), 1min);
      if (*answer == "HELLO\nWORLD\n" && closed)
        break; // n is past the scenario's last operation of this kind
    }
  }
}

} // namespace
