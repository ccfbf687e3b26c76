#include "net/transport.hpp"

// Tier 3: one conformance suite run over every transport (trio's
// check_*_stream). Each fixture yields two connected connections, `a` and
// `b`; every behaviour below must hold for all of them alike.

#include <sys/socket.h>

#include <future>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "net_support.hpp"
#include "push_support.hpp"
#include "tls_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::bulk_wait;
using testing::code_of;
using testing::connection_slot;
using testing::error_of;
using testing::io_wait;
using testing::value_of;

using connection_pair = std::pair<connection, connection>;

/// Connects a client to a server through `connect`, returning the client
/// (first) and the server side captured by a plain-callback handler.
template <class Listen, class Connect>
connection_pair through_server(caf::actor_system& sys, server& srv,
                               Listen listen, Connect connect) {
  auto slot = std::make_shared<connection_slot>();
  auto started = listen(sys, connection_slot::handler(slot)).get(io_wait);
  if (!started) {
    ADD_FAILURE() << "server: " << describe(started.error());
    return {};
  }
  srv = std::move(*started);
  auto client = connect(sys, srv).get(io_wait);
  if (!client) {
    ADD_FAILURE() << "client: " << describe(client.error());
    return {};
  }
  auto accepted = slot->take();
  if (!accepted) {
    ADD_FAILURE() << "the server handed no connection to its handler";
    return {};
  }
  return {std::move(*client), std::move(*accepted)};
}

struct tcp4_transport {
  static constexpr const char* name = "Tcp4";

  std::optional<std::string> unavailable() { return std::nullopt; }

  connection_pair open(caf::actor_system& sys) {
    return through_server(
      sys, srv,
      [](caf::actor_system& sys, auto handler) {
        return start_server(sys, handler, "127.0.0.1", 0);
      },
      [](caf::actor_system& sys, const server& srv) {
        return open_connection(sys, "127.0.0.1", srv.port());
      });
  }

  server srv;
};

struct tcp6_transport {
  static constexpr const char* name = "Tcp6";

  std::optional<std::string> unavailable() {
    return testing::ipv6_loopback_unavailable();
  }

  connection_pair open(caf::actor_system& sys) {
    return through_server(
      sys, srv,
      [](caf::actor_system& sys, auto handler) {
        return start_server(sys, handler, "::1", 0);
      },
      [](caf::actor_system& sys, const server& srv) {
        return open_connection(sys, "::1", srv.port());
      });
  }

  server srv;
};

struct unix_transport {
  static constexpr const char* name = "Unix";

  std::optional<std::string> unavailable() { return std::nullopt; }

  connection_pair open(caf::actor_system& sys) {
    auto path = dir.file("conformance.sock");
    return through_server(
      sys, srv,
      [path](caf::actor_system& sys, auto handler) {
        return start_unix_server(sys, handler, path);
      },
      [path](caf::actor_system& sys, const server&) {
        return open_unix_connection(sys, path);
      });
  }

  testing::temp_dir dir;
  server srv;
};

/// Both ends of a socketpair adopted with open_connection(sys, fd).
struct socketpair_transport {
  static constexpr const char* name = "Socketpair";

  std::optional<std::string> unavailable() { return std::nullopt; }

  connection_pair open(caf::actor_system& sys) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      ADD_FAILURE() << "socketpair: " << std::strerror(errno);
      return {};
    }
    auto a = open_connection(sys, native_socket{fds[0]}).get(io_wait);
    auto b = open_connection(sys, native_socket{fds[1]}).get(io_wait);
    if (!a || !b) {
      ADD_FAILURE() << "adopting a socketpair end failed: "
                    << describe(a ? b.error() : a.error());
      return {};
    }
    return {std::move(*a), std::move(*b)};
  }
};

/// TLS over TCP: a verifying client (trusting the test CA) and a server
/// with the localhost certificate.
struct tls_tcp_transport {
  static constexpr const char* name = "TlsTcp";

  std::optional<std::string> unavailable() {
    if (!testing::tls_files::get())
      return testing::tls_files::why();
    return std::nullopt;
  }

  connection_pair open(caf::actor_system& sys) {
    const auto* files = testing::tls_files::get();
    return through_server(
      sys, srv,
      [files](caf::actor_system& sys, auto handler) {
        server_options opts;
        opts.ssl = files->server();
        return start_server(sys, handler, "127.0.0.1", 0, opts);
      },
      [files](caf::actor_system& sys, const server& srv) {
        connect_options opts;
        opts.ssl = files->client();
        return open_connection(sys, "127.0.0.1", srv.port(), opts);
      });
  }

