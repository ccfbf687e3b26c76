// The example of docs/testing.md, compiled and run so that it cannot rot.
#include "streams/memory_pair.hpp"

#include <cctype>

#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;

// The protocol handler under test: answers each line in upper case until
// the client sends "bye\n". One round per readline; the next round starts
// when the drain replied.
void upper_echo_round(caf::event_based_actor* self, stream_reader in,
                      stream_writer out) {
  in.readline().then(
    self,
    [self, in, out](bytes line) {
      if (line.empty() || line == "bye\n") {
        out.close();
        return; // no request pending and no behavior: the actor ends
      }
      for (auto& c : line)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.write(std::move(line));
      out.drain().then(
        self, [self, in, out] { upper_echo_round(self, in, out); },
        [out](caf::error) { out.close(); });
    },
    [out](caf::error) { out.close(); });
}

caf::behavior upper_echo(caf::event_based_actor* self, stream_reader in,
                         stream_writer out) {
  upper_echo_round(self, in, out);
  return {};
}

TEST(TestingExample, UpperEchoAnswersEachLineEvenByteByByte) {
  runtime rt;
  memory_pair_options opts;
  opts.chunk = 1; // the handler must cope with any segmentation
  auto [client, server] = make_memory_pair(rt.system(), opts);
  rt.system().spawn(upper_echo, server.reader, server.writer);

  client.writer.write("hello\nworld\n");
  EXPECT_EQ(testing::value_of(client.reader.readline().get(2s)), "HELLO\n");
  EXPECT_EQ(testing::value_of(client.reader.readline().get(2s)), "WORLD\n");
  client.writer.write("bye\n");
  EXPECT_EQ(testing::value_of(client.reader.read().get(2s)), ""); // EOF
}

// The same handler as a coroutine task: one readline per line, as asyncio
// would write it.
task<void> upper_echo_task(stream_reader in, stream_writer out) {
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

TEST(TestingExample, UpperEchoAsATaskAnswersEachLineEvenByteByByte) {
  runtime rt;
  memory_pair_options opts;
  opts.chunk = 1;
  auto [client, server] = make_memory_pair(rt.system(), opts);
  spawn_task(rt.system(), upper_echo_task, server.reader, server.writer);

  client.writer.write("hello\nworld\n");
  EXPECT_EQ(testing::value_of(client.reader.readline().get(2s)), "HELLO\n");
  EXPECT_EQ(testing::value_of(client.reader.readline().get(2s)), "WORLD\n");
  client.writer.write("bye\n");
  EXPECT_EQ(testing::value_of(client.reader.read().get(2s)), ""); // EOF
}

} // namespace
} // namespace actorstreams
