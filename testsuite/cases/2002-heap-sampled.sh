#!/bin/sh
# At the default rate the unsampled heap profile estimates what was allocated and what is
# still in use per call site within 10 % (300 MiB from two sites 3:1, half of it freed).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-ratio
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export prof.db heap.pb.gz -t heap
gp_pprof -raw heap.pb.gz 2>/dev/null | grep -q '^Period: 524288$' || gp_fail "period is not 524288"

block=3145728
check() { # INDEX NAME TRUTH
	gp_heap_top heap.pb.gz "$1" >"top-$1.txt"
	got=$(gp_flat "top-$1.txt" "$2")
	echo "$1 $2: $got (truth $3)" >&2
	gp_within "$got" "$3" 10 || { cat "top-$1.txt" >&2; gp_fail "$1 of $2: $got, truth $3"; }
}
check alloc_space three_parts $((75 * block))
check alloc_space one_part $((25 * block))
check inuse_space three_parts $((37 * block))
check inuse_space one_part $((12 * block))
exit 0