  server srv;
};

/// TLS over a Unix socket, the name checked given explicitly.
struct tls_unix_transport {
  static constexpr const char* name = "TlsUnix";

  std::optional<std::string> unavailable() {
    if (!testing::tls_files::get())
      return testing::tls_files::why();
    return std::nullopt;
  }

  connection_pair open(caf::actor_system& sys) {
    const auto* files = testing::tls_files::get();
    auto path = dir.file("tls-conformance.sock");
    return through_server(
      sys, srv,
      [files, path](caf::actor_system& sys, auto handler) {
        server_options opts;
        opts.ssl = files->server();
        return start_unix_server(sys, handler, path, opts);
      },
      [files, path](caf::actor_system& sys, const server&) {
        connect_options opts;
        opts.ssl = files->client();
        opts.server_hostname = "localhost";
        return open_unix_connection(sys, path, opts);
      });
  }

  testing::temp_dir dir;
  server srv;
};

struct memory_transport {
  static constexpr const char* name = "Memory";

  std::optional<std::string> unavailable() { return std::nullopt; }

  connection_pair open(caf::actor_system& sys) {
    return make_memory_pair(sys);
  }
};

template <class Transport>
class Conformance : public testing::runtime_test {
protected:
  void SetUp() override {
    if (auto why = transport_.unavailable())
      GTEST_SKIP() << "!!! SKIPPED: " << Transport::name
                   << " is unavailable on this host: " << *why << " !!!";
    auto [first, second] = transport_.open(sys());
    ASSERT_TRUE(first.reader && first.writer && second.reader
                && second.writer)
      << "no connected pair";
    a = std::move(first);
    b = std::move(second);
  }

  Transport transport_;
  connection a;
  connection b;
};

struct transport_names {
  template <class T>
  static std::string GetName(int) {
    return T::name;
  }
};

using transports
  = ::testing::Types<tcp4_transport, tcp6_transport, unix_transport,
                     socketpair_transport, tls_tcp_transport,
                     tls_unix_transport, memory_transport>;
TYPED_TEST_SUITE(Conformance, transports, transport_names);

/// The size of the pieces `fill_until_drain_waits` writes.
constexpr std::size_t fill_piece = 1024 * 1024 + 13;

/// Writes `fill_piece`-byte pieces (pattern seeds 0, 1, ...) to a peer that
/// reads nothing until drain waits (kernel buffers absorb an unknown
/// amount, but less than 256 MiB). Returns the number of pieces written, or
/// none if drain never waited or failed.
std::optional<std::size_t> fill_until_drain_waits(const stream_writer& w) {
  for (std::size_t pieces = 0; pieces < 256;) {
    w.write(testing::pattern(fill_piece, static_cast<unsigned>(pieces)));
    ++pieces;
    auto drained = w.drain().get(300ms);
    if (!drained) {
      if (code_of(drained.error()) != stream_errc::timeout) {
        ADD_FAILURE() << "drain failed: " << describe(drained.error());
        return std::nullopt;
      }
      return pieces;
    }
  }
  ADD_FAILURE() << "drain never waited for a peer that reads nothing";
  return std::nullopt;
}

/// Reads what `fill_until_drain_waits` wrote and checks every piece.
void expect_filled(const stream_reader& r, std::size_t pieces) {
  auto got = testing::read_n(r, pieces * fill_piece);
  ASSERT_EQ(got.size(), pieces * fill_piece);
  for (std::size_t i = 0; i < pieces; ++i)
    ASSERT_EQ(testing::first_difference(
                got.substr(i * fill_piece, fill_piece),
                testing::pattern(fill_piece, static_cast<unsigned>(i))),
              bytes::npos)
      << "piece " << i;
}

// -- bytes ---------------------------------------------------------------------

