#!/bin/sh
# The two trace writers on the known trace of testsuite/unit/trace-gen.c: go tool trace
# parses the Go file with the expected goroutines, sequence numbers and order, and serves
# every page of its web UI from it, with the stacks' function names; the JSON file parses,
# its slices nest per thread and come in the expected order. Odd input (-m odd) gives files
# that both consumers accept too.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go

GEN=$GP_BUILDDIR/testsuite/unit/trace-gen
trace_setup

for mode in normal odd; do
	"$GEN" -m $mode -f go -o $mode.trace 2>$mode.gen-err || gp_fail "trace-gen -m $mode -f go"
	"$GEN" -m $mode -f json -o $mode.json 2>>$mode.gen-err ||
		gp_fail "trace-gen -m $mode -f json"
	if [ $mode = normal ]; then
		if [ -s normal.gen-err ]; then
			cat normal.gen-err >&2
			gp_fail "repairs on good input"
		fi
	else
		grep -q 'go trace: [1-9][0-9]* odd events' odd.gen-err ||
			gp_fail "odd input: no repairs counted"
	fi
	"$TOOL" -d $mode.trace >$mode.dump 2>$mode.dump-err ||
		{ cat $mode.dump-err >&2; gp_fail "go tool trace -d rejects $mode.trace"; }
done
[ "$(head -c 16 normal.trace | od -An -c | tr -d ' \n')" = 'go1.19trace\0\0\0' ] ||
	gp_fail "header"

# ---- go tool trace -d: events per P (one P per thread) in order, with ids and seqs; the
# patterns are Go 1.19's -d format (newer Go prints its own event model there)
grep ' p=0 ' normal.dump >p0.txt
grep ' p=1 ' normal.dump >p1.txt
grep ' p=2 ' normal.dump >p2.txt
in_order p0.txt '^0 GoCreate p=0 g=0 .* g=1 stack=[1-9]' '^0 GoWaiting p=0 g=1 .* g=1$' \
	'^0 Gomaxprocs p=0 .* procs=3$' '^0 ProcStart p=0 g=0 .* thread=1001$' \
	'^10000 GoUnblock p=0 g=0 .* g=1 seq=2$' '^10000 GoStart p=0 g=1 .* g=1 seq=3$' \
	'^20000 UserTaskCreate p=0 g=1 .* taskid=1 pid=0 .* name=request$' \
	'^30000 UserRegion p=0 g=1 .* taskid=1 mode=0 .* name=setup$' \
	'^40000 GoCreate p=0 g=1 .* g=2 stack=[1-9]' '^50000 GoCreate p=0 g=1 .* g=3 stack=[1-9]' \
	'^60000 UserLog p=0 g=1 .* id=1 keyid=[1-9][0-9]* category=phase message=workers started$' \
	'^70000 UserRegion p=0 g=1 .* taskid=1 mode=1 .* name=setup$' \
	'^150000 GoUnblock p=0 g=1 .* g=2 seq=2$' '^200000 GoBlockCond p=0 g=1 ' \
	'^300000 GoStart p=0 g=1 .* g=1 seq=5$' '^350000 CPUSample p=0 g=1 .* p=0 g=1$' \
	'^400000 UserTaskEnd p=0 g=1 .* taskid=1$' '^1000000 GoSched p=0 g=1 ' ||
	gp_fail "T1 (main) events"
in_order p1.txt '^45000 ProcStart p=1 g=0 .* thread=1002$' '^45000 GoStart p=1 g=2 .* g=2 seq=1$' \
	'^60000 UserRegion p=1 g=2 .* taskid=1 mode=0 .* name=handle$' \
	'^80000 UserRegion p=1 g=2 .* taskid=1 mode=0 .* name=compute$' \
	'^120000 GoBlockSync p=1 g=2 ' '^150000 GoStart p=1 g=2 .* g=2 seq=3$' \
	'^160000 CPUSample p=1 g=2 .* p=1 g=2$' '^170000 CPUSample p=1 g=2 ' \
	'^180000 UserRegion p=1 g=2 .* mode=1 .* name=compute$' \
	'^190000 UserRegion p=1 g=2 .* mode=1 .* name=handle$' \
	'^195000 UserLog p=1 g=2 .* category=goprof message=7 events dropped$' \
	'^500000 GoEnd p=1 g=2 ' '^500000 ProcStop p=1 g=0 ' || gp_fail "T2 (worker_a) events"
in_order p2.txt '^55000 ProcStart p=2 g=0 .* thread=1003$' '^55000 GoStart p=2 g=3 .* g=3 seq=1$' \
	'^100000 GoSysCall p=2 g=3 ' '^100000 GoSysBlock p=2 g=3 ' \
	'^250000 GoStart p=2 g=3 .* g=3 seq=3$' '^300000 GoUnblock p=2 g=3 .* g=1 seq=4$' \
	'^310000 UserLog p=2 g=3 .* id=0 .* category=io message=read 64 bytes$' \
	'^600000 GoEnd p=2 g=3 ' '^600000 ProcStop p=2 g=0 ' || gp_fail "T3 (worker_b) events"
grep -q '^250000 GoSysExit p=1000003 g=3 .* g=3 seq=2 ts=0$' normal.dump || gp_fail "GoSysExit"
[ "$(grep -c ' GoCreate ' normal.dump)" = 3 ] || gp_fail "not 3 GoCreate"
[ "$(grep -c ' CPUSample ' normal.dump)" = 3 ] || gp_fail "not 3 CPUSample"
# odd input: the repairs the writer promises
in_order odd.dump '^0 GoCreate p=0 g=0 .* g=4 ' '^0 GoCreate p=0 g=0 .* g=5 ' \
	'^0 GoWaiting p=0 g=5 ' '^0 GoCreate p=0 g=0 .* g=8 ' '^0 Gomaxprocs .* procs=6$' \
	'^100000 UserTaskCreate p=3 g=4 .* taskid=7 pid=1 ' \
	'^495000 GoUnblock p=4 g=5 .* g=1 seq=6$' \
	'^495000 UserLog p=0 g=1 .* message=3 events dropped$' \
	'^800000 UserLog p=4 g=5 .* category=goprof message=5 events dropped$' \
	'^800000 GoEnd p=4 g=5 ' ||
	gp_fail "odd input events"
