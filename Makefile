# tuntcp - `make` builds everything into build/; `make test` runs every test;
# `make demo` runs the ping-pong demo in a private network namespace.
CC      ?= cc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS += -Istack -Itun -Iapps
LDLIBS  += -lpthread
B       := build

STACK_SRC   := $(wildcard stack/*.c)
RUNTIME_SRC := $(wildcard tun/*.c)
# apps/: one program per file, and what they share (sha256 for source and sink)
APP_LIB     := apps/sha256.c
APPS        := $(patsubst apps/%.c,%,$(filter-out $(APP_LIB),$(wildcard apps/*.c)))
CHECK_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/check_*.c))
TEST_LIB    := tests/harness.c $(APP_LIB)

STACK_OBJ   := $(STACK_SRC:%.c=$(B)/%.o)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(B)/%.o)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

all: $(APPS:%=$(B)/%) $(CHECK_TESTS:%=$(B)/tests/%) $(B)/libtuntcp.so

Q := $(if $(V),,@)      # make V=1 shows the commands

$(B)/%.o: %.c $(wildcard stack/*.h tun/*.h apps/*.h tests/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libtuntcp.a: $(STACK_OBJ) $(RUNTIME_OBJ)
	$(Q)$(AR) rcs $@ $^

$(B)/%: $(B)/apps/%.o $(APP_LIB:%.c=$(B)/%.o) $(B)/libtuntcp.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The preload library (tun/preload/, README "Unmodified programs"): the stack and the
# runtime built position-independent, every symbol hidden but the calls it takes over.
PRELOAD_OBJ := $(patsubst %.c,$(B)/pic/%.o,$(STACK_SRC) $(RUNTIME_SRC) tun/preload/preload.c)
$(B)/pic/%.o: %.c $(wildcard stack/*.h tun/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (-fPIC)")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/libtuntcp.so: $(PRELOAD_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -shared -o $@ $^ -ldl $(LDLIBS)

# The tests link the core built with INTERNAL_CHECKS: every invariant is checked after
# every step (stack_check), and a broken one stops the test at once.
$(B)/chk/%.o: %.c $(wildcard stack/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (INTERNAL_CHECKS)")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -DINTERNAL_CHECKS -c -o $@ $<

$(B)/libtuntcp-chk.a: $(STACK_SRC:%.c=$(B)/chk/%.o) $(RUNTIME_OBJ)
	$(Q)$(AR) rcs $@ $^

$(B)/tests/check_%: $(B)/tests/check_%.o $(TEST_LIB:%.c=$(B)/%.o) $(B)/libtuntcp-chk.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# Unit and simulation tests (no root), then integration tests over TUN.
test: deps all
	@tests/run-unit.sh $(CHECK_TESTS:%=$(B)/tests/%)
	@tests/impl-labs.sh
	@$(MAKE) --no-print-directory rfcmap
	@$(MAKE) --no-print-directory sanitize
	@if command -v clang >/dev/null; then $(MAKE) --no-print-directory clang; fi
	@if command -v clang >/dev/null; then $(MAKE) --no-print-directory fuzz-replay; fi
	@tests/integration/run.sh
	@if [ "$${CI:-}" = true ] || [ -n "$(LABS_TOO)" ]; then $(MAKE) --no-print-directory labs; fi

unit: all
	@tests/run-unit.sh $(CHECK_TESTS:%=$(B)/tests/%)

demo: deps all
	@apps/demo.sh

deps:
	@tests/deps.sh

clean:
	rm -rf $(B)

# Labs (labs/README.md): `sudo make lab L=01-handshake` runs one, `make check L=...`
# grades it, `make labs` runs every lab and checks it against its own key, `make shell`
# opens a shell in a namespace with tun0 ready.
LABS := $(patsubst labs/%/run,%,$(wildcard labs/[0-9]*/run))
lab: all
	@test -n "$(L)" || { echo "make lab L=NAME, one of: $(LABS)"; exit 2; }
	@labs/$(L)/run $(ARGS)

check:
	@test -n "$(L)" || { echo "make check L=NAME, one of: $(LABS)"; exit 2; }
	@labs/$(L)/check $(ARGS)

labs: deps all
	@labs/run-all.sh $(LABS)

shell: all
	@labs/shell

.PHONY: all test unit demo deps clean lab check labs shell
.SECONDARY:

# The unit and simulation tests again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (leaks are errors too), and a clang -Werror build.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
sanitize:
	@$(MAKE) --no-print-directory B=$(B)/asan CFLAGS="$(SAN_FLAGS)" $(CHECK_TESTS:%=$(B)/asan/tests/%) >/dev/null
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-unit.sh $(CHECK_TESTS:%=$(B)/asan/tests/%) | sed 's/^unit:/sanitizers:/'

clang:
	@$(MAKE) --no-print-directory B=$(B)/clang CC=clang all >/dev/null && echo "clang: -Wall -Wextra -Werror build clean"

.PHONY: sanitize clang

