#!/bin/sh
# A program that dies of SIGABRT, SIGSEGV or SIGFPE still dies of that signal, as it would
# without goprof, and its database holds the samples taken up to the crash.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-crash
for how in abort:6 segv:11 fpe:8; do
	sig=${how#*:}
	how=${how%:*}
	# The shell reports death by signal N as 128 + N.
	(ulimit -c 0; GOPROF_DB=$GP_WORK/$how.db exec ./prog $how) >$how.out 2>$how.err
	rc=$?
	[ "$rc" = $((128 + sig)) ] || gp_fail "$how: exit status $rc, expected death by signal $sig"
	gp_export $how.db $how.pb.gz -t cpu
	gp_top $how.pb.gz >$how.top
	ms=$(gp_cum_ms $how.top doomed)
	[ "$ms" -ge 1000 ] || gp_fail "$how: only $ms ms of the 1200 ms before the crash were kept"
done
exit 0
