#pragma once

// http_headers: the protocol code of print_http_headers (both styles): its
// command line, the URL split as urllib.parse.urlsplit would, the HEAD
// request, each response line decoded as asyncio's example does, and the
// whole conversation (tests/demos/demo_protocol_test.cpp drives it with the
// test kit's scripted peer).

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <streams/all.hpp>

namespace demos {

/// The parts of an absolute URL that the example uses.
struct url_parts {
  std::string scheme;
  std::string host; // without the brackets of an IPv6 literal
  uint16_t port = 80; // the scheme's default: 80, 443 for https
  std::string path; // path and query, "/" if empty
};

/// Splits `url` as urllib.parse.urlsplit would (scheme, host, port, path);
/// nullopt with `why` set if it is not a usable absolute URL.
inline std::optional<url_parts> parse_url(std::string_view url,
                                          std::string& why) {
  url_parts result;
  auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    why = "not an absolute URL (expected scheme://host[:port]/path)";
    return std::nullopt;
  }
  for (char ch : url.substr(0, colon))
    result.scheme += static_cast<char>(
      std::tolower(static_cast<unsigned char>(ch)));
  auto rest = url.substr(colon + 3);
  rest = rest.substr(0, rest.find('#'));
  auto authority_end = std::min(rest.find('/'), rest.find('?'));
  auto authority = rest.substr(0, authority_end);
  if (authority_end != std::string_view::npos)
    result.path = rest.substr(authority_end);
  if (result.path.empty() || result.path.front() != '/')
    result.path.insert(0, "/");
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1); // drop user:password@
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "invalid IPv6 address in the URL";
      return std::nullopt;
    }
    result.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "unexpected text after the IPv6 address";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    auto sep = authority.rfind(':');
    result.host = authority.substr(0, sep);
    if (sep != std::string_view::npos)
      port_text = authority.substr(sep + 1);
  }
  if (result.host.empty()) {
    why = "no host in the URL";
    return std::nullopt;
  }
  if (result.scheme == "https")
    result.port = 443;
  if (!port_text.empty()) {
    unsigned long port = 0;
    for (char ch : port_text) {
      if (ch < '0' || ch > '9' || port > 65535) {
        why = "invalid port in the URL";
        return std::nullopt;
      }
      port = port * 10 + static_cast<unsigned long>(ch - '0');
    }
    if (port == 0 || port > 65535) {
      why = "port out of range in the URL";
      return std::nullopt;
    }
    result.port = static_cast<uint16_t>(port);
  }
  return result;
}

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

/// The example's request: `HEAD <path> HTTP/1.0` with a Host header.
inline std::string head_request(const url_parts& url) {
  return "HEAD " + url.path + " HTTP/1.0\r\nHost: " + url.host + "\r\n\r\n";
}

/// `line.decode('latin1').rstrip()` as UTF-8 text: strips what Python's
/// str.rstrip() counts as whitespace among the Latin-1 characters.
inline std::string decode_and_rstrip(std::string_view line) {
  auto is_space = [](unsigned char ch) {
    return (ch >= 0x09 && ch <= 0x0d) || (ch >= 0x1c && ch <= 0x20)
           || ch == 0x85 || ch == 0xa0;
  };
  while (!line.empty() && is_space(static_cast<unsigned char>(line.back())))
    line.remove_suffix(1);
  std::string out;
  out.reserve(line.size());
  for (char ch : line) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xc0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3f));
    }
  }
  return out;
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
