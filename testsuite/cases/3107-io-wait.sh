#!/bin/sh
# goroutine: threads parked in read, recv, accept, connect (IO wait), poll, select,
# epoll_wait (select), waitpid, sigwait, pause, flock and fcntl (syscall) show that state, the call
# as their innermost frame and a duration that grows, through curl (debug=1 and 2), go tool
# pprof -tagfocus state=... and the history; a signal handler's own call inside a wait
# leaves that wait as it was; a thread reading a cached file is mostly running; once
# released, none is left in an I/O state; results, errno, EINTR and cancellation are the
# plain program's.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl

gp_build_prog prog io-parked
printf srq >plain.in
gp_run plain ./prog <plain.in
[ "$GP_RC" = 0 ] || { cat plain.err >&2; gp_fail "plain program exited with $GP_RC"; }

mkfifo ctl
GOPROF_DB=$GP_WORK/prof.db GOPROF_HTTP=127.0.0.1:0 timeout 120 ./prog <ctl >run.out 2>run.err &
GP_PIDS=$!
exec 3>ctl
gp_wait_address run.err

# thread|state|innermost function|its caller
cat >parked.txt <<'END'
pipe-reader|IO wait|read|in_read
recver|IO wait|recv|in_recv
acceptor|IO wait|accept|in_accept
connector|IO wait|connect|in_connect
poller|select|poll|in_poll
selector|select|select|in_select
epoller|select|epoll_wait|in_epoll
reaper|syscall|waitpid|in_waitpid
sigwaiter|syscall|sigwait|in_sigwait
pauser|syscall|pause|in_pause
locker|syscall|flock|in_flock
nester|IO wait|read|in_nested
recordlocker|syscall|fcntl|in_fcntl
END

# header DUMP NAME: the "goroutine N [...]:" line of thread NAME
header() {
	grep "\"$2\"]:\$" "$1" | head -1
}

# wait_ms DUMP NAME: the duration in NAME's header, in ms ("" if none)
wait_ms() {
	header "$1" "$2" | sed -n 's/.*, \([0-9]*\)\.\([0-9][0-9][0-9]\)s, ".*/\1\2/p' |
		sed 's/^0*\(.\)/\1/'
}

# is_at DUMP NAME STATE LEAF CALLER: NAME's header says STATE, its two innermost frames
# are LEAF and CALLER
is_at() {
	case $(header "$1" "$2") in
	"goroutine "[0-9]*" [$3, "* | "goroutine "[0-9]*" [$3 0x"*) ;;
	*) return 1 ;;
	esac
	[ "$(grep -A4 "\"$2\"]:\$" "$1" | sed -n 's/^\([a-z_0-9]*\)(\.\.\.)$/\1/p' | head -2 |
		tr '\n' ' ')" = "$4 $5 " ]
}

# all_parked DUMP: every thread of parked.txt where it should be
all_parked() {
	while IFS='|' read -r name state leaf caller; do
		is_at "$1" "$name" "$state" "$leaf" "$caller" || return 1
	done <parked.txt
}

# dump NAME: goroutine?debug=2 into NAME.body
dump() {
	gp_fetch "$1" '/debug/pprof/goroutine?debug=2'
	[ "$GP_STATUS" = 200 ] || { cat "$1.body" >&2; gp_fail "$1: status $GP_STATUS"; }
}

# the threads park within milliseconds; a wait shows from 10 ms on
i=0
while :; do
	dump d1
	all_parked d1.body && break
	i=$((i + 1))
	[ $i -lt 50 ] || {
		cat d1.body >&2
		while IFS='|' read -r name state leaf caller; do
			is_at d1.body "$name" "$state" "$leaf" "$caller" ||
				echo "not as expected: $name ($state in $leaf in $caller)" >&2
		done <parked.txt
		gp_fail "the threads never showed their waits"
	}
	sleep 0.2
