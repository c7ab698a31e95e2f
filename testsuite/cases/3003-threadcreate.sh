#!/bin/sh
# The threadcreate profile's data: every thread's row names its creator (main's tid) and
# the creator's stack at pthread_create/thrd_create, from three call sites (one of them
# thrd_create); the main thread has neither.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

gp_build_prog prog lock-threads
GOPROF_DB=$GP_WORK/t.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "run exited with $GP_RC"
[ "$(cat run.out)" = "done 7" ] || gp_fail "the program did not finish"
db=t.db
pid=$(gp_q $db "SELECT pid FROM process")
gp_qs $db "SELECT tid, creator_tid, create_stack, path FROM threads
	   LEFT JOIN named ON stack_id = create_stack ORDER BY start_ns" >threads.txt
cat threads.txt >&2
[ "$(gp_q $db "SELECT quote(creator_tid), create_stack FROM threads WHERE tid = $pid")" = "NULL|0" ] ||
	gp_fail "the main thread has a creator"
[ "$(gp_q $db "SELECT count(*) FROM threads WHERE tid != $pid AND creator_tid = $pid")" = 8 ] ||
	gp_fail "not 8 threads created by main"
n() { gp_qs $db "SELECT count(*) FROM threads JOIN named ON stack_id = create_stack WHERE path = '$1'"; }
# the creating call ends each stack
[ "$(n 'main>spawn_a>pthread_create')" = 3 ] ||
	gp_fail "spawn_a: $(n 'main>spawn_a>pthread_create') threads, not 3"
[ "$(n 'main>spawn_b>spawn_b_inner>pthread_create')" = 4 ] || gp_fail "spawn_b: not 4 threads"
[ "$(n 'main>spawn_c>thrd_create')" = 1 ] || gp_fail "spawn_c (thrd_create): not 1 thread"
exit 0
