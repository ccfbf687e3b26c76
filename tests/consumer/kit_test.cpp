// A user's protocol test with the installed test kit: the README's snippet.
#include <streams/all.hpp>
#include <streams/testing.hpp>
#include <streams/testing_gtest.hpp>

#include <cctype>

namespace as = actorstreams;

as::task<void> upper_echo(as::stream_reader in, as::stream_writer out) {
  for (;;) {
    auto line = co_await in.readline();
    if (line.empty())
      break;
    for (auto& c : line)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.write(std::move(line));
    co_await out.drain();
  }
  out.close();
}

TEST(ConsumerKit, TheReadmeSnippetWorks) {
  as::testing::deterministic_runtime rt;
  auto [client, server] = as::make_memory_pair(rt.system(), {.chunk = 1});
  as::spawn_task(rt.system(), upper_echo, server.reader, server.writer);
  auto peer = as::testing::script{}.send("hi\n").expect("HI\n").eof().expect_eof();
  EXPECT_TRUE(rt.await(as::testing::run_script(rt.system(), client, peer)));
  EXPECT_THAT(rt.await(client.reader.readexactly(1)),
              as::testing::IsIncompleteRead("", 1));
}