TYPED_TEST(Conformance, ExactBytesTravelBothWaysIncludingZeroAndFF) {
  auto& a = this->a;
  auto& b = this->b;
  const bytes there = bytes{"\0\xff", 2} + testing::pattern(256) + "\r\n"
                      + bytes{"\xff\0", 2};
  const bytes back = bytes{"\0", 1} + testing::pattern(300, 7)
                     + bytes{"\xff", 1};
  ASSERT_EQ(there.size(), 262u);
  a.writer.write(there);
  EXPECT_EQ(value_of(b.reader.readexactly(262).get(io_wait)), there);
  b.writer.write(back);
  EXPECT_EQ(value_of(a.reader.readexactly(302).get(io_wait)), back);
  // Nothing more than what was written arrives.
  a.writer.write_eof();
  b.writer.write_eof();
  EXPECT_EQ(value_of(b.reader.read().get(io_wait)), "");
  EXPECT_EQ(value_of(a.reader.read().get(io_wait)), "");
}

TYPED_TEST(Conformance, EightMebibytesEachWayArriveIntactWhileBothSidesRead) {
  auto& a = this->a;
  auto& b = this->b;
  constexpr std::size_t size = 8 * 1024 * 1024;
  const bytes from_a = testing::pattern(size, 1);
  const bytes from_b = testing::pattern(size, 2);
  auto send_a = std::async(std::launch::async, [&] {
    return testing::write_all(a.writer, from_a);
  });
  auto send_b = std::async(std::launch::async, [&] {
    return testing::write_all(b.writer, from_b);
  });
  auto recv_b = std::async(std::launch::async,
                           [&] { return testing::read_n(b.reader, size); });
  auto recv_a = std::async(std::launch::async,
                           [&] { return testing::read_n(a.reader, size); });
  auto sent_a = send_a.get();
  auto sent_b = send_b.get();
  EXPECT_FALSE(sent_a) << describe(sent_a);
  EXPECT_FALSE(sent_b) << describe(sent_b);
  auto at_b = recv_b.get();
  auto at_a = recv_a.get();
  EXPECT_EQ(at_b.size(), size);
  EXPECT_EQ(at_a.size(), size);
  EXPECT_EQ(testing::first_difference(at_b, from_a), bytes::npos);
  EXPECT_EQ(testing::first_difference(at_a, from_b), bytes::npos);
}

TYPED_TEST(Conformance, EchoesEverySizeFromOneByteToSixteenMebibytesIntact) {
  auto& a = this->a;
  auto& b = this->b;
  // Sizes around the boundaries that matter: TLS records (16 KiB), the
  // read buffers (64 KiB), the reader's limit and its pause threshold.
  for (std::size_t size : {std::size_t{1}, std::size_t{2}, std::size_t{100},
                           std::size_t{16383}, std::size_t{16384},
                           std::size_t{16385}, std::size_t{65536},
                           std::size_t{131073}, std::size_t{1} << 20,
                           std::size_t{16} << 20}) {
    const bytes data = testing::pattern(size, static_cast<unsigned>(size % 97));
    auto sent = std::async(std::launch::async,
                           [&] { return testing::write_all(a.writer, data); });
    // b echoes what it reads back to a, as it reads.
    auto echo = std::async(std::launch::async, [&] {
      std::size_t left = size;
      while (left > 0) {
        auto chunk = b.reader.read(static_cast<int64_t>(std::min<std::size_t>(left, 65536)))
                       .get(bulk_wait);
        if (!chunk || chunk->empty())
          return false;
        left -= chunk->size();
        b.writer.write(std::move(*chunk));
        if (!b.writer.drain().get(bulk_wait))
          return false;
      }
      return true;
    });
    auto back = testing::read_n(a.reader, size);
    EXPECT_FALSE(sent.get()) << size;
    EXPECT_TRUE(echo.get()) << size;
    ASSERT_EQ(back.size(), size);
    ASSERT_EQ(testing::first_difference(back, data), bytes::npos) << size;
  }
}

// -- half-close and close -------------------------------------------------------

TYPED_TEST(Conformance, WriteEofHalfClosesAndThePeerCanStillWriteBack) {
  auto& a = this->a;
  auto& b = this->b;
  // Every transport here can (TLS: 1.3, whose close_notify half-closes).
  EXPECT_TRUE(value_of(a.writer.can_write_eof().get(io_wait)));
  a.writer.write("request");
  a.writer.write_eof();
  EXPECT_EQ(value_of(b.reader.read().get(io_wait)), "request");
  EXPECT_TRUE(value_of(b.reader.at_eof().get(io_wait)));
  // A half-closed writer is not closing (asyncio), and its reader still
  // receives.
  EXPECT_FALSE(value_of(a.writer.is_closing().get(io_wait)));
  b.writer.write("response");
  EXPECT_EQ(value_of(a.reader.readexactly(8).get(io_wait)), "response");
  b.writer.write(" and more");
  b.writer.close();
  EXPECT_EQ(value_of(a.reader.read().get(io_wait)), " and more");
  EXPECT_TRUE(value_of(a.reader.at_eof().get(io_wait)));
}