grep -q ' GoCreate .* g=99 ' odd.dump && gp_fail "GoCreate of a thread not in the trace"

for mode in normal odd; do
	serve $mode.trace
	crawl $mode
	stop
done
for u in '/goroutine?id=' '/usertask?type=request' '/userregion?type=compute&pc=' \
	'/block?id=' '/regionblock?' '/trace?goid=2' '/jsontrace?taskid=1'; do
	grep -q "^$u" normal.urls || gp_fail "the UI has no page $u"
done
grep -q 'worker_a' "$(page /goroutines normal)" || gp_fail "/goroutines lacks worker_a"
grep -q 'worker_b' "$(page /goroutines normal)" || gp_fail "/goroutines lacks worker_b"
grep -q 'request' "$(page /usertasks normal)" || gp_fail "/usertasks lacks request"
for r in setup handle compute; do
	grep -q "$r" "$(page /userregions normal)" || gp_fail "/userregions lacks $r"
done
grep -q '"G2 worker_a"' "$(page /jsontrace normal)" || gp_fail "/jsontrace: no G2 worker_a"
grep -q 'pthread_mutex_lock' "$(page /jsontrace normal)" || gp_fail "/jsontrace: no stack"
grep -q '"compute"' "$(page /jsontrace?taskid=1 normal)" || gp_fail "task view: no compute"
grep -q 'phase=workers started' "$(page /jsontrace normal)" || gp_fail "/jsontrace: no log"
# the pprof-style profiles, read with go tool pprof: blocking stacks by function name
go tool pprof -raw "$(page /block?raw=1 normal)" >block.raw 2>&1 || gp_fail "pprof /block"
go tool pprof -raw "$(page /syscall?raw=1 normal)" >syscall.raw 2>&1 || gp_fail "pprof /syscall"
for f in pthread_mutex_lock worker_a pthread_cond_wait main; do
	grep -q " $f demo.c\| $f pthread" block.raw || { cat block.raw >&2; gp_fail "/block: $f"; }
done
grep -q ' read read.c:26' syscall.raw || { cat syscall.raw >&2; gp_fail "/syscall: read"; }
grep -q ' worker_b demo.c:60' syscall.raw || gp_fail "/syscall: worker_b"

# ---- JSON: a real parser (encoding/json), nesting per thread, expected slices in order
for mode in normal odd; do
	go run "$GP_SRCDIR/testsuite/unit/check-trace-json.go" $mode.json >$mode.events \
		2>$mode.check-err || { cat $mode.check-err >&2; gp_fail "$mode.json"; }
done
grep '^1 ' normal.events >t1.txt
grep '^2 ' normal.events >t2.txt
grep '^3 ' normal.events >t3.txt
grep -q '^0 M __metadata process_name ' normal.events || gp_fail "no process_name"
in_order t1.txt '^1 M __metadata thread_name 0.000 T1 main$' '^1 X block blocked 0.000 10.000$' \
	'^1 b task request 20.000 0x1$' '^1 B region setup 30.000$' '^1 i thread create T2 40.000' \
	'^1 i log phase=workers started 60.000$' '^1 E region setup 70.000$' \
	'^1 X block pthread_cond_wait 200.000 100.000$' '^1 i cpu CPU sample 350.000$' \
	'^1 e task request 400.000 0x1$' || gp_fail "JSON T1"
in_order t2.txt '^2 M __metadata thread_name 0.000 T2 worker-a$' '^2 B region handle 60.000$' \
	'^2 B region compute 80.000$' '^2 X block pthread_mutex_lock 120.000 30.000$' \
	'^2 i cpu CPU sample 160.000$' '^2 E region compute 180.000$' \
	'^2 E region handle 190.000$' '^2 i goprof 7 events dropped 195.000$' \
	'^2 i thread thread exit 500.000$' || gp_fail "JSON T2"
in_order t3.txt '^3 M __metadata thread_name 0.000 T3 worker_b$' \
	'^3 X syscall read 100.000 150.000$' '^3 i log io=read 64 bytes 310.000$' ||
	gp_fail "JSON T3"
grep -q '"woken_by":"T1"' normal.json || gp_fail "JSON: mutex slice without woken_by T1"
grep -q '"object":"0x5555aaaa0010"' normal.json || gp_fail "JSON: mutex address"
grep -q '"stack":\["pthread_mutex_lock pthread_mutex_lock.c:80","worker_a demo.c:42"\]' \
	normal.json || gp_fail "JSON: mutex stack"
# odd: escapes, U+FFFD for bad bytes, a closed region left open, the orphan's syscall
grep -q '"name":"r\\"q\\\\\\u0001\\ufffd"' odd.json || gp_fail "JSON escapes"
grep -q '"name":"k\\"ey=m\\\\sg\\n\\u0002\\ufffd\\ufffd"' odd.json || gp_fail "JSON log escapes"
in_order odd.events '^4 M __metadata thread_name 0.000 T4 orph"an' \
	'^4 X syscall epoll_wait 110.000 890.000$' '^5 E region open at exit 800.000$' ||
	gp_fail "JSON odd threads"
[ -n "$SVG" ] || gp_skip "all checked but the SVG profile pages (no graphviz)"
exit 0
