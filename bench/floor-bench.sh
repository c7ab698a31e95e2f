#!/bin/bash
# floor-bench.sh - whole programs with goprof's profiling on against plain -O2 and against
# the peers that are installed (issue 18). Not part of the test suite.
#
# Usage: bench/floor-bench.sh OUTDIR [ROUNDS]
#   OUTDIR: testsuite/real/build-and-compare.sh's, with its plain and goprof builds of Lua
#   and speedtest1 (build them with "build-and-compare.sh -o OUTDIR build plain goprof").
#   ROUNDS: paired rounds of wall time, default 11.
#   Knobs: PEERS=none (no gperftools or perf columns: rounds twice as fast, for the 100 and
#   more rounds that this machine kind's noise asks for), LUA_SCALE (10), SPEEDTEST_ARGS
#   ("--size 50 --memdb"), REAL_SRC (the sources build-and-compare.sh built from; default
#   OUTDIR/../real-src), SKIP_COMPARE=1 (do not run its behaviour check first).
#
# First the programs' own checks: build-and-compare.sh compare (Lua scripts and speedtest1
# test sets give the same output with goprof as plain, with and without a database). Then:
#   - instructions (valgrind --tool=callgrind), goprof without a database against plain:
#     Lua bench/cpu.lua 1 and speedtest1 --size 5 --memdb, as bench/bench.sh counts them;
#     Lua's the median of LUA_IR_RUNS runs (5): its string hash seed mixes in the time, and
#     its count moves by some 0.3 % from one run to the next;
#   - extra instructions per call of bench/calls.c (a leaf, and a non-leaf calling it),
#     built with goprof by default and with -fplugin-arg-goprof-leaves;
#   - wall time, ROUNDS rounds each running every configuration once, interleaved:
#       goprof    the goprof build with GOPROF_DB set: CPU profiling at 100 Hz and heap
#                 profiling at the default rate, written to a database;
#       gperftools the plain build with libprofiler preloaded, CPUPROFILE_FREQUENCY=100
#                 (CPU only; stacks from frame walking);
#       perf      the plain build under perf record -g -F 100;
#     each figure the median of the rounds' ratios to the plain run of the same round; a
#     second table gives those ratios' quartiles, and the ratios of the configurations' own
#     10th and 25th percentile times to plain's (the runs the machine slowed least). The
#     order of the configurations turns round every other round.
#     Every run's output is compared with plain's (speedtest1's timings stripped);
#   - the fixed cost, its own row: Lua on an empty script, EMPTY_RUNS runs (5) of each
#     configuration in each round, in milliseconds a run over plain's (median of the
#     rounds' differences); bench/start-exit.sh splits it further.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$(cd "${1:?usage: floor-bench.sh OUTDIR [ROUNDS]}" && pwd)
rounds=${2:-11}
lua_scale=${LUA_SCALE:-10}
speedtest_args=${SPEEDTEST_ARGS:---size 50 --memdb}
for f in plain goprof; do
	[ -x "$out/$f/lua" ] && [ -x "$out/$f/speedtest1" ] ||
		{ echo "floor-bench: no $out/$f/{lua,speedtest1}: build them first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
note() { echo "floor-bench: $*" >&2; }

if [ -z "${SKIP_COMPARE:-}" ]; then
	note "behaviour check (build-and-compare.sh compare)"
	"$top/testsuite/real/build-and-compare.sh" -s "${REAL_SRC:-$out/../real-src}" -o "$out" \
		compare plain goprof >"$work/compare" ||
		{ cat "$work/compare" >&2; exit 1; }
	tail -n 1 "$work/compare" >&2
fi

. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- instructions

ir() {
	valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$@" >/dev/null 2>"$work/cg.log" \
		</dev/null || { cat "$work/cg.log" >&2; exit 1; }
	awk '/^(summary|totals):/ {print $2; exit}' "$work/cg"
}

note "callgrind"
# shellcheck disable=SC2086
for f in plain goprof; do
	for _ in $(seq "${LUA_IR_RUNS:-5}"); do ir "$out/$f/lua" "$here/cpu.lua" 1; done |
		median >"$work/ir.lua.$f"
	ir "$out/$f/speedtest1" --size 5 --memdb >"$work/ir.st.$f"
done

. "$top/testsuite/real/flavours.sh"
GOPROF_BUILD=${GOPROF_BUILD:-$top} goprof_detect || { note "no goprof build found"; exit 1; }
# build_calls CFLAGS LIBS
# shellcheck disable=SC2086
build_calls() { gcc -O2 -fno-optimize-sibling-calls $1 -o "$work/calls" "$here/calls.c" $2; }
calls_extra() { # Ir of a million more leaf calls, then of a million more non-leaf calls
	local k n1=1000000 n2=2000000 a
	for k in leaf nonleaf; do
		a=$(($(ir "$work/calls" $k $n2) - $(ir "$work/calls" $k $n1)))
		echo "$a"
	done
}
build_calls "" ""
calls_extra >"$work/calls.plain"
build_calls "$GOPROF_CFLAGS" "$GOPROF_LIBS"
calls_extra >"$work/calls.goprof"
build_calls "$GOPROF_CFLAGS -fplugin-arg-goprof-leaves" "$GOPROF_LIBS"
calls_extra >"$work/calls.leaves"
# extra per call: leaf = dIr(leaf loop); non-leaf = dIr(nonleaf loop) - dIr(leaf loop)
per_call() {
	paste "$work/calls.$1" "$work/calls.plain" | awk -v n=1000000 '
		{ d[NR] = ($1 - $2) / n }
		END { printf "%+.0f %+.0f\n", d[1], d[2] - d[1] }'
}
read -r leaf_def nonleaf_def < <(per_call goprof)
read -r leaf_all nonleaf_all < <(per_call leaves)

# ---------------------------------------------------------------- wall time

profiler=$(ls /usr/lib/x86_64-linux-gnu/libprofiler.so.0 2>/dev/null || true)
have_perf=
perf record -q -F 100 -g -o "$work/perf.data" true >/dev/null 2>&1 && have_perf=1
if [ "${PEERS:-}" = none ]; then
	profiler= have_perf=
fi
configs="plain goprof"
[ -n "$profiler" ] && configs="$configs gperftools"
[ -n "$have_perf" ] && configs="$configs perf"

# run CONFIG PROGRAM: runs one configuration of lua or st; output in $work/run.out
run() {
	local c=$1 p=$2 build=plain
	local -a cmd env=(env -u GOPROF_DB)
	[ "$c" = goprof ] && build=goprof
	if [ "$p" = lua ]; then
		cmd=("$out/$build/lua" "$here/cpu.lua" "$lua_scale")
	elif [ "$p" = empty ]; then
		cmd=("$out/$build/lua" "$work/empty.lua")
	else
		# shellcheck disable=SC2206
		cmd=("$out/$build/speedtest1" $speedtest_args)
	fi
	rm -f "$work"/db* "$work"/prof* "$work"/perf.data*
	case $c in
	goprof) env=(env GOPROF_DB="$work/db" GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=524288) ;;
	gperftools) env=(env LD_PRELOAD="$profiler" CPUPROFILE="$work/prof" CPUPROFILE_FREQUENCY=100) ;;
	perf) env=(perf record -q -F 100 -g -o "$work/perf.data" --) ;;
	esac
	(cd "$work" && "${env[@]}" "${cmd[@]}" >"$work/run.out" 2>"$work/run.err") </dev/null ||
		{ cat "$work/run.err" >&2; note "$c $p failed"; exit 1; }
	sed -E 's/[[:space:]]+[0-9]+\.[0-9]{3}s$//' "$work/run.out" >"$work/run.cmp"
}

