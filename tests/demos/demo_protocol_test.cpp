// The demos' protocol code, unit tested with the test kit
// (streams/testing.hpp): the echo handlers of tcp_echo_server (both
// styles) and print_http_headers' URL parsing, decoding and conversation,
// on the deterministic runtime against a scripted peer, at every chunking
// and every fault point. The programs themselves are tested end to end by
// the Python scripts beside this file.
#include <functional>
#include <string>
#include <vector>

#include "chat_protocol.hpp"
#include "echo_handlers.hpp"
#include "http_headers.hpp"
#include "http_request.hpp"
#include "streams/testing.hpp"
#include "streams/testing_gtest.hpp"
#include "test_support.hpp"

namespace actorstreams::testing {
namespace {

using namespace std::chrono_literals;
using lines = std::vector<std::string>;

/// The lines that `fn` printed on stdout.
lines stdout_lines_of(const std::function<void()>& fn) {
  ::testing::internal::CaptureStdout();
  fn();
  auto out = ::testing::internal::GetCapturedStdout();
  lines result;
  for (std::size_t pos = 0; pos < out.size();) {
    auto end = out.find('\n', pos);
    if (end == std::string::npos)
      end = out.size();
    result.push_back(out.substr(pos, end - pos));
    pos = end + 1;
  }
  return result;
}

// -- tcp_echo_server's handlers -------------------------------------------------

enum class style { task, actor };

void PrintTo(style how, std::ostream* os) {
  *os << (how == style::task ? "task" : "actor");
}

void spawn_echo_handler(caf::actor_system& sys, style how,
                        const connection& conn) {
  if (how == style::task)
    spawn_task(sys, demos::handle_echo, conn.reader, conn.writer);
  else
    sys.spawn(demos::handle_echo_actor, conn.reader, conn.writer);
}

class EchoHandler : public ::testing::TestWithParam<style> {};

INSTANTIATE_TEST_SUITE_P(Styles, EchoHandler,
                         ::testing::Values(style::task, style::actor),
                         [](const auto& info) {
                           return info.param == style::task
                                    ? std::string{"Task"}
                                    : std::string{"Actor"};
                         });

TEST_P(EchoHandler, EchoesTheMessagePrintsAsAsyncioAndCloses) {
  auto printed = stdout_lines_of([&] {
    deterministic_runtime rt;
    auto [client, server] = make_memory_pair(rt.system());
    spawn_echo_handler(rt.system(), GetParam(), server);
    auto peer = script{}.send("Hello World!").expect("Hello World!").expect_eof();
    EXPECT_TRUE(succeeded(rt.await(run_script(rt.system(), client, peer))));
  });
  EXPECT_EQ(printed, (lines{"Received 'Hello World!' from 'memory:a'",
                            "Send: 'Hello World!'", "Close the client socket"}));
}

TEST_P(EchoHandler, EchoesExactlyTheFirstPieceThatArrivesAtEveryChunking) {
  // read(100) returns what is there: asyncio's example echoes the first
  // piece of a message split by the network, and so does ours.
  const bytes message = "Hello World!";
  for (std::size_t chunk = 1; chunk <= message.size() + 1; ++chunk) {
    stdout_lines_of([&] {
      deterministic_runtime rt;
      memory_pair_options opts;
      opts.chunk = chunk;
      auto [client, server] = make_memory_pair(rt.system(), opts);
      spawn_echo_handler(rt.system(), GetParam(), server);
      auto peer = script{}.send(message).expect(message.substr(0, chunk)).expect_eof();
      EXPECT_TRUE(succeeded(rt.await(run_script(rt.system(), client, peer))))
        << "chunk " << chunk;
    });
  }
}

TEST_P(EchoHandler, AClientThatSendsNothingAndLeavesGetsAnEmptyEcho) {
  auto printed = stdout_lines_of([&] {
    deterministic_runtime rt;
    auto [client, server] = make_memory_pair(rt.system());
    spawn_echo_handler(rt.system(), GetParam(), server);
    EXPECT_TRUE(succeeded(
      rt.await(run_script(rt.system(), client, script{}.eof().expect_eof()))));
  });
  EXPECT_EQ(printed.front(), "Received '' from 'memory:a'");
}

TEST_P(EchoHandler, EveryFaultOfItsConnectionEndsTheConversationCleanly) {
  // The handler's connection is the pair's first: its Nth read, write or
  // close fails. The client then sees a prefix of the echo and an end,
  // never a hang; past the handler's last operation, all goes through.
  for (int kind = 0; kind < 3; ++kind) {
    std::size_t faults = 0;
    for (std::size_t n = 1;; ++n) {
      ASSERT_LT(n, 20u) << "no run without a fault";
      bool clean = false;
      ::testing::internal::CaptureStderr(); // the reports of failed handlers
      stdout_lines_of([&] {
        deterministic_runtime rt;
        memory_pair_options opts;
        (kind == 0 ? opts.faults.read
                   : kind == 1 ? opts.faults.write : opts.faults.close)
          = n;
        auto [server, client] = make_memory_pair(rt.system(), opts);
        spawn_echo_handler(rt.system(), GetParam(), server);
        client.writer.write("ping");
        auto echo = rt.await(client.reader.read(), 1min);
        ASSERT_TRUE(echo) << describe(echo.error());
        EXPECT_EQ(bytes{"ping"}.substr(0, echo->size()), *echo);
        auto closed = rt.await(server.writer.wait_closed(), 1min);
        clean = *echo == "ping" && closed;
      });
      ::testing::internal::GetCapturedStderr();
      if (clean)
        break;
      ++faults;
    }
    EXPECT_GT(faults, 0u) << "kind " << kind;
  }
}

// -- print_http_headers' protocol code ------------------------------------------

TEST(HttpHeaders, ParsesUrlsAsUrlsplitDoes) {
  std::string why;
  auto plain = demos::parse_url("http://example.org", why);
  ASSERT_TRUE(plain) << why;
  EXPECT_EQ(plain->scheme, "http");
  EXPECT_EQ(plain->host, "example.org");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "/");
  auto full = demos::parse_url("HTTPS://user:pw@[::1]:8443/a/b?q=1#frag", why);
  ASSERT_TRUE(full) << why;
  EXPECT_EQ(full->scheme, "https");
  EXPECT_EQ(full->host, "::1");
  EXPECT_EQ(full->port, 8443);
  EXPECT_EQ(full->path, "/a/b?q=1");
  auto tls = demos::parse_url("https://localhost?x", why);
  ASSERT_TRUE(tls) << why;
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->path, "/?x");
}

