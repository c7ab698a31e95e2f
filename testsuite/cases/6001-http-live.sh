#!/bin/sh
# GOPROF_HTTP in a running program: go tool pprof reads every profile from the live
# endpoints (heap, allocs, block, mutex, threadcreate, goroutine and a 2 s CPU profile)
# and finds the program's functions; the headers, the index page, cmdline, symbol and the
# text forms follow Go's; 50 concurrent clients are all answered; the output is unchanged.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl

gp_build_prog app http-app
touch stopped-already
gp_run plain ./app "$GP_WORK/stopped-already"
mkdir tmp
gp_http_app TMPDIR="$GP_WORK/tmp" GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 \
	GOPROF_HTTP_CMDLINE=1

octet=application/octet-stream
text="text/plain; charset=utf-8"
gp_fetch index /debug/pprof/
gp_expect_answer index 200 "text/html; charset=utf-8" -
for p in allocs block cmdline goroutine heap mutex profile threadcreate trace; do
	grep -q "<a href='$p?debug=1'>$p</a>" index.body || gp_fail "index has no $p row"
done
gp_fetch noslash /debug/pprof
[ "$GP_STATUS" = 301 ] && [ "$(gp_header noslash Location)" = /debug/pprof/ ] ||
	gp_fail "/debug/pprof: $GP_STATUS to '$(gp_header noslash Location)'"

for p in heap allocs block mutex threadcreate goroutine; do
	gp_fetch $p /debug/pprof/$p
	gp_expect_answer $p 200 $octet -
	[ "$(gp_header $p Content-Disposition)" = "attachment; filename=\"$p\"" ] ||
		gp_fail "$p: Content-Disposition '$(gp_header $p Content-Disposition)'"
	gp_fetch $p-1 "/debug/pprof/$p?debug=1"
	gp_expect_answer $p-1 200 "$text" -
	gp_pprof -raw "http://$GP_ADDR/debug/pprof/$p" >$p.raw 2>$p.pprof-err ||
		{ cat $p.pprof-err >&2; gp_fail "go tool pprof cannot read /debug/pprof/$p"; }
done
grep -q keep_memory heap.raw || gp_fail "heap has no keep_memory"
grep -q keep_memory allocs.raw || gp_fail "allocs has no keep_memory"
grep -q hold_lock block.raw || gp_fail "block has no hold_lock"
grep -q hold_lock mutex.raw || gp_fail "mutex has no hold_lock"
grep -q contend goroutine.raw || gp_fail "goroutine has no contend"
head -1 heap-1.body | grep -q '^heap profile: ' || gp_fail "heap?debug=1: $(head -1 heap-1.body)"
head -1 goroutine-1.body | grep -qx 'goroutine profile: total [0-9]*' ||
	gp_fail "goroutine?debug=1: $(head -1 goroutine-1.body)"
gp_fetch dump "/debug/pprof/goroutine?debug=2"
grep -q '^goroutine [0-9]* \[' dump.body || gp_fail "goroutine?debug=2 has no goroutine blocks"

# a 2 s CPU profile, through go tool pprof's own client
gp_pprof -raw -seconds 2 "http://$GP_ADDR/debug/pprof/profile" >cpu.raw 2>cpu.err ||
	{ cat cpu.err >&2; gp_fail "go tool pprof -seconds 2 failed"; }
grep -q burn_cpu cpu.raw || gp_fail "the CPU profile has no burn_cpu"

# an execution trace of one second, in Go's format and as JSON
gp_fetch trace "/debug/pprof/trace?seconds=1"
gp_expect_answer trace 200 $octet -
[ "$(gp_header trace Content-Disposition)" = 'attachment; filename="trace"' ] ||
	gp_fail "trace: Content-Disposition '$(gp_header trace Content-Disposition)'"
trace_setup 2>/dev/null
# the dump is Go 1.19's -d format (newer Go prints its own event model)
"$TOOL" -d trace.body >trace.dump 2>trace.err ||
	{ cat trace.err >&2; gp_fail "go tool trace cannot read the trace"; }
grep -q ' GoBlockSync ' trace.dump || gp_fail "the trace shows no mutex wait"
gp_fetch tracejson "/debug/pprof/trace?seconds=0.5&format=json"
gp_expect_answer tracejson 200 application/json -
head -c 40 tracejson.body | grep -q '^{"displayTimeUnit":"ns"' || gp_fail "trace JSON: $(head -c 80 tracejson.body)"

# cmdline (asked for with GOPROF_HTTP_CMDLINE=1) and symbol
gp_fetch cmdline /debug/pprof/cmdline
gp_expect_answer cmdline 200 "$text" -
printf './app\000%s' "$GP_WORK/stop" | cmp -s - cmdline.body || gp_fail "cmdline body differs"
gp_fetch symbol /debug/pprof/symbol
gp_expect_answer symbol 200 "$text" "num_symbols: 1"

# 50 clients at once
i=0
while [ $i -lt 50 ]; do
	curl -sS --max-time 60 -o c$i.body -w '%{http_code}\n' \
		"http://$GP_ADDR/debug/pprof/heap" >c$i.status 2>&1 &
	i=$((i + 1))
done
wait_clients() {
	for c in $(jobs -p); do
		[ "$c" = "$GP_PIDS" ] || wait "$c"
	done
}
wait_clients
i=0
while [ $i -lt 50 ]; do
	[ "$(cat c$i.status)" = 200 ] || gp_fail "client $i got $(cat c$i.status)"
	gunzip -t <c$i.body || gp_fail "client $i got no gzip profile"
	i=$((i + 1))
done

touch stop
wait "$GP_PIDS"
rc=$?
GP_PIDS=
[ "$rc" = 0 ] || gp_fail "the program exited with $rc"
gp_same_output plain run
# the database the server answered from was goprof's own: gone at exit
[ -z "$(ls tmp)" ] || { ls -l tmp >&2; gp_fail "the private database was left behind"; }
exit 0
