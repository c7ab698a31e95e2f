#!/bin/sh
# The trace's control and its errors: one trace at a time (a second start is -EBUSY, and
# the HTTP server's capture says Go's "tracing is already enabled"), a cancelled capture
# stops early and still writes a trace that parses, GOPROF_TRACE with a path that cannot
# be written warns in one line and the program runs on with its own output, and a bad
# GOPROF_TRACE_BUFFER keeps the default.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
HOME=$GP_WORK
GOCACHE=$GP_BUILDDIR/testsuite/gocache
export HOME GOCACHE
trace_setup 2>/dev/null

gp_build_prog api trace-api
gp_run api ./api "$GP_WORK"
[ "$GP_RC" = 0 ] || gp_fail "trace-api exited with $GP_RC"
cat >api.want <<'OUT'
start: 0
second start: -EBUSY
enabled: 1
stop: 0
second stop: -EINVAL
no path: -EINVAL
bad format: -EINVAL
missing directory: -ENOENT
task ids: 1
OUT
cmp -s api.out api.want || { diff api.want api.out >&2; gp_fail "control calls"; }
"$TOOL" -d api.trace >/dev/null 2>dump.err || { cat dump.err >&2; gp_fail "api.trace"; }

# under GOPROF_TRACE the program's own start finds the trace on
GOPROF_TRACE=$GP_WORK/env.trace gp_run env ./api "$GP_WORK"
grep -qx 'start: -EBUSY' env.out || gp_fail "start under GOPROF_TRACE: $(head -1 env.out)"
grep -qx 'stop: 0' env.out || gp_fail "stop of GOPROF_TRACE's trace"
[ -s env.trace ] || gp_fail "goprof_trace_stop did not write GOPROF_TRACE's file"

# gp_trace_capture, from the static library
# shellcheck disable=SC2086
$GP_CC -O2 -g $GP_FLAGS -DWITH_CAPTURE $GP_INC -o capture \
	"$GP_SRCDIR/testsuite/progs/trace-api.c" "$GP_RTDIR/libgoprof.a" -lsqlite3 -lelf -ldl \
	-lpthread >cc.err 2>&1 || { cat cc.err >&2; gp_fail "building the capture program"; }
gp_run capture ./capture "$GP_WORK"
[ "$GP_RC" = 0 ] || gp_fail "capture program exited with $GP_RC"
cat >capture.want <<'OUT'
capture during capture: -EBUSY
its error: tracing is already enabled
start during capture: -EBUSY
stop during capture: -EBUSY
capture: 0
cancelled capture: 0
stopped early: 1
OUT
tail -n 7 capture.out >capture.tail
cmp -s capture.tail capture.want || { diff capture.want capture.tail >&2; gp_fail "capture"; }
"$TOOL" -d capture.trace >/dev/null 2>dump.err || { cat dump.err >&2; gp_fail "capture.trace"; }
go run "$GP_SRCDIR/testsuite/unit/check-trace-json.go" cancel.json >/dev/null 2>check.err ||
	{ cat check.err >&2; gp_fail "cancel.json"; }

# a path that cannot be written: one line, no trace, the program as it is
gp_build_prog demo trace-demo
gp_run plain ./demo
GOPROF_TRACE=$GP_WORK/no/such/dir/x.trace gp_run bad ./demo
[ "$GP_RC" = 0 ] || gp_fail "the program exited with $GP_RC under a bad GOPROF_TRACE"
gp_same_output plain bad
[ "$(wc -l <bad.err)" = 1 ] || { cat bad.err >&2; gp_fail "not one line on stderr"; }
grep -q '^goprof: GOPROF_TRACE=.*x.trace: cannot trace: No such file or directory$' bad.err ||
	gp_fail "warning: $(cat bad.err)"
GOPROF_TRACE=$GP_WORK/b.trace GOPROF_TRACE_BUFFER=12x gp_run badbuf ./demo
gp_same_output plain badbuf
grep -q '^goprof: GOPROF_TRACE_BUFFER=12x is not a number' badbuf.err || gp_fail "GOPROF_TRACE_BUFFER"
"$TOOL" -d b.trace >/dev/null 2>dump.err || { cat dump.err >&2; gp_fail "b.trace"; }
exit 0
