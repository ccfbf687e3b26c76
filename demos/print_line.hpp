#pragma once

// print_line: one whole line on stdout, flushed. Server handlers run on
// several threads and the output is often a pipe, so each line is written
// under a lock and flushed at once.

#include <iostream>
#include <mutex>
#include <string>

namespace demos {

inline void print_line(const std::string& line) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  std::cout << line << std::endl;
}

} // namespace demos
