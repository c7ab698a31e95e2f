#!/bin/sh
# Block and mutex profiles in the database: a thread waits ten times for a mutex another
# holds 100 ms; with GOPROF_BLOCK_RATE=1 and GOPROF_MUTEX_FRACTION=1 the waiter's stack
# gets 10 contentions and about 1 s of block delay and the holder's (unlocker's) stack about
# 1 s of mutex delay, each within 10 % of what the program measured (a loaded machine adds
# to the waits); profiles rows carry the settings; the C API reads and
# switches them (after which nothing is recorded) and does nothing without a database; a
# bad value costs one warning line.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

gp_build_prog prog lock-profiles
GOPROF_DB=$GP_WORK/p.db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "run exited with $GP_RC"
cat run.out >&2
# "waited BLOCK MUTEX": the ns the program measured, the rest the API's answers
set -- $(sed -n 's/^waited \([0-9]*\) \([0-9]*\)$/\1 \2/p' run.out)
[ $# = 2 ] && [ "$1" -ge 1000000000 ] && [ "$2" -ge 1000000000 ] ||
	gp_fail "the program measured no 1 s of waits: $(cat run.out)"
waited_block=$1 waited_mutex=$2
sed 1d run.out >api.out
[ ! -s run.err ] || { cat run.err >&2; gp_fail "goprof complained"; }
printf '%s\n' "block rate 1" "mutex fraction 1" "mutex fraction read 1" "mutex fraction was 1" \
	"block rate was 1" "now 0 0" | cmp -s - api.out || gp_fail "API answers differ"

db=p.db
gp_qs $db "SELECT profile, path, count, value FROM samples JOIN named USING (stack_id)
	   WHERE profile IN (4, 5) ORDER BY profile, value DESC" >rows.txt
cat rows.txt >&2
sum() { # PROFILE PATH COLUMN
	gp_qs $db "SELECT coalesce(sum($3), 0) FROM samples JOIN named USING (stack_id)
		   WHERE profile = $1 AND path = '$2'"
}
# the stacks end in the interposed call
block=$(sum 4 waiter\>waiter_lock\>pthread_mutex_lock value)
block_n=$(sum 4 waiter\>waiter_lock\>pthread_mutex_lock count)
mutex=$(sum 5 main\>rounds\>hold\>pthread_mutex_unlock value)
mutex_n=$(sum 5 main\>rounds\>hold\>pthread_mutex_unlock count)
echo "block $block ns in $block_n, mutex $mutex ns in $mutex_n" >&2
gp_within "$block" "$waited_block" 10 ||
	gp_fail "block delay at waiter_lock: $block ns, the program waited $waited_block"
[ "$block_n" = 10 ] || gp_fail "block contentions at waiter_lock: $block_n, not 10"
gp_within "$mutex" "$waited_mutex" 10 ||
	gp_fail "mutex delay at hold: $mutex ns, the holder kept the waiter $waited_mutex"
[ "$mutex_n" -ge 10 ] && [ "$mutex_n" -le 12 ] || gp_fail "mutex events at hold: $mutex_n"
# the waiter's rows carry the waiter's tid, the unlocker's the holder's (main's)
pid=$(gp_q $db "SELECT pid FROM process")
[ "$(gp_qs $db "SELECT count(*) FROM samples JOIN named USING (stack_id)
	WHERE profile = 5 AND path LIKE 'main>rounds>hold>%' AND tid != $pid")" = 0 ] ||
	gp_fail "mutex rows at hold with another tid than main's"
[ "$(gp_qs $db "SELECT count(*) FROM samples JOIN named USING (stack_id)
	WHERE profile = 4 AND path LIKE '%waiter_lock>%' AND tid = $pid")" = 0 ] ||
	gp_fail "block rows at waiter_lock with main's tid"
# switched off: the second round is nowhere
[ "$(gp_qs $db "SELECT count(*) FROM samples JOIN named USING (stack_id)
	WHERE profile IN (4, 5) AND path LIKE '%unrecorded_hold%'")" = 0 ] ||
	gp_fail "events recorded after the profiles were switched off"
[ "$(gp_q $db "SELECT name, rate, period FROM profiles WHERE id IN (4, 5, 6, 7) ORDER BY id" |
	tr '\n' ' ')" = "block|1|1 mutex|1|1 threadcreate|1|1 goroutine|1|1 " ] ||
	gp_fail "profiles rows: $(gp_q $db 'SELECT * FROM profiles')"

# sampled: the rate's row, and with a rate above every wait the delays still add up
GOPROF_DB=$GP_WORK/s.db GOPROF_BLOCK_RATE=50000000 GOPROF_MUTEX_FRACTION=5 gp_run sampled ./prog
[ "$GP_RC" = 0 ] || gp_fail "sampled run exited with $GP_RC"
[ "$(gp_q s.db "SELECT rate FROM profiles WHERE name IN ('block', 'mutex') ORDER BY id" |
	tr '\n' ' ')" = "50000000 5 " ] || gp_fail "sampled profiles rows"

# no database: the API does nothing
GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 gp_run nodb ./prog
[ "$GP_RC" = 0 ] || gp_fail "run without a database exited with $GP_RC"
sed 1d nodb.out >api.out
printf '%s\n' "block rate 0" "mutex fraction 0" "mutex fraction read 0" "mutex fraction was 0" \
	"block rate was 0" "now 0 0" | cmp -s - api.out ||
	{ cat nodb.out >&2; gp_fail "API without a database"; }

# profiles off: no rows, no profiles rows for them
GOPROF_DB=$GP_WORK/off.db gp_run off ./prog
[ "$GP_RC" = 0 ] || gp_fail "run with the profiles off exited with $GP_RC"
[ "$(gp_q off.db "SELECT count(*) FROM samples WHERE profile IN (4, 5)")" = 0 ] ||
	gp_fail "samples with the profiles off"
[ "$(gp_q off.db "SELECT count(*) FROM profiles WHERE id IN (4, 5)")" = 0 ] ||
	gp_fail "profiles rows for block/mutex while off"

# a bad value: one line, the default, the program runs
GOPROF_DB=$GP_WORK/bad.db GOPROF_BLOCK_RATE=-3 GOPROF_MUTEX_FRACTION=x gp_run bad ./prog
[ "$GP_RC" = 0 ] || gp_fail "run with bad values exited with $GP_RC"
[ "$(wc -l <bad.err)" = 2 ] && grep -q '^goprof: GOPROF_BLOCK_RATE=-3 ' bad.err &&
	grep -q '^goprof: GOPROF_MUTEX_FRACTION=x ' bad.err || { cat bad.err >&2; gp_fail "bad values"; }
exit 0
