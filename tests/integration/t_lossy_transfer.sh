# time-limit: 600
# 20 MiB each way through a bad link against the Linux kernel: the stack's own
# impairment layer loses 5% of the packets and reorders 2%, in both directions
# (so the kernel's TCP recovers from losses too). Same checks as t_source_sink:
# lengths and SHA-256 must agree at both ends. The seed is fixed so that a
# failure can be replayed; T_IMPAIR overrides the impairments.
export T_BYTES=${T_BYTES:-20M}
export T_TIMEOUT=${T_TIMEOUT:-280}
export T_STACK_OPTS="${T_IMPAIR:---loss 5% --reorder 2% --impair-seed 2026}"
exec bash "$(dirname "$0")/t_source_sink.sh"
