#!/bin/sh
# 100,000 short-lived threads, half one after another and half in bursts of 1,000: the
# program runs to completion with the plain build's output, the threadcreate profile counts
# every thread at its creating call, the last goroutine snapshot holds exactly the four
# threads alive at exit, and the peak RSS stops growing: from a tenth of each half to its
# end it grows by at most the plain build's growth plus 8 MiB (an entry of 190 bytes kept
# per ended thread would exceed that).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

N=100000
gp_build_prog prog thread-churn
$GP_CC -O2 -g -o plain "$GP_SRCDIR/testsuite/progs/thread-churn.c" -lpthread ||
	gp_fail "building the plain program failed"
gp_run plain ./plain $N
[ "$GP_RC" = 0 ] || gp_fail "the plain program exited with $GP_RC"
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog $N
[ "$GP_RC" = 0 ] || { cat run.err >&2; gp_fail "program exited with $GP_RC"; }
gp_same_output plain run

# growth of the peak RSS (KiB) from the early mark to the end of a half, in run OUT
growth() {
	awk -v early="$2-early" -v late="$2" '$1 == "hwm" && $2 == early { e = $3 }
		$1 == "hwm" && $2 == late { l = $3 } END { print l - e }' "$1.err"
}
for half in serial burst; do
	plain=$(growth plain $half)
	got=$(growth run $half)
	bound=$((plain + 8192))
	[ "$got" -le "$bound" ] ||
		{ cat run.err >&2; gp_fail "$half: peak RSS grew by $got KiB, bound $bound KiB"; }
done

gp_export prof.db tc.pb.gz -t threadcreate
gp_traces tc.pb.gz >tc.txt
for want in "$((N / 2)) main;run_serial;create_timed;pthread_create" \
	"$((N - N / 2)) main;run_bursts;create_timed;pthread_create" "3 main;park_three;pthread_create"; do
	got=$(gp_trace_value tc.txt "${want#* }")
	[ "$got" = "${want%% *}" ] ||
		{ head -20 tc.txt >&2; gp_fail "threads created at ${want#* }: $got, want ${want%% *}"; }
done
gp_export prof.db tc1.txt -t threadcreate -f text
head -1 tc1.txt | grep -qx "threadcreate profile: total $((N + 4))" ||
	gp_fail "threadcreate text: $(head -1 tc1.txt)"

# the snapshot at exit: main and the three parked threads, none of the ended ones
gp_export prof.db g.pb.gz -t goroutine
gp_export prof.db g1.txt -t goroutine -f text
head -1 g1.txt | grep -qx 'goroutine profile: total 4' || gp_fail "goroutine: $(head -1 g1.txt)"
gp_traces g.pb.gz >g.txt
got=$(gp_trace_value g.txt "park_run;park_forever;pthread_cond_wait")
[ "$got" = 3 ] || { cat g.txt >&2; gp_fail "parked threads in the snapshot: $got, want 3"; }
exit 0
