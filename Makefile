# Two commands on a fresh Debian machine:
#   make demo   installs what is missing, builds, runs the four examples
#   make test   installs what is missing, builds, runs every test
# Also: make deps | build | bench | clean

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
CMAKE_FLAGS ?=

# Debian packages the build, the tests and the demos need (libssl-dev: TLS;
# openssl: the tests' and the demo's throwaway certificates).
PACKAGES := cmake make g++ libcaf-dev libasio-dev libssl-dev libgtest-dev \
            libgmock-dev libbenchmark-dev python3 openssl

.PHONY: all deps build test demo bench clean

all: build

deps:
	@./scripts/install_deps.sh $(PACKAGES)

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 300

demo: build
	./demos/run_demos.sh $(BUILD_DIR)/demos

# Every benchmark, briefly (FULL=1: the harness at its 3 x 5 s defaults).
# The harness's uvloop peers need python3-uvloop, the reader micro-benchmarks
# libbenchmark-dev; Node.js, Go and Erlang peers run where installed.
bench: build
	@./scripts/install_deps.sh python3-uvloop
	./bench/bench_all.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
