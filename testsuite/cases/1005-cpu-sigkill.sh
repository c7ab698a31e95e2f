#!/bin/sh
# A process killed with SIGKILL after burning 3 s of CPU leaves a database that opens and
# holds at least 1.5 s of samples: the writer commits at least every second.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-forever
GOPROF_DB=$GP_WORK/prof.db ./prog >run.out 2>run.err &
pid=$!
# Three seconds of the program's CPU time, however loaded the machine is.
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$pid/stat 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
tries=0
while [ "$(cpu_ticks)" -lt $((3 * hz)) ] && [ $tries -lt 600 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
kill -KILL $pid
wait $pid 2>/dev/null
[ "$(head -1 run.out)" = ready ] || gp_fail "the program did not start"
gp_export prof.db cpu.pb.gz -t cpu
gp_top cpu.pb.gz >top.txt
cat top.txt >&2
got=$(gp_cum_ms top.txt spinner)
[ "$got" -ge 1500 ] || gp_fail "only $got ms of samples survived SIGKILL"
exit 0
