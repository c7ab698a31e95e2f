#!/bin/sh
# A program that dies while glibc's malloc holds its arena lock (an abort() inside free on a
# double free; a SIGSEGV in a signal handler that interrupted a malloc loop), every thread
# sharing that arena (MALLOC_ARENA_MAX=1): it dies of its signal as the plain build does,
# with the same output, never hangs, and the crash flush still writes its profile: the
# threadcreate profile counts the thread that ended just before the crash.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
[ -n "${GP_SANITIZE:-}" ] &&
	gp_skip "AddressSanitizer reports the double free itself and owns malloc: no glibc arena lock to hold"

gp_build_prog prog crash-in-malloc
$GP_CC -O2 -g -o plain "$GP_SRCDIR/testsuite/progs/crash-in-malloc.c" -lpthread ||
	gp_fail "building the plain program failed"

# run NAME PROGRAM HOW SIGNAL: dies of SIGNAL within 60 s (the shell's 128 + N)
run() {
	(ulimit -c 0; MALLOC_ARENA_MAX=1 exec timeout -s KILL 60 "$2" "$3") >"$1.out" 2>"$1.err"
	rc=$?
	[ "$rc" = 137 ] && gp_fail "$1: hung (killed after 60 s)"
	[ "$rc" = $((128 + $4)) ] || gp_fail "$1: exit status $rc, want death by signal $4"
}

i=0
for how in abort:6 segv:11 segv:11 segv:11 segv:11 segv:11; do
	i=$((i + 1))
	sig=${how#*:}
	how=${how%:*}
	run plain-$i ./plain "$how" "$sig"
	GOPROF_DB=$GP_WORK/$i.db run run-$i ./prog "$how" "$sig"
	gp_same_output plain-$i run-$i
	if [ "$how" = abort ]; then
		grep -q 'double free or corruption' run-$i.err ||
			{ cat run-$i.err >&2; gp_fail "glibc's message is missing"; }
	fi
	gp_export $i.db tc-$i.txt -t threadcreate -f text
	head -1 tc-$i.txt | grep -qx 'threadcreate profile: total 3' ||
		gp_fail "$how (run $i): $(head -1 tc-$i.txt), want the 3 threads, the last one" \
			"ended just before the crash"
done
exit 0
