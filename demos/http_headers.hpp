#pragma once

// http_headers: the protocol code of print_http_headers (both styles): its
// command line and the whole conversation (tests/demos/demo_protocol_test.cpp
// drives it with the test kit's scripted peer); the text handling it uses
// (URL, request, response lines) is in http_text.hpp.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <streams/all.hpp>

#include "http_text.hpp"

namespace demos {

/// What the command line asks for.
struct http_headers_args {
  url_parts url;
  /// --cafile: PEM certificates of a private CA to trust for https.
  std::string cafile;
};

/// Reads the command line, `<program> [--cafile PEM] URL`, into `args`.
/// Returns the exit code if the program ends here (usage, a bad URL, a
/// scheme it cannot fetch), nullopt otherwise.
inline std::optional<int> parse_command_line(int argc, char** argv,
                                             std::string_view program,
                                             http_headers_args& args) {
  auto usage = [&](std::ostream& out) {
    out << "usage: " << program
        << " [--cafile PEM] URL   (e.g. http://127.0.0.1:8080/, "
           "https://localhost:8443/)"
        << std::endl;
  };
  std::string_view url_text;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cerr);
      return 0;
    }
    if (arg == "--cafile" && i + 1 < argc) {
      args.cafile = argv[++i];
      continue;
    }
    if (!url_text.empty() || arg.rfind("--", 0) == 0) {
      usage(std::cerr);
      return 2;
    }
    url_text = arg;
  }
  if (url_text.empty()) {
    usage(std::cerr);
    return 2;
  }
  std::string why;
  auto parsed = parse_url(url_text, why);
  if (!parsed) {
    std::cerr << program << ": " << url_text << ": " << why << std::endl;
    return 2;
  }
  if (parsed->scheme != "http" && parsed->scheme != "https") {
    std::cerr << program << ": unsupported scheme '" << parsed->scheme
              << "' (only http:// and https:// are supported)" << std::endl;
    return 2;
  }
  args.url = std::move(*parsed);
  return std::nullopt;
}

/// The connect options for `args`: https verifies the server (against the
/// system's CAs, and `--cafile` if given) and its name, as the seed's
/// `open_connection(host, 443, ssl=True)` does. Fails (with the reason on
/// stderr) if the CA file cannot be loaded.
inline std::optional<actorstreams::connect_options>
connect_options_for(const http_headers_args& args, std::string_view program) {
  actorstreams::connect_options opts;
  if (args.url.scheme != "https")
    return opts;
  opts.ssl = actorstreams::tls_context::client();
  if (!args.cafile.empty()) {
    if (auto err = opts.ssl.load_verify_file(args.cafile)) {
      std::cerr << program << ": " << actorstreams::describe(err) << std::endl;
      return std::nullopt;
    }
  }
  return opts;
}

/// The example's conversation once connected: sends the HEAD request,
/// hands each response line, decoded and stripped, to `print` (empty ones
/// skipped) until EOF, then closes. Each step gives up after
/// `step_timeout` (a stream_error `timeout`, as asyncio.wait_for would).
inline actorstreams::task<void>
exchange_head(actorstreams::stream_reader reader,
              actorstreams::stream_writer writer, url_parts url,
              std::function<void(const std::string&)> print,
              caf::timespan step_timeout) {
  writer.write(head_request(url));
  co_await writer.drain().with_timeout(step_timeout);

  for (;;) {
    auto line = co_await reader.readline().with_timeout(step_timeout);
    if (line.empty())
      break; // EOF
    if (auto text = decode_and_rstrip(line); !text.empty())
      print(text);
  }

  // Ignore the body, close the socket
  writer.close();
  co_await writer.wait_closed().with_timeout(step_timeout);
}

} // namespace demos
