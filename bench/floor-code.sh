#!/bin/bash
# floor-code.sh - which part of the instrumented code costs a whole program its time
# (issue 18): the same Lua and speedtest1 built six ways, timed without a database, so that
# only the code differs. Not part of the test suite.
#
# Usage: bench/floor-code.sh OUTDIR [ROUNDS]
#   OUTDIR: testsuite/real/build-and-compare.sh's, with its plain and goprof builds; the
#   other four are built there by this script when missing (build-and-compare.sh's extra
#   flavours, with the goprof found as it finds it: GOPROF_BUILD=dir of a built tree).
#   ROUNDS: rounds (default 31), each running every build once in an order that turns by
#   one every round. Knobs: LUA_SCALE (10), SPEEDTEST_ARGS ("--size 50 --memdb"),
#   REAL_SRC (default OUTDIR/../real-src), PROGRAMS ("lua st").
#
# The builds:
#   plain     gcc -O2
#   linked    the plugin instrumenting nothing (exclude-file=.), linked with libgoprof:
#             the runtime's interposers and loading, no push or pop
#   goprof    the default instrumentation
#   norecord  measure-nops=record: the push's store of the record is NOPs of its size
#   nopointer measure-nops=pointer: the pointer's add (push) and subtract (pop) are NOPs
#   nowrites  measure-nops=both: the push keeps only its load of the pointer, and the code
#             its size: what is left is the instrumentation's layout and that load
# The last three give wrong stacks; they exist to be timed. Every run's output is compared
# with plain's (speedtest1's timings stripped). Printed for each build: the instructions
# (callgrind, Lua cpu.lua 1 and speedtest1 --size 5 --memdb) and, over the rounds, the median
# of the round ratios to plain, their quartiles, and the ratios of the build's own 10th and
# 25th percentile times to plain's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$(cd "${1:?usage: floor-code.sh OUTDIR [ROUNDS]}" && pwd)
rounds=${2:-31}
lua_scale=${LUA_SCALE:-10}
speedtest_args=${SPEEDTEST_ARGS:---size 50 --memdb}
programs=${PROGRAMS:-lua st}
builds="plain linked goprof norecord nopointer nowrites"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
note() { echo "floor-code: $*" >&2; }
. "$here/lib.sh"

missing=
for b in $builds; do
	[ -x "$out/$b/lua" ] && [ -x "$out/$b/speedtest1" ] || missing="$missing $b"
done
if [ -n "$missing" ]; then
	note "building:$missing"
	nops=-fplugin-arg-goprof-measure-nops
	GOPROF_EXTRA_FLAVOURS="linked:-fplugin-arg-goprof-exclude-file=.;norecord:$nops=record"
	GOPROF_EXTRA_FLAVOURS="$GOPROF_EXTRA_FLAVOURS;nopointer:$nops=pointer;nowrites:$nops=both"
	# shellcheck disable=SC2086
	GOPROF_EXTRA_FLAVOURS=$GOPROF_EXTRA_FLAVOURS "$top/testsuite/real/build-and-compare.sh" \
		-s "${REAL_SRC:-$out/../real-src}" -o "$out" build $missing >&2
fi

cmd() { # cmd BUILD PROGRAM [IR]: the command line of one run
	if [ "$2" = lua ]; then
		echo "$out/$1/lua $here/cpu.lua $([ -n "${3:-}" ] && echo 1 || echo "$lua_scale")"
	elif [ -n "${3:-}" ]; then
		echo "$out/$1/speedtest1 --size 5 --memdb"
	else
		echo "$out/$1/speedtest1 $speedtest_args"
	fi
}

note "callgrind"
for p in $programs; do
	for b in $builds; do
		# shellcheck disable=SC2046
		env -u GOPROF_DB valgrind --tool=callgrind --callgrind-out-file="$work/cg" \
			$(cmd "$b" "$p" ir) >/dev/null 2>"$work/cg.log" </dev/null ||
			{ cat "$work/cg.log" >&2; exit 1; }
		awk '/^(summary|totals):/ {print $2; exit}' "$work/cg" >"$work/ir.$p.$b"
	done
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086
set -- $builds
n=$#
for r in $(seq 1 "$rounds"); do
	note "round $r/$rounds"
	for p in $programs; do
		for k in $(seq 0 $((n - 1))); do
			i=$(((k + r) % n + 1))
			b=${!i}
			t0=$(date +%s%N)
			# shellcheck disable=SC2046
			env -u GOPROF_DB $(cmd "$b" "$p") </dev/null >"$work/run" 2>&1 ||
				{ cat "$work/run" >&2; note "$b $p failed"; exit 1; }
			t1=$(date +%s%N)
			echo $((t1 - t0)) >>"$work/t.$p.$b"
			sed -E 's/[[:space:]]+[0-9]+\.[0-9]{3}s$//' "$work/run" >"$work/out.$p.$b"
		done
		for b in $builds; do
			cmp -s "$work/out.$p.$b" "$work/out.$p.plain" ||
				{ note "$b $p: output differs from plain"; exit 1; }
		done
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "$(nproc) cores; $(gcc --version | head -n 1); load average $load_before before the" \
	"rounds, $load_after after; $rounds rounds, no database."
for p in $programs; do
	case $p in
	lua) label="Lua 5.4, cpu.lua $lua_scale (Ir: cpu.lua 1)" ;;
	st) label="sqlite speedtest1 $speedtest_args (Ir: --size 5 --memdb)" ;;
	esac
	echo
	secs=$(median <"$work/t.$p.plain" | awk '{printf "%.2f", $1 / 1e9}')
	echo "$label; plain's median $secs s"
	echo
	echo "| build | Ir | median of round ratios | their quartiles |" \
		"10th, 25th percentile ratios |"
	echo "|---|---|---|---|---|"
	for b in $builds; do
		[ "$b" = plain ] && continue
		ir=$(awk -v b="$(cat "$work/ir.$p.$b")" -v p="$(cat "$work/ir.$p.plain")" \
			'BEGIN { printf "%.3fx", b / p }')
		paste "$work/t.$p.$b" "$work/t.$p.plain" | awk '{print $1 / $2}' >"$work/r"
		med=$(median <"$work/r" | awk '{printf "%.3fx", $1}')
		quart=$(quartiles <"$work/r")
		pr=$(paste <(percentiles "$work/t.$p.$b") <(percentiles "$work/t.$p.plain") |
			awk '{printf "%.3fx, %.3fx", $1 / $3, $2 / $4}')
		echo "| $b | $ir | $med | $quart | $pr |"
	done
done
