// The example of docs/testing.md, compiled and run so that it cannot rot.
#include "streams/memory_pair.hpp"

#include <cctype>

#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;

// The protocol handler under test: answers each line in upper case until
// the client sends "bye\n".
caf::behavior upper_echo(caf::event_based_actor* self, stream_reader in,
                         stream_writer out) {
  auto next = std::make_shared<std::function<void()>>();
  *next = [self, in, out, next] {
    in.readline().then(
      self,
      [self, out, next](bytes line) {
        if (line.empty() || line == "bye\n") {
          out.close();
          self->quit();
          return;
        }
        for (auto& c : line)
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.write(std::move(line));
        out.drain().then(
          self, [next] { (*next)(); },
          [self](caf::error) { self->quit(); });
      },
      [self, out](caf::error) {
        out.close();
        self->quit();
      });
  };
  (*next)();
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

} // namespace
} // namespace actorstreams
