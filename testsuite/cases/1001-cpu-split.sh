#!/bin/sh
# A thread that burns CPU in two functions 3:1 gets a CPU profile, read by go tool pprof,
# with each function (and what it calls: clock_gettime)'s share within 3 percentage points of the truth (75 % / 25 %).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-split
gp_cpu_profile cpu ./prog
gp_top cpu.pb.gz >top.txt
cat top.txt >&2
heavy=$(gp_cum_ms top.txt heavy)
light=$(gp_cum_ms top.txt light)
total=$((heavy + light))
[ "$total" -gt 1500 ] || gp_fail "only $total ms of samples in heavy and light (burned 2000 ms)"
awk -v h="$heavy" -v t="$total" 'BEGIN { s = 100 * h / t; d = s - 75; if (d < 0) d = -d; exit !(d <= 3) }' ||
	gp_fail "heavy has $heavy of $total ms, not 75 % +- 3"
exit 0
