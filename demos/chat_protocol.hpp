#pragma once

// chat_protocol: what a chat client may type, and what the room answers
// (demos/chat.cpp). One line is one message; a line that starts with '/' is
// a command. Pure functions: tests/demos/demo_protocol_test.cpp checks them
// and fuzz targets can feed them anything.

#include <cstddef>
#include <string>
#include <string_view>

namespace demos {

/// The longest nickname a client may choose.
inline constexpr std::size_t max_nick = 32;

/// One line from a client, parsed.
struct chat_command {
  enum class kind {
    say,     // text for everyone else
    nick,    // /nick NAME: rename
    quit,    // /quit: leave
    invalid, // a command the room refuses; `text` says why
    empty,   // nothing to say (a blank line)
  };
  kind what = kind::empty;
  std::string text;
};

/// Whether `name` may be a nickname: 1 to max_nick characters, letters,
/// digits, '-' and '_' only (no spaces, no control characters, no '*',
/// which marks the room's own lines).
inline bool valid_nick(std::string_view name) {
  if (name.empty() || name.size() > max_nick)
    return false;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    if (!ok)
      return false;
  }
  return true;
}

/// Parses one line as a client sent it (with or without its "\n" or
/// "\r\n"). Text is said as it came; a command's trailing blanks are
/// ignored.
inline chat_command parse_chat_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  using kind = chat_command::kind;
  if (line.empty())
    return {kind::empty, {}};
  if (line.front() != '/')
    return {kind::say, std::string{line}};
  // Blanks after a command are not part of it ("/quit " quits).
  while (line.back() == ' ' || line.back() == '\t')
    line.remove_suffix(1);
  auto space = line.find(' ');
  auto name = line.substr(1, space == std::string_view::npos
                               ? std::string_view::npos
                               : space - 1);
  auto arg = space == std::string_view::npos ? std::string_view{}
                                             : line.substr(space + 1);
  if (name == "nick") {
    if (!valid_nick(arg))
      return {kind::invalid,
              "a nickname is 1 to " + std::to_string(max_nick)
                + " letters, digits, '-' or '_'"};
    return {kind::nick, std::string{arg}};
  }
  if (name == "quit" && arg.empty())
    return {kind::quit, {}};
  return {kind::invalid,
          "unknown command /" + std::string{name}
            + " (there are /nick NAME and /quit)"};
}

} // namespace demos