TYPED_TEST(Conformance, CloseGivesThePeerEofAfterAllData) {
  auto& a = this->a;
  auto& b = this->b;
  const bytes data = testing::pattern(1024 * 1024 + 3, 5);
  a.writer.write(data);
  a.writer.close();
  auto got = value_of(b.reader.read().get(bulk_wait));
  EXPECT_EQ(got.size(), data.size());
  EXPECT_EQ(testing::first_difference(got, data), bytes::npos);
  EXPECT_TRUE(value_of(b.reader.at_eof().get(io_wait)));
  EXPECT_EQ(value_of(b.reader.readline().get(io_wait)), "");
  // A clean close, not a reset.
  auto exc = value_of(b.reader.exception().get(io_wait));
  EXPECT_FALSE(exc.has_value()) << describe(*exc);
}

TYPED_TEST(Conformance, CloseIsIdempotent) {
  auto& a = this->a;
  auto& b = this->b;
  a.writer.write("last words");
  a.writer.close();
  a.writer.close();
  EXPECT_TRUE(a.writer.wait_closed().get(io_wait));
  a.writer.close();
  EXPECT_TRUE(a.writer.wait_closed().get(io_wait));
  EXPECT_TRUE(value_of(a.writer.is_closing().get(io_wait)));
  EXPECT_EQ(value_of(b.reader.read().get(io_wait)), "last words");
  auto exc = value_of(b.reader.exception().get(io_wait));
  EXPECT_FALSE(exc.has_value()) << describe(*exc);
}

TYPED_TEST(Conformance, ClosersReaderSeesEofAtOnceAndKeepsBufferedBytes) {
  auto& a = this->a;
  auto& b = this->b;
  // One write arrives in one piece, so " world" is buffered in `a` once
  // "hello" has been read.
  b.writer.write("hello world");
  EXPECT_EQ(value_of(a.reader.readexactly(5).get(io_wait)), "hello");
  // Unflushed writes hold the transport open after close (bpo-35065): the
  // EOF below can only come from the local close itself.
  auto pieces = fill_until_drain_waits(a.writer);
  ASSERT_TRUE(pieces);
  a.writer.close();
  EXPECT_EQ(value_of(a.reader.read().get(io_wait)), " world");
  EXPECT_TRUE(value_of(a.reader.at_eof().get(io_wait)));
  EXPECT_EQ(value_of(a.reader.read(10).get(io_wait)), "");
  // The peer still gets every byte written before close, then EOF.
  expect_filled(b.reader, *pieces);
  EXPECT_EQ(value_of(b.reader.read().get(io_wait)), "");
  EXPECT_TRUE(a.writer.wait_closed().get(io_wait));
}

TYPED_TEST(Conformance, WaitClosedRepliesOnlyAfterClose) {
  auto& a = this->a;
  auto early = a.writer.wait_closed().get(200ms);
  EXPECT_EQ(code_of(error_of(std::move(early))), stream_errc::timeout);
  a.writer.close();
  EXPECT_TRUE(a.writer.wait_closed().get(io_wait));
}

TYPED_TEST(Conformance, IsClosingIsFalseBeforeCloseAndTrueAfter) {
  auto& a = this->a;
  EXPECT_FALSE(value_of(a.writer.is_closing().get(io_wait)));
  a.writer.close();
  EXPECT_TRUE(value_of(a.writer.is_closing().get(io_wait)));
  EXPECT_TRUE(a.writer.wait_closed().get(io_wait));
  EXPECT_TRUE(value_of(a.writer.is_closing().get(io_wait)));
}

TYPED_TEST(Conformance, DrainAfterCloseFailsWithClosed) {
  auto& a = this->a;
  a.writer.close();
  EXPECT_EQ(code_of(error_of(a.writer.drain().get(io_wait))),
            stream_errc::closed);
  a.writer.write("too late");
  EXPECT_EQ(code_of(error_of(a.writer.drain().get(io_wait))),
            stream_errc::closed);
  EXPECT_TRUE(a.writer.wait_closed().get(io_wait));
  EXPECT_EQ(code_of(error_of(a.writer.drain().get(io_wait))),
            stream_errc::closed);
  // Nothing written after close reached the peer.
  EXPECT_EQ(value_of(this->b.reader.read().get(io_wait)), "");
}