wall_ns() {
	local t0 t1
	t0=$(date +%s%N)
	run "$@"
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

: >"$work/empty.lua"
empty_runs=${EMPTY_RUNS:-5}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
	note "round $r/$rounds"
	# odd rounds in the order of $configs, even rounds the other way round: no configuration
	# always runs right after another
	order=$configs
	[ $((r % 2)) = 0 ] && order=$(echo "$configs" | tr ' ' '\n' | tac | tr '\n' ' ')
	for p in lua st; do
		for c in $order; do
			t=$(wall_ns "$c" "$p")
			echo "$t" >>"$work/t.$p.$c"
			if [ "$c" = plain ]; then
				cp "$work/run.cmp" "$work/plain.$p"
			elif ! cmp -s "$work/run.cmp" "$work/plain.$p"; then
				note "$c $p: output differs from plain"
				exit 1
			fi
		done
	done
	for c in $configs; do
		t=0
		for _ in $(seq "$empty_runs"); do
			t=$((t + $(wall_ns "$c" empty)))
		done
		echo $((t / empty_runs)) >>"$work/t.empty.$c"
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cell() { # median ratio of configuration $2 to plain for program $1
	paste "$work/t.$1.$2" "$work/t.$1.plain" | awk '{print $1 / $2}' | median |
		awk '{printf "%.3fx", $1}'
}

echo "$(nproc) cores; $(gcc --version | head -n 1); load average $load_before before the wall" \
	"rounds, $load_after after."
echo
# peers_head FIRST-COLUMNS GPERFTOOLS PERF: a table's header, with the installed peers' columns
peers_head() {
	local cols=$1
	[ -n "$profiler" ] && cols="$cols $2 |"
	[ -n "$have_perf" ] && cols="$cols $3 |"
	echo "$cols"
	echo "$cols" | sed 's/[^|]*|/---|/g; s/^---//'
}
peers_head '| program | plain (median s) | goprof, CPU 100 Hz + heap, into a database |' \
	'gperftools CPU 100 Hz' 'perf record -g -F 100'
for p in lua st; do
	case $p in
	lua) label="Lua 5.4, cpu.lua $lua_scale" ;;
	st) label="sqlite speedtest1 $speedtest_args" ;;
	esac
	printf '| %s | %s | %s |' "$label" "$(median <"$work/t.$p.plain" |
		awk '{printf "%.2f", $1 / 1e9}')" "$(cell $p goprof)"
	[ -n "$profiler" ] && printf ' %s |' "$(cell $p gperftools)"
	[ -n "$have_perf" ] && printf ' %s |' "$(cell $p perf)"
	echo
