#!/bin/sh
# A function pushed per branch (progs/branch-push.c: dispatch burns CPU on its call-free
# path and calls spin and malloc on two others) gets exact stacks in the CPU and heap
# profiles, read by go tool pprof: its own samples read main;run;dispatch (named from the
# PC, as a leaf's are), spin's main;run;dispatch;spin, run's own main;run (no stale
# dispatch left by a missed pop), each half of the work near half of dispatch's time; and
# with every allocation sampled, dispatch's 200 blocks of 4096 bytes under main;run;dispatch.
# The same with -fplugin-arg-goprof-no-branch-push, which keeps one push at entry.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

for mode in branch entry; do
	flags=-fplugin-arg-goprof-verbose
	[ $mode = entry ] && flags="$flags -fplugin-arg-goprof-no-branch-push"
	# shellcheck disable=SC2086
	gp_build_prog prog-$mode branch-push $flags
	note=$(grep -c "dispatch[^ ]* pushes in each of 2 branches" prog-$mode.cc-err)
	[ $mode = branch ] && [ "$note" != 1 ] && gp_fail "dispatch is not pushed per branch"
	[ $mode = entry ] && [ "$note" != 0 ] && gp_fail "no-branch-push still pushes per branch"

	GOPROF_DB=$GP_WORK/$mode.db GOPROF_CPU_HZ=250 GOPROF_MEMPROFILE_RATE=1 \
		gp_run run-$mode ./prog-$mode
	[ "$GP_RC" = 0 ] || gp_fail "$mode: the program exited with $GP_RC"
	[ "$(cat run-$mode.out)" = "kept 200 blocks, 819200 bytes" ] ||
		gp_fail "$mode: unexpected output: $(cat run-$mode.out)"

	gp_export $mode.db cpu-$mode.pb.gz -t cpu
	gp_traces cpu-$mode.pb.gz >cpu-$mode.txt
	# every stack through the program's functions is a path of its call graph; the leaf
	# may be code outside the program (malloc)
	gp_possible_stacks cpu-$mode.txt "main>run run>dispatch dispatch>spin" >&2 || gp_fail "$mode: impossible CPU stacks"
	own=$(gp_trace_value cpu-$mode.txt "main;run;dispatch")
	spin=$(gp_trace_value cpu-$mode.txt "main;run;dispatch;spin")
	run=$(gp_trace_value cpu-$mode.txt "main;run")
	echo "$mode: dispatch $own ms, spin $spin ms, run $run ms" >&2
	total=$((own + spin))
	[ "$total" -gt 400 ] || { cat cpu-$mode.txt >&2; gp_fail "$mode: only $total ms in dispatch"; }
	[ "$run" -gt 0 ] || gp_fail "$mode: no samples in run's own loop"
	# the two halves do the same work: each between a third and two thirds
	for half in "$own" "$spin"; do
		[ $((half * 3)) -ge "$total" ] ||
			gp_fail "$mode: dispatch's own $own ms against spin's $spin ms"
	done

	gp_export $mode.db heap-$mode.pb.gz -t heap
	for index in alloc_space inuse_space alloc_objects inuse_objects; do
		want=819200
		case $index in *objects) want=200 ;; esac
		gp_traces heap-$mode.pb.gz -sample_index=$index -unit=B >heap-$mode-$index.txt
		got=$(gp_trace_value heap-$mode-$index.txt "main;run;dispatch")
		[ "$got" = "$want" ] ||
			{ cat heap-$mode-$index.txt >&2
			  gp_fail "$mode: $index of main;run;dispatch: $got, want $want"; }
		grep -v '^[0-9.]* main;run;dispatch$' heap-$mode-$index.txt | grep -q 'dispatch' &&
			gp_fail "$mode: dispatch in another heap stack"
	done
	echo "ok $mode" >&2
done
exit 0
