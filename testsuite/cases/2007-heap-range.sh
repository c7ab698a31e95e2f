#!/bin/sh
# --from/--to on the heap profile: in use is as of the end of the range, allocations are
# those within it (early's blocks live in the seconds before the range's bound and are
# freed 3 s after they were made, when late's are made).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-phases
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
# the range's bound: a second between the phases (a fixed +1s failed when a loaded machine
# started the program late)
k=$(gp_phase_second prof.db run) || exit $?

want() { # FILE INDEX NAME VALUE
	gp_heap_top "$1" "$2" >top.txt
	got=$(gp_flat top.txt "$3")
	[ "$got" = "$4" ] || { cat top.txt >&2; gp_fail "$1: $2 of $3 is $got, want $4"; }
}
gp_export prof.db first.pb.gz -t heap --to +${k}s
want first.pb.gz inuse_space early 10000
want first.pb.gz alloc_space early 10000
want first.pb.gz inuse_space late 0
gp_export prof.db all.pb.gz -t heap
want all.pb.gz inuse_space early 0
want all.pb.gz alloc_space early 10000
want all.pb.gz inuse_space late 20000
gp_export prof.db second.pb.gz -t allocs --from +${k}s
want second.pb.gz alloc_space early 0
want second.pb.gz alloc_space late 20000
want second.pb.gz inuse_space late 20000
exit 0
