// Connections driven from another node through CAF's middleman
// (docs/distributed.md): a second process (node.cpp), started and stopped by
// PID, publishes connections or a handler on loopback; this process drives
// them with every API style, and kills the other node to check that nothing
// hangs and no socket outlives its owner.
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <caf/io/middleman.hpp>

#include "net_support.hpp"
#include "streams/testing_gtest.hpp"

namespace actorstreams::testing {
namespace {

using namespace std::chrono_literals;
using get_atom = caf::atom_constant<caf::atom("get")>;

/// The other node: `distributed_node <mode>`, and the actor it published.
class remote_node {
public:
  remote_node(caf::actor_system& sys, const std::string& mode)
    : proc_({DISTRIBUTED_NODE, mode}) {
    auto line = proc_.wait_for_line("port ", 20s);
    if (!line) {
      ADD_FAILURE() << "the node did not start";
      return;
    }
    auto port = static_cast<uint16_t>(std::stoi(line->substr(5)));
    auto hdl = sys.middleman().remote_actor("127.0.0.1", port);
    if (!hdl) {
      ADD_FAILURE() << "remote_actor: " << sys.render(hdl.error());
      return;
    }
    actor_ = *hdl;
  }

  const caf::actor& actor() const { return actor_; }

  child_process& process() { return proc_; }

private:
  child_process proc_;
  caf::actor actor_;
};

class Distributed : public runtime_test {
protected:
  /// The connection named `name` on the directory node.
  connection get(remote_node& node, const std::string& name) {
    auto conn = request<connection>(node.actor(), get_atom::value, name)
                  .get(bound);
    if (!conn) {
      ADD_FAILURE() << describe(conn.error());
      return {};
    }
    EXPECT_NE(conn->reader.handle().node(), sys().node())
      << "a local handle: nothing crossed the wire";
    return *conn;
  }
};

TEST_F(Distributed, ARemoteReaderGetsIncompleteReadWithItsPartialBytes) {
  remote_node node{sys(), "directory"};
  auto conn = get(node, "eof");
  EXPECT_THAT(conn.reader.readexactly(5).get(bound),
              IsIncompleteRead("abc", 5));
  // As asyncio: the partial bytes went with the error; EOF remains.
  EXPECT_EQ(value_of(conn.reader.read().get(bound)), "");
  EXPECT_TRUE(value_of(conn.reader.at_eof().get(bound)));
}

TEST_F(Distributed, ARemoteLimitOverrunKeepsItsPayload) {
  remote_node node{sys(), "directory"};
  auto conn = get(node, "long");
  auto err = error_of(conn.reader.readline().get(bound));
  EXPECT_THAT(err, IsLimitOverrun(7u));
  EXPECT_EQ(as_limit_overrun(err)->message,
            "Separator is found, but chunk is longer than limit");
}

TEST_F(Distributed, EveryStyleWorksOnARemoteConnection) {
  remote_node node{sys(), "directory"};
  auto conn = get(node, "lines");
  // get
  EXPECT_EQ(value_of(conn.reader.readline().get(bound)), "one\n");
  // then, from an event-based actor
  std::promise<bytes> from_actor;
  sys().spawn([&from_actor](caf::event_based_actor* self, stream_reader r) {
    r.readline().then(
      self, [&from_actor](bytes line) { from_actor.set_value(line); },
      [&from_actor](caf::error err) { from_actor.set_value(describe(err)); });
  }, conn.reader);
  auto fut = from_actor.get_future();
  ASSERT_EQ(fut.wait_for(bound), std::future_status::ready);
  EXPECT_EQ(fut.get(), "two\n");
  // co_await, in a task
  auto last = [](stream_reader r) -> task<bytes> {
    auto line = co_await r.readline();
    auto rest = co_await r.read();
    co_return line + "|" + rest;
  };
  EXPECT_EQ(run(sys(), last(conn.reader)), "three\n|");
}

TEST_F(Distributed, RequestsFromOneSenderAreServedInOrder) {
  remote_node node{sys(), "directory"};
  auto conn = get(node, "echo");
  // Many writes and reads in flight at once from one task: each answer in
  // its sender's order.
  auto chatter = [](connection c) -> task<std::string> {
    std::string got;
    for (int i = 0; i < 50; ++i)
      c.writer.write("line " + std::to_string(i) + "\n");
    co_await c.writer.drain();
    for (int i = 0; i < 50; ++i)
      got += co_await c.reader.readline();
    co_return got;
  };
  std::string want;
  for (int i = 0; i < 50; ++i)
    want += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(run(sys(), chatter(conn)), want);
  conn.writer.close();
  EXPECT_TRUE(succeeded(conn.writer.wait_closed().get(bound)));
}

TEST_F(Distributed, ReadsInFlightWhenTheirNodeDiesFailInsteadOfHanging) {
  remote_node node{sys(), "directory"};
  auto conn = get(node, "idle");
  // One read waiting in each style: get (no timeout), then, co_await.
  std::optional<caf::expected<bytes>> blocked;
  std::thread reader{[&] { blocked.emplace(conn.reader.read(10).get()); }};
  std::promise<caf::error> from_then;
  sys().spawn([&from_then](caf::event_based_actor* self, stream_reader r) {
    r.read(10).then(
      self, [&from_then](bytes) { from_then.set_value(caf::error{}); },
      [&from_then](caf::error err) { from_then.set_value(std::move(err)); });
  }, conn.reader);
  std::promise<caf::error> from_task;
  spawn_task(sys(), [](stream_reader r, std::promise<caf::error>* out)
                      -> task<void> {
    auto got = co_await r.read(10).as_expected();
    out->set_value(got ? caf::error{} : got.error());
  }, conn.reader, &from_task);
  std::this_thread::sleep_for(300ms); // the requests are parked over there
  auto killed_at = std::chrono::steady_clock::now();
  node.process().kill_now();
  reader.join(); // no timeout on that get(): it must end by itself
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 10s);
  ASSERT_TRUE(blocked);
  auto err = error_of(std::move(*blocked));
  EXPECT_EQ(code_of(err), stream_errc::closed) << describe(err);
  EXPECT_NE(message_of(err).find("remote_link_unreachable"), std::string::npos)
    << message_of(err);
  for (auto* p : {&from_then, &from_task}) {
    auto fut = p->get_future();
    ASSERT_EQ(fut.wait_for(bound), std::future_status::ready);
    EXPECT_THAT(fut.get(), HasStreamErrc(stream_errc::closed));
  }
  // A handle used after its node is gone fails cleanly too, at once.
  auto started = std::chrono::steady_clock::now();
  auto later = error_of(conn.reader.readline().get());
  EXPECT_EQ(code_of(later), stream_errc::closed) << describe(later);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(Distributed, AServerHandsItsClientsToAHandlerOnAnotherNode) {
  remote_node node{sys(), "echo-handler"};
  server_options opts;
  opts.owner_grace = 500ms;
  auto srv = value_of(
    start_server(sys(), node.actor(), "127.0.0.1", 0, opts).get(bound));
  auto client = raw_tcp_connect(srv.port());
  ASSERT_TRUE(client) << std::strerror(errno);
  ASSERT_TRUE(node.process().wait_for_line("connected", 10s));
  const std::string line = "over the wire\n";
  ASSERT_EQ(::send(client.get(), line.data(), line.size(), 0),
            static_cast<ssize_t>(line.size()));
  EXPECT_EQ(raw_receive(client.get(), line.size(), 10s), line);
  // The handler's node dies: the connection, owned by it, closes within
  // the grace (plus failure detection), and the server goes on accepting.
  node.process().kill_now();
  EXPECT_TRUE(wait_closed_by_peer(client.get(), 10s))
    << "the socket outlived its owner";
  auto late = raw_tcp_connect(srv.port());
  EXPECT_TRUE(late) << "the server stopped accepting";
  EXPECT_TRUE(wait_closed_by_peer(late.get(), 10s))
    << "a client handed to a dead node stays open";
  srv.close();
}

/// A local server whose plain callback hands each connection to the test
/// (which keeps handles to it), and one client.
struct handed_over {
  server srv;
  connection conn;  // the server side, held by the test
  raw_fd client;
};

handed_over accept_one(caf::actor_system& sys, caf::timespan grace) {
  auto slot = std::make_shared<connection_slot>();
  server_options opts;
  opts.owner_grace = grace;
  handed_over out;
  out.srv = *start_server(sys, connection_slot::handler(slot), "127.0.0.1", 0,
                          opts)
               .get(bound);
  out.client = raw_tcp_connect(out.srv.port());
  auto conn = slot->take(10s);
  EXPECT_TRUE(conn) << "no connection accepted";
  if (conn)
    out.conn = *conn;
  return out;
}

TEST_F(Distributed, AConnectionWhoseOwnerNodeDiesClosesThoughHandlesRemain) {
  remote_node node{sys(), "echo-handler"};
  auto h = accept_one(sys(), 500ms);
  // Hand it over (Erlang's controlling_process), then let the node drive it.
  ASSERT_TRUE(succeeded(h.conn.writer.set_owner(node.actor()).get(bound)));
  caf::anon_send(node.actor(), connected_atom_v, h.conn);
  ASSERT_TRUE(node.process().wait_for_line("connected", 10s));
  const std::string line = "handed over\n";
  ASSERT_EQ(::send(h.client.get(), line.data(), line.size(), 0),
            static_cast<ssize_t>(line.size()));
  EXPECT_EQ(raw_receive(h.client.get(), line.size(), 10s), line);
  auto killed_at = std::chrono::steady_clock::now();
  node.process().kill_now();
  // This test still holds the connection's handles: only its ownership
  // closes it.
  EXPECT_TRUE(succeeded(h.conn.writer.wait_closed().get(10s)));
  EXPECT_TRUE(wait_closed_by_peer(h.client.get(), 10s));
  auto took = std::chrono::steady_clock::now() - killed_at;
  EXPECT_GE(took, 500ms) << "closed before the grace ran out";
  EXPECT_LT(took, 5s);
  h.srv.close();
}

/// An actor that keeps whatever it is handed.
caf::behavior keeper(caf::event_based_actor*) {
  return {[](connected_atom, const connection&) {}};
}

TEST_F(Distributed, ANewOwnerWithinTheGraceKeepsTheConnectionOpen) {
  remote_node node{sys(), "echo-handler"};
  auto h = accept_one(sys(), 1s);
  ASSERT_TRUE(succeeded(h.conn.writer.set_owner(node.actor()).get(bound)));
  node.process().kill_now();
  // Within the grace, a local actor takes it over.
  auto heir = sys().spawn(keeper);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(succeeded(h.conn.writer.set_owner(heir).get(bound)));
  std::this_thread::sleep_for(1500ms); // past the grace
  EXPECT_FALSE(value_of(h.conn.writer.is_closing().get(bound)));
  h.conn.writer.write("still open\n");
  EXPECT_EQ(raw_receive(h.client.get(), 11, 5s), "still open\n");
  // And the new owner's end closes it in turn.
  caf::anon_send_exit(heir, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(succeeded(h.conn.writer.wait_closed().get(10s)));
  h.srv.close();
}

TEST_F(Distributed, ReleasingAConnectionLeavesItToItsHandles) {
  auto h = accept_one(sys(), 200ms);
  auto owner = sys().spawn(keeper);
  ASSERT_TRUE(succeeded(h.conn.writer.set_owner(owner).get(bound)));
  ASSERT_TRUE(succeeded(h.conn.writer.set_owner(caf::actor{}).get(bound)));
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  std::this_thread::sleep_for(600ms);
  EXPECT_FALSE(value_of(h.conn.writer.is_closing().get(bound)));
  h.srv.close();
}

} // namespace
} // namespace actorstreams::testing
