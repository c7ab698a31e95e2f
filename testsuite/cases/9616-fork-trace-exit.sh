#!/bin/sh
# A trace the parent started runs while children fork: a child has no trace to stop
# (goprof_trace_stop() says -EINVAL: it is the parent's), starts its own, logs, stops it
# and calls exit() without having made a thread. Its file reads in go tool trace with the
# log, and its database (%p) keeps the same bytes, under --enable-sanitizers too, where
# such a child writes its database at exit on the exiting thread (writer.c). The parent's
# trace, stopped after, is whole and kept in the parent's database alone. No process of
# the program is left alive.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_sqlite3
trace_setup

n=${CHILDREN:-12}
gp_build_prog prog fork-trace
rc=0
GOPROF_DB=$GP_WORK/prof-%p.db timeout -s KILL 120 ./prog "$GP_WORK" "$n" >run.out 2>run.err ||
	rc=$?
gp_none_left "$GP_WORK/prog" "processes of the program"
[ "$rc" = 0 ] || { cat run.err >&2; gp_fail "exit status $rc"; }
want="children $n ok $n hung 0 parent stop 0"
[ "$(cat run.out)" = "$want" ] || { cat run.err >&2; gp_fail "$(cat run.out), want: $want"; }
children=0
for f in child-*.trace; do
	[ -f "$f" ] || break
	pid=${f#child-}
	pid=${pid%.trace}
	"$TOOL" -d "$f" >"$f.dump" 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d $f"; }
	grep -q "child $pid" "$f.dump" || gp_fail "$f has no log 'child $pid'"
	[ "$(gp_q "prof-$pid.db" "SELECT count(*) || ' ' || source FROM traces")" = "1 api" ] ||
		gp_fail "prof-$pid.db should keep its one trace: $(gp_q "prof-$pid.db" \
			"SELECT id, source FROM traces")"
	gp_export "prof-$pid.db" "$f.kept" -t trace -f go
	cmp -s "$f" "$f.kept" || gp_fail "prof-$pid.db's trace differs from $f"
	mv "prof-$pid.db" "child-$pid.db"
	children=$((children + 1))
done
[ $children = "$n" ] || gp_fail "$children children wrote a trace, want $n"
# what is left is the parent's database, with the parent's trace
set -- prof-*.db
[ $# = 1 ] || gp_fail "expected the parent's database and the children's, found also: $*"
"$TOOL" -d parent.trace >parent.dump 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d"; }
grep -q "child" parent.dump && gp_fail "the parent's trace holds a child's log"
gp_export "$1" parent.kept -t trace -f go
cmp -s parent.trace parent.kept || gp_fail "the parent's database keeps another trace"
exit 0
