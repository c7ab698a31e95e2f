#!/bin/sh
# strdup, fopen and getline called from an instrumented function: their blocks are charged
# to that function (with rate 1: at least its three blocks, and FILE's buffer size).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-libc
gp_run plain ./prog
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain run
gp_export prof.db heap.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_objects >objs.txt
gp_heap_top heap.pb.gz inuse_space >space.txt
cat objs.txt space.txt >&2
# getline is glibc's inline wrapper of __getdelim: built with -g it is a frame of its own
# inside opener, at opener's call (the callers' lines, issue 15)
n=$(($(gp_flat objs.txt opener) + $(gp_flat objs.txt getline)))
b=$(($(gp_flat space.txt opener) + $(gp_flat space.txt getline)))
[ "$n" -ge 3 ] || gp_fail "opener has $n blocks in use, want >= 3 (strdup, fopen, getline)"
# FILE itself is over 400 bytes on glibc
[ "$b" -ge 400 ] || gp_fail "opener has $b bytes in use, want >= 400"
exit 0
