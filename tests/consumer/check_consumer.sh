#!/usr/bin/env bash
# check_consumer.sh MODE SOURCE_DIR BUILD_DIR
#   find_package:     installs BUILD_DIR into a temp prefix, builds and runs
#                     the consumer against it
#   add_subdirectory: builds the consumer with the source tree as a
#                     subdirectory (the library is built again there) and
#                     runs it
set -euo pipefail
mode=$1 src=$2 build=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $mode in
  find_package)
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    cmake -S "$src/tests/consumer" -B "$work/build" \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
    cmake --build "$work/build" -j2 >/dev/null
    out=$("$work/build/consumer")
    "$work/build/consumer_kit" >/dev/null
    ;;
  add_subdirectory)
    cmake -S "$src/tests/consumer" -B "$work/build" \
      -DACTORSTREAMS_SOURCE_DIR="$src" >/dev/null
    cmake --build "$work/build" --target consumer consumer_kit -j2 >/dev/null
    out=$("$work/build/consumer")
    "$work/build/consumer_kit" >/dev/null
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
if [[ $out != "consumer works" ]]; then
  echo "consumer printed: $out" >&2
  exit 1
fi
echo "consumer ($mode): OK"