TEST(HttpHeaders, RefusesWhatIsNotAUsableUrl) {
  auto why_of = [](std::string_view url) {
    std::string why;
    EXPECT_FALSE(demos::parse_url(url, why)) << url;
    return why;
  };
  EXPECT_EQ(why_of("example.org/x"),
            "not an absolute URL (expected scheme://host[:port]/path)");
  EXPECT_EQ(why_of("http://[::1/"), "invalid IPv6 address in the URL");
  EXPECT_EQ(why_of("http://[::1]x/"), "unexpected text after the IPv6 address");
  EXPECT_EQ(why_of("http://:80/"), "no host in the URL");
  EXPECT_EQ(why_of("http://h:8o/"), "invalid port in the URL");
  EXPECT_EQ(why_of("http://h:0/"), "port out of range in the URL");
  EXPECT_EQ(why_of("http://h:65536/"), "port out of range in the URL");
  // A line break in the URL would inject a header into the request.
  EXPECT_EQ(why_of("http://h/\r\nX-Injected: 1"),
            "control character or space in the URL");
  EXPECT_EQ(why_of("http://a b/"), "control character or space in the URL");
  EXPECT_EQ(why_of(std::string_view{"http://h\0/", 10}),
            "control character or space in the URL");
}

TEST(HttpHeaders, DecodesLatin1AndStripsAsPython) {
  EXPECT_EQ(demos::decode_and_rstrip("Server: x \t\r\n"), "Server: x");
  EXPECT_EQ(demos::decode_and_rstrip("caf\xe9\xa0\x85\r\n"), "caf\xc3\xa9");
  EXPECT_EQ(demos::decode_and_rstrip("\r\n"), "");
}

TEST(HttpHeaders, TheRequestIsAHeadWithTheHost) {
  std::string why;
  auto url = *demos::parse_url("http://example.org:8080/index.html?x=1", why);
  EXPECT_EQ(demos::head_request(url),
            "HEAD /index.html?x=1 HTTP/1.0\r\nHost: example.org\r\n\r\n");
}

