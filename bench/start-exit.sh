#!/bin/bash
# start-exit.sh - goprof's fixed cost: what a run that does nothing takes from start to exit,
# plain, with goprof and no database, and with goprof writing a database (CPU 100 Hz and heap
# profiling at the default rate, as bench/floor-bench.sh runs it). Issue 18. Not part of the
# test suite.
#
# Usage: bench/start-exit.sh [ROUNDS] [OUTDIR]
#   ROUNDS: paired rounds (default 11); each round runs every configuration RUNS times in a
#   row (default 20) and takes the mean of those runs.
#   OUTDIR: testsuite/real/build-and-compare.sh's, with plain and goprof builds of Lua: adds
#   the rows of Lua on an empty script.
#   Knobs: RUNS (20); GOPROF_BUILD (the build directory, default the source tree);
#   ALT_LIB=DIR adds a column with the goprof builds run against the libgoprof.so in DIR
#   (LD_LIBRARY_PATH, which goes before the builds' RUNPATH): another version's runtime,
#   for a before/after figure in the same rounds.
#
# Printed per program: the median over the rounds of the wall milliseconds a run, and of
# the user+system CPU milliseconds a run (all threads; bash's `times` of its children).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rounds=${1:-11}
out=${2:-}
runs=${RUNS:-20}
alt=${ALT_LIB:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$top/testsuite/real/flavours.sh"
GOPROF_BUILD=${GOPROF_BUILD:-$top} goprof_detect ||
	{ echo "start-exit: no goprof build found (GOPROF_BUILD)" >&2; exit 1; }
[ -z "$alt" ] || [ -e "$alt/libgoprof.so.0" ] ||
	{ echo "start-exit: no libgoprof.so.0 in ALT_LIB=$alt" >&2; exit 1; }

# the empty program: main returns at once
printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$work/empty.c"
gcc -O2 -o "$work/empty.plain" "$work/empty.c"
# shellcheck disable=SC2086
# linked with libgoprof even though the program references none of its symbols
gcc -O2 $GOPROF_CFLAGS -o "$work/empty.goprof" "$work/empty.c" -Wl,--no-as-needed $GOPROF_LIBS
programs=empty
if [ -n "$out" ]; then
	[ -x "$out/plain/lua" ] && [ -x "$out/goprof/lua" ] ||
		{ echo "start-exit: no $out/{plain,goprof}/lua" >&2; exit 1; }
	: >"$work/empty.lua"
	programs="$programs lua"
fi
configs="plain nodb db"
[ -n "$alt" ] && configs="$configs altdb"

# cmd PROGRAM BUILD: the command line of one run
cmd() {
	case $1 in
	empty) echo "$work/empty.$2" ;;
	lua) echo "$out/$2/lua $work/empty.lua" ;;
	esac
}

# one CONFIG PROGRAM: RUNS runs; appends "wall_ms cpu_ms" a run to $work/t.PROGRAM.CONFIG
one() {
	local c=$1 p=$2 build=goprof i t0 t1 c0 c1
	local -a env=(env -u GOPROF_DB -u LD_LIBRARY_PATH)
	case $c in
	plain) build=plain ;;
	db) env+=(GOPROF_DB="$work/db" GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=524288) ;;
	altdb) env+=(LD_LIBRARY_PATH="$alt" GOPROF_DB="$work/db" GOPROF_CPU_HZ=100
		     GOPROF_MEMPROFILE_RATE=524288) ;;
	esac
	read -r -a argv <<<"$(cmd "$p" "$build")"
	child_cpu_ms
	c0=$cpu_ms
	t0=$EPOCHREALTIME
	for ((i = 0; i < runs; i++)); do
		# the database is replaced by the next run: goprof removes the old one itself
		"${env[@]}" "${argv[@]}" >/dev/null </dev/null ||
			{ echo "start-exit: $c $p failed" >&2; exit 1; }
	done
	t1=$EPOCHREALTIME
	child_cpu_ms
	c1=$cpu_ms
	if [ "$c" = db ] || [ "$c" = altdb ]; then
		[ -s "$work/db" ] || { echo "start-exit: $c $p wrote no database" >&2; exit 1; }
		rm -f "$work"/db "$work"/db-wal "$work"/db-shm
	fi
	awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v n="$runs" \
		'BEGIN { printf "%.3f %.3f\n", (t1 - t0) * 1000 / n, (c1 - c0) / n }' \
		>>"$work/t.$p.$c"
}

# cpu_ms = the user+system CPU milliseconds of all children waited for so far (in this
# shell: a subshell's `times` counts its own children)
child_cpu_ms() {
	times >"$work/times"
	cpu_ms=$(awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%.3f", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' "$work/times")
}

. "$(dirname "$0")/lib.sh"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
	echo "start-exit: round $r/$rounds" >&2
	for p in $programs; do
		for c in $configs; do
			one "$c" "$p"
		done
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

col() { awk -v k="$2" '{print $k}' "$work/t.$1" | median | awk '{printf "%.1f", $1}'; }

echo "$(nproc) cores; load average $load_before before, $load_after after; medians of" \
	"$rounds rounds of $runs runs each, milliseconds a run."
echo
printf '| program | measure | plain | goprof, no database | goprof, database |'
[ -n "$alt" ] && printf ' goprof, database, ALT_LIB |'
printf ' database start and exit |\n|---|---|---|---|---|'
[ -n "$alt" ] && printf -- '---|'
printf -- '---|\n'
for p in $programs; do
	case $p in
	empty) label="empty C program" ;;
	lua) label="Lua 5.4, empty script" ;;
	esac
	for k in 1 2; do
		[ $k = 1 ] && m="wall" || m="user+sys CPU"
		printf '| %s | %s | %s | %s | %s |' "$label" "$m" "$(col "$p.plain" $k)" \
			"$(col "$p.nodb" $k)" "$(col "$p.db" $k)"
		[ -n "$alt" ] && printf ' %s |' "$(col "$p.altdb" $k)"
		# the database's own part: db - nodb, as the median of the rounds' differences
		printf ' %s |\n' "$(paste "$work/t.$p.db" "$work/t.$p.nodb" |
			awk -v k=$k '{print $k - $(k + 2)}' | median | awk '{printf "%+.1f", $1}')"
	done
done
