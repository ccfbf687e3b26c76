# Two commands on a fresh Debian machine:
#   make demo   installs what is missing, builds, runs the four examples
#   make test   installs what is missing, builds, runs every test
# Also: make deps | build | bench | clean, and the hardening runs:
#   make test-asan | test-tsan | fuzz | soak   (docs/reliability.md)

SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
CMAKE_FLAGS ?=

# Debian packages the build, the tests and the demos need (libssl-dev: TLS;
# openssl: the tests' and the demo's throwaway certificates; iproute2: `ss`,
# which shows a listening socket's backlog).
PACKAGES := cmake make g++ libcaf-dev libasio-dev libssl-dev libgtest-dev \
            libgmock-dev libbenchmark-dev python3 openssl iproute2

.PHONY: all deps build test test-asan test-tsan fuzz soak demo bench clean

all: build

deps:
	@./scripts/install_deps.sh $(PACKAGES)

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 300

# Every test again, built with AddressSanitizer (leak detection on) and
# UndefinedBehaviorSanitizer: any report fails its test. Suppressions, each
# with its reason, are in cmake/sanitizers/ (third-party code only). The
# consumer tests (a separate, uninstrumented build of a user's project) and
# the benchmarks are left out. docs/reliability.md.
ASAN_DIR ?= build-asan
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/cmake/sanitizers/lsan.supp \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/cmake/sanitizers/ubsan.supp
test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DACTORSTREAMS_SANITIZERS=address,undefined -DACTORSTREAMS_BUILD_BENCH=OFF
	cmake --build $(ASAN_DIR) -j$(JOBS)
	cd $(ASAN_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS) \
	  --timeout 600 -E '^consumer\.'

# ThreadSanitizer on what it can judge: Debian's CAF is not instrumented,
# so only the reader core and the Asio layer, with their own threaded tests
# (tests/tsan/). docs/reliability.md.
TSAN_DIR ?= build-tsan
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DACTORSTREAMS_SANITIZERS=thread -DACTORSTREAMS_BUILD_BENCH=OFF \
	  -DACTORSTREAMS_BUILD_DEMOS=OFF
	cmake --build $(TSAN_DIR) -j$(JOBS) --target tsan_tests
	cd $(TSAN_DIR) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j$(JOBS) --timeout 600 -R '^tsan\.'

# libFuzzer on the reader core and the demos' parsers (tests/fuzz/), with
# ASan and UBSan: FUZZ_SECONDS per target (default 60), starting from the
# checked-in seed corpus; new inputs go to $(FUZZ_DIR)/corpus, crashes to
# $(FUZZ_DIR)/crashes. Longer: make fuzz FUZZ_SECONDS=3600. docs/reliability.md.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := read_buffer http_request http_text chat_line
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
fuzz: deps
	@./scripts/install_deps.sh $(FUZZ_PACKAGES)
	cmake -S tests/fuzz -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_DIR) -j$(JOBS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ \
	    $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 \
	    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss|==|SUMMARY|.*invariant|.*differ)' ; \
	  test "$${PIPESTATUS[0]}" = 0 || { echo "fuzz_$$t FAILED: see $(FUZZ_DIR)/crashes/$$t"; exit 1; }; \
	done; echo "fuzz: all targets ran $(FUZZ_SECONDS) s without a failure"

# The bench echo server under mixed clients (normal, slow, abusive) for
# SOAK_MINUTES (default 2): descriptors and memory back at their baseline,
# every well-behaved byte verified, nothing logged. docs/reliability.md.
SOAK_MINUTES ?= 2
soak: build
	/usr/bin/env python3 bench/soak.py $(BUILD_DIR)/bench/echo_server \
	  --minutes $(SOAK_MINUTES)

demo: build
	./demos/run_demos.sh $(BUILD_DIR)/demos

# Every benchmark, briefly (FULL=1: the harness at its 3 x 5 s defaults).
# The harness's uvloop peers need python3-uvloop, the reader micro-benchmarks
# libbenchmark-dev; Node.js, Go and Erlang peers run where installed.
bench: build
	@./scripts/install_deps.sh python3-uvloop
	./bench/bench_all.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
