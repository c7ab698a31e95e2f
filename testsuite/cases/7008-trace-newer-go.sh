#!/bin/sh
# Traces that Go >= 1.23's go tool trace opens. testsuite/unit/check-trace-go.go (newer Go's
# conversion of old traces and its viewer's invariants, re-implemented) rejects the sequence
# goprof wrote around a blocking system call before (trace-gen -l: no ProcStop after
# GoSysBlock, no ProcStart before GoSysExit), which Go 1.19 reads without a word, with the
# viewer's panic; it accepts what goprof writes now (also when goprof-export rewrites an old
# file), the project's synthetic reference trace and a real capture, and there the per-P
# view draws the running slice before the call and the call itself. goprof's JSON of the
# same captures draws the goroutine view's slices. The dump patterns are Go 1.19's -d format.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
trace_setup 2>/dev/null

GEN=$GP_BUILDDIR/testsuite/unit/trace-gen
REAL_TOOL=$(go env GOTOOLDIR)/trace

# ---- the old sequence: Go 1.19 reads it, Go >= 1.23's viewer panics
for mode in normal odd; do
	"$GEN" -m $mode -l -f go -o old-$mode.trace 2>/dev/null || gp_fail "trace-gen -m $mode -l"
	"$REAL_TOOL" -d old-$mode.trace >old-$mode.dump 2>old-$mode.err ||
		{ cat old-$mode.err >&2; gp_fail "Go 1.19 rejects old-$mode.trace"; }
	grep ' p=2 ' old-$mode.dump >old-$mode.p2
	in_order old-$mode.p2 '^100000 GoSysBlock p=2 g=3 ' '^250000 GoStart p=2 g=3 ' ||
		gp_fail "old-$mode.trace: no blocking read"
	awk '/^100000 GoSysBlock p=2 / { inside = 1; next } /^250000 GoStart p=2 / { inside = 0 }
		inside && / Proc/ { bad = 1 } END { exit bad }' old-$mode.p2 ||
		gp_fail "old-$mode.trace: a Proc event around the read (-l should drop them)"
	"$CHECK_TRACE" old-$mode.trace >old-$mode.check 2>&1 &&
		gp_fail "check-trace-go accepts the old sequence in old-$mode.trace"
	grep -q 'would panic in its per-P view: silently broken trace or generator invariant (startRunningTime != 0) not held: G3 ' \
		old-$mode.check || { cat old-$mode.check >&2; gp_fail "old-$mode.trace: not the viewer's panic"; }
done
# the trace library's go tool trace checks every file it opens
"$TOOL" -d old-normal.trace >/dev/null 2>hook.err && gp_fail "TOOL opens the old sequence"
grep -q 'startRunningTime != 0' hook.err || { cat hook.err >&2; gp_fail "TOOL: not the checker's message"; }
# goprof-export rewrites an old file in the sequence newer Go needs (README)
gp_export old-normal.trace rewritten.trace -t trace -f go
trace_check rewritten.trace
"$TOOL" -d rewritten.trace >rewritten.dump 2>rewritten.err ||
	{ cat rewritten.err >&2; gp_fail "rewritten.trace"; }

# ---- what goprof writes now: the runtime's Proc discipline, read by both
for mode in normal odd; do
	"$GEN" -m $mode -f go -o $mode.trace 2>/dev/null || gp_fail "trace-gen -m $mode"
	"$GEN" -m $mode -f json -o $mode.json 2>/dev/null || gp_fail "trace-gen -m $mode -f json"
	"$TOOL" -d $mode.trace >$mode.dump 2>$mode.err || { cat $mode.err >&2; gp_fail "$mode.trace"; }
done
grep ' p=2 ' normal.dump >normal.p2
in_order normal.p2 '^100000 GoSysCall p=2 g=3 ' '^100000 GoSysBlock p=2 g=3 ' \
	'^100000 ProcStop p=2 g=0 ' '^250000 ProcStart p=2 g=0 .* thread=1003$' \
	'^250000 GoStart p=2 g=3 .* g=3 seq=3$' '^600000 GoEnd p=2 g=3 ' '^600000 ProcStop p=2 ' ||
	gp_fail "T3's read: not the runtime's sequence"
grep -q '^250000 GoSysExit p=1000003 g=3 .* g=3 seq=2 ts=0$' normal.dump || gp_fail "GoSysExit"
# a wait gives the P up too, and the woken thread takes it back before it runs
grep ' p=1 ' normal.dump >normal.p1
in_order normal.p1 '^120000 GoBlockSync p=1 g=2 ' '^120000 ProcStop p=1 g=0 ' \
	'^150000 ProcStart p=1 g=0 .* thread=1002$' '^150000 GoStart p=1 g=2 .* g=2 seq=3$' ||
	gp_fail "T2's mutex wait: not the runtime's sequence"
# a thread created later has its P stopped from the start, not running since then
in_order normal.p1 '^0 ProcStart p=1 g=0 .* thread=1002$' '^0 ProcStop p=1 g=0 ' \
	'^45000 ProcStart p=1 g=0 .* thread=1002$' '^45000 GoStart p=1 g=2 .* seq=1$' ||
	gp_fail "T2's P before T2 starts"

# the per-P view of Go >= 1.23: T3 runs 55-100 us, then the read() occupies its P
"$CHECK_TRACE" -orders 0 -slices normal.trace >normal.slices 2>&1 ||
	{ cat normal.slices >&2; gp_fail "check-trace-go normal.trace"; }
awk '$1 == "slice" && $2 == "P" && $3 == "running" && $4 == "g=3" && $5 == "res=2" &&
	$6 >= 55000 && $6 <= 55002 && $6 + $7 >= 100000 && $6 + $7 <= 100002 { ok = 1 } END { exit !ok }' \
	normal.slices || { cat normal.slices >&2; gp_fail "no running slice of T3 before read()"; }
grep -q '^slice P syscall g=3 res=2 100000 ' normal.slices ||
	gp_fail "no syscall slice of T3 on its P"
awk '$1 == "slice" && $2 == "G" && $3 == "syscall" && $4 == "g=3" && $6 == 100000 &&
	$7 >= 150000 && $7 <= 150002 { ok = 1 } END { exit !ok }' normal.slices ||
	gp_fail "the goroutine view's read() is not 100-250 us"
trace_check odd.trace

# ---- the synthetic reference trace of the format's spec: Go 1.19 and newer Go
cp "$GP_SRCDIR/testsuite/data/go119-synthetic.trace" synthetic.trace
"$TOOL" -d synthetic.trace >synthetic.dump 2>synthetic.err ||
	{ cat synthetic.err >&2; gp_fail "synthetic.trace"; }
grep -q '^90400 ProcStop p=0 g=0 ' synthetic.dump || gp_fail "synthetic.trace: an older copy"

# ---- JSON: the slices of the goroutine view, from trace-gen and from a real capture
trace_same_slices normal.trace normal.json
gp_build_prog demo trace-demo
GOPROF_TRACE=$GP_WORK/demo.trace gp_run demo ./demo
[ "$GP_RC" = 0 ] || gp_fail "trace-demo exited with $GP_RC"
"$TOOL" -d demo.trace >demo.dump 2>demo.err || { cat demo.err >&2; gp_fail "demo.trace"; }
grep -q ' GoSysBlock ' demo.dump || gp_fail "demo.trace: no blocking system call"
gp_export demo.trace demo.json -t trace -f json
trace_same_slices demo.trace demo.json
exit 0
