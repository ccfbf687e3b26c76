// print_http_headers: asyncio's "Get HTTP headers" example on actorstreams,
// as a coroutine that reads like the Python original: open_connection
// (over TLS for https://, verifying the server as `ssl=True` does), one
// write, then a readline loop until EOF (readline returns "" at EOF), every
// step `co_await`ed with a timeout. The actor-style version, with the same
// arguments and output, is print_http_headers_actor.cpp;
// docs/coroutines.md shows both beside asyncio's.
//
// Run:   print_http_headers http://127.0.0.1:8080/
//        (against http_server, or `python3 -m http.server 8080`)
//        print_http_headers [--cafile ca.pem] https://localhost:8443/
//        (against http_server --tls-cert ... --tls-key ...; --cafile trusts
//        a private CA besides the system's)

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "http_headers.hpp"

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

as::task<void> print_http_headers(caf::actor_system& sys,
                                  demos::url_parts url,
                                  as::connect_options opts) {
  auto [reader, writer] = co_await as::open_connection(sys, url.host, url.port,
                                                       opts)
                            .with_timeout(step_timeout);

  co_await demos::exchange_head(
    reader, writer, url,
    [](const std::string& text) {
      std::cout << "HTTP header> " << text << std::endl;
    },
    step_timeout);
}

} // namespace

int main(int argc, char** argv) {
  demos::http_headers_args args;
  if (auto code = demos::parse_command_line(argc, argv, "print_http_headers",
                                            args))
    return *code;
  auto opts = demos::connect_options_for(args, "print_http_headers");
  if (!opts)
    return 2;
  as::runtime rt;
  try {
    as::run(rt.system(), print_http_headers(rt.system(), args.url, *opts));
  } catch (const as::stream_error& e) {
    std::cerr << "print_http_headers: " << e.what() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
