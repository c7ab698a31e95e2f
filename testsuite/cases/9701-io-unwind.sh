#!/bin/sh
# Unwinding through the I/O wrappers while they wait, with the thread states on (GOPROF_DB:
# on x86-64, the stub that returns with a jump) and with a trace on too (the C wrapper): a
# thread cancelled in read() runs its caller's cleanup, and backtrace() in a signal handler
# that interrupted a read() finds the caller and the thread's start; the output is the
# plain build's.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"

# on x86-64 the states take the stub, unless libgoprof was built with -fcf-protection
case $(uname -m) in
x86_64)
	readelf -n "$GP_RTDIR/libgoprof.so" 2>/dev/null | grep -q 'x86 feature:.*SHSTK' ||
		nm "$GP_RTDIR/libgoprof.so" | grep -q ' gp_io_fast_read$' ||
		gp_fail "libgoprof has no fast path for read() (gp_io_fast_read) on x86-64"
	;;
esac
gp_build_prog prog io-unwind -fexceptions
$GP_CC -O2 -g -fexceptions -o plain "$GP_SRCDIR/testsuite/progs/io-unwind.c" -lpthread ||
	gp_fail "building the plain program failed"
gp_run plain ./plain
[ "$GP_RC" = 0 ] || { cat plain.err >&2; gp_fail "plain program exited with $GP_RC"; }
cat >want.out <<'END'
cancelled in read: yes, the caller's cleanup ran: yes
backtrace in the handler: the caller found, the thread's start found; read after it: got its byte
END
cmp -s plain.out want.out || { cat plain.out >&2; gp_fail "the plain program does not unwind"; }

GOPROF_DB=$GP_WORK/states.db gp_run states ./prog
[ "$GP_RC" = 0 ] || { cat states.err >&2; gp_fail "with GOPROF_DB: exit status $GP_RC"; }
gp_same_output plain states
GOPROF_DB=$GP_WORK/traced.db GOPROF_TRACE=$GP_WORK/trace.out gp_run traced ./prog
[ "$GP_RC" = 0 ] || { cat traced.err >&2; gp_fail "with a trace: exit status $GP_RC"; }
gp_same_output plain traced
exit 0
