// Fuzz target: http_server's request head (demos/http_request.hpp). The
// input is cut into lines as the connection's line framing would cut it,
// and fed until the head answers. docs/reliability.md.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "demos/http_request.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  demos::request_head head;
  std::size_t fed = 0;
  std::string_view last;
  std::optional<demos::http_answer> answer;
  while (!input.empty() && !answer) {
    auto end = input.find('\n');
    auto line = input.substr(0, end == std::string_view::npos ? input.size()
                                                              : end + 1);
    input.remove_prefix(line.size());
    ++fed;
    last = line;
    answer = head.add_line(line);
  }
  FUZZ_CHECK(head.lines() == fed, "every line is counted");
  if (!answer) {
    FUZZ_CHECK(fed <= demos::max_head_lines, "a long head is refused");
    return 0;
  }
  switch (answer->status) {
    case 431:
      FUZZ_CHECK(fed == demos::max_head_lines + 1,
                 "431 comes on the first line too many");
      return 0;
    case 200:
    case 400:
    case 501:
      break;
    default:
      FUZZ_CHECK(false, "an answer has a known status");
  }
  FUZZ_CHECK(demos::strip_eol(last).empty(), "a head ends at a blank line");
  const auto& request_line = head.request_line();
  FUZZ_CHECK(!request_line.empty(), "blank lines before the request are skipped");
  FUZZ_CHECK(request_line.back() != '\n' && request_line.back() != '\r',
             "the request line has no line ending");
  auto words = demos::split_words(request_line);
  for (auto word : words)
    FUZZ_CHECK(!word.empty() && word.find(' ') == std::string_view::npos,
               "words have no spaces");
  bool well_formed = words.size() == 3 && words[2].substr(0, 5) == "HTTP/";
  if (answer->status == 200) {
    FUZZ_CHECK(well_formed && (words[0] == "GET" || words[0] == "HEAD"),
               "200 only for GET and HEAD");
    FUZZ_CHECK(answer->send_body == (words[0] == "GET"), "HEAD has no body");
  } else {
    FUZZ_CHECK(answer->status == (well_formed ? 501 : 400),
               "501 for other methods, 400 for malformed lines");
  }
  return 0;
}