/// A server's side of the conversation: the request, then `response`, then
/// the end.
script http_server_script(const bytes& response) {
  return script{}
    .expect("HEAD /index.html HTTP/1.0\r\nHost: example.org\r\n\r\n")
    .send(response)
    .close();
}

const bytes response = "HTTP/1.0 200 OK\r\nServer: test\r\nX-Latin: caf\xe9\r\n"
                       "\r\nbody line\n";
const lines printed_headers{"HTTP/1.0 200 OK", "Server: test",
                            "X-Latin: caf\xc3\xa9", "body line"};

/// Runs exchange_head on `client` against `server` playing `peer`; returns
/// the lines it printed and the task's result.
std::pair<lines, caf::expected<void>>
converse(deterministic_runtime& rt, const connection& client,
         const connection& server, script peer,
         caf::timespan timeout = 10s) {
  std::string why;
  auto url = *demos::parse_url("http://example.org/index.html", why);
  lines printed;
  auto server_side = rt.start(run_script(rt.system(), server, std::move(peer)));
  auto result = rt.await(
    demos::exchange_head(
      client.reader, client.writer, url,
      [&printed](const std::string& text) { printed.push_back(text); },
      timeout),
    1min);
  rt.run();
  return {printed, std::move(result)};
}

TEST(HttpHeaders, TheConversationPrintsEveryLineAtEveryChunking) {
  for (std::size_t chunk : {0, 1, 2, 3, 7, 64}) {
    deterministic_runtime rt;
    memory_pair_options opts;
    opts.chunk = chunk;
    auto [client, server] = make_memory_pair(rt.system(), opts);
    auto [printed, result] = converse(rt, client, server,
                                      http_server_script(response));
    EXPECT_TRUE(succeeded(result)) << "chunk " << chunk;
    EXPECT_EQ(printed, printed_headers) << "chunk " << chunk;
  }
}

TEST(HttpHeaders, ASilentServerTimesOutInVirtualTime) {
  deterministic_runtime rt;
  auto [client, server] = make_memory_pair(rt.system());
  auto peer = script{}.expect(
    "HEAD /index.html HTTP/1.0\r\nHost: example.org\r\n\r\n");
  auto start = rt.now();
  auto [printed, result] = converse(rt, client, server, peer, 10s);
  EXPECT_THAT(result, HasStreamErrc(stream_errc::timeout));
  EXPECT_TRUE(printed.empty());
  EXPECT_EQ(rt.now() - start, caf::timespan{10s}) << "the step timeout";
}

TEST(HttpHeaders, EveryReadFaultEndsWithAnErrorAndThePrefixOfTheHeaders) {
  std::size_t faults = 0;
  for (std::size_t n = 1;; ++n) {
    ASSERT_LT(n, 200u) << "no run without a fault";
    deterministic_runtime rt;
    memory_pair_options opts;
    opts.chunk = 3;
    opts.faults.read = n; // the client is the pair's first connection
    auto [client, server] = make_memory_pair(rt.system(), opts);
    auto [printed, result] = converse(rt, client, server,
                                      http_server_script(response));
    if (result) {
      EXPECT_EQ(printed, printed_headers);
      break;
    }
    ++faults;
    EXPECT_THAT(result, HasStreamErrc(stream_errc::connection_reset)) << n;
    ASSERT_LE(printed.size(), printed_headers.size());
    EXPECT_EQ(printed, lines(printed_headers.begin(),
                             printed_headers.begin()
                               + static_cast<std::ptrdiff_t>(printed.size())))
      << n;
  }
  EXPECT_GT(faults, 10u) << "every delivery of 3 bytes is a fault point";
}

// -- chat's commands ----------------------------------------------------------

// -- http_server's request head --------------------------------------------------

