#!/bin/sh
# fork() while other threads allocate, each child calling _exit() at once (what POSIX lets
# the child of a multi-threaded program do, with exec): every child ends by itself with its
# own exit status, under goprof as without it, with the heap, mutex and block profiles at
# rate 1. Under --enable-sanitizers the allocator is AddressSanitizer's, whose locks a
# child inherits held when another thread was inside malloc or ending at the fork: goprof's
# fork handler must not start a thread there (writer.c), or the child waits for ever.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"

n=${CHILDREN:-300}
gp_build_prog prog fork-busy
want="forked $n exited $n status $n hung 0"
for mode in off on; do
	rc=0
	if [ $mode = off ]; then
		timeout -s KILL 120 ./prog "$n" >$mode.out 2>$mode.err || rc=$?
	else
		GOPROF_DB=$GP_WORK/prof-%p.db GOPROF_MEMPROFILE_RATE=1 GOPROF_MUTEX_FRACTION=1 \
			GOPROF_BLOCK_RATE=1 timeout -s KILL 120 ./prog "$n" >$mode.out 2>$mode.err ||
			rc=$?
	fi
	[ "$rc" = 137 ] && gp_fail "$mode: the program hung (killed after 120 s)"
	[ "$rc" = 0 ] || { cat $mode.err >&2; gp_fail "$mode: exit status $rc"; }
	[ "$(cat $mode.out)" = "$want" ] ||
		{ cat $mode.err >&2; gp_fail "$mode: $(cat $mode.out), want: $want"; }
done
# the parent's database only: no child, which only called _exit, left one
set -- prof-*.db
[ $# = 1 ] || gp_fail "expected the parent's database only, found: $*"
exit 0
