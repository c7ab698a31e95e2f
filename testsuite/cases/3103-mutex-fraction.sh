#!/bin/sh
# The mutex profile at fraction 1 and at fraction 10 of the same workload: sampling 1 in 10
# and scaling by 10 gives totals within 20 % of recording every event, at the unlocker
# (three runs of each, summed).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog lock-pingpong
stack="player;unlock_it;pthread_mutex_unlock"
# three runs of each fraction, alternating, so that a machine busier for a while weighs
# on both sides alike: the sums are compared
for run in 1 2 3; do
	for f in 1 10; do
		GOPROF_DB=$GP_WORK/f$f-$run.db GOPROF_MUTEX_FRACTION=$f gp_run f$f-$run ./prog
		[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC at fraction $f"
		gp_export f$f-$run.db f$f-$run.pb.gz -t mutex
		gp_traces f$f-$run.pb.gz >f$f-$run-ms.txt
		gp_traces f$f-$run.pb.gz -sample_index=contentions >f$f-$run-n.txt
		gp_trace_value f$f-$run-ms.txt "$stack" >>f$f-ms.sum
		gp_trace_value f$f-$run-n.txt "$stack" >>f$f-n.sum
	done
done
total() { awk '{ t += $1 } END { print t + 0 }' "$1"; }
ms1=$(total f1-ms.sum) ms10=$(total f10-ms.sum) n1=$(total f1-n.sum) n10=$(total f10-n.sum)
[ "$n1" -ge 1500 ] || gp_fail "only $n1 contentions recorded at fraction 1"
gp_within "$ms10" "$ms1" 20 || gp_fail "delay at fraction 10: $ms10 ms, at 1: $ms1 ms"
gp_within "$n10" "$n1" 20 || gp_fail "contentions at fraction 10: $n10, at 1: $n1"
gp_export f10-1.db f10.txt -t mutex -f text
sed -n 3p f10.txt | grep -qx 'sampling period=10' || gp_fail "text: $(sed -n 3p f10.txt)"
exit 0
