#!/bin/sh
# Blocks of a custom allocator reported through goprof_alloc_record/goprof_free_record are
# in the heap profile under the allocating stack: with rate 1, 20 allocated, 15 in use.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-pool
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export prof.db heap.pb.gz -t heap
gp_heap_top heap.pb.gz alloc_objects >allocs.txt
gp_heap_top heap.pb.gz inuse_space >space.txt
cat allocs.txt space.txt >&2
[ "$(gp_flat allocs.txt pool_get)" = 20 ] || gp_fail "pool_get: not 20 allocations"
[ "$(gp_flat space.txt pool_get)" = 960 ] || gp_fail "pool_get: not 960 bytes in use"
exit 0
