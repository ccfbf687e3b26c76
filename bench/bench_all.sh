#!/usr/bin/env bash
# bench_all.sh -- every benchmark of the project, briefly (make bench).
# Prints figures; asserts nothing (the exit status only says whether a
# program failed to run).
#
#   ./bench/bench_all.sh BUILD_DIR        # about 3 minutes
#   FULL=1 ./bench/bench_all.sh BUILD_DIR # the harness with 3 x 5 s runs
#                                         # (docs/performance.md; ~20 min)
#
# 1. reader core alone (bench/reader_bench, Google Benchmark)
# 2. the shared harness: actorstreams beside the peers (bench/run_bench.sh;
#    it also builds the load generator that 3 uses)
# 3. context switches and CPU per echo, pingpong c=50, --io-threads 1
#    (bench/ctx_switches.py), actorstreams and raw Asio
# 4. memory per idle connection at 10,000 connections (bench/idle_memory.py)
# 5. 9,000 active connections: actorstreams, raw Asio, CAF's broker
# docs/performance.md explains every figure.

set -euo pipefail
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd -- "${1:?usage: bench_all.sh BUILD_DIR}" && pwd)"
py=/usr/bin/python3
[[ -x $py ]] || py=python3
loadgen="$build/bench/harness/loadgen/loadgen"
quick=(--quick)
[[ ${FULL:-0} == 1 ]] && quick=()

echo "== 1. reader core (Google Benchmark)"
if [[ -x $build/bench/reader_bench ]]; then
  "$build/bench/reader_bench" --benchmark_min_time=0.2
else
  echo "SKIPPED: $build/bench/reader_bench not built (Debian: libbenchmark-dev)"
fi

echo "== 2. harness: actorstreams beside the peers"
"$here/run_bench.sh" "$build" "${quick[@]}"

echo "== 3. context switches per echo (pingpong c=50, --io-threads 1)"
"$py" "$here/ctx_switches.py" "$build/bench/echo_server" "$loadgen" \
  --conns 50 --seconds 5 -- --io-threads 1
"$py" "$here/ctx_switches.py" "$build/bench/harness/peers/echo_asio" \
  "$loadgen" --conns 50 --seconds 5 -- {port}

echo "== 4. memory per idle connection"
"$py" "$here/idle_memory.py" "$build/bench/echo_server" 10000

echo "== 5. 9,000 active connections (pingpong)"
"$here/run_bench.sh" "$build" --no-build "${quick[@]}" \
  --matrix "pingpong:9000:64:1" --only '^(asio|caf-broker|actorstreams)$'
