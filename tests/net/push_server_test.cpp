#include "streams/framing.hpp"

// Tier 4: push mode over loopback servers: a push echo handler (the
// connection sends each line to its handler actor under credit, the handler
// writes it back) with several clients at once, pinned next to its
// connection or on the scheduler, and a peer's reset ending a subscription.

#include <sys/socket.h>

#include <future>
#include <string>
#include <vector>

#include "net_support.hpp"
#include "push_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::error_of;
using testing::io_wait;
using testing::value_of;

/// The handler under test: subscribes itself to its connection's lines and
/// echoes each one, granting one frame per frame handled.
caf::behavior push_echo(caf::event_based_actor* self, stream_reader reader,
                        stream_writer writer) {
  reader.subscribe(caf::actor{self}, framing::lines(), 8);
  return {
    [reader, writer](frame_atom, const connection_actor&, bytes& line) {
      writer.write(std::move(line));
      reader.grant(1);
    },
    [reader](frame_atom, const connection_actor&, const caf::error&) {
      reader.grant(1); // an over-long line: skipped
    },
    [self, writer](stream_end_atom, const connection_actor&,
                   const caf::error&) {
      writer.close();
      self->quit();
    },
  };
}

class PushServer : public testing::runtime_test,
                   public ::testing::WithParamInterface<bool> {};

INSTANTIATE_TEST_SUITE_P(Handlers, PushServer, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Pinned" : "OnTheScheduler";
                         });

TEST_P(PushServer, SeveralClientsGetExactlyTheirOwnLinesInOrder) {
  server_options opts;
  opts.pin_handlers = GetParam();
  auto srv = value_of(
    start_server(sys(), push_echo, "127.0.0.1", 0, opts).get(io_wait));
  constexpr int clients = 8;
  constexpr int lines = 500;
  std::vector<std::future<std::vector<bytes>>> done;
  for (int c = 0; c < clients; ++c) {
    done.push_back(std::async(std::launch::async, [&, c] {
      auto conn = value_of(
        open_connection(sys(), "127.0.0.1", srv.port()).get(io_wait));
      std::vector<bytes> got;
      bytes all;
      for (int i = 0; i < lines; ++i)
        all += "client " + std::to_string(c) + " line " + std::to_string(i)
               + "\n";
      // Pipelined: everything at once, then read it all back.
      conn.writer.write(all);
      conn.writer.write_eof();
      for (;;) {
        auto line = value_of(conn.reader.readline().get(io_wait));
        if (line.empty())
          break;
        got.push_back(line);
      }
      return got;
    }));
  }
  for (int c = 0; c < clients; ++c) {
    auto got = done[static_cast<std::size_t>(c)].get();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(lines)) << "client " << c;
    for (int i = 0; i < lines; ++i)
      ASSERT_EQ(got[static_cast<std::size_t>(i)],
                "client " + std::to_string(c) + " line " + std::to_string(i)
                  + "\n");
  }
}

TEST_F(PushServer, APeerResetEndsTheSubscriptionWithConnectionResetAfterItsFrames) {
  auto lst = testing::raw_tcp_socket(0, true);
  ASSERT_TRUE(lst);
  auto client = value_of(
    open_connection(sys(), "127.0.0.1", testing::local_port(lst.get()))
      .get(io_wait));
  auto peer = testing::raw_accept(lst.get());
  ASSERT_TRUE(peer);
  testing::test_subscriber sub{sys()};
  client.reader.subscribe(sub.handle(), framing::lines(), 16);
  ASSERT_EQ(::send(peer.get(), "a\nb\npart", 8, MSG_NOSIGNAL), 8);
  EXPECT_EQ(sub.next_frame(), "a\n");
  EXPECT_EQ(sub.next_frame(), "b\n");
  linger abort_on_close{1, 0};
  ASSERT_EQ(::setsockopt(peer.get(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                         sizeof(abort_on_close)),
            0);
  peer.reset(); // sends RST
  auto end = sub.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->what, testing::push_event::kind::end);
  EXPECT_EQ(testing::code_of(end->err), stream_errc::connection_reset)
    << describe(end->err);
  // What arrived of the partial line is still there.
  EXPECT_EQ(value_of(client.reader.read(100).get(io_wait)), "part");
}

} // namespace
} // namespace actorstreams
