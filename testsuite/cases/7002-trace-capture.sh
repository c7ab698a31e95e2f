#!/bin/sh
# A traced run of testsuite/progs/trace-demo.c (three threads, a mutex hand-off, a condvar
# wait, a read on a pipe, a task with regions and a log): go tool trace -d shows each on
# the right goroutine, in order, and its blocking profiles give the exact stacks; every
# page of the web UI loads; the JSON file (read with encoding/json) has the same slices
# with the same stacks; the program's output is the same with and without the trace.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
trace_setup

gp_build_prog prog trace-demo
gp_run plain ./prog
[ "$GP_RC" = 0 ] || gp_fail "plain run exited with $GP_RC"
GOPROF_TRACE=$GP_WORK/go.trace gp_run go ./prog
[ "$GP_RC" = 0 ] || gp_fail "traced run exited with $GP_RC"
GOPROF_TRACE=$GP_WORK/t.json GOPROF_TRACE_FORMAT=json gp_run json ./prog
[ "$GP_RC" = 0 ] || gp_fail "JSON run exited with $GP_RC"
gp_same_output plain go
gp_same_output plain json
[ -s go.err ] && { cat go.err >&2; gp_fail "the traced run wrote to stderr"; }

# the patterns below are Go 1.19's -d format (newer Go prints its own event model)
"$TOOL" -d go.trace >go.dump 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d"; }
# main is G1 on P 0, worker_a G2 on P 1, worker_b G3 on P 2 (numbered by start)
grep ' p=0 ' go.dump >p0.txt
grep ' p=1 ' go.dump >p1.txt
grep ' p=2 ' go.dump >p2.txt
in_order p0.txt '^0 GoCreate p=0 g=0 .* g=1 stack=[1-9]' '^0 Gomaxprocs ' \
	' GoStart p=0 g=1 .* g=1 seq=1$' ' UserTaskCreate p=0 g=1 .* taskid=1 pid=0 .* name=request$' \
	' UserRegion p=0 g=1 .* taskid=1 mode=0 .* name=setup$' ' GoCreate p=0 g=1 .* g=2 stack=' \
	' GoCreate p=0 g=1 .* g=3 stack=' \
	' UserLog p=0 g=1 .* id=1 .* category=phase message=workers started$' \
	' UserRegion p=0 g=1 .* taskid=1 mode=1 .* name=setup$' ' GoSleep p=0 g=1 ' \
	' GoStart p=0 g=1 .* g=1 seq=3$' ' GoBlockCond p=0 g=1 ' ' UserTaskEnd p=0 g=1 .* taskid=1$' ||
	gp_fail "main's events"
in_order p1.txt ' GoStart p=1 g=2 .* g=2 seq=1$' ' UserRegion p=1 g=2 .* mode=0 .* name=handle$' \
	' GoBlockSync p=1 g=2 ' ' GoStart p=1 g=2 .* g=2 seq=3$' \
	' UserRegion p=1 g=2 .* mode=1 .* name=handle$' ' GoEnd p=1 g=2 ' ||
	gp_fail "worker_a's events"
in_order p2.txt ' GoStart p=2 g=3 .* g=3 seq=1$' ' GoSysCall p=2 g=3 ' ' GoSysBlock p=2 g=3 ' \
	' GoStart p=2 g=3 .* g=3 seq=3$' ' GoEnd p=2 g=3 ' || gp_fail "worker_b's events"
# across threads: worker_a waits until main, awake after its first sleep, lets the mutex
# go (main unblocks it, in main's batch); worker_b's read returns after that, its signal
# unblocks main's condvar wait, and main's task ends after that
in_order go.dump ' GoBlockSync p=1 g=2 ' ' GoStart p=0 g=1 .* g=1 seq=3$' \
	' GoUnblock p=0 g=1 .* g=2 seq=2$' ' GoSysExit p=[0-9]* g=3 .* g=3 seq=2 ' \
	' GoUnblock p=2 g=3 .* g=1 seq=[0-9]*$' ' UserTaskEnd p=0 g=1 ' ||
	gp_fail "order across threads"
in_order go.dump ' GoBlockCond p=0 g=1 ' ' GoUnblock p=2 g=3 .* g=1 seq=[0-9]*$' ||
	gp_fail "main's condvar wait is not ended by worker_b"

