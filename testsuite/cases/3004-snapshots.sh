#!/bin/sh
# The goroutine profile's data: while threads are parked in a mutex, a rwlock, a condvar, a
# semaphore, a barrier, a join and a sleep, a snapshot shows each in that state with the
# object, the start of the wait and its stack; the last snapshot (at exit) shows the
# exiting main thread running; without the lock profiles the states are there too.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

gp_build_prog prog lock-threads
for profiles in off on; do
	if [ $profiles = on ]; then
		set -- GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1
	else
		set --
	fi
	db=s-$profiles.db
	GOPROF_DB=$GP_WORK/$db gp_run run-$profiles env "$@" ./prog
	[ "$GP_RC" = 0 ] || gp_fail "run ($profiles) exited with $GP_RC"
	[ "$(cat run-$profiles.out)" = "done 7" ] || gp_fail "the program did not finish"
	gp_qs $db "SELECT snapshot, tid, state, wait_object IS NOT NULL, wait_since_ns, path
		   FROM snapshot_threads LEFT JOIN named USING (stack_id)
		   ORDER BY snapshot, tid" >snap-$profiles.txt
	# in one snapshot every parked thread in its state (its stack ending in the call it waits
	# in), its object and start time set
	best=$(gp_qs $db "SELECT snapshot FROM snapshot_threads JOIN named USING (stack_id)
		WHERE wait_since_ns > 0 AND (
		(state = 1 AND path = 'park_mutex>pthread_mutex_lock' AND wait_object IS NOT NULL) OR
		(state = 2 AND path = 'park_rwlock>pthread_rwlock_wrlock' AND
		 wait_object IS NOT NULL) OR
		(state = 3 AND path = 'park_cond>pthread_cond_wait' AND wait_object IS NOT NULL) OR
		(state = 4 AND path = 'park_sem>sem_wait' AND wait_object IS NOT NULL) OR
		(state = 5 AND path = 'park_barrier>pthread_barrier_wait' AND
		 wait_object IS NOT NULL) OR
		(state = 6 AND path = 'park_join>pthread_join' AND wait_object IS NOT NULL) OR
		(state = 7 AND path = 'park_sleep>usleep') OR
		(state = 7 AND path = 'main>main_waits>usleep'))
		GROUP BY snapshot HAVING count(*) = 8 LIMIT 1")
	[ -n "$best" ] || { cat snap-$profiles.txt >&2; gp_fail "($profiles) no snapshot with every thread parked"; }
	since=$(gp_q $db "SELECT min(wait_since_ns) - (SELECT start_ns FROM process) FROM snapshot_threads
		WHERE snapshot = $best AND wait_since_ns IS NOT NULL")
	[ "$since" -ge 0 ] || gp_fail "($profiles) a wait began before the process"
	pid=$(gp_q $db "SELECT pid FROM process")
	[ "$(gp_q $db "SELECT state, quote(wait_object), quote(wait_since_ns) FROM snapshot_threads
		WHERE snapshot = (SELECT max(id) FROM snapshots) AND tid = $pid")" = "0|NULL|NULL" ] ||
		{ cat snap-$profiles.txt >&2; gp_fail "($profiles) main not running in the last snapshot"; }
	[ "$(gp_q $db "SELECT count(*) FROM snapshot_threads WHERE snapshot = $best")" -ge 8 ] ||
		gp_fail "($profiles) fewer than 8 threads in snapshot $best"
	echo "ok $profiles: snapshot $best"
done
exit 0