# libFuzzer on the core (tests/fuzz/README.md): `make fuzz` fuzzes for FUZZ_TIME
# seconds from the seed corpus tests/fuzz/corpus, with a scratch corpus in
# build/fuzz/corpus; it fails, naming the reproducer, on a crash, leak, sanitizer
# report or broken invariant. `make fuzz-replay` runs the seeds and the saved
# reproducers (tests/fuzz/regress) once; `make fuzz-cov` reports the line coverage
# of stack/ by the seeds and the scratch corpus (llvm-cov).
FUZZ_TIME   ?= 60
FUZZ_ARGS   ?=
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DINTERNAL_CHECKS
FUZZ_SRC    := tests/fuzz/fuzz_stack.c $(STACK_SRC)
FUZZ_HAVE_CC = @command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: $(FUZZ_CC) not found; libFuzzer \
	needs clang (as root, tests/deps.sh installs it; or: apt-get install clang)"; exit 1; }

$(B)/fuzz/fuzz_stack: $(FUZZ_SRC) $(wildcard stack/*.h)
	$(FUZZ_HAVE_CC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -Istack -o $@ $(FUZZ_SRC)

fuzz: $(B)/fuzz/fuzz_stack
	@tests/fuzz/run.sh $< $(FUZZ_TIME) $(FUZZ_ARGS)

fuzz-replay: $(B)/fuzz/fuzz_stack
	@$< $(wildcard tests/fuzz/corpus/* tests/fuzz/regress/*) >$(B)/fuzz/replay.log 2>&1 && \
		echo "fuzz-replay: $(words $(wildcard tests/fuzz/corpus/* tests/fuzz/regress/*)) inputs, all passed" || \
		{ grep -B2 -A30 -E 'INVARIANT|ERROR|runtime error' $(B)/fuzz/replay.log | head -n 60; \
		  grep '^Running:' $(B)/fuzz/replay.log | tail -n 1; exit 1; }

# Coverage: the driver without sanitizers, built for llvm-cov, replays the corpora.
FUZZ_COV_FLAGS := -std=c17 -D_GNU_SOURCE -g -O0 -fprofile-instr-generate -fcoverage-mapping \
		  -DFUZZ_STANDALONE -DINTERNAL_CHECKS
fuzz-cov:
	$(FUZZ_HAVE_CC)
	@command -v llvm-profdata >/dev/null && command -v llvm-cov >/dev/null || \
		{ echo "fuzz-cov: needs llvm-profdata and llvm-cov (apt-get install llvm)"; exit 1; }
	@mkdir -p $(B)/fuzz/cov $(B)/fuzz/corpus
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) -Istack -o $(B)/fuzz/cov/fuzz_stack_cov $(FUZZ_SRC)
	@rm -f $(B)/fuzz/cov/*.profraw
	@LLVM_PROFILE_FILE=$(B)/fuzz/cov/replay-%4m.profraw $(B)/fuzz/cov/fuzz_stack_cov tests/fuzz/corpus \
		$(B)/fuzz/corpus $(wildcard tests/fuzz/regress/*) 2>&1 | grep -E '^fuzz_stack: ' || true
	$(Q)llvm-profdata merge -sparse -o $(B)/fuzz/cov/replay.profdata $(B)/fuzz/cov/*.profraw
	$(Q)llvm-cov report $(B)/fuzz/cov/fuzz_stack_cov -instr-profile=$(B)/fuzz/cov/replay.profdata $(STACK_SRC)
	@llvm-cov show $(B)/fuzz/cov/fuzz_stack_cov -instr-profile=$(B)/fuzz/cov/replay.profdata \
		-show-line-counts-or-regions $(STACK_SRC) >$(B)/fuzz/cov/stack.txt && \
		echo "fuzz-cov: annotated source in $(B)/fuzz/cov/stack.txt"

.PHONY: fuzz fuzz-replay fuzz-cov

# Implementation labs (labs/impl-*/README.md): the real stack is the solution. Its code
# a student writes is marked /* LAB name: BEGIN */ ... /* LAB name: END */ in stack/.
# `make lab-start L=impl-rto` copies the lab's files with that code cut out to
# labs/impl-rto/work/ (WORK=DIR elsewhere; never over your edits unless FORCE=1);
# `make lab-grade L=impl-rto` builds the Check suites that cover it against that copy
# and prints PASS/FAIL per test; REF=1 grades the real stack/ instead.
lab-start:
	@labs/impl.sh start $(L) $(if $(FORCE),--force) $(if $(WORK),--dir $(WORK))

lab-grade:
	+@labs/impl.sh grade $(L) $(if $(REF),--reference) $(if $(WORK),--dir $(WORK))

.PHONY: lab-start lab-grade

# RFC requirements (labs/rfc9293.md): tests/rfcmap.py checks that every function and
# test the table names exists, that every label in the code and the tests has its row,
# and that every requirement marked done has a test; it prints the counts.
# tests/rfcmap-selftest.sh checks the checker.
rfcmap:
	@python3 tests/rfcmap.py
	@tests/rfcmap-selftest.sh

.PHONY: rfcmap

# Benchmarks (README "Performance"): `make bench`, `make bench QUICK=1`.
-include tests/bench/bench.mk
