#pragma once

// http_request: how http_server reads a request head, line by line, and
// what it answers. Pure, no I/O: http_server.cpp feeds it the lines its
// connection pushes, tests/demos/demo_protocol_test.cpp checks it and
// tests/fuzz/fuzz_http_request.cpp feeds it anything.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace demos {

/// Longest request head accepted, in lines.
inline constexpr std::size_t max_head_lines = 100;

/// The status line and body of a response.
struct http_answer {
  int status = 200;
  std::string_view reason;
  std::string_view body;
  bool send_body = true;

  friend bool operator==(const http_answer&, const http_answer&) = default;
};

/// `line` without its trailing "\n", "\r\n" (or any run of them).
inline std::string_view strip_eol(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  return line;
}

/// The words of `line`, split at runs of spaces.
inline std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto start = line.find_first_not_of(' ', pos);
    if (start == std::string_view::npos)
      break;
    auto end = std::min(line.find(' ', start), line.size());
    words.push_back(line.substr(start, end - start));
    pos = end;
  }
  return words;
}

/// The answer to a complete head with this request line: 200 for GET (with
/// the body) and HEAD (without), 501 for other methods, 400 unless the line
/// is `METHOD TARGET HTTP/x`.
inline http_answer answer_request(std::string_view request_line) {
  auto words = split_words(request_line);
  if (words.size() != 3 || words[2].substr(0, 5) != "HTTP/")
    return {400, "Bad Request", "Bad request\n", true};
  if (words[0] == "GET" || words[0] == "HEAD")
    return {200, "OK", "Test message", words[0] == "GET"};
  return {501, "Not Implemented", "Not implemented\n", true};
}

/// A request head read line by line.
class request_head {
public:
  /// Takes the next line (with or without its line ending); returns the
  /// answer once the head is complete or refused, nullopt while more lines
  /// are needed. Call no more once it answered.
  std::optional<http_answer> add_line(std::string_view line) {
    if (++lines_ > max_head_lines)
      return http_answer{431, "Request Header Fields Too Large",
                         "Too many header lines\n", true};
    auto text = strip_eol(line);
    if (request_line_.empty()) {
      // RFC 9112: ignore empty lines before the request line.
      request_line_ = text;
      return std::nullopt;
    }
    if (text.empty())
      return answer_request(request_line_);
    return std::nullopt;
  }

  /// The answer to a line longer than the connection's limit.
  static http_answer line_too_long() {
    return {431, "Request Header Fields Too Large", "Line too long\n", true};
  }

  const std::string& request_line() const {
    return request_line_;
  }

  std::size_t lines() const {
    return lines_;
  }

private:
  std::string request_line_;
  std::size_t lines_ = 0;
};

} // namespace demos
