#!/bin/sh
# The mutex profile at fraction 1 and at fraction 10 of the same workload: sampling 1 in 10
# and scaling by 10 gives totals within 20 % of recording every event, at the unlocker.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog lock-pingpong
stack="player;unlock_it"
for f in 1 10; do
	GOPROF_DB=$GP_WORK/f$f.db GOPROF_MUTEX_FRACTION=$f gp_run f$f ./prog
	[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC at fraction $f"
	gp_export f$f.db f$f.pb.gz -t mutex
	gp_traces f$f.pb.gz >f$f-ms.txt
	gp_traces f$f.pb.gz -sample_index=contentions >f$f-n.txt
	eval "ms$f=\$(gp_trace_value f$f-ms.txt \"\$stack\")"
	eval "n$f=\$(gp_trace_value f$f-n.txt \"\$stack\")"
done
# shellcheck disable=SC2154
{
	[ "$n1" -ge 500 ] || gp_fail "only $n1 contentions recorded at fraction 1"
	gp_within "$ms10" "$ms1" 20 || gp_fail "delay at fraction 10: $ms10 ms, at 1: $ms1 ms"
	gp_within "$n10" "$n1" 20 || gp_fail "contentions at fraction 10: $n10, at 1: $n1"
}
gp_export f10.db f10.txt -t mutex -f text
sed -n 3p f10.txt | grep -qx 'sampling period=10' || gp_fail "text: $(sed -n 3p f10.txt)"
exit 0
