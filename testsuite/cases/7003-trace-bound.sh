#!/bin/sh
# Ten seconds of a busy program (4 threads on one mutex, short pipe I/O and sleeps) traced
# with GOPROF_TRACE_BUFFER=256 KiB: each thread records at most its buffer's worth, the trace
# marks the dropped events (go tool trace shows them as a goprof log), peak memory grows
# by no more than the bound allows, and the output is the program's own.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go

trace_setup 2>/dev/null
HOME=$GP_WORK
export HOME
gp_build_prog prog trace-busy
gp_run plain ./prog 10
[ "$GP_RC" = 0 ] || gp_fail "plain run exited with $GP_RC"
# 256 KiB, so that the buffers fill in 10 s also on a loaded machine (1 MiB did not, at a
# load of 10 on 2 cores)
GOPROF_TRACE=$GP_WORK/busy.trace GOPROF_TRACE_BUFFER=262144 gp_run traced ./prog 10
[ "$GP_RC" = 0 ] || gp_fail "traced run exited with $GP_RC"
gp_same_output plain traced
# Go 1.19's -d format (newer Go prints its own event model)
"$TOOL" -d busy.trace >busy.dump 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d"; }

# a record takes 40 bytes or more, so a thread keeps at most 256 KiB / 40 of them; each
# becomes at most three lines of Go 1.19's dump on its P (ProcStart + GoUnblock + GoStart,
# GoSysCall + GoSysBlock + ProcStop)
for p in 0 1 2 3 4; do
	n=$(grep -c " p=$p " busy.dump)
	[ "$n" -le 19700 ] || gp_fail "P $p has $n events in a 256 KiB buffer"
done
grep -qE ' UserLog p=[0-9]+ g=[1-9].* category=goprof message=[0-9]+ events dropped$' busy.dump ||
	gp_fail "no drop marker"
[ "$(stat -c %s busy.trace)" -le $((5 * 262144)) ] || gp_fail "trace file bigger than the buffers"

# peak RSS: the buffers (5 threads x 256 KiB) and the conversion at exit, no more
plain_kb=$(sed -n 's/.*peak_kb=//p' plain.err)
traced_kb=$(sed -n 's/.*peak_kb=//p' traced.err)
[ -n "$plain_kb" ] && [ -n "$traced_kb" ] || gp_fail "no peak RSS reported"
[ $((traced_kb - plain_kb)) -le $((3 * 5 * 256 + 8192)) ] ||
	gp_fail "peak RSS $traced_kb KiB traced, $plain_kb KiB plain: more than the bound"
exit 0
