#!/bin/sh
# The block profile sees condition-variable waits and joins at their stacks, and with a high
# rate samples short waits and scales them (Go's bias removal) while long ones are all kept.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog lock-waits
truth() { sed -n "s/^$2_ms=//p" "$1.err"; }

GOPROF_DB=$GP_WORK/all.db GOPROF_BLOCK_RATE=1 gp_run all ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export all.db all.pb.gz -t block
gp_traces all.pb.gz >all.txt
for w in cond:main\;wait_cond\;pthread_cond_wait join:main\;join_worker\;pthread_join; do
	want=$(truth all "${w%%:*}")
	got=$(gp_trace_value all.txt "${w#*:}")
	gp_within "$got" "$want" 15 ||
		{ cat all.txt >&2; gp_fail "block delay at ${w#*:}: $got ms, truth $want ms"; }
done

# 10 ms rate: 1 ms waits are sampled 1 in 10 and scaled by 10, 100 ms waits always kept
gp_run plain ./prog short
GOPROF_DB=$GP_WORK/rate.db GOPROF_BLOCK_RATE=10000000 gp_run rate ./prog short
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain rate
gp_export rate.db rate.pb.gz -t block
gp_traces rate.pb.gz >rate-ms.txt
gp_traces rate.pb.gz -sample_index=contentions >rate-n.txt
n=$(gp_trace_value rate-n.txt "main;many_short_waits;run_ticker;short_wait;sem_wait")
ms=$(gp_trace_value rate-ms.txt "main;many_short_waits;run_ticker;short_wait;sem_wait")
gp_within "$n" 1000 30 || { cat rate-n.txt >&2; gp_fail "short waits counted $n, truth 1000"; }
gp_within "$ms" "$(truth rate short)" 30 ||
	{ cat rate-ms.txt >&2; gp_fail "short waits: $ms ms, truth $(truth rate short) ms"; }
n=$(gp_trace_value rate-n.txt "main;long_waits;run_ticker;long_wait;sem_wait")
ms=$(gp_trace_value rate-ms.txt "main;long_waits;run_ticker;long_wait;sem_wait")
[ "$n" = 5 ] || { cat rate-n.txt >&2; gp_fail "long waits counted $n, want all 5"; }
gp_within "$ms" "$(truth rate long)" 10 ||
	{ cat rate-ms.txt >&2; gp_fail "long waits: $ms ms, truth $(truth rate long) ms"; }
exit 0
