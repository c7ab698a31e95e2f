#!/bin/sh
# Wrapped calls in a signal handler that interrupted malloc never deadlock: 300 threads,
# each interrupted inside a malloc/free loop by a handler that sleeps, writes and reads a
# pipe and posts a semaphore, with the block profile on for every wait and I/O call, the
# mutex profile and an execution trace on. Each round's handler makes goprof record a
# new wait (a new bucket); they once came from malloc, and a thread interrupted while
# holding its arena lock waited for itself. The program ends with the plain build's output
# and the block profile holds the handlers' pipe writes and reads.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog signal-io
$GP_CC -O2 -g -o plain "$GP_SRCDIR/testsuite/progs/signal-io.c" -lpthread ||
	gp_fail "building the plain program failed"
timeout -s KILL 60 ./plain 300 >plain.out 2>plain.err ||
	gp_fail "the plain program failed"
rc=0
GOPROF_DB=$GP_WORK/prof.db GOPROF_BLOCK_IO=1 GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 \
	GOPROF_TRACE=$GP_WORK/trace.out timeout -s KILL 60 ./prog 300 >run.out 2>run.err || rc=$?
[ "$rc" = 137 ] && gp_fail "deadlocked (killed after 60 s)"
[ "$rc" = 0 ] || { cat run.err >&2; gp_fail "program exited with $rc"; }
gp_same_output plain run
[ -s trace.out ] || gp_fail "no trace written"

gp_export prof.db block.pb.gz -t block
gp_traces block.pb.gz >block.txt
for call in write read; do
	got=$(awk -v c="on_usr1;echo_byte;$call" '$1 > 0 && substr($2, length($2) - length(c) + 1) == c' \
		block.txt | wc -l)
	[ "$got" -gt 0 ] || { head -30 block.txt >&2; gp_fail "no block record of $call in the handler"; }
done
exit 0
