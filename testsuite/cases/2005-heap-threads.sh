#!/bin/sh
# 8 threads allocating and freeing each other's blocks: no crash, same output, and with
# rate 1 the in-use figures are exact (each thread keeps 10 blocks of 100 B from producer).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-threads
gp_run plain ./prog
GOPROF_DB=$GP_WORK/def.db gp_run default ./prog
[ "$GP_RC" = 0 ] || gp_fail "default-rate run exited with $GP_RC"
gp_same_output plain default
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "rate-1 run exited with $GP_RC"
gp_same_output plain run
gp_export prof.db heap.pb.gz -t heap
gp_export def.db def.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_objects >objs.txt
gp_heap_top heap.pb.gz inuse_space >space.txt
gp_heap_top heap.pb.gz alloc_objects >allocs.txt
cat objs.txt space.txt allocs.txt >&2
[ "$(gp_flat objs.txt producer)" = 80 ] || gp_fail "producer's blocks in use: not 80"
[ "$(gp_flat space.txt producer)" = 8000 ] || gp_fail "producer's bytes in use: not 8000"
[ "$(gp_flat allocs.txt producer)" = $((8 * 20010)) ] || gp_fail "producer's allocations: not 160080"
exit 0
