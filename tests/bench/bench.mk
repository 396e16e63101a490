# tests/bench/bench.mk - `make bench` (README "Performance", tests/bench/README.md):
# every metric of issue 12 against a zero-cost TCP peer on TUN (refpeer) and Linux over
# veth, in private network namespaces, pinned (stack CPU 1, kernel-side app CPU 0).
# `make bench QUICK=1` is the short run for development (under a minute);
# `make bench ONLY=pingpong_1cpu,core` runs some metrics; `make bench TCP_CC=cubic`
# sets the congestion control of every kernel-side socket (default: the kernel's own,
# reported). `make bench-tools` only builds the helpers;
# `make bench-selftest` checks that they work (root; no timing asserted).
BENCH_TOOLS := $(B)/bench/refpeer $(B)/bench/kb $(B)/bench/corebench

$(B)/bench/refpeer: tests/bench/refpeer.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

$(B)/bench/kb: tests/bench/kb.c apps/sha256.c apps/sha256.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tests/bench/kb.c apps/sha256.c $(LDLIBS)

$(B)/bench/corebench: tests/bench/corebench.c $(B)/libtuntcp.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench-tools: $(BENCH_TOOLS)

bench: all $(BENCH_TOOLS)
	@python3 tests/bench/bench.py --build $(B) $(if $(QUICK),--quick) \
		$(if $(TCP_CC),--tcp-cc $(TCP_CC)) $(if $(ONLY),--only $(ONLY))

bench-selftest: all $(BENCH_TOOLS)
	@tests/bench/selftest.sh $(B)

.PHONY: bench bench-tools bench-selftest

# built with everything, so that a change to the core's interface that breaks them shows
all: $(BENCH_TOOLS)
