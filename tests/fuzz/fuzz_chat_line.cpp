// Fuzz target: the chat demo's command parser (demos/chat_protocol.hpp),
// one line as a client may send anything. docs/reliability.md.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "demos/chat_protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using kind = demos::chat_command::kind;
  std::string_view line{reinterpret_cast<const char*>(data), size};
  auto stripped = line;
  while (!stripped.empty()
         && (stripped.back() == '\n' || stripped.back() == '\r'))
    stripped.remove_suffix(1);
  auto command = stripped; // a command without its trailing blanks
  while (!command.empty() && (command.back() == ' ' || command.back() == '\t'))
    command.remove_suffix(1);
  auto cmd = demos::parse_chat_line(line);
  switch (cmd.what) {
    case kind::empty:
      FUZZ_CHECK(stripped.empty(), "only a blank line is empty");
      FUZZ_CHECK(cmd.text.empty(), "an empty line says nothing");
      break;
    case kind::say:
      FUZZ_CHECK(!stripped.empty() && stripped.front() != '/',
                 "a command is never said");
      FUZZ_CHECK(cmd.text == stripped, "said text is the line, unchanged");
      break;
    case kind::nick:
      FUZZ_CHECK(demos::valid_nick(cmd.text), "a nickname is valid");
      FUZZ_CHECK(command == "/nick " + cmd.text, "the nickname is the argument");
      break;
    case kind::quit:
      FUZZ_CHECK(command == "/quit", "only /quit quits");
      break;
    case kind::invalid:
      FUZZ_CHECK(!stripped.empty() && stripped.front() == '/',
                 "only commands are refused");
      FUZZ_CHECK(!cmd.text.empty(), "a refusal says why");
      break;
  }
  return 0;
}