// -- flow control ----------------------------------------------------------------

TYPED_TEST(Conformance, DrainWaitsForAPeerThatStopsReadingAndCompletesOnceItReads) {
  auto& a = this->a;
  auto pieces = fill_until_drain_waits(a.writer);
  ASSERT_TRUE(pieces);
  // The peer reads everything; then the writer drains.
  expect_filled(this->b.reader, *pieces);
  EXPECT_TRUE(a.writer.drain().get(io_wait));
}

// -- push mode (docs/push.md) ------------------------------------------------------

TYPED_TEST(Conformance, PushedLinesArriveInOrderUnderCredit) {
  auto& a = this->a;
  auto& b = this->b;
  std::vector<bytes> lines;
  bytes all;
  for (int i = 0; i < 2000; ++i) {
    lines.push_back(bytes(static_cast<std::size_t>(i % 97), 'a' + i % 26)
                    + std::to_string(i) + "\n");
    all += lines.back();
  }
  testing::test_subscriber sub{this->sys()};
  sub.expected_from = b.reader.handle();
  b.reader.subscribe(sub.handle(), framing::lines(), 8);
  a.writer.write(all);
  a.writer.write_eof();
  auto events = sub.until_end(b.reader);
  EXPECT_EQ(testing::frames_of(events), lines);
  auto end = testing::end_of(events);
  EXPECT_FALSE(end) << describe(end);
}

TYPED_TEST(Conformance, WithoutCreditAPushBlocksThePeersDrainAndAGrantLetsItAllIn) {
  auto& a = this->a;
  auto& b = this->b;
  testing::test_subscriber sub{this->sys()};
  b.reader.subscribe(sub.handle(), framing::chunks(), 0);
  constexpr std::size_t size = 64 * 1024 * 1024;
  const bytes data = testing::pattern(size, 3);
  auto sent = std::async(std::launch::async,
                         [&] { return testing::write_all(a.writer, data); });
  // On a failed assertion below, the writer is closed before the future
  // waits for it: its drain fails instead of blocking the test for ever.
  struct close_on_exit {
    stream_writer w;
    ~close_on_exit() { w.close(); }
  } unblock{a.writer};
  // Nothing is cut without credit: the reader stops the transport, and the
  // writer's drain waits.
  EXPECT_EQ(sent.wait_for(500ms), std::future_status::timeout);
  sub.expect_nothing(100ms);
  // Credit: every byte arrives, in order.
  b.reader.grant(4);
  bytes got;
  got.reserve(size);
  while (got.size() < size) {
    auto ev = sub.next(bulk_wait);
    ASSERT_TRUE(ev) << "stalled after " << got.size() << " bytes";
    ASSERT_EQ(ev->what, testing::push_event::kind::frame);
    got += ev->data;
    b.reader.grant(1);
  }
  auto err = sent.get();
  EXPECT_FALSE(err) << describe(err);
  EXPECT_EQ(got.size(), size);
  EXPECT_EQ(testing::first_difference(got, data), bytes::npos);
  a.writer.write_eof();
  auto end = sub.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->what, testing::push_event::kind::end);
  EXPECT_FALSE(end->err) << describe(end->err);
}

TYPED_TEST(Conformance, SwitchingBetweenFramingsAndReadsLosesNoByte) {
  auto& a = this->a;
  auto& b = this->b;
  a.writer.write("one\ntwo\n");
  a.writer.write_frame("framed 1");
  a.writer.write_frame("framed 2");
  a.writer.write("abcdef" "line\n" "rest of it");
  a.writer.write_eof();
  testing::test_subscriber sub{this->sys()};
  b.reader.subscribe(sub.handle(), framing::lines(), 2);
  EXPECT_EQ(sub.next_frame(), "one\n");
  EXPECT_EQ(sub.next_frame(), "two\n");
  ASSERT_TRUE(b.reader.unsubscribe().get(io_wait));
  b.reader.subscribe(sub.handle(), framing::length_prefixed(), 1);
  EXPECT_EQ(sub.next_frame(), "framed 1");
  ASSERT_TRUE(b.reader.unsubscribe().get(io_wait));
  EXPECT_EQ(value_of(b.reader.readframe().get(io_wait)), "framed 2");
  b.reader.subscribe(sub.handle(), framing::exactly(3), 2);
  EXPECT_EQ(sub.next_frame(), "abc");
  EXPECT_EQ(sub.next_frame(), "def");
  ASSERT_TRUE(b.reader.unsubscribe().get(io_wait));
  EXPECT_EQ(value_of(b.reader.readline().get(io_wait)), "line\n");
  b.reader.subscribe(sub.handle(), framing::chunks(), 8);
  auto events = sub.until_end(b.reader);
  bytes rest;
  for (const auto& f : testing::frames_of(events))
    rest += f;
  EXPECT_EQ(rest, "rest of it");
  auto end = testing::end_of(events);
  EXPECT_FALSE(end) << describe(end);
}

