// http_server: a minimal HTTP/1.0 server on actorstreams, the local peer of
// print_http_headers (so that `make demo` needs no outside network).
// Demonstrates push mode (docs/push.md): each connection sends the lines of
// the request head to its handler actor, one at a time (credit 1, granted
// per line handled), until the blank line that ends the head; the handler
// then answers and closes. A behavior timeout bounds a client's silence.
//
// Run:   http_server [--host 127.0.0.1] [--port 8080]   (--port 0: any free)
//        [--tls-cert cert.pem --tls-key key.pem]        (HTTPS)
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
#include "print_line.hpp"
#include "py_repr.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;

namespace {

/// A client gets this long for each line of its request head.
constexpr auto line_timeout = std::chrono::seconds{10};

/// Longest request head accepted, in lines.
constexpr std::size_t max_head_lines = 100;

using demos::print_line;

/// Reports a failure on stderr; `closed` means that we closed the
/// connection (the server is shutting down): nothing to report.
void report(const std::string& what, const caf::error& err) {
  if (as::as_stream_errc(err) != as::stream_errc::closed)
    std::cerr << "http_server: " << what << ": " << as::describe(err)
              << std::endl;
}

/// The request head read so far.
struct request_head {
  std::string request_line;
  std::size_t lines = 0;
  /// A response is on its way: whatever else arrives is ignored.
  bool answered = false;
};

std::string strip_eol(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  return line;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto start = line.find_first_not_of(' ', pos);
    if (start == std::string::npos)
      break;
    auto end = line.find(' ', start);
    if (end == std::string::npos)
      end = line.size();
    words.emplace_back(line.substr(start, end - start));
    pos = end;
  }
  return words;
}

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
             const std::string& request_line, int status,
             std::string_view reason, const std::string& body,
             bool send_body) {
  std::string response = "HTTP/1.0 " + std::to_string(status) + " ";
  response += reason;
  response += "\r\nContent-Type: text/plain\r\nContent-Length: "
              + std::to_string(body.size())
              + "\r\nServer: actorstreams-demo\r\nDate: " + http_date()
              + "\r\nConnection: close\r\n\r\n";
  if (send_body)
    response += body;
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

/// Answers a complete request head.
void answer(caf::event_based_actor* self, as::stream_writer writer,
            const std::string& request_line) {
  auto words = split_words(request_line);
  if (words.size() != 3 || words[2].rfind("HTTP/", 0) != 0) {
    respond(self, writer, request_line, 400, "Bad Request", "Bad request\n",
            true);
    return;
  }
  const auto& method = words[0];
  if (method == "GET" || method == "HEAD")
    respond(self, writer, request_line, 200, "OK", "Test message",
            method == "GET");
  else
    respond(self, writer, request_line, 501, "Not Implemented",
            "Not implemented\n", true);
}

/// One actor per client. The connection pushes the request head line by
/// line; one line is granted at a time, so the head is parsed as it comes
/// and nothing beyond the blank line is cut.
caf::behavior handle_http(caf::event_based_actor* self,
                          as::stream_reader reader, as::stream_writer writer) {
  auto head = std::make_shared<request_head>();
  reader.subscribe(caf::actor{self}, as::framing::lines(), 1);
  // Responds (once) and stops reading.
  auto finish = [self, writer, head](int status, std::string_view reason,
                                     const std::string& body) {
    head->answered = true;
    respond(self, writer, head->request_line, status, reason, body, true);
  };
  return {
    [self, reader, writer, head, finish](as::frame_atom,
                                         const as::connection_actor&,
                                         as::bytes& line) {
      if (head->answered)
        return;
      if (++head->lines > max_head_lines) {
        finish(431, "Request Header Fields Too Large",
               "Too many header lines\n");
        return;
      }
      auto text = strip_eol(std::move(line));
      if (head->request_line.empty()) {
        // RFC 9112: ignore empty lines before the request line.
        head->request_line = std::move(text);
      } else if (text.empty()) {
        head->answered = true;
        answer(self, writer, head->request_line);
        return;
      }
      reader.grant(1);
    },
    [head, finish](as::frame_atom, const as::connection_actor&,
                   const caf::error&) {
      // An over-long line (limit_overrun): the connection skipped it.
      if (!head->answered)
        finish(431, "Request Header Fields Too Large", "Line too long\n");
    },
    [self, writer, head](as::stream_end_atom, const as::connection_actor&,
                         const caf::error& reason) {
      if (head->answered)
        return; // our own close ending the stream
      // EOF (or a failure) before the end of the head: nobody to answer.
      if (reason)
        report("reading the request", reason);
      writer.close();
      self->quit();
    },
    caf::after(line_timeout) >> [self, writer, head] {
      if (head->answered)
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
  if (auto code = demos::parse_args(argc, argv, "http_server", usage, host,
                                    port,
                                    {{"--tls-cert", &cert}, {"--tls-key", &key}}))
    return *code;
  as::server_options opts;
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
