#!/bin/sh
# A fatal signal sent to a thread busy inside goprof (sampled allocations, lock-profiled
# waits, thread creation, fork() with goprof's locks held across it): in every run the
# program dies of its signal, within 5 s (never a hang), and the crash flush commits the
# blocks the program kept just before the signal: the heap profile, read by go tool pprof,
# holds exactly the bytes the program said it kept. RUNS runs of each signal, the signal
# sent after a delay that differs from run to run. Prints how long each run took to die
# after the signal (the flush; it waited up to 500 ms when the dying thread held one of
# goprof's locks). Under the sanitizers the kept bytes are counted, not required: the
# allocator is ASan's, which goprof's crash reserve does not replace and whose locks a
# thread dying inside fork() (ASan's fork takes them) or inside malloc holds, so the
# writer's last commit may wait for them until the handler gives up (as 9602 says). No fork
# child is left alive after the runs: each calls _exit at once.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog crash-flush
runs=${RUNS:-8}
i=0
for how in abort:6 segv:11; do
	sig=${how#*:}
	how=${how%:*}
	n=0
	while [ "$n" -lt "$runs" ]; do
		n=$((n + 1)) i=$((i + 1))
		delay=$((40 + i * 37 % 260))
		rc=0
		(ulimit -c 0; GOPROF_DB=$GP_WORK/$i.db GOPROF_MEMPROFILE_RATE=1 GOPROF_MUTEX_FRACTION=1 \
			GOPROF_BLOCK_RATE=1 exec timeout -s KILL 20 "$GP_WORK/prog" "$how" \
			"$delay") \
			>run-$i.out 2>run-$i.err || rc=$?
		died=$(date +%s%N)
		[ "$rc" = 137 ] && gp_fail "run $i ($how after $delay ms): hung (killed after 20 s)"
		[ "$rc" = $((128 + sig)) ] ||
			{ cat run-$i.err >&2; gp_fail "run $i ($how): exit status $rc, want death by signal $sig"; }
		kept=$(awk '$1 == "kept" { print $2 }' run-$i.out)
		sent=$(awk '$1 == "sent" { print $2 }' run-$i.out)
		[ -n "$kept" ] && [ -n "$sent" ] || gp_fail "run $i: the program did not say what it kept"
		ms=$(((died - sent) / 1000000))
		echo "run $i: $how after $delay ms, dead $ms ms after the signal" >&2
		[ "$ms" -lt 5000 ] || gp_fail "run $i ($how): died $ms ms after the signal"
		gp_export $i.db heap-$i.pb.gz -t heap
		gp_heap_top heap-$i.pb.gz inuse_space >top-$i.txt
		got=$(gp_flat top-$i.txt kept_blocks)
		[ "$got" = "$kept" ] && continue
		if [ -n "${GP_SANITIZE:-}" ]; then
			echo "run $i: $got bytes of the $kept kept (ASan's allocator locks)" >&2
			continue
		fi
		cat run-$i.err top-$i.txt >&2
		gp_fail "run $i ($how after $delay ms): $got bytes in use in kept_blocks, the program kept $kept"
	done
done
# the fork children, each calling _exit at once, end by themselves (writer.c: under ASan too)
gp_none_left "$GP_WORK/prog" "fork children"
exit 0
