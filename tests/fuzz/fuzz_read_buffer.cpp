// Fuzz target: the reader core. The input is a limit and a sequence of
// feeds (small chunks, chunks kept whole), requests (read, readline,
// readexactly, readuntil with several separators, readframe), unread, EOF,
// source failures and exceptions; read_buffer and the naive model of the
// same rules (tests/streams/reader_model.hpp) must agree on every outcome
// and on the state after every step. docs/reliability.md.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "streams/reader_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  if (auto diff = actorstreams::model::check_reader_ops(input)) {
    std::fprintf(stderr, "read_buffer and the model differ:\n%s\n",
                 diff->c_str());
    std::abort();
  }
  return 0;
}
