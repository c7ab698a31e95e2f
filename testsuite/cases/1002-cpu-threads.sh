#!/bin/sh
# Eight threads burning different functions for known CPU times (200..900 ms): each
# function's total is within 10 % of its truth, and all samples together within 5 % of
# the process CPU time getrusage reports.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-threads
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog "$GP_WORK/rusage"
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export prof.db cpu.pb.gz -t cpu
gp_top cpu.pb.gz >top.txt
cat top.txt >&2
sum=0
for i in 0 1 2 3 4 5 6 7; do
	got=$(gp_cum_ms top.txt burn$i)
	want=$((200 + 100 * i))
	gp_within "$got" "$want" 10 || gp_fail "burn$i: $got ms sampled, burned $want ms"
done
all=$(awk '{ s += $1 } END { print s }' top.txt)
rusage_ms=$(($(cat rusage) / 1000000))
gp_within "$all" "$rusage_ms" 5 || gp_fail "samples total $all ms, getrusage says $rusage_ms ms"
exit 0
