# tuntcp - `make` builds everything into build/; `make test` runs every test;
# `make demo` runs the ping-pong demo in a private network namespace.
CC      ?= cc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS += -Istack -Itun -Iruntime
LDLIBS  += -lpthread
B       := build

STACK_SRC   := $(wildcard stack/*.c)
RUNTIME_SRC := $(wildcard runtime/*.c) tun/tun.c
APPS        := pingpong-server pingpong-client echo-server source sink
CHECK_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/check_*.c))
TEST_LIB    := tests/harness.c

STACK_OBJ   := $(STACK_SRC:%.c=$(B)/%.o)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(B)/%.o)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

all: $(APPS:%=$(B)/%) $(CHECK_TESTS:%=$(B)/tests/%)

Q := $(if $(V),,@)      # make V=1 shows the commands

$(B)/%.o: %.c $(wildcard stack/*.h tun/*.h runtime/*.h tests/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libtuntcp.a: $(STACK_OBJ) $(RUNTIME_OBJ)
	$(Q)$(AR) rcs $@ $^

$(B)/%: $(B)/apps/%.o $(B)/libtuntcp.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/check_%: $(B)/tests/check_%.o $(TEST_LIB:%.c=$(B)/%.o) $(B)/libtuntcp.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# Unit and simulation tests (no root), then integration tests over TUN.
test: deps all
	@tests/run-unit.sh $(CHECK_TESTS:%=$(B)/tests/%)
	@$(MAKE) --no-print-directory sanitize
	@if command -v clang >/dev/null; then $(MAKE) --no-print-directory clang; fi
	@tests/integration/run.sh

unit: all
	@tests/run-unit.sh $(CHECK_TESTS:%=$(B)/tests/%)

demo: deps all
	@apps/demo.sh

deps:
	@tests/deps.sh

clean:
	rm -rf $(B)

.PHONY: all test unit demo deps clean
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
