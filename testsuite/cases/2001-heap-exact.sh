#!/bin/sh
# With GOPROF_MEMPROFILE_RATE=1 every allocation is a sample: the four heap values of three
# call sites (one of which freed all its blocks) are exact, and allocs opens on alloc_space.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-sites
gp_run plain ./prog
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain run
gp_export prof.db heap.pb.gz -t heap
gp_export prof.db allocs.pb.gz -t allocs

check() { # FILE INDEX NAME WANT
	gp_heap_top "$1" "$2" >"top-$2.txt"
	got=$(gp_flat "top-$2.txt" "$3")
	[ "$got" = "$4" ] || { cat "top-$2.txt" >&2; gp_fail "$1 $2 of $3: $got, want $4"; }
}
for f in heap.pb.gz allocs.pb.gz; do
	check $f alloc_objects keep_small 100
	check $f alloc_space keep_small 10000
	check $f inuse_objects keep_small 100
	check $f inuse_space keep_small 10000
	check $f alloc_objects drop_mid 50
	check $f alloc_space drop_mid 200000
	check $f inuse_objects drop_mid 0
	check $f inuse_space drop_mid 0
	check $f alloc_objects keep_big 10
	check $f alloc_space keep_big 1000000
	check $f inuse_objects keep_big 10
	check $f inuse_space keep_big 1000000
done
gp_pprof -raw heap.pb.gz >raw.txt 2>pprof.err || gp_fail "pprof -raw failed"
grep -q '^PeriodType: space bytes$' raw.txt || gp_fail "period type is not space/bytes"
grep -q '^Period: 1$' raw.txt || gp_fail "period is not the rate"
grep -q 'bytes:\[4000\]' raw.txt || gp_fail "no bytes label 4000 for drop_mid"
gp_pprof -top heap.pb.gz 2>/dev/null | grep -q '^Type: inuse_space$' ||
	gp_fail "heap does not open on inuse_space"
gp_pprof -top allocs.pb.gz 2>/dev/null | grep -q '^Type: alloc_space$' ||
	gp_fail "allocs does not open on alloc_space"
exit 0