# the web UI: every page, and the blocking stacks in its pprof profiles
serve go.trace
crawl go
stop
grep -q 'worker_a' "$(page /goroutines go)" || gp_fail "/goroutines lacks worker_a"
grep -q 'worker_b' "$(page /goroutines go)" || gp_fail "/goroutines lacks worker_b"
grep -q 'request' "$(page /usertasks go)" || gp_fail "/usertasks lacks request"
for r in setup handle; do
	grep -q "$r" "$(page /userregions go)" || gp_fail "/userregions lacks $r"
done
grep -q 'phase=workers started' "$(page /jsontrace go)" || gp_fail "/jsontrace: no log"
# the timeline's unblock arrows start at the wakers' stacks: main's unlock, worker_b's signal
waker() { # CALL CALLER: an arrow whose stack is CALL < CALLER
	j=$(page /jsontrace go)
	for sf in $(grep -o '"name":"unblock","ph":"s"[^}]*"sf":[0-9]*' "$j" | sed 's/.*"sf"://'); do
		leaf=$(grep -o "\"$sf\":{\"name\":\"$1:0\",\"parent\":[0-9]*" "$j") || continue
		grep -q "\"${leaf##*:}\":{\"name\":\"$2:[0-9]*\"" "$j" && return 0
	done
	gp_fail "/jsontrace: no unblock arrow from $1 in $2"
}
waker pthread_mutex_unlock main
waker pthread_cond_signal worker_b
gp_pprof -traces "$(page /block?raw=1 go)" >block.txt 2>&1 || gp_fail "pprof /block"
gp_pprof -traces "$(page /syscall?raw=1 go)" >syscall.txt 2>&1 || gp_fail "pprof /syscall"
# gp_stack FILE F1 F2 F3: a sample whose stack is F1 < F2 < F3, innermost first
gp_stack() {
	awk -v a="$2" -v b="$3" -v c="$4" '
		/^-+\+/ { n = 0; next }
		{ f = ($1 ~ /^[0-9.]+[a-z]*$/ && NF > 1) ? $2 : $1; n++; s[n] = f }
		n == 3 && s[1] == a && s[2] == b && s[3] == c { ok = 1 }
		END { exit !ok }' "$1" || { cat "$1" >&2; gp_fail "no stack $2 < $3 < $4"; }
}
gp_stack block.txt pthread_mutex_lock take_lock worker_a
gp_stack block.txt pthread_cond_wait wait_for_data main
gp_stack syscall.txt read read_pipe worker_b

# JSON: a real parser, the same slices in order, with their stacks
go run "$GP_SRCDIR/testsuite/unit/check-trace-json.go" t.json >json.events 2>check.err ||
	{ cat check.err >&2; gp_fail "t.json"; }
for t in 1 2 3; do grep "^$t " json.events >t$t.txt; done
in_order t1.txt '^1 b task request ' '^1 B region setup ' '^1 i thread create T2 ' \
	'^1 i thread create T3 ' '^1 i log phase=workers started ' '^1 E region setup ' \
	'^1 X block usleep ' '^1 X block pthread_cond_wait ' '^1 e task request ' ||
	gp_fail "JSON T1"
in_order t2.txt '^2 M __metadata thread_name 0.000 T2 worker_a$' '^2 B region handle ' \
	'^2 X block pthread_mutex_lock ' '^2 E region handle ' '^2 i thread thread exit ' ||
	gp_fail "JSON T2"
in_order t3.txt '^3 M __metadata thread_name 0.000 T3 worker_b$' '^3 X syscall read ' \
	'^3 i thread thread exit ' || gp_fail "JSON T3"
grep -q '"stack":\["pthread_mutex_lock ?:0","take_lock [^"]*","worker_a ' t.json ||
	gp_fail "JSON: mutex stack"
grep -q '"stack":\["pthread_cond_wait ?:0","wait_for_data [^"]*","main ' t.json ||
	gp_fail "JSON: condvar stack"
grep -q '"stack":\["read ?:0","read_pipe [^"]*","worker_b ' t.json || gp_fail "JSON: read stack"
[ -n "$SVG" ] || gp_skip "all checked but the SVG profile pages (no graphviz)"
exit 0
