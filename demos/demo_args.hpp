#pragma once

// demo_args: the command line the network demos share: `[--host H]
// [--port P]`, -h / --help, and further options that take a text value
// (tcp_echo_client's --message).

#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace demos {

/// Parses a port number, 0 to 65535, into `port`; false if `text` is none.
inline bool parse_port(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5)
    return false;
  unsigned long value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9')
      return false;
    value = value * 10 + static_cast<unsigned long>(ch - '0');
  }
  if (value > 65535)
    return false;
  port = static_cast<uint16_t>(value);
  return true;
}

/// An option that takes a text value, and where the value goes.
using text_option = std::pair<std::string_view, std::string*>;

/// Reads `argv` into `host`, `port` and the `more` options. Returns the exit
/// code if the program ends here: 0 after printing `usage` for -h / --help,
/// 2 after reporting a bad port or an unexpected argument; nullopt otherwise.
inline std::optional<int>
parse_args(int argc, char** argv, std::string_view program,
           void (*usage)(std::ostream&), std::string& host, uint16_t& port,
           std::initializer_list<text_option> more = {}) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return 0;
    }
    std::string* text = arg == "--host" ? &host : nullptr;
    for (const auto& [name, target] : more)
      if (arg == name)
        text = target;
    if ((text != nullptr || arg == "--port") && i + 1 < argc) {
      std::string_view value = argv[++i];
      if (text != nullptr) {
        *text = value;
      } else if (!parse_port(value, port)) {
        std::cerr << program << ": bad port: " << value << "\n";
        return 2;
      }
      continue;
    }
    std::cerr << program << ": unexpected argument: " << arg << "\n";
    usage(std::cerr);
    return 2;
  }
  return std::nullopt;
}

} // namespace demos
