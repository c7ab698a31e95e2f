#!/bin/sh
# The interposed blocking calls keep their exact results (return values, errno, EBUSY,
# ETIMEDOUT, EDEADLK, EINVAL, EOWNERDEAD, recursive mutexes, cancellation): the program
# prints the same with and without libgoprof, with profiles off, on for every event, and
# sampled, and goprof says nothing on stderr.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"

# shellcheck disable=SC2086
$GP_CC -O2 -g -o plain "$GP_SRCDIR/testsuite/progs/lock-semantics.c" -lpthread ||
	gp_fail "plain build failed"
gp_build_prog prog lock-semantics
gp_run plain ./plain
[ "$GP_RC" = 0 ] || gp_fail "plain run exited with $GP_RC"
grep -q '^rwlock counter  *200000$' plain.out || { cat plain.out >&2; gp_fail "plain run incomplete"; }

check() { # NAME ENV...
	name=$1
	shift
	gp_run "$name" env "$@" ./prog
	[ "$GP_RC" = 0 ] || { cat "$name.err" >&2; gp_fail "$name: exited with $GP_RC"; }
	gp_same_output plain "$name"
	[ ! -s "$name.err" ] || { cat "$name.err" >&2; gp_fail "$name: goprof complained"; }
	echo "ok $name"
}
check nodb GOPROF_CPU_HZ=0
check off GOPROF_DB="$GP_WORK/off.db"
check all GOPROF_DB="$GP_WORK/all.db" GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1
check sampled GOPROF_DB="$GP_WORK/sampled.db" GOPROF_BLOCK_RATE=100000 GOPROF_MUTEX_FRACTION=3
# with lock elision asked for, goprof leaves normal mutexes to glibc (it would not agree on them)
check elision GLIBC_TUNABLES=glibc.elision.enable=1 GOPROF_DB="$GP_WORK/elision.db" \
	GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1
exit 0