// -- extra info and a peer that resets ---------------------------------------------

TYPED_TEST(Conformance, ExtraInfoNamesBothEndsAndUnknownNamesFail) {
  auto& a = this->a;
  auto& b = this->b;
  auto a_sock = a.writer.get_extra_info("sockname").get(io_wait);
  auto b_peer = b.writer.get_extra_info("peername").get(io_wait);
  // Memory pairs have no addresses; sockets agree on theirs.
  if (a_sock && b_peer) {
    EXPECT_EQ(*a_sock, *b_peer);
  }
  auto err = error_of(a.writer.get_extra_info("no such thing").get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
}

TYPED_TEST(Conformance, APeerThatAbortsLeavesTheBytesThatArrivedThenAnEnd) {
  auto& a = this->a;
  auto& b = this->b;
  a.writer.write("before the end");
  EXPECT_EQ(value_of(b.reader.readexactly(14).get(io_wait)), "before the end");
  // Unread data on a's side makes a socket's abort a reset (RST).
  b.writer.write("unread by a");
  EXPECT_TRUE(b.writer.drain().get(io_wait));
  std::this_thread::sleep_for(50ms);
  caf::anon_send(a.writer.handle(), abort_atom_v);
  // b's reads end, cleanly or with connection_reset, never with data that
  // was not sent, and never hang.
  auto rest = b.reader.read().get(io_wait);
  if (rest)
    EXPECT_EQ(*rest, "");
  else
    EXPECT_EQ(code_of(rest.error()), stream_errc::connection_reset)
      << describe(rest.error());
  // b's side learns that the connection is over: its writer closes (with
  // the reset as its reason, or cleanly) instead of waiting for ever.
  b.writer.close();
  auto closed = b.writer.wait_closed().get(io_wait);
  if (!closed) {
    EXPECT_EQ(code_of(closed.error()), stream_errc::connection_reset)
      << describe(closed.error());
  }
}

// -- read semantics over the wire ----------------------------------------------------

TYPED_TEST(Conformance, EveryReadBehavesAsAsyncioSaysOverTheWire) {
  auto& a = this->a;
  auto& b = this->b;
  a.writer.write("line one\nab--cd\r\nexact");
  EXPECT_EQ(value_of(b.reader.readline().get(io_wait)), "line one\n");
  EXPECT_EQ(value_of(b.reader.readuntil("--").get(io_wait)), "ab--");
  EXPECT_EQ(value_of(b.reader.readuntil(std::vector<bytes>{"\n", "\r\n"})
                       .get(io_wait)),
            "cd\r\n");
  EXPECT_EQ(value_of(b.reader.readexactly(5).get(io_wait)), "exact");
  // A read that waits is served when the bytes come, in pieces or not.
  auto waiting = std::async(std::launch::async,
                            [&] { return b.reader.readexactly(6).get(io_wait); });
  std::this_thread::sleep_for(20ms);
  a.writer.write("12");
  std::this_thread::sleep_for(20ms);
  a.writer.write("3456rest");
  EXPECT_EQ(value_of(waiting.get()), "123456");
  EXPECT_EQ(value_of(b.reader.read(2).get(io_wait)), "re");
  // EOF: the partial, then "", and incomplete_read with what was left.
  a.writer.write_eof();
  auto err = error_of(b.reader.readexactly(10).get(io_wait));
  auto ire = as_incomplete_read(err);
  ASSERT_TRUE(ire) << describe(err);
  EXPECT_EQ(ire->partial, "st");
  EXPECT_EQ(ire->expected, 10u);
  EXPECT_EQ(value_of(b.reader.readline().get(io_wait)), "");
  EXPECT_TRUE(value_of(b.reader.at_eof().get(io_wait)));
}

} // namespace
} // namespace actorstreams
