# RunLedger: `make run` starts the sidecar on the bundled example log; `make test` runs every test.
SWIFT ?= swift
# System packages the build and the tests need (promtool comes with prometheus). The tests read the
# rule files with python3-yaml and check OpenMetrics output with python3-prometheus-client's strict parser.
# libpq-dev reads the executor's database on PostgreSQL; the tests start a throwaway server from postgresql's
# binaries (/usr/lib/postgresql/*/bin), as its `postgres` user. BrowserTests drive the pages in Debian's headless
# Chromium through chromium-driver and python3-selenium.
DEB_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libsystemd-dev zlib1g-dev libpq-dev systemd-journal-remote prometheus \
	prometheus-alertmanager postgresql \
	python3-yaml python3-prometheus-client chromium chromium-driver python3-selenium strace openssl curl
LISTEN ?= 127.0.0.1:9477
DB ?= data/runledger.db
SOURCE ?= examples/executor.log

.PHONY: all deps build test test-fast rules lint run format clean bench bench-fleet bench-micro bench-micro-update fuzz release \
	package-test stamp

all: build

# Installs what is missing, so a fresh machine passes.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "make: could not install$$missing (run as root, or install them yourself)"; exit 1; }; \
	fi

# The revision and date `runledger --version` reports (Sources/CBuildInfo/stamp.h).
stamp:
	@SWIFT=$(SWIFT) tools/build-stamp.sh

build: deps stamp
	$(SWIFT) build

# The alerting and recording rules: valid, and their unit tests (series in, alerts out) pass.
rules: deps
	promtool check rules alerts/*.yml
	promtool test rules alerts/tests/*.yml

# The code's layout: `swift format lint --strict` with .swift-format (120 columns); `make format` fixes most.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

test: deps stamp rules lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The edit loop: every test but the suites tagged `.slow` (Tests/TestSupport/Tags.swift: servers, kill loops,
# fuzzing), named by tools/slow-suites.sh.
test-fast: deps stamp
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip "$$(tools/slow-suites.sh)"

# The release: the Swift runtime linked statically, so the binary needs only Debian's libraries, then
# dist/runledger_VERSION_amd64.deb and a tarball (packaging/build-deb.sh). The version has one home:
# RunLedgerCommand.version.
VERSION := $(shell sed -n 's/^ *static let version = "\(.*\)"$$/\1/p' Sources/runledger/RunLedgerCommand.swift)
release: deps stamp
	$(SWIFT) build -c release --static-swift-stdlib --product runledger
	packaging/build-deb.sh $(VERSION) .build/release/runledger dist

# Installs the .deb on this machine (dpkg -i), checks what it installed, the unit (systemd-analyze verify and
# security), sd_notify READY and WATCHDOG from the installed binary, then purges it (packaging/package-test.sh).
package-test: release
	packaging/package-test.sh $(VERSION) dist/runledger_$(VERSION)_$$(dpkg --print-architecture).deb

run: build
	@mkdir -p $(dir $(DB))
	.build/debug/runledger serve --db $(DB) --listen $(LISTEN) $(SOURCE)

# Benchmarks (never part of `test`): RunLedger replay side by side with mtail and `grep -c` on the same
# generated corpus, /metrics render time, serve latency, restart time. Corpora are cached in .bench-cache/.
# BENCH_LINES=1e5|1e6|1e7 picks the side-by-side corpus (default 1e6); BENCH_BIG the restart corpus (1e7).
bench: deps
	@missing=""; for c in mtail:mtail /usr/bin/time:time curl:curl sqlite3:sqlite3; do \
	  command -v $${c%%:*} >/dev/null 2>&1 || missing="$$missing $${c##*:}"; done; \
	if [ -n "$$missing" ]; then echo "make: installing$$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	  || { echo "make: could not install$$missing (run as root, or install them yourself)"; exit 1; }; fi
	$(SWIFT) build -c release
	bench/bench.sh
	$(MAKE) bench-micro

# The PostgreSQL ledger's scale figures (bench/fleet.sh): replay into PostgreSQL vs SQLite, four instances at
# once, the size per run, and /api/runs p99 on a ledger of a million runs, on a throwaway server of its own.
bench-fleet: deps
	$(SWIFT) build -c release
	bench/fleet.sh

# Micro-benchmarks of Extractor and Correlator (package-benchmark, in the separate package Benchmarks/, so that
# this package's build never pulls it in): prints the figures, then fails if a benchmark's mallocs differ from
# Benchmarks/Thresholds/ (docs/micro-benchmarks.md). `make bench-micro-update` records new ones after a change
# that is meant to move them.
bench-micro:
	cd Benchmarks && $(SWIFT) package benchmark --no-progress
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --no-progress

bench-micro-update:
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark thresholds update --no-progress
	python3 Benchmarks/keep-mallocs.py Benchmarks/Thresholds/*.p90.json

# The seeded mutation fuzzer (Tests/RunLedgerStoreTests/FuzzTests.swift) for longer than `make test` runs
# it: FUZZ_ITERATIONS mutated real lines (default 20 million, about three minutes), seeded from the clock unless
# FUZZ_SEED is given; a failure prints the seed that repeats it.
FUZZ_ITERATIONS ?= 20000000
fuzz: deps
	$(SWIFT) build --build-tests
	RUNLEDGER_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) RUNLEDGER_FUZZ_SEED=$${FUZZ_SEED:-$$(date +%s)} \
	  $(SWIFT) test --skip-build --filter FuzzTests

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build data dist
