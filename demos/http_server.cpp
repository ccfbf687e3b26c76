// http_server: a minimal HTTP/1.0 server on actorstreams, the local peer of
// print_http_headers (so that `make demo` needs no outside network).
// Demonstrates push mode (docs/push.md): each connection sends the lines of
// the request head to its handler actor, one at a time (credit 1, granted
// per line handled), until the blank line that ends the head; the handler
// then answers and closes. A behavior timeout bounds a client's silence.
//
// Run:   http_server [--host 127.0.0.1] [--port 8080]   (--port 0: any free)
//        [--tls-cert cert.pem --tls-key key.pem]        (HTTPS)
//        [--head-timeout 30] [--idle-timeout S]         (slowloris defences:
//        the whole request head within 30 s, else 408; with --idle-timeout,
//        a client silent for S seconds is cut off by the connection itself)
// Try:   print_http_headers http://127.0.0.1:8080/   or   curl -i http://127.0.0.1:8080/
// Stop:  Ctrl-C or kill -TERM <pid>; exits 0.
//
// Every request gets `HTTP/1.0 200 OK` (GET with the body "Test message",
// HEAD without); other methods get 501, a malformed request line 400.

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "demo_args.hpp"
#include "http_request.hpp"
#include "print_line.hpp"
#include "py_repr.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;

