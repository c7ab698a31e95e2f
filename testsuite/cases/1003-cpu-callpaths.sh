#!/bin/sh
# Every sampled stack of a call-dense, recursive program is a path of its known call graph
# (progs/cpu-callpaths.c): no stale or torn frames, whatever instant the signal hit. Only
# a sample taken outside main (start-up, exit) may lack main, and then has no program frame.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

n=0
for flags in "-O0" "-O2" "-O2 -fplugin-arg-goprof-leaves"; do
	n=$((n + 1))
	opt=$n
	# shellcheck disable=SC2086
	gp_build_prog prog$opt cpu-callpaths $flags
	rm -f prof.db
	GOPROF_DB=$GP_WORK/prof.db GOPROF_CPU_HZ=500 gp_run run$opt ./prog$opt
	[ "$GP_RC" = 0 ] || gp_fail "program ($flags) exited with $GP_RC"
	gp_export prof.db cpu$opt.pb.gz -t cpu
	gp_traces cpu$opt.pb.gz >traces$opt.txt
	k=$(wc -l <traces$opt.txt)
	# At -O2 GCC turns walk's recursion into a loop: fewer distinct stacks.
	[ "$k" -ge 4 ] || gp_fail "only $k distinct stacks ($flags)"
	# Allowed caller>callee edges; the leaf may also be anything outside the program.
	gp_possible_stacks traces$opt.txt "main>run run>walk run>mix run>pure walk>walk walk>leafy mix>leafy mix>twice twice>leafy pure>pure" >&2 ||
		gp_fail "impossible stacks ($flags)"
	grep -q ";pure;pure;pure" traces$opt.txt || gp_fail "the recursion of pure is not on the stacks ($flags)"
done
exit 0
