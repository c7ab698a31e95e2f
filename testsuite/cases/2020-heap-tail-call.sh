#!/bin/sh
# A function whose last act is malloc or strdup (a tail call) is still the one charged with
# the allocation: the plugin keeps callers of the profiled library calls on the stack.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog heap-tail
gp_run plain ./prog
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain run
gp_export prof.db heap.pb.gz -t heap
gp_traces heap.pb.gz -sample_index=inuse_space -unit=B >traces.txt
got=$(gp_trace_value traces.txt "main;alloc_tail")
[ "$got" = 100000 ] || { cat traces.txt >&2; gp_fail "main;alloc_tail: $got B, want 100000"; }
got=$(gp_trace_value traces.txt "main;dup_tail")
[ "$got" = 4100 ] || { cat traces.txt >&2; gp_fail "main;dup_tail: $got B, want 4100"; }
exit 0
