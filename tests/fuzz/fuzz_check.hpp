#pragma once

// What a fuzz target does when an invariant breaks: says which, shows the
// input's size, and aborts (libFuzzer then saves the input as a crash; the
// corpus replay in `make test` fails).

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__,   \
                   __LINE__, #cond, std::string_view{what}.data());           \
      std::abort();                                                           \
    }                                                                         \
  } while (false)