done
sleep 1.2
dump d2
at2=$(date +%s.%N)
all_parked d2.body || { cat d2.body >&2; gp_fail "the waits changed"; }
while IFS='|' read -r name state leaf caller; do
	a=$(wait_ms d1.body "$name") b=$(wait_ms d2.body "$name")
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -ge $((a + 1000)) ] ||
		{ cat d1.body d2.body >&2; gp_fail "$name waited ${a} ms, then ${b} ms"; }
done <parked.txt

# debug=1: Go's "# labels:" line says the state of each group of threads
gp_fetch g1 '/debug/pprof/goroutine?debug=1'
for s in 'IO wait' select syscall; do
	grep -qx "# labels: {\"state\":\"$s\"}" g1.body ||
		{ cat g1.body >&2; gp_fail "debug=1 has no state $s"; }
done
awk '/^[0-9]+ @/ { n = $1 } /^# labels: \{"state":"select"\}$/ { s += n } END { exit s != 3 }' \
	g1.body || { cat g1.body >&2; gp_fail "debug=1: not 3 threads in select"; }

# pprof: -tagfocus keeps the threads of one state, each at its call
gp_fetch g0 /debug/pprof/goroutine
cp g0.body g0.pb.gz
for s in 'IO wait' select syscall; do
	gp_traces g0.pb.gz -tagfocus="state=$s" >"traces-$s.txt"
	while IFS='|' read -r name state leaf caller; do
		[ "$state" = "$s" ] || continue
		got=$(awk -v l=";$caller;$leaf" '
			substr($2, length($2) - length(l) + 1) == l { v += $1 }
			END { print v + 0 }' "traces-$s.txt")
		[ "$got" = 1 ] ||
			{ cat "traces-$s.txt" >&2; gp_fail "state=$s: $leaf: $got"; }
	done <parked.txt
done
gp_pprof -tags g0.pb.gz >tags.txt 2>tags.err || { cat tags.err >&2; gp_fail "pprof -tags failed"; }
grep -q 'state: Total' tags.txt || { cat tags.txt >&2; gp_fail "pprof -tags has no state"; }

# a signal handler's poll() inside nester's read: the read's wait is back, and older
printf s >&3
i=0
until grep -qx signalled run.out; do
	i=$((i + 1))
	[ $i -lt 100 ] || gp_fail "the program never said it signalled"
	sleep 0.1
done
dump d3
is_at d3.body nester 'IO wait' read in_nested ||
	{ cat d3.body >&2; gp_fail "nester's wait was not restored"; }
[ "$(wait_ms d3.body nester)" -ge "$(wait_ms d2.body nester)" ] ||
	{ cat d2.body d3.body >&2; gp_fail "nester's wait began anew"; }

# a thread reading a cached file over and over is mostly running
running=0
for n in 1 2 3 4 5 6 7 8 9 10; do
	dump f$n
	case $(header f$n.body fast-reader) in
	*"[running, "*) running=$((running + 1)) ;;
	esac
done
[ $running -ge 7 ] ||
	{ cat f*.body >&2; gp_fail "fast-reader was running in $running of 10 dumps"; }

# released: every thread waits at the barrier in after_io(), none in an I/O state
printf r >&3
i=0
while :; do
	dump d4
	ok=1
	while IFS='|' read -r name state leaf caller; do
		is_at d4.body "$name" 'barrier wait' pthread_barrier_wait after_io || ok=0
	done <parked.txt
	[ $ok = 1 ] && break
	i=$((i + 1))
	[ $i -lt 50 ] ||
		{ cat d4.body >&2; gp_fail "the released threads did not all reach after_io"; }
	sleep 0.2
done
grep -E '^goroutine .*\[(IO wait|select|syscall)' d4.body | grep -v '"prog"\]:$' &&
	{ cat d4.body >&2; gp_fail "a released thread is still in an I/O state"; }

printf q >&3
exec 3>&-
wait "$GP_PIDS" || gp_fail "program exited with $?"
GP_PIDS=
gp_same_output plain run

# the history holds the same states: the snapshot of the second dump
gp_export prof.db h2.txt -t goroutine --at "$at2" -f text --debug 2
all_parked h2.txt || { cat h2.txt >&2; gp_fail "the history's snapshot lost the waits"; }
exit 0
