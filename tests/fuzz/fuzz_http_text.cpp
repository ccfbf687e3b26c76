// Fuzz target: print_http_headers' text handling (demos/http_text.hpp): the
// URL parser and the HEAD request built from it, and the response line
// decoder. docs/reliability.md.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "demos/http_text.hpp"
#include "fuzz_check.hpp"

namespace {

bool is_ascii_space(char ch) {
  return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

void check_url(std::string_view text) {
  std::string why;
  auto url = demos::parse_url(text, why);
  if (!url) {
    FUZZ_CHECK(!why.empty(), "a refused URL says why");
    return;
  }
  FUZZ_CHECK(!url->host.empty(), "a URL has a host");
  FUZZ_CHECK(url->port != 0, "a URL has a port");
  FUZZ_CHECK(!url->path.empty() && url->path.front() == '/',
             "the path starts with a slash");
  FUZZ_CHECK(url->path.find('#') == std::string::npos, "no fragment is sent");
  for (char ch : url->scheme)
    FUZZ_CHECK(!(ch >= 'A' && ch <= 'Z'), "the scheme is lower case");
  for (char ch : url->host + url->path)
    FUZZ_CHECK(static_cast<unsigned char>(ch) > 0x20 && ch != 0x7f,
               "no control character or space reaches the request");
  // The request is exactly two header lines and the blank line.
  auto request = demos::head_request(*url);
  FUZZ_CHECK(request.rfind("HEAD /", 0) == 0, "a HEAD request");
  std::size_t crlf = 0;
  for (auto pos = request.find("\r\n"); pos != std::string::npos;
       pos = request.find("\r\n", pos + 2))
    ++crlf;
  FUZZ_CHECK(crlf == 3, "two lines and the blank line");
  FUZZ_CHECK(request.find('\n') == request.find("\r\n") + 1,
             "no bare line feed");
}

void check_decode(std::string_view line) {
  auto text = demos::decode_and_rstrip(line);
  // Latin-1 to UTF-8: one or two bytes per character, leads C2 or C3.
  std::string back;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      back += text[i];
      continue;
    }
    FUZZ_CHECK((byte == 0xc2 || byte == 0xc3) && i + 1 < text.size(),
               "a two-byte sequence starts with C2 or C3");
    auto cont = static_cast<unsigned char>(text[++i]);
    FUZZ_CHECK((cont & 0xc0) == 0x80, "a continuation byte follows");
    back += static_cast<char>(((byte & 0x03) << 6) | (cont & 0x3f));
  }
  FUZZ_CHECK(line.substr(0, back.size()) == back,
             "decoding keeps a prefix of the line");
  FUZZ_CHECK(back.empty() || !is_ascii_space(back.back()),
             "trailing white space is stripped");
  for (auto rest = line.substr(back.size()); char ch : rest) {
    auto byte = static_cast<unsigned char>(ch);
    FUZZ_CHECK(is_ascii_space(ch) || (byte >= 0x1c && byte <= 0x20)
                 || byte == 0x85 || byte == 0xa0,
               "only white space is stripped");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  check_url(input);
  check_decode(input);
  return 0;
}