TEST(HttpRequest, AnswersByMethodAndRefusesMalformedRequestLines) {
  auto status = [](std::string_view line) {
    return demos::answer_request(line).status;
  };
  EXPECT_EQ(status("GET / HTTP/1.0"), 200);
  EXPECT_TRUE(demos::answer_request("GET / HTTP/1.1").send_body);
  EXPECT_FALSE(demos::answer_request("HEAD /x HTTP/1.0").send_body);
  EXPECT_EQ(demos::answer_request("HEAD /x HTTP/1.0").body, "Test message");
  EXPECT_EQ(status("  GET   /   HTTP/1.0 "), 200);
  EXPECT_EQ(status("POST / HTTP/1.0"), 501);
  EXPECT_EQ(status("GET / FTP/1.0"), 400);
  EXPECT_EQ(status("GET /"), 400);
  EXPECT_EQ(status("GET / HTTP/1.0 extra"), 400);
  EXPECT_EQ(status(""), 400);
}

TEST(HttpRequest, AHeadEndsAtItsBlankLineAfterSkippingLeadingOnes) {
  demos::request_head head;
  EXPECT_EQ(head.add_line("\r\n"), std::nullopt);
  EXPECT_EQ(head.add_line("\n"), std::nullopt);
  EXPECT_EQ(head.add_line("HEAD /x HTTP/1.0\r\n"), std::nullopt);
  EXPECT_EQ(head.request_line(), "HEAD /x HTTP/1.0");
  EXPECT_EQ(head.add_line("Host: a\r\n"), std::nullopt);
  auto answer = head.add_line("\r\n");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_FALSE(answer->send_body);
  EXPECT_EQ(head.lines(), 5u);
}

TEST(HttpRequest, AHeadOfTooManyLinesIsRefusedWith431) {
  demos::request_head head;
  EXPECT_EQ(head.add_line("GET / HTTP/1.0\r\n"), std::nullopt);
  for (std::size_t i = 1; i < demos::max_head_lines; ++i)
    ASSERT_EQ(head.add_line("X: y\r\n"), std::nullopt) << "line " << i;
  auto answer = head.add_line("X: y\r\n");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 431);
  EXPECT_EQ(answer->body, "Too many header lines\n");
  EXPECT_EQ(demos::request_head::line_too_long().status, 431);
}

TEST(ChatProtocol, ParsesWhatAClientTypes) {
  using kind = demos::chat_command::kind;
  auto say = demos::parse_chat_line("hello there\r\n");
  EXPECT_EQ(say.what, kind::say);
  EXPECT_EQ(say.text, "hello there");
  auto nick = demos::parse_chat_line("/nick alice_2\n");
  EXPECT_EQ(nick.what, kind::nick);
  EXPECT_EQ(nick.text, "alice_2");
  EXPECT_EQ(demos::parse_chat_line("/quit\n").what, kind::quit);
  // A command's trailing blanks are not part of it (found by fuzz_chat_line:
  // "/quit " quit and "/quit  " did not).
  EXPECT_EQ(demos::parse_chat_line("/quit \r\n").what, kind::quit);
  EXPECT_EQ(demos::parse_chat_line("/quit \t ").what, kind::quit);
  EXPECT_EQ(demos::parse_chat_line("/nick bob  \n").text, "bob");
  EXPECT_EQ(demos::parse_chat_line("hi  \n").text, "hi  ");
  EXPECT_EQ(demos::parse_chat_line("\r\n").what, kind::empty);
  EXPECT_EQ(demos::parse_chat_line("").what, kind::empty);
}

TEST(ChatProtocol, RefusesBadCommandsWithAReason) {
  using kind = demos::chat_command::kind;
  for (auto line : {"/nick", "/nick ", "/nick two words", "/nick *star",
                    "/nick 123456789012345678901234567890123"}) {
    auto cmd = demos::parse_chat_line(line);
    EXPECT_EQ(cmd.what, kind::invalid) << line;
    EXPECT_EQ(cmd.text, "a nickname is 1 to 32 letters, digits, '-' or '_'")
      << line;
  }
  auto unknown = demos::parse_chat_line("/shout hi");
  EXPECT_EQ(unknown.what, kind::invalid);
  EXPECT_EQ(unknown.text,
            "unknown command /shout (there are /nick NAME and /quit)");
  EXPECT_EQ(demos::parse_chat_line("/quit now").what, kind::invalid);
  EXPECT_TRUE(demos::valid_nick("12345678901234567890123456789012"));
  EXPECT_FALSE(demos::valid_nick(std::string_view{"a\0b", 3}));
}

} // namespace
} // namespace actorstreams::testing
