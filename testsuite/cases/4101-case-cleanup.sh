#!/bin/sh
# The testsuite's own clean-up: a case that sources http-lib.sh (whose servers must stop when
# the case ends) and adds a clean-up of its own (as trace-lib.sh's trace_setup does for go
# tool trace's server) keeps all of them with gp_begin's: the processes it started are gone
# after it passes, fails or skips, its work directory is removed when it passes and kept
# otherwise, and its exit status is its own.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"

# a case in miniature: starts two long sleeps as its "servers", then exits with $1
cat >mini.sh <<'SH'
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$GP_MINI"
SERVER=
gp_at_exit '[ -z "$SERVER" ] || stop'
sleep 300 &
GP_PIDS=$!
sleep 300 &
SERVER=$!
echo "$GP_PIDS $SERVER" >"$GP_PIDFILE"
exit "$1"
SH

for rc in 0 1 77; do
	mini=$GP_BUILDDIR/testsuite/work/4101-mini-$rc
	GP_MINI=$mini.sh GP_PIDFILE=$GP_WORK/pids.$rc sh mini.sh $rc 2>mini.$rc.err
	got=$?
	[ "$got" = $rc ] || { cat mini.$rc.err >&2; gp_fail "exit $rc came out as $got"; }
	for p in $(cat pids.$rc); do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p"
			gp_fail "a process the case started (pid $p) outlived its exit $rc"
		fi
	done
	if [ $rc = 0 ]; then
		[ ! -d "$mini" ] || gp_fail "the work directory stayed after a pass"
	else
		[ -d "$mini" ] || gp_fail "the work directory was removed after exit $rc"
		rm -rf "$mini"
	fi
done
echo "ok: servers stopped and work directories handled after exits 0, 1 and 77"
