#!/bin/sh
# CPU profiling leaves the program's signals alone. A program with its own SIGPROF handler
# and setitimer(ITIMER_PROF) gets every SIGPROF it raises itself (goprof's timers use a
# real-time signal, which cannot swallow them), and goprof says so once; a program that
# uses goprof's signal itself gets every one of its own signals, and the conflict is
# reported once on stderr. goprof's samples are taken in both.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prof sigprof-own
gp_cpu_profile prof ./prof
[ "$(cat prof.out)" = "raised 200" ] || gp_fail "the program lost its own SIGPROFs: $(cat prof.out)"
n=$(grep -c "own SIGPROF handler; goprof samples with signal" prof.err)
[ "$n" = 1 ] || gp_fail "the SIGPROF handler was noted $n times: $(cat prof.err)"
gp_top prof.pb.gz >prof.top
[ "$(gp_cum_ms prof.top work)" -ge 300 ] || gp_fail "goprof's own samples are missing"

gp_build_prog rt sigrt-own
gp_cpu_profile rt ./rt
[ "$(cat rt.out)" = "own signals 5" ] || gp_fail "the program lost its own signals: $(cat rt.out)"
n=$(grep -c "its own handler for signal" rt.err)
[ "$n" = 1 ] || gp_fail "the conflict was reported $n times: $(cat rt.err)"
gp_top rt.pb.gz >rt.top
[ "$(gp_cum_ms rt.top work)" -ge 300 ] || gp_fail "goprof's samples are missing next to the program's signal"
exit 0
