#!/bin/sh
# goprof-export serve: the same endpoints from a database, first while the program still
# writes it (a 2 s CPU profile then holds the samples of those 2 s), then after it ended;
# go tool pprof reads every profile and finds the program's functions.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl

gp_build_prog app http-app
GOPROF_DB=$GP_WORK/prof.db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 \
	./app "$GP_WORK/stop" >run.out 2>run.err &
app=$!
GP_PIDS=$app
sleep 1
"$GP_EXPORT" serve --http 127.0.0.1:0 prof.db >serve.out 2>serve.err &
GP_PIDS="$GP_PIDS $!"
gp_wait_address serve.err

check_all() { # TAG
	for p in heap allocs block mutex threadcreate goroutine; do
		gp_pprof -raw "http://$GP_ADDR/debug/pprof/$p" >$1-$p.raw 2>$1-$p.err ||
			{ cat $1-$p.err >&2; gp_fail "$1: go tool pprof cannot read $p"; }
	done
	grep -q keep_memory $1-heap.raw || gp_fail "$1: heap has no keep_memory"
	grep -q hold_lock $1-block.raw || gp_fail "$1: block has no hold_lock"
	grep -q hold_lock $1-mutex.raw || gp_fail "$1: mutex has no hold_lock"
	# at exit only the main thread is left
	[ $1 = ended ] || grep -q contend $1-goroutine.raw || gp_fail "$1: goroutine has no contend"
	grep -q "^ *2: " $1-threadcreate.raw || gp_fail "$1: threadcreate has no record of 2 threads"
}
check_all live
gp_pprof -raw -seconds 2 "http://$GP_ADDR/debug/pprof/profile" >cpu.raw 2>cpu.err ||
	{ cat cpu.err >&2; gp_fail "go tool pprof -seconds 2 against serve failed"; }
grep -q burn_cpu cpu.raw || gp_fail "the live CPU profile has no burn_cpu"
gp_fetch delta "/debug/pprof/allocs?seconds=1"
gp_expect_answer delta 200 application/octet-stream -
[ "$(gp_header delta Content-Disposition)" = 'attachment; filename="allocs-delta"' ] ||
	gp_fail "delta: Content-Disposition '$(gp_header delta Content-Disposition)'"
gp_fetch trace /debug/pprof/trace
[ "$GP_STATUS" = 501 ] || gp_fail "trace from a database: $GP_STATUS, want 501"

touch stop
wait $app || gp_fail "the program failed"
check_all ended
gp_fetch index /debug/pprof/
grep -q "<tr><td>3</td><td><a href='threadcreate?debug=1'>threadcreate</a></td></tr>" index.body ||
	{ cat index.body >&2; gp_fail "the index does not count 3 threads"; }
exit 0