namespace {

/// A client gets this long for each line of its request head ...
constexpr auto line_timeout = std::chrono::seconds{10};

/// ... and this long for the whole head (--head-timeout): a slowloris
/// client that sends one line every few seconds is answered 408 and cut off.
std::chrono::milliseconds head_timeout{30'000};

using head_timeout_atom = caf::atom_constant<caf::atom("headtmo")>;

using demos::print_line;

/// Reports a failure on stderr; `closed` means that we closed the
/// connection (the server is shutting down): nothing to report.
void report(const std::string& what, const caf::error& err) {
  if (as::as_stream_errc(err) != as::stream_errc::closed)
    std::cerr << "http_server: " << what << ": " << as::describe(err)
              << std::endl;
}

/// The request head read so far.
struct connection_state {
  demos::request_head head;
  /// A response is on its way: whatever else arrives is ignored.
  bool answered = false;
};

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

/// Writes the response to `head`, logs it, drains, closes and ends the
/// actor once the connection is closed.
void respond(caf::event_based_actor* self, as::stream_writer writer,
             const std::string& request_line, const demos::http_answer& answer) {
  const auto status = answer.status;
  std::string response = "HTTP/1.0 " + std::to_string(status) + " ";
  response += answer.reason;
  response += "\r\nContent-Type: text/plain\r\nContent-Length: "
              + std::to_string(answer.body.size())
              + "\r\nServer: actorstreams-demo\r\nDate: " + http_date()
              + "\r\nConnection: close\r\n\r\n";
  if (answer.send_body)
    response += answer.body;
  writer.write(std::move(response));
  writer.get_extra_info("peername")
    .then(
      self,
      [request_line, status](as::bytes peer) {
        print_line("Request from " + peer + ": "
                   + demos::py_repr(request_line) + " "
                   + std::to_string(status));
      },
      [](caf::error err) { report("get_extra_info", err); });
  writer.drain().then(
    self,
    [self, writer] {
      writer.close();
      writer.wait_closed().then(
        self, [self] { self->quit(); },
        [self](caf::error err) {
          report("wait_closed", err);
          self->quit();
        });
    },
    [self, writer](caf::error err) {
      report("drain", err);
      writer.close();
      self->quit();
    });
}

/// One actor per client. The connection pushes the request head line by
/// line; one line is granted at a time, so the head is parsed as it comes
/// and nothing beyond the blank line is cut.
caf::behavior handle_http(caf::event_based_actor* self,
                          as::stream_reader reader, as::stream_writer writer) {
  auto state = std::make_shared<connection_state>();
  reader.subscribe(caf::actor{self}, as::framing::lines(), 1);
  self->delayed_send(self, head_timeout, head_timeout_atom::value);
  // Responds (once) and stops reading.
  auto finish = [self, writer, state](const demos::http_answer& answer) {
    state->answered = true;
    respond(self, writer, state->head.request_line(), answer);
  };
  return {
    [reader, state, finish](as::frame_atom, const as::connection_actor&,
                            as::bytes& line) {
      if (state->answered)
        return;
      if (auto answer = state->head.add_line(line)) {
        finish(*answer);
        return;
      }
      reader.grant(1);
    },
    [state, finish](head_timeout_atom) {
      if (!state->answered)
        finish({408, "Request Timeout", "Request head too slow\n", true});
    },
    [state, finish](as::frame_atom, const as::connection_actor&,
                    const caf::error&) {
      // An over-long line (limit_overrun): the connection skipped it.
      if (!state->answered)
        finish(demos::request_head::line_too_long());
    },
    [self, writer, state](as::stream_end_atom, const as::connection_actor&,
                          const caf::error& reason) {
      if (state->answered)
        return; // our own close ending the stream
      // EOF (or a failure) before the end of the head: nobody to answer.
      if (reason)
        report("reading the request", reason);
      writer.close();
      self->quit();
    },
    caf::after(line_timeout) >> [self, writer, state] {
      if (state->answered)
        return;
      report("reading the request",
             as::make_error(as::stream_errc::timeout,
                            "no line of the request head within "
                              + std::to_string(line_timeout.count()) + " s"));
      writer.close();
      self->quit();
    },
  };
}

void usage(std::ostream& out) {
  out << "usage: http_server [--host H] [--port P] [--tls-cert PEM --tls-key "
         "PEM]\n"
         "                   [--head-timeout S] [--idle-timeout S]\n"
         "  Answers every HTTP request with 200 OK and 'Test message';\n"
         "  HTTPS with a certificate chain and its key.\n"
         "  Defaults: --host 127.0.0.1 --port 8080; --port 0 picks a free "
         "port.\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string cert;
  std::string key;
  std::string head_seconds;
  std::string idle_seconds;
  if (auto code = demos::parse_args(argc, argv, "http_server", usage, host,
                                    port,
                                    {{"--tls-cert", &cert},
                                     {"--tls-key", &key},
                                     {"--head-timeout", &head_seconds},
                                     {"--idle-timeout", &idle_seconds}}))
    return *code;
  as::server_options opts;
  try {
    auto ms = [](const std::string& seconds) {
      auto value = std::stod(seconds);
      if (!(value > 0))
        throw std::invalid_argument{seconds};
      return std::chrono::milliseconds{static_cast<int64_t>(value * 1000)};
    };
    if (!head_seconds.empty())
      head_timeout = ms(head_seconds);
    if (!idle_seconds.empty())
      opts.idle_timeout = ms(idle_seconds);
  } catch (const std::exception&) {
    std::cerr << "http_server: a timeout is a positive number of seconds"
              << std::endl;
    usage(std::cerr);
    return 2;
  }
  if (!cert.empty() || !key.empty()) {
    auto ctx = as::tls_context::server(cert, key);
    if (!ctx) {
      std::cerr << "http_server: " << as::describe(ctx.error()) << std::endl;
      return 2;
    }
    opts.ssl = std::move(*ctx);
  }
  // Before the runtime starts its threads: only wait_for_stop sees them.
  auto stop_signals = demos::block_stop_signals();
  {
    as::runtime rt;
    auto srv = as::start_server(rt.system(), handle_http, host, port, opts)
                 .get(std::chrono::seconds{10});
    if (!srv) {
      std::cerr << "http_server: cannot serve on " << host << ":" << port
                << ": " << as::describe(srv.error()) << std::endl;
      return 1;
    }
    print_line("Serving on " + demos::join_addresses(srv->addresses()));
    demos::wait_for_stop(stop_signals);
    // Stop accepting; the runtime's shutdown cuts off any client left.
    srv->close();
  }
  return EXIT_SUCCESS;
}
