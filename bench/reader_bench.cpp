// reader_bench: the reader core alone (streams/read_buffer.hpp, no actor, no
// socket), with Google Benchmark. Prints figures, asserts nothing.
//
//   build/bench/reader_bench                      # every benchmark
//   build/bench/reader_bench --benchmark_filter=readline
//
// - readline over 64-byte lines: chunks of 64 KiB fed, every line read;
//   bytes/s is the reader core's line throughput on one core.
// - readuntil over one line of N bytes arriving in 4 KiB chunks, a
//   readuntil attempted after every chunk (as the connection actor does):
//   the time per byte must not grow with N (no rescanning from the start).

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "streams/read_buffer.hpp"

namespace as = actorstreams;

namespace {

void readline_64b(benchmark::State& state) {
  constexpr std::size_t line = 64;
  constexpr std::size_t chunk_size = 64 * 1024;
  std::string one(line - 1, 'x');
  one += '\n';
  std::string chunk;
  while (chunk.size() + line <= chunk_size)
    chunk += one;
  std::size_t total = 0;
  as::read_buffer buf{64 * 1024};
  for (auto _ : state) {
    buf.feed_data(chunk);
    for (;;) {
      auto out = buf.try_readline();
      if (out.state != as::read_outcome::kind::done)
        break;
      total += out.data.size();
      benchmark::DoNotOptimize(out.data.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(total));
  state.counters["lines/s"] = benchmark::Counter(
    static_cast<double>(total / line), benchmark::Counter::kIsRate);
}
BENCHMARK(readline_64b);

void readuntil_long_line(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t chunk_size = 4096;
  std::string piece(chunk_size, 'x');
  std::vector<as::bytes> seps{"\r\n"};
  std::size_t total = 0;
  for (auto _ : state) {
    as::read_buffer buf{n + 16};
    std::size_t fed = 0;
    for (; fed + chunk_size < n; fed += chunk_size) {
      buf.feed_data(piece);
      auto out = buf.try_readuntil(seps);
      benchmark::DoNotOptimize(out.state);
    }
    buf.feed_data(std::string(n - fed - 2, 'x') + "\r\n");
    auto out = buf.try_readuntil(seps);
    total += out.data.size();
    benchmark::DoNotOptimize(out.data.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(total));
  state.SetComplexityN(static_cast<int64_t>(n));
}
BENCHMARK(readuntil_long_line)
  ->RangeMultiplier(4)
  ->Range(16 * 1024, 1024 * 1024)
  ->Complexity(benchmark::oN);

} // namespace

BENCHMARK_MAIN();
