#pragma once

// http_text: the text handling of print_http_headers, pure functions with
// no I/O (tests/demos/demo_protocol_test.cpp checks them and
// tests/fuzz/fuzz_http_text.cpp feeds them anything): the URL split as
// urllib.parse.urlsplit would, the HEAD request, and each response line
// decoded as asyncio's example does.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  // Nothing that could end a line of the request or split its words
  // (urllib drops tabs and newlines silently; a refusal is clearer).
  for (char ch : url) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte <= 0x20 || byte == 0x7f) {
      why = "control character or space in the URL";
      return std::nullopt;
    }
  }
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

} // namespace demos
