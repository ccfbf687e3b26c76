// print_http_headers_actor: asyncio's "Get HTTP headers" example on
// actorstreams, without coroutines (print_http_headers.cpp is the coroutine
// version; both print the same lines). Demonstrates a small client protocol
// from a plain thread: open_connection, one write, then a readline loop
// until EOF (readline returns "" at EOF), every step awaited with a bounded
// `get(timeout)`.
//
// Run:   print_http_headers_actor http://127.0.0.1:8080/
//        (against http_server, or `python3 -m http.server 8080`)
//        print_http_headers_actor [--cafile ca.pem] https://localhost:8443/

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "http_headers.hpp"

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

int fail(std::string_view what, const caf::error& err) {
  std::cerr << "print_http_headers_actor: " << what << ": " << as::describe(err)
            << std::endl;
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  demos::http_headers_args args;
  if (auto code = demos::parse_command_line(argc, argv,
                                            "print_http_headers_actor", args))
    return *code;
  auto opts = demos::connect_options_for(args, "print_http_headers_actor");
  if (!opts)
    return 2;
  const auto& url = args.url;

  as::runtime rt;
  auto conn = as::open_connection(rt.system(), url.host, url.port, *opts)
                .get(step_timeout);
  if (!conn)
    return fail("cannot connect", conn.error());
  auto [reader, writer] = *conn;

  writer.write(demos::head_request(url));
  if (auto drained = writer.drain().get(step_timeout); !drained)
    return fail("cannot send the request", drained.error());

  for (;;) {
    auto line = reader.readline().get(step_timeout);
    if (!line)
      return fail("cannot read the response", line.error());
    if (line->empty())
      break; // EOF
    if (auto text = demos::decode_and_rstrip(*line); !text.empty())
      std::cout << "HTTP header> " << text << std::endl;
  }

  writer.close();
  if (auto closed = writer.wait_closed().get(step_timeout); !closed)
    return fail("cannot close", closed.error());
  return EXIT_SUCCESS;
}
