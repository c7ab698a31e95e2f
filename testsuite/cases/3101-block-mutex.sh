#!/bin/sh
# One thread holds a mutex 100 ms ten times while another waits for it: the block profile
# charges about 1 s of delay and 10 contentions to the waiter's stack, the mutex profile
# the same delay to the holder's unlocking stack, in pprof and in Go's debug=1 text.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog lock-handoff
gp_run plain ./prog
GOPROF_DB=$GP_WORK/prof.db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain run
truth=$(sed -n 's/^waited_ms=//p' run.err)
[ -n "$truth" ] || gp_fail "the program did not say how long it waited"

for t in block mutex; do
	gp_export prof.db $t.pb.gz -t $t
	gp_export prof.db $t.txt -t $t -f text
	gp_traces $t.pb.gz >$t-ms.txt
	gp_traces $t.pb.gz -sample_index=contentions >$t-n.txt
done
check() { # PROFILE STACK
	ms=$(gp_trace_value "$1-ms.txt" "$2")
	n=$(gp_trace_value "$1-n.txt" "$2")
	gp_within "$ms" "$truth" 10 ||
		{ cat "$1-ms.txt" >&2; gp_fail "$1 delay at $2: $ms ms, the waiter waited $truth ms"; }
	[ "$n" = 10 ] || { cat "$1-n.txt" >&2; gp_fail "$1 contentions at $2: $n, want 10"; }
}
# the interposed call is the leaf, as sync.(*Mutex).Lock and Unlock are in Go's profiles
[ "$(gp_trace_value block-ms.txt "main;holder;release_lock;pthread_mutex_unlock")" = 0 ] ||
	gp_fail "the block profile charged the holder's unlock"
check block "waiter;wait_for_lock;pthread_mutex_lock"
check mutex "main;holder;release_lock;pthread_mutex_unlock"
gp_same_top prof.db block
gp_same_top prof.db mutex

# Go's text layouts, with the delay in ns and pprof's legacy parser reading them back
head -2 block.txt | tr '\n' '|' | grep -qx -- '--- contention:|cycles/second=1000000000|' ||
	gp_fail "block text header: $(head -2 block.txt)"
head -3 mutex.txt | tr '\n' '|' |
	grep -qx -- '--- mutex:|cycles/second=1000000000|sampling period=1|' ||
	gp_fail "mutex text header: $(head -3 mutex.txt)"
rec=$(awk '!/^#/ { head = $0 } /^#\t0x[0-9a-f]*\twait_for_lock\+0x0\t/ { print head }' block.txt)
[ -n "$rec" ] || gp_fail "no wait_for_lock record in the block text"
sed -n "/^$rec\$/{n;p}" block.txt | grep -q '	pthread_mutex_lock+0x0	' ||
	gp_fail "the wait_for_lock record does not begin with pthread_mutex_lock"
ns=${rec%% *}
gp_within "$ns" "${truth}000000" 10 || gp_fail "block text delay $ns ns, truth $truth ms"
for t in block mutex; do
	gp_pprof -raw $t.txt >$t-legacy.txt 2>pprof.err ||
		{ cat pprof.err >&2; gp_fail "go tool pprof cannot read the $t text"; }
	grep -q '^contentions/count delay/nanoseconds$' $t-legacy.txt ||
		gp_fail "pprof read the $t text without its sample types"
done
exit 0
