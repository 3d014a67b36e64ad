# Herald: `make run` to start it, `make test` to test everything. Both install what is missing.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_RUNS  ?= 20000
FUZZ_TIME  ?= 600
JOBS       ?= $(shell nproc)
CONFIG     ?= config/herald.toml
PYTHON     := /usr/bin/python3

.PHONY: all deps build asan run test unit asan-test fuzz-test fuzz soak integration asan-integration conformance bench bench-queue bench-abuse clean format install deb package-test man

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Unit tests under ASan+UBSan, the libFuzzer targets (tests/fuzz) and a server from the same
# objects: clang, for libFuzzer. Line tables are all the sanitizers' reports need, and cost
# less to compile than full debug information.
$(ASAN_BUILD)/build.ninja:
	CXX=clang++ cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHERALD_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DHERALD_FUZZ=ON

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

fuzz-test: asan
	scripts/fuzz.sh $(ASAN_BUILD) -runs=$(FUZZ_RUNS)

fuzz: asan
	scripts/fuzz.sh $(ASAN_BUILD) -max_total_time=$(FUZZ_TIME)

run: build
	$(BUILD)/herald serve --config $(CONFIG) --foreground $(if $(filter 0,$(shell id -u)),--allow-root)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan-test: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 G_SLICE=always-malloc \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Two at a time on two cores (pytest-xdist): each test has its own Herald, ports and files.
integration: build
	HERALD_BIN=$(abspath $(BUILD)/herald) $(PYTHON) -m pytest -q -p no:cacheprovider \
	  -n $(JOBS) tests/integration

# A share of the integration tests against the sanitizer build's server: what only a running
# server does (a connection's coroutines, the shutdown, delivery) under ASan+UBSan, leaks
# included. The files cover the ways in and out; all of them take twice the release run.
ASAN_INTEGRATION ?= test_relay.py test_pipelining.py test_chunking.py test_smuggling.py \
  test_hostile_clients.py test_starttls.py test_auth.py test_dkim.py test_dane.py \
  test_mta_sts.py test_delivery_http.py test_sendmail.py test_api.py test_queue_commands.py \
  test_spool_journal.py
asan-integration: asan
	cd tests/integration && HERALD_BIN=$(abspath $(ASAN_BUILD)/herald) \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(PYTHON) -m pytest -q -p no:cacheprovider -n $(JOBS) $(ASAN_INTEGRATION)

test: unit asan-test fuzz-test integration asan-integration package-test

# The installed layout: /usr/sbin/herald, which reads /etc/herald/herald.toml without
# --config, the unit, the config, the man pages (cmake/install.cmake). Built in build-deb/,
# configured as debian/rules configures it for the package; ccache makes that a relink of
# build/'s objects. DESTDIR= stages it elsewhere.
install: deps
	debian/rules override_dh_auto_configure override_dh_auto_build
	DESTDIR=$(DESTDIR) cmake --install build-deb

# build/herald_<version>_<arch>.deb and build/herald-sendmail_<version>_all.deb (debian/).
deb: deps
	scripts/deb.sh $(BUILD)

# The unit (systemd-analyze verify and security), lintian, and the package installed with
# apt, serving as user herald, then purged (tests/package). Root only: it installs packages.
package-test: deb
	BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/package

# The long reliability runs: kill -9 under load 20 times instead of 3, and 5000 crash points
# (kills at a flush call) instead of 500.
soak: build
	HERALD_BIN=$(abspath $(BUILD)/herald) HERALD_CRASH_KILLS=20 HERALD_CRASH_POINTS=5000 \
	  $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/integration/test_crash_under_load.py \
	  tests/integration/test_crash_points.py

# Herald beside Postfix on the same load (bench/run.py); prints medians and ratios.
bench: build
	@scripts/deps.sh bench
	HERALD_BIN=$(abspath $(BUILD)/herald) $(PYTHON) bench/run.py $(BENCH_ARGS)

# A million messages queued with the receiver down: memory, and the time to restart.
bench-queue: build
	@scripts/deps.sh bench
	HERALD_BIN=$(abspath $(BUILD)/herald) $(PYTHON) bench/million_queue.py $(BENCH_ARGS)

# 1,000 connections hanging in DATA after 10 MB each: Herald's peak RSS against its goal.
bench-abuse: build
	HERALD_BIN=$(abspath $(BUILD)/herald) $(PYTHON) bench/abuse.py $(BENCH_ARGS)

# The man pages alone, made from docs/commands.md and docs/config.md (cmake/man_pages.cmake);
# `make build` makes them too. Read them with man -l build/man/herald.8 and herald.toml.5.
man: $(BUILD)/build.ninja
	cmake --build $(BUILD) --target man_pages

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')
