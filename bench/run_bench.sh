#!/usr/bin/env bash
# run_bench.sh -- measure bench/echo_server against the peer echo servers
# with the shared harness (../shared/bench/run_peers.sh, see its README.md).
#
#   ./bench/run_bench.sh BUILD_DIR [run_peers options ...]
#   ./bench/run_bench.sh build --quick             # smoke test, about a minute
#   ./bench/run_bench.sh build --no-peers --quick  # only actorstreams
#
# echo_server runs five times: as a raw echo server ("actorstreams", read
# mode; "actorstreams-push", push mode with chunks framing) and as a line
# server ("actorstreams-lines", one readline request per line;
# "actorstreams-push-lines", push mode, one line per message;
# "actorstreams-push-batch-lines", push mode, up to 16 lines per message). The harness builds
# its load generator and peers into BUILD_DIR/bench/harness (or
# $HARNESS_BUILD_DIR); the report goes to BUILD_DIR/bench/results/<UTC time>/
# unless --out is given. Exits with the harness's status (1: errors or
# mismatches).

set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
harness="$here/../../shared/bench/run_peers.sh"

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  [[ $# -ge 1 ]] && exit 0 || exit 2
fi
# run_peers runs the server commands with bash -c in the current directory:
# give it absolute paths.
build="$(cd -- "$1" 2>/dev/null && pwd)" || { echo "run_bench: no build directory: $1" >&2; exit 2; }
shift
server="$build/bench/echo_server"
[[ -x $server ]] || { echo "run_bench: $server is not built (cmake --build $build --target echo_server)" >&2; exit 2; }
[[ -x $harness ]] || { echo "run_bench: the harness is missing: $harness" >&2; exit 2; }

out=""
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  [[ ${args[i]} == --out && $((i + 1)) -lt ${#args[@]} ]] && out=${args[i + 1]}
done
if [[ -z $out ]]; then
  out="$build/bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
  args+=(--out "$out")
fi

printf -v cmd '%q' "$server"
status=0
BUILD_DIR="${HARNESS_BUILD_DIR:-$build/bench/harness}" "$harness" \
  --server "actorstreams=$cmd --port {port}" \
  --server "actorstreams-push=$cmd --mode push --framing chunks --port {port}" \
  --line-server "actorstreams-lines=$cmd --mode line --port {port}" \
  --line-server "actorstreams-push-lines=$cmd --mode push --port {port}" \
  --line-server "actorstreams-push-batch-lines=$cmd --mode push --batch 16 --credit 32 --grant 16 --port {port}" \
  "${args[@]}" || status=$?
echo "run_bench: report: $out/report.md (raw results and server logs next to it)" >&2
exit "$status"
