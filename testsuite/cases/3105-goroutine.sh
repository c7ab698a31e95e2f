#!/bin/sh
# goroutine: six threads parked in a mutex, a condition variable, a sleep, a busy loop, a
# join and a barrier all show with their stacks and states in debug=0, 1 and 2; the last
# snapshot (at exit) holds only the main thread.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog thread-parked
gp_run plain ./prog
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain run
# the threads park within milliseconds and stay 1.6 s; commits come twice a second
gp_export prof.db g.pb.gz -t goroutine --at +1.3s
gp_export prof.db g1.txt -t goroutine --at +1.3s -f text
gp_export prof.db g2.txt -t goroutine --at +1.3s -f text --debug 2
gp_traces g.pb.gz >traces.txt
# a waiting thread's innermost frame is the call it waits in, as runtime.gopark is in Go's
for at in in_mutex:pthread_mutex_lock in_cond:pthread_cond_wait in_sleep:nanosleep in_busy: \
	in_join:pthread_join in_barrier:pthread_barrier_wait; do
	place=${at%%:*} call=${at#*:}
	stack="parked_run;$place${call:+;$call}"
	got=$(gp_trace_value traces.txt "$stack")
	# the spinning thread is running: its innermost frame is where its latest CPU sample
	# found it, in_busy itself or the leaf step() it calls
	[ "$place" = in_busy ] && got=$((${got:-0} + $(gp_trace_value traces.txt "$stack;step")))
	# in_sleep calls nanosleep in sleep_ms, a helper GCC inlined: with its call's line, a
	# frame of its own (issue 15)
	[ "$place" = in_sleep ] && got=$((${got:-0} + $(awk '{ c = $1; sub(/^ *[0-9]+ +/, "") }
		$0 == "parked_run;in_sleep;sleep_ms (inline);nanosleep" { v += c }
		END { print v + 0 }' traces.txt)))
	[ "$got" = 1 ] || { cat traces.txt >&2; gp_fail "threads at $stack: $got, want 1"; }
	grep -q "	$place+0x0	" g1.txt || gp_fail "debug=1 has no $place frame"
done
head -1 g1.txt | grep -qx 'goroutine profile: total 7' || gp_fail "debug=1: $(head -1 g1.txt)"
# debug=2: "goroutine TID [STATE..., "NAME"]:" then the innermost frame
for want in 'mutex lock:mutex-waiter:pthread_mutex_lock in_mutex' \
	'cond wait:cond-waiter:pthread_cond_wait in_cond' 'sleep:sleeper:nanosleep in_sleep' \
	'running:busy:in_busy' 'join:joiner:pthread_join in_join' \
	'barrier wait:barrier-waiter:pthread_barrier_wait in_barrier'; do
	state=${want%%:*} rest=${want#*:}
	name=${rest%%:*} fns=${rest#*:}
	head=$(grep "\"$name\"]:\$" g2.txt)
	case $head in
	"goroutine "[0-9]*" [$state"*) ;;
	*) cat g2.txt >&2; gp_fail "debug=2 header of $name: '$head', want state $state" ;;
	esac
	# the innermost frames, each a function line then a file line
	got=$(grep -A6 "\"$name\"]:\$" g2.txt | sed -n 's/^\([a-z_]*\)(\.\.\.)$/\1/p' |
		grep -vx sleep_ms | head -2 | tr '\n' ' ')
	case "$got " in
	"$fns "* | "step $fns "*) ;;
	*) cat g2.txt >&2; gp_fail "debug=2: $name is in '$got', want '$fns'" ;;
	esac
	grep -A9 "\"$name\"]:\$" g2.txt | grep -q '^created by park$' ||
		{ cat g2.txt >&2; gp_fail "debug=2: $name not created by park"; }
done
gp_same_top prof.db goroutine --at +1.3s
gp_export prof.db last.txt -t goroutine -f text
head -1 last.txt | grep -qx 'goroutine profile: total 1' || gp_fail "last snapshot: $(head -1 last.txt)"
exit 0
