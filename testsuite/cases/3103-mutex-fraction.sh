#!/bin/sh
# The mutex profile at fraction 1 and at fraction 10 of the same workload, at the unlocker:
# the delay recorded, scaled by the fraction, is the delay the program measured itself in
# the same runs (within 10 % at fraction 1, 20 % at fraction 10: sampling 1 in 10), and the
# contentions per contended lock the program saw agree between the fractions within 20 %
# (three runs of each, summed). The program's own figure, not one run's against another's:
# a loaded machine stretches the holds, and so the delay, from one run to the next.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog lock-pingpong
# the unlocker's stacks: under ASan the call to unlock_it may read as made from the
# inlined hold() before it ("player;hold (inline);unlock_it;...")
unlocker() {
	awk '{ n = $1; sub(/^[^ ]+ /, "") }
	     /^player;(.*;)?unlock_it;pthread_mutex_unlock$/ { v += n } END { print v + 0 }' "$1"
}
# three runs of each fraction, alternating; each run's profile is held to its own measure
for run in 1 2 3; do
	for f in 1 10; do
		GOPROF_DB=$GP_WORK/f$f-$run.db GOPROF_MUTEX_FRACTION=$f gp_run f$f-$run ./prog
		[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC at fraction $f"
		gp_export f$f-$run.db f$f-$run.pb.gz -t mutex
		gp_traces f$f-$run.pb.gz >f$f-$run-ms.txt
		gp_traces f$f-$run.pb.gz -sample_index=contentions >f$f-$run-n.txt
		unlocker f$f-$run-ms.txt >>f$f-ms.sum
		unlocker f$f-$run-n.txt >>f$f-n.sum
		# "waited NS ns in N contended locks"
		awk '$1 == "waited" { print $2 / 1e6 }' f$f-$run.out >>f$f-truth-ms.sum
		awk '$1 == "waited" { print $5 }' f$f-$run.out >>f$f-truth-n.sum
	done
done
total() { awk '{ t += $1 } END { print t + 0 }' "$1"; }
ms1=$(total f1-ms.sum) ms10=$(total f10-ms.sum) n1=$(total f1-n.sum) n10=$(total f10-n.sum)
t1=$(total f1-truth-ms.sum) t10=$(total f10-truth-ms.sum)
c1=$(total f1-truth-n.sum) c10=$(total f10-truth-n.sum)
echo "delay ms (profile/program): fraction 1 $ms1/$t1, 10 $ms10/$t10;" \
	"contentions/contended locks: fraction 1 $n1/$c1, 10 $n10/$c10" >&2
[ "$c1" -ge 1000 ] && [ "$c10" -ge 1000 ] || gp_fail "the program saw only $c1 and $c10 contended locks"
gp_within "$ms1" "$t1" 10 || gp_fail "delay at fraction 1: $ms1 ms, the program measured $t1 ms"
gp_within "$ms10" "$t10" 20 || gp_fail "delay at fraction 10: $ms10 ms, the program measured $t10 ms"
[ "$n1" -ge "$c1" ] || gp_fail "contentions at fraction 1: $n1, fewer than the $c1 contended locks"
r1=$(awk -v n="$n1" -v c="$c1" 'BEGIN { print n / c }')
r10=$(awk -v n="$n10" -v c="$c10" 'BEGIN { print n / c }')
gp_within "$r10" "$r1" 20 || gp_fail "contentions a contended lock at fraction 10: $r10, at 1: $r1"
gp_export f10-1.db f10.txt -t mutex -f text
sed -n 3p f10.txt | grep -qx 'sampling period=10' || gp_fail "text: $(sed -n 3p f10.txt)"
exit 0
