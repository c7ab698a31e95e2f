#!/bin/sh
# Eight threads burning different functions for known CPU times (200..900 ms): each
# function's total is within 10 % of its truth, and all samples together within 5 % of
# the process CPU time getrusage reports.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-threads

# One attempt: 0 when every figure is within its bound, else 1 with the reason in why.txt.
attempt() {
	rm -f prof.db prof.db-wal prof.db-shm
	GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog "$GP_WORK/rusage"
	[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
	gp_export prof.db cpu.pb.gz -t cpu
	gp_top cpu.pb.gz >top.txt
	cat top.txt >&2
	for i in 0 1 2 3 4 5 6 7; do
		got=$(gp_cum_ms top.txt burn$i)
		want=$((200 + 100 * i))
		gp_within "$got" "$want" 10 ||
			{ echo "burn$i: $got ms sampled, burned $want ms" >why.txt; return 1; }
	done
	all=$(awk '{ s += $1 } END { print s }' top.txt)
	rusage_ms=$(($(sed -n 1p rusage) / 1000000)) truth=getrusage
	# Under --enable-sanitizers ASan's bookkeeping of every allocation (a stack trace
	# kept, the block filled) adds 100 to 150 ms in goprof's writer thread, which is not
	# sampled, and before the timers start: the truth is then the threads' own CPU time
	if [ -n "${GP_SANITIZE:-}" ]; then
		rusage_ms=$(($(sed -n 2p rusage) / 1000000)) truth="the threads' own clocks"
	fi
	gp_within "$all" "$rusage_ms" 5 ||
		{ echo "samples total $all ms, CPU time ($truth) $rusage_ms ms" >why.txt; return 1; }
}

# On an overloaded machine (load 5 on 2 cores, as when the whole suite runs with -j2) the
# kernel's CPU timers were seen to lose 5-20 % of some threads' periods, timer overruns
# counted; a second attempt tells that apart from a sampler that is wrong every time.
attempt || { echo "first attempt: $(cat why.txt); trying again" >&2; attempt; } ||
	gp_fail "$(cat why.txt)"
exit 0
