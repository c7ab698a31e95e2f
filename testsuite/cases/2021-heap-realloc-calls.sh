#!/bin/sh
# The heap profile's call counters (MemStats Mallocs and Frees) count each realloc as what
# it is: realloc(NULL, n) an allocation, realloc(p, n) a free and an allocation,
# realloc(p, 0) a free, free(NULL) neither. Exact: a run making K rounds of the four calls
# counts 2K allocations and 2K frees more than the same program making none, profiling
# every allocation (rate 1: the sampled paths) and at the default rate (the fast paths).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"

# MemStats come from glibc's allocator: the program itself is built without ASan
gp_build_prog prog heap-calls ${GP_SANITIZE:+-fno-sanitize=address}
k=5000
# stat NAME DB: MemStats line NAME of DB's heap profile
stat() {
	gp_export "$2" "$2.txt" -t heap -f text
	sed -n "s/^# $1 = //p" "$2.txt"
}
for rate in 1 524288; do
	for n in 0 $k; do
		GOPROF_DB=$GP_WORK/r$rate-$n.db GOPROF_MEMPROFILE_RATE=$rate GOPROF_CPU_HZ=0 \
			gp_run r$rate-$n ./prog $n
		[ "$GP_RC" = 0 ] || gp_fail "rate $rate, $n rounds: exited with $GP_RC"
	done
	want=$(./prog $k)
	[ "$(cat r$rate-$k.out)" = "$want" ] || gp_fail "rate $rate: output differs from the plain run"
	for name in Mallocs Frees; do
		none=$(stat $name r$rate-0.db)
		some=$(stat $name r$rate-$k.db)
		[ -n "$none" ] && [ -n "$some" ] || gp_fail "rate $rate: no $name line"
		[ $((some - none)) = $((2 * k)) ] ||
			gp_fail "rate $rate: $name $some with $k rounds, $none without: not $((2 * k)) more"
	done
done
exit 0
