#!/bin/sh
# Block, mutex and threadcreate samples sit at the line of the interposed call
# (progs/lines-locks.c, every wait recorded): go tool pprof -lines splits wait_twice()'s
# contentions 3:1 by its two pthread_mutex_lock lines (block profile, at the waiter),
# release()'s 3:1 by its two pthread_mutex_unlock lines (mutex profile, at the releaser), and
# spawn()'s threads 3:1 by its two pthread_create lines; each such location has a real
# address.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

src=$GP_SRCDIR/testsuite/progs/lines-locks.c
# Under --enable-sanitizers the program is built without ASan (the runtime keeps it): ASan's
# interceptor of pthread_create would come between the program and goprof's, and the line
# goprof sees call it would be inside ASan
gp_build_prog prog lines-locks ${GP_SANITIZE:+-fno-sanitize=address}
GOPROF_DB=$GP_WORK/prof.db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC: $(cat run.err)"
[ "$(cat run.out)" = "taken 60 40 given 60 40 started 13" ] ||
	gp_fail "the program's output changed: $(cat run.out)"

# ROUNDS = 20: 60 of one kind, 20 of the other; a wait the main thread came to late (the
# holder already gone) is no contention, so a few may be missing, never more than truth
split() {
	local file=$1 fn=$2 three one
	three=$(gp_cum_at_line "$file" "$fn" "$(gp_line_of "$src" "${3}3")")
	one=$(gp_cum_at_line "$file" "$fn" "$(gp_line_of "$src" "${3}1")")
	[ "$three" -ge 54 ] && [ "$three" -le 60 ] && [ "$one" -ge 18 ] && [ "$one" -le 20 ] ||
		{ cat "$file" >&2; gp_fail "$file: $fn has $three at LINE-${3}3, $one at LINE-${3}1"; }
}

gp_export prof.db block.pb.gz -t block
gp_lines_top block.pb.gz -sample_index=contentions >block.txt
gp_export prof.db mutex.pb.gz -t mutex
gp_lines_top mutex.pb.gz -sample_index=contentions >mutex.txt
# The mutex wrappers read the program's call in a helper they reach by tail calls only; in
# the runtime built with ASan and UBSan GCC makes them ordinary calls, and the lines of the
# waits are dropped (never wrong): the split, and the waits' addresses below, are checked
# in the normal build only
if [ -z "${GP_SANITIZE:-}" ]; then
	split block.txt wait_twice LOCK
	split mutex.txt release UNLOCK
else
	echo "$GP_CASE: sanitizers: the lines of mutex waits are not checked" >&2
fi

gp_export prof.db threadcreate.pb.gz -t threadcreate
gp_lines_top threadcreate.pb.gz >threadcreate.txt
three=$(gp_cum_at_line threadcreate.txt spawn "$(gp_line_of "$src" CREATE3)")
one=$(gp_cum_at_line threadcreate.txt spawn "$(gp_line_of "$src" CREATE1)")
[ "$three" = 3 ] && [ "$one" = 1 ] ||
	{ cat threadcreate.txt >&2; gp_fail "spawn created $three at LINE-CREATE3, $one at LINE-CREATE1"; }

kinds="block mutex threadcreate"
[ -z "${GP_SANITIZE:-}" ] || kinds=threadcreate
for t in $kinds; do
	gp_pprof -raw $t.pb.gz >$t-raw.txt 2>pprof.err || gp_fail "pprof -raw $t failed"
	fn=$(case $t in block) echo wait_twice ;; mutex) echo release ;; *) echo spawn ;; esac)
	awk -v fn=" $fn " '/^Locations/ { l = 1; next } /^Mappings/ { l = 0 }
		l && index($0, fn) && $2 == "0x0" { exit 1 }' $t-raw.txt ||
		{ cat $t-raw.txt >&2; gp_fail "$t: a location of $fn has address 0"; }
done
exit 0
