#!/bin/sh
# A program with its own SIGPROF handler keeps working under CPU profiling (its ticks
# arrive), the conflict is reported once on stderr, and goprof's samples are still taken.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog sigprof-own
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
[ "$(cat run.out)" = "own ticks ok" ] || gp_fail "the program lost its own SIGPROF: $(cat run.out)"
n=$(grep -c "own SIGPROF handler" run.err)
[ "$n" = 1 ] || gp_fail "the conflict was reported $n times: $(cat run.err)"
gp_export prof.db cpu.pb.gz -t cpu
gp_top cpu.pb.gz >top.txt
[ "$(gp_cum_ms top.txt work)" -ge 300 ] || gp_fail "goprof's own samples are missing"
exit 0
