#!/bin/sh
# sampling-cost.sh - what CPU sampling into a database costs on top of the instrumentation:
# the goprof builds of Lua (bench/cpu.lua) and speedtest1 run without a database, then with
# GOPROF_DB at 100 Hz and at 1000 Hz (ten times the rate, to lift the cost above this
# machine's run-to-run noise), interleaved, ROUNDS times; prints the median of the paired
# ratios as a markdown table. Not part of the test suite.
#
# Usage: bench/sampling-cost.sh OUTDIR [ROUNDS]
#   OUTDIR is bench.sh's (it holds goprof/lua and goprof/speedtest1); ROUNDS default 11.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:?usage: sampling-cost.sh OUTDIR [ROUNDS]}" && pwd)
rounds=${2:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wall_ns HZ PROGRAM ARGS...: nanoseconds of one run; HZ "off" = no database.
wall_ns() {
	local hz=$1 t0 t1
	shift
	rm -f "$work"/db*
	t0=$(date +%s%N)
	if [ "$hz" = off ]; then
		env -u GOPROF_DB "$@" >/dev/null 2>&1
	else
		GOPROF_DB=$work/db GOPROF_CPU_HZ=$hz "$@" >/dev/null 2>&1
	fi
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

. "$(dirname "$0")/lib.sh"

echo "| program | 100 Hz / no database | 1000 Hz / no database |"
echo "|---|---|---|"
for prog in lua speedtest1; do
	case $prog in
	lua) set -- "$out/goprof/lua" "$here/cpu.lua" 10 ;;
	speedtest1) set -- "$out/goprof/speedtest1" --size 50 --memdb ;;
	esac
	: >"$work/r100"
	: >"$work/r1000"
	for _ in $(seq 1 "$rounds"); do
		off=$(wall_ns off "$@")
		on100=$(wall_ns 100 "$@")
		on1000=$(wall_ns 1000 "$@")
		echo "$on100 $off" | awk '{print $1 / $2}' >>"$work/r100"
		echo "$on1000 $off" | awk '{print $1 / $2}' >>"$work/r1000"
	done
	printf '| %s | %.3f× | %.3f× |\n' "$prog" "$(median <"$work/r100")" "$(median <"$work/r1000")"
done
