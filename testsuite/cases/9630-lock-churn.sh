#!/bin/sh
# Block and mutex profiles under thread churn: 40,000 short-lived threads (half one after
# another, half in bursts of 100), each waiting once for a mutex main holds, on a condition
# variable until main signals, at three timed waits on a condition variable that expire at
# once, and releasing a mutex main waits for, with GOPROF_BLOCK_RATE=1 and
# GOPROF_MUTEX_FRACTION=1: every wait is recorded. The program's output is the plain
# build's; the block and mutex profiles, exported and read by go tool pprof, count exactly
# the waits the program made at each site, in each half; the database's rows, per tid
# (never 0), count each thread's; and the peak RSS stops growing: from a tenth of each
# half to its end it grows by at most the plain build's growth plus 8 MiB. A thread leaves
# six buckets (five block, one mutex) of at least 160 bytes each (the bucket's 128 and
# three frames, in 16-byte steps): kept for every ended thread, the 18,000 threads of a
# half after its early mark would add 16.5 MiB. What stays is a bucket per site and thread
# alive, one per site for the ended threads, and those of the threads that ended since the
# writer's last round (at least every 100 ms, and whenever 2,048 threads ended).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_sqlite3

N=40000
# Under --enable-sanitizers a tenth as many: ASan's set-up of each thread makes the run
# outlast the two minutes it may take on a loaded machine (as in 9601). The counts are
# checked as in the normal build; the RSS bound would say less (1,800 threads' buckets fit
# in 8 MiB) and follow ASan's allocator more than goprof's records: the normal build's run
# is the one that bounds it.
halves="serial burst"
if [ -n "${GP_SANITIZE:-}" ]; then
	N=4000
	halves=
	gp_reuse_freed
fi
gp_build_prog prog lock-churn
$GP_CC -O2 -g -o plain "$GP_SRCDIR/testsuite/progs/lock-churn.c" -lpthread ||
	gp_fail "building the plain program failed"
gp_run plain ./plain $N
[ "$GP_RC" = 0 ] || gp_fail "the plain program exited with $GP_RC"
GOPROF_DB=$GP_WORK/prof.db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 gp_run run ./prog $N
[ "$GP_RC" = 0 ] || { cat run.err >&2; gp_fail "program exited with $GP_RC"; }
gp_same_output plain run

# "waits THREADS MUTEX_LOCKS COND_WAITS RELEASES EXPIRED": what the threads did
set -- $(sed -n 's/^waits \([0-9 ]*\)$/\1/p' run.err)
[ $# = 5 ] || { cat run.err >&2; gp_fail "the program printed no waits line"; }
[ "$1" = $N ] && [ "$2" = $N ] && [ "$4" = $N ] && [ "$5" = $N ] && [ "$3" -ge $N ] ||
	gp_fail "the program's waits: $*"
conds=$3
half=$((N / 2))

for h in $halves; do
	plain=$(gp_hwm_growth plain $h)
	got=$(gp_hwm_growth run $h)
	bound=$((plain + 8192))
	echo "$h: peak RSS grew by $got KiB, the plain program's by $plain KiB" >&2
	[ "$got" -le "$bound" ] ||
		{ cat run.err >&2; gp_fail "$h: peak RSS grew by $got KiB, bound $bound KiB"; }
done

# the profiles through go tool pprof: every wait, at its site, in its half
gp_export prof.db block.pb.gz -t block
gp_export prof.db mutex.pb.gz -t mutex
gp_traces block.pb.gz -sample_index=contentions >block.txt
gp_traces mutex.pb.gz -sample_index=contentions >mutex.txt
value() { # TRACES HALF SITE
	gp_trace_value "$1" "$2_work;sites;$3"
}
for h in serial burst; do
	got=$(value block.txt $h "wait_mutex;pthread_mutex_lock")
	[ "$got" = $half ] ||
		{ cat block.txt >&2; gp_fail "$h: block at wait_mutex $got, want $half"; }
	got=$(value mutex.txt $h "release_mutex;pthread_mutex_unlock")
	[ "$got" = $half ] ||
		{ cat mutex.txt >&2; gp_fail "$h: mutex at release_mutex $got, want $half"; }
	for i in 1 2 3; do
		got=$(value block.txt $h "expired_$i;pthread_cond_timedwait")
		[ "$got" = $half ] ||
			{ cat block.txt >&2; gp_fail "$h: block at expired_$i $got, want $half"; }
	done
done
got=$(($(value block.txt serial "wait_cond;pthread_cond_wait") +
	$(value block.txt burst "wait_cond;pthread_cond_wait")))
[ "$got" = "$conds" ] || { cat block.txt >&2; gp_fail "block at wait_cond $got, want $conds"; }

# the database: each thread's rows under its own tid: per tid, as many events as threads
# had it (the kernel reuses tids once its counter wraps at pid_max) or, at wait_cond, at
# least as many; no row of another tid
tids="SELECT tid, count(*) AS n FROM threads WHERE creator_tid = (SELECT pid FROM process)
      GROUP BY tid"
for site in "4 wait_mutex>pthread_mutex_lock $N =" "4 wait_cond>pthread_cond_wait $conds >=" \
	"4 expired_2>pthread_cond_timedwait $N =" "5 release_mutex>pthread_mutex_unlock $N ="; do
	set -- $site
	rows="SELECT tid, sum(count) AS c FROM samples JOIN named USING (stack_id)
	      WHERE profile = $1 AND path LIKE '%>sites>$2' GROUP BY tid"
	got=$(gp_qs prof.db "SELECT coalesce(sum(c), 0) FROM ($rows)")
	[ "$got" = "$3" ] || gp_fail "database: $2 counts $got, want $3"
	got=$(gp_qs prof.db "SELECT count(*) FROM ($tids) t LEFT JOIN ($rows) r USING (tid)
			     WHERE NOT coalesce(r.c, 0) $4 t.n")
	[ "$got" = 0 ] || gp_fail "database: $2 counts of $got tids differ from their threads"
	got=$(gp_qs prof.db "SELECT count(*) FROM ($rows) r LEFT JOIN ($tids) t USING (tid)
			     WHERE t.tid IS NULL")
	[ "$got" = 0 ] || gp_fail "database: $2 has rows of $got tids no thread of main had"
done
exit 0
