# llmres: every entry point. `make test` is the one that must pass.
CC      ?= cc
CFLAGS  ?= -std=c99 -pedantic -Wall -Wextra -Wshadow -Werror -O2
BUILD   := build

.PHONY: all test cross size bench bench-instr demo clean

all: $(BUILD)/unit

$(BUILD)/unit: tests/unit.c llmres.h tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) tests/unit.c -o $@

# Everything that must pass; ends with "N passed, M failed".
test:
	@sh tests/run.sh

# Cortex-M0, Cortex-M4 and RV32 objects at -Os; fails on any soft-float helper.
cross:
	@sh tests/size.sh --cross

# Flash and RAM per primitive and target.
size:
	@sh tests/size.sh

# Nanoseconds per operation (median of runs) and instructions per operation (callgrind).
bench: $(BUILD)/bench
	@$(BUILD)/bench

bench-instr: $(BUILD)/bench
	@sh tests/bench_instr.sh $(BUILD)/bench

$(BUILD)/bench: tests/bench.c tests/bench_impl.c llmres.h
	@mkdir -p $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -Werror tests/bench.c tests/bench_impl.c -o $@

demo:
	@echo "make demo arrives with the LLM client (issue 4); this release holds the primitives: make test, make bench, make size."

clean:
	rm -rf $(BUILD)
