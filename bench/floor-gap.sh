#!/bin/bash
# floor-gap.sh - what Lua's wall ratio adds to its instruction ratio (issue 18): the same
# interpreter plain and with goprof in five settings, measured by counters that a loaded,
# virtual machine does not blur the way it blurs wall time. Not part of the test suite.
#
# Usage: bench/floor-gap.sh OUTDIR [RUNS]
#   OUTDIR: testsuite/real/build-and-compare.sh's, with its plain and goprof builds of Lua.
#   RUNS: perf stat repetitions of bench/cpu.lua 10 per setting (default 11).
#
# Settings: plain; goprof without a database; with one (CPU 100 Hz, heap 524288: the
# defaults); the same with GOPROF_CPU_HZ=0; the same with GOPROF_MEMPROFILE_RATE=0.
# Columns:
#   - perf stat's software counters over RUNS runs of cpu.lua 10 (their means): CPU time
#     of all threads (task-clock), context switches, CPU migrations, page faults. Hardware
#     counters are used when the machine has them (cycles, instructions, IPC);
#   - cachegrind (simulated caches and branch predictors, exact and repeatable) on cpu.lua 1:
#     instructions, L1 instruction-cache misses, mispredicted branches (conditional and
#     indirect), L1 data misses, every thread counted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:?usage: floor-gap.sh OUTDIR [RUNS]}" && pwd)
runs=${2:-11}
for f in plain goprof; do
	[ -x "$out/$f/lua" ] || { echo "floor-gap: no $out/$f/lua: build it first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

hw=
perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]' && hw=1
events=task-clock,context-switches,cpu-migrations,page-faults
[ -n "$hw" ] && events=$events,cycles,instructions

# setting NAME: the build and the environment of setting NAME
setting() {
	case $1 in
	plain) echo "plain env -u GOPROF_DB" ;;
	nodb) echo "goprof env -u GOPROF_DB" ;;
	db) echo "goprof env GOPROF_DB=$work/db GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=524288" ;;
	cpu0) echo "goprof env GOPROF_DB=$work/db GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=524288" ;;
	heap0) echo "goprof env GOPROF_DB=$work/db GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=0" ;;
	esac
}
label() {
	case $1 in
	plain) echo "plain" ;;
	nodb) echo "goprof, no database" ;;
	db) echo "goprof, database, CPU 100 Hz + heap 524288" ;;
	cpu0) echo "the same, GOPROF_CPU_HZ=0" ;;
	heap0) echo "the same, GOPROF_MEMPROFILE_RATE=0" ;;
	esac
}

# stat NAME: perf stat's means for NAME, "event value" lines
stat() {
	local build env
	read -r build env < <(setting "$1")
	# shellcheck disable=SC2086
	(cd "$work" && perf stat -x, -r "$runs" -e "$events" -o "$work/stat.$1" \
		$env "$out/$build/lua" "$here/cpu.lua" 10 >/dev/null 2>&1 </dev/null)
	awk -F, '/^[0-9]/ { sub(/:u$/, "", $3); print $3, $1 }' "$work/stat.$1"
}

# grind NAME: cachegrind's totals for NAME: Ir I1mr Bcm+Bim D1mr+D1mw
grind() {
	local build env
	read -r build env < <(setting "$1")
	rm -f "$work"/db*
	# shellcheck disable=SC2086
	(cd "$work" && $env valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes \
		--cachegrind-out-file="$work/cg.$1" "$out/$build/lua" "$here/cpu.lua" 1 \
		>/dev/null 2>"$work/cg.log" </dev/null) || { cat "$work/cg.log" >&2; exit 1; }
	awk '/^events:/ { for (i = 2; i <= NF; i++) name[i] = $i }
	     /^summary:/ { for (i = 2; i <= NF; i++) v[name[i]] = $i }
	     END { print v["Ir"], v["I1mr"], v["Bcm"] + v["Bim"], v["D1mr"] + v["D1mw"] }' \
		"$work/cg.$1"
}

names="plain nodb db cpu0 heap0"
for n in $names; do
	stat "$n" >"$work/s.$n"
	grind "$n" >"$work/g.$n"
done
# val FILE EVENT
val() { awk -v e="$2" '$1 == e { print $2 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4fx", a / b; else print "-" }'; }

echo "perf stat -r $runs, bench/cpu.lua 10 (means; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
if [ -n "$hw" ]; then
	echo "| setting | task-clock ms | ratio | context switches | migrations | page faults | cycles ratio | instructions ratio | IPC |"
	echo "|---|---|---|---|---|---|---|---|---|"
else
	echo "| setting | task-clock ms | ratio | context switches | migrations | page faults |"
	echo "|---|---|---|---|---|---|"
fi
p=$work/s.plain
for n in $names; do
	s=$work/s.$n
	row="| $(label "$n") | $(val "$s" task-clock | awk '{ printf "%.1f", $1 }') | $(ratio "$(val "$s" task-clock)" "$(val "$p" task-clock)") | $(val "$s" context-switches) | $(val "$s" cpu-migrations) | $(val "$s" page-faults) |"
	if [ -n "$hw" ]; then
		row="$row $(ratio "$(val "$s" cycles)" "$(val "$p" cycles)") | $(ratio "$(val "$s" instructions)" "$(val "$p" instructions)") | $(awk -v i="$(val "$s" instructions)" -v c="$(val "$s" cycles)" 'BEGIN { printf "%.2f", i / c }') |"
	fi
	echo "$row"
done
echo
echo "cachegrind, bench/cpu.lua 1, all threads (simulated: exact and repeatable)"
echo
echo "| setting | instructions | ratio | L1i misses | ratio | mispredicted branches | ratio | L1d misses | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
read -r pi pm pb pd <"$work/g.plain"
for n in $names; do
	read -r i m b d <"$work/g.$n"
	echo "| $(label "$n") | $i | $(ratio "$i" "$pi") | $m | $(ratio "$m" "$pm") | $b | $(ratio "$b" "$pb") | $d | $(ratio "$d" "$pd") |"
done