done
# the quartiles of the rounds' ratios of configuration $2 to plain for program $1, and the
# ratios of the two configurations' 10th and 25th percentile times: on a machine whose
# speed moves from one run to the next, where the median stands and what the least
# slowed runs say
spread() {
	paste "$work/t.$1.$2" "$work/t.$1.plain" | awk '{print $1 / $2}' | quartiles
	printf '; %s' "$(paste <(percentiles "$work/t.$1.$2") <(percentiles "$work/t.$1.plain") |
		awk '{printf "%.3fx, %.3fx", $1 / $3, $2 / $4}')"
}
extra_ms() { # the median of the rounds' milliseconds of configuration $1 over plain, empty run
	paste "$work/t.empty.$1" "$work/t.empty.plain" | awk '{print ($1 - $2) / 1e6}' | median |
		awk '{printf "%+.1f ms", $1}'
}
printf '| fixed cost: Lua on an empty script, a run | %s ms | %s |' "$(median \
	<"$work/t.empty.plain" | awk '{printf "%.1f", $1 / 1e6}')" "$(extra_ms goprof)"
[ -n "$profiler" ] && printf ' %s |' "$(extra_ms gperftools)"
[ -n "$have_perf" ] && printf ' %s |' "$(extra_ms perf)"
echo
echo
echo "The same rounds' spread: the quartiles of the round ratios; the ratios of the 10th and"
echo "25th percentile times."
echo
peers_head '| program | goprof |' gperftools perf
for p in lua st; do
	printf '| %s | %s |' "$([ $p = lua ] && echo Lua || echo speedtest1)" "$(spread $p goprof)"
	[ -n "$profiler" ] && printf ' %s |' "$(spread $p gperftools)"
	[ -n "$have_perf" ] && printf ' %s |' "$(spread $p perf)"
	echo
done
echo
echo "Wall: medians of $rounds paired rounds. Instructions (callgrind, no database):"
echo
echo "| measure | plain | goprof |"
echo "|---|---|---|"
awk -v p="$(cat "$work/ir.lua.plain")" -v g="$(cat "$work/ir.lua.goprof")" \
	'BEGIN { printf "| Lua cpu.lua 1, Ir | %.0fM | %.3fx |\n", p / 1e6, g / p }'
awk -v p="$(cat "$work/ir.st.plain")" -v g="$(cat "$work/ir.st.goprof")" \
	'BEGIN { printf "| speedtest1 --size 5 --memdb, Ir | %.0fM | %.3fx |\n", p / 1e6, g / p }'
echo "| calls.c: extra Ir per leaf call (default; -fplugin-arg-goprof-leaves) | 0 | $leaf_def; $leaf_all |"
echo "| calls.c: extra Ir per non-leaf call (default; -fplugin-arg-goprof-leaves) | 0 | $nonleaf_def; $nonleaf_all |"
