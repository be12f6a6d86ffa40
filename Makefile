# llmres: every entry point. `make test` is the one that must pass.
CC      ?= cc
CFLAGS  ?= -std=c99 -pedantic -Wall -Wextra -Wshadow -Werror -O2
BUILD   := build

.PHONY: all test check setup cross size bench bench-instr bench-https fleet fuzz demo sim clean

all: $(BUILD)/unit $(BUILD)/chat

$(BUILD)/chat: examples/chat.c llmres.h port/llmres_posix.h port/llmres_mbedtls.h
	@mkdir -p $(BUILD)
	$(CC) -std=c99 -O2 -Wall -Wextra examples/chat.c -o $@ -lmbedtls -lmbedx509 -lmbedcrypto -lpthread

$(BUILD)/unit: tests/unit/unit.c llmres.h tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) tests/unit/unit.c -o $@

# Everything that must pass; ends with "N passed, M failed". Installs what is missing first.
test: setup
	@sh tests/run.sh

# The packages and mbedTLS 3.6 that make test uses (as root; otherwise the command to run).
setup:
	@sh tests/setup.sh

# One test file alone, with the servers it needs: make check T=http [F=part_of_a_test_name]
check:
	@sh tests/check.sh "$(T)" "$(F)"

# Cortex-M0, Cortex-M4 and RV32 objects at -Os; fails on any soft-float helper.
cross:
	@sh tests/size.sh --cross

# Firmware with no threads against the simulated overloaded provider, in virtual time.
sim: $(BUILD)/superloop
	@$(BUILD)/superloop

$(BUILD)/superloop: examples/superloop.c llmres.h port/llmres_sim.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) examples/superloop.c -o $@

# The unit tests on emulated hardware (QEMU): bare-metal Cortex-M3, Cortex-M0 with 16 KB of
# RAM and RV32 (picolibc, semihosting); armhf, i386 and big-endian s390x in Linux user mode.
# make test runs a quicker part of it (tests/emu/run.sh --quick).
.PHONY: emu
emu: setup
	@sh tests/emu/run.sh

# Flash and RAM per primitive and target.
size:
	@sh tests/size.sh

# Nanoseconds per operation (median of runs), then llmres versus libcurl over HTTPS.
bench: $(BUILD)/bench
	@$(BUILD)/bench
	@sh tests/bench/bench_https.sh

# 2000 HTTPS GETs over keep-alive to a local nginx: llmres versus libcurl, side by side.
bench-https:
	@sh tests/bench/bench_https.sh

# The HTTP response parser beside the peers Debian packages (http-parser, llhttp,
# picohttpparser): instructions (callgrind) and time in one table; make bench runs it too.
# BEFORE=<git revision> adds a column for llmres.h at that revision.
.PHONY: bench-http
bench-http:
	@sh tests/bench/http_peers.sh
bench: bench-http

bench-instr: $(BUILD)/bench $(BUILD)/bench_stats
	@sh tests/bench/bench_instr.sh $(BUILD)/bench $(BUILD)/bench_stats

$(BUILD)/bench_stats: tests/bench/bench_stats.c llmres.h port/llmres_sim.h
	@mkdir -p $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -Werror tests/bench/bench_stats.c -o $@

$(BUILD)/bench: tests/bench/bench.c tests/bench/bench_impl.c llmres.h
	@mkdir -p $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -Werror tests/bench/bench.c tests/bench/bench_impl.c -o $@

# A fleet of devices against one overloaded provider, in virtual time: llmres beside simpler
# retry policies (SEEDS="1 2 3"). Tables on stdout; build/fleet/fleet-a.png and fleet-b.png.
fleet: $(BUILD)/fleet/fleet
	@$(BUILD)/fleet/fleet --out $(BUILD)/fleet
	@if command -v gnuplot >/dev/null 2>&1; then \
	    gnuplot -e "dir='$(BUILD)/fleet'" tests/bench/fleet.gp && echo "Plots: $(BUILD)/fleet/fleet-a.png, $(BUILD)/fleet/fleet-b.png"; \
	else \
	    echo "No plots: gnuplot is not installed (sudo apt-get install gnuplot-nox)"; \
	fi

$(BUILD)/fleet/fleet: tests/bench/fleet.c llmres.h
	@mkdir -p $(BUILD)/fleet
	$(CC) -std=c99 -pedantic -Wall -Wextra -Wshadow -Werror -O2 tests/bench/fleet.c -o $@ -lm

# The FreeRTOS and bare-metal ports, the port conformance test (POSIX, sim), 8 threads
# sharing one client under ThreadSanitizer (also part of make test).
.PHONY: ports
ports:
	@sh tests/ports.sh

# Longer fuzzing runs (FUZZ_SECONDS each, default 300): the HTTP parser, then the whole
# client, the configuration and the request writers (tests/fuzz/run.sh).
fuzz:
	@mkdir -p $(BUILD)/fuzz
	clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all tests/fuzz/fuzz_http.c -o $(BUILD)/fuzz/fuzz_http
	@OUT=$(BUILD)/fuzz; . tests/common.sh; fuzz_seeds $(BUILD)/fuzz/corpus
	cd $(BUILD)/fuzz && ./fuzz_http -max_total_time=$${FUZZ_SECONDS:-300} corpus
	OUT=$(BUILD)/fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-300} sh tests/fuzz/run.sh

# The main job: 200 requests through llmres to a local, overloaded mock LLM (no key, no network).
demo:
	@sh examples/demo.sh

# The lwIP port on Debian's real lwIP stack over a TAP in a network namespace (root;
# otherwise it prints SKIP). LLMRES_LWIP_SKIP_SUPERLOOP=1 skips the superloop test.
.PHONY: lwip
lwip:
	@sh tests/lwip/run.sh

clean:
	rm -rf $(BUILD)

# llmres with TLS, small: examples/chat fully static with musl and the minimal mbedTLS
# (port/llmres_mbedtls_config.h), at most 250 KB, beside curl; and one Cortex-M3 image
# with an llmres client and a TLS server, run under qemu-system-arm.
.PHONY: lossy
# make demo's client across a bad link: loss, delay, reordering, the link down (root).
lossy:
	@sh tests/lossy/run.sh

.PHONY: tiny
tiny:
	@sh tests/tiny/run.sh

# Soak: 10,000 calls over TLS with keep-alive from one process (LLMRES_SOAK_N=100000 for
# more); open descriptors and memory after the 100th equal those after the last.
.PHONY: soak
soak:
	@sh tests/soak.sh

# JSON extraction side by side in one run: llmres, llmres before issue 12 (JSON_BASE, read
# with git), jsmn and cJSON (libjsmn-dev, libcjson-dev) on 1, 16 and 256 KB chat
# completions; nanoseconds and instructions (callgrind) per body.
.PHONY: bench-json
bench-json:
	@sh tests/bench/json_peers.sh
bench: bench-json

# The JSON reader and request writer against a reference parser, longer (FUZZ_SECONDS, 300).
.PHONY: fuzz-json
fuzz-json:
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} OUT=$(BUILD) sh tests/fuzz/fuzz_json.sh
