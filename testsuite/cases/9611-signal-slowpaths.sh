#!/bin/sh
# Wrapped calls in a signal handler that interrupted goprof's own slow paths never
# deadlock or allocate: 300 threads, each interrupted while it records sampled allocations
# (GOPROF_MEMPROFILE_RATE=1) and waits on a contended mutex (mutex and block profiles at
# rate 1), every thread in one malloc arena (MALLOC_ARENA_MAX=1: an allocation in the
# handler would wait for the arena lock its own thread holds), by a handler that writes and reads a pipe, locks and unlocks a mutex nobody
# else uses and posts a semaphore; the I/O block profile and an execution trace on. The
# program ends with the plain build's output, within 60 s, and the block profile holds the
# handlers' pipe writes and reads.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog signal-slowpaths
$GP_CC -O2 -g -o plain "$GP_SRCDIR/testsuite/progs/signal-slowpaths.c" -lpthread ||
	gp_fail "building the plain program failed"
MALLOC_ARENA_MAX=1 timeout -s KILL 60 ./plain 300 >plain.out 2>plain.err || gp_fail "the plain program failed"
for trace in off on; do
	rc=0
	if [ "$trace" = on ]; then
		export GOPROF_TRACE=$GP_WORK/trace.out
	fi
	MALLOC_ARENA_MAX=1 GOPROF_DB=$GP_WORK/$trace.db GOPROF_MEMPROFILE_RATE=1 GOPROF_BLOCK_IO=1 GOPROF_BLOCK_RATE=1 \
		GOPROF_MUTEX_FRACTION=1 timeout -s KILL 60 ./prog 300 >$trace.out 2>$trace.err || rc=$?
	unset GOPROF_TRACE
	[ "$rc" = 137 ] && gp_fail "trace $trace: deadlocked (killed after 60 s)"
	[ "$rc" = 0 ] || { cat $trace.err >&2; gp_fail "trace $trace: program exited with $rc"; }
	gp_same_output plain $trace
	gp_export $trace.db block-$trace.pb.gz -t block
	gp_traces block-$trace.pb.gz >block-$trace.txt
	for call in write read; do
		got=$(awk -v c="on_usr1;echo_byte;$call" \
			'$1 > 0 && substr($2, length($2) - length(c) + 1) == c' block-$trace.txt | wc -l)
		[ "$got" -gt 0 ] ||
			{ head -30 block-$trace.txt >&2; gp_fail "trace $trace: no block record of $call in the handler"; }
	done
done
[ -s trace.out ] || gp_fail "no trace written"
exit 0
