#!/bin/sh
# Heap-profiling benchmark (issue 4): bench/heap-micro.c, N small malloc/free pairs from an
# instrumented function, run with libgoprof in several configurations; prints ns per pair
# (best of RUNS) and the ratio against the same build without GOPROF_DB as a Markdown table.
# GOPROF_DB starts goprof's writer thread, and glibc's malloc is slower in any process that
# ever had a second thread: the "one idle thread" row is that baseline, and the last column
# compares against it, i.e. the cost of the interposer and the sampling alone.
# Then instruction counts from callgrind (also of the same program built without goprof at
# all: glibc's malloc and free alone), and, given bench.sh's OUTDIR (its goprof/lua), Lua's
# wall time with heap profiling at the default rate against the instrumentation alone:
# paired, interleaved rounds, the median of the per-round ratios, as bench.sh does.
#
#	bench/heap-bench.sh [BUILDDIR [OUTDIR]]	(default: the current directory, no Lua)
#	N=... RUNS=... CALLGRIND_N=... LUA_ROUNDS=... LUA_SCALE=... bench/heap-bench.sh ...
set -eu
build=${1:-.}
outdir=${2:-}
src=$(cd "$(dirname "$0")" && pwd)
n=${N:-100000000}
runs=${RUNS:-3}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "heap-bench: build first ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
$cc -O2 -fplugin="$plugin" -o "$work/micro" "$src/heap-micro.c" -L"$rt" -Wl,-rpath,"$rt" \
	-lgoprof -lpthread
$cc -O2 -o "$work/micro-glibc" "$src/heap-micro.c" -lpthread

best() { # ENV... : best ns per pair of RUNS runs
	b=
	i=0
	while [ $i -lt "$runs" ]; do
		rm -f "$work"/db*
		t=$(env "$@" "$work/micro" "$n" $extra)
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'; then
			b=$t
		fi
		i=$((i + 1))
	done
	echo "$b"
}

extra=
base=$(best GOPROF_CPU_HZ=0)
extra=thread
base2=$(best GOPROF_CPU_HZ=0)
extra=
echo "$n malloc/free pairs of 16..271 bytes, best of $runs runs"
echo
echo "| configuration | ns per pair | vs no GOPROF_DB | vs one idle thread |"
echo "|---|---|---|---|"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}
row() { # LABEL ENV...
	label=$1
	shift
	t=$(best "$@")
	echo "| $label | $t | $(ratio "$t" "$base")x | $(ratio "$t" "$base2")x |"
}
echo "| no GOPROF_DB (interposer off) | $base | 1.000x | $(ratio "$base" "$base2")x |"
echo "| no GOPROF_DB, one idle thread | $base2 | $(ratio "$base2" "$base")x | 1.000x |"
row "GOPROF_DB, heap off (GOPROF_MEMPROFILE_RATE=0), no CPU" GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=0 GOPROF_CPU_HZ=0
row "GOPROF_DB, heap at 524288 (default), no CPU" GOPROF_DB="$work/db" GOPROF_CPU_HZ=0
row "GOPROF_DB, heap at 524288 and CPU at 100 Hz" GOPROF_DB="$work/db"
row "GOPROF_DB, heap at 4096, no CPU" GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=4096 GOPROF_CPU_HZ=0

# Wall times on a shared virtual machine scatter by more than the effect: instructions
# counted by callgrind (all threads, the writer's included) are exact and repeatable.
if command -v valgrind >/dev/null 2>&1; then
	cn=${CALLGRIND_N:-1000000}
	count() { # PROGRAM ENV...: instructions per pair
		prog=$1
		shift
		rm -f "$work"/db*
		env "$@" valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
			"$work/$prog" "$cn" 2>&1 >/dev/null |
			awk -v n="$cn" '/Collected :/ { printf "%.1f", $NF / n }'
	}
	c0=$(count micro GOPROF_CPU_HZ=0)
	cg=$(count micro-glibc)
	echo
	echo "callgrind, $cn pairs: instructions per pair (whole process)"
	echo
	echo "| configuration | instructions per pair | ratio |"
	echo "|---|---|---|"
	echo "| without goprof (glibc alone) | $cg | $(ratio "$cg" "$c0")x |"
	echo "| no GOPROF_DB | $c0 | 1.000x |"
	crow() { # LABEL ENV...
		label=$1
		shift
		c=$(count micro "$@")
		echo "| $label | $c | $(ratio "$c" "$c0")x |"
	}
	crow "GOPROF_DB, heap off" GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=0 GOPROF_CPU_HZ=0
	crow "GOPROF_DB, heap at 524288 (default)" GOPROF_DB="$work/db" GOPROF_CPU_HZ=0
	crow "GOPROF_DB, heap at 4096" GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=4096 \
		GOPROF_CPU_HZ=0
fi

# Lua: the instrumented interpreter bench.sh (or the real-code case) built, CPU sampling
# off throughout, so that only the database and the heap sampling differ.
[ -n "$outdir" ] || exit 0
lua=$outdir/goprof/lua
[ -x "$lua" ] || { echo "heap-bench: no $lua (run bench/bench.sh first)" >&2; exit 1; }
rounds=${LUA_ROUNDS:-21}
scale=${LUA_SCALE:-10}
lua_ns() { # ENV...: wall nanoseconds of one run
	rm -f "$work"/db*
	t0=$(date +%s%N)
	env "$@" "$lua" "$src/cpu.lua" "$scale" >/dev/null 2>&1 </dev/null ||
		{ echo "heap-bench: lua failed" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $((t1 - t0))
}
. "$(dirname "$0")/lib.sh"
: >"$work/off"
: >"$work/on"
: >"$work/base"
: >"$work/onoff"
# the three runs of a round take turns going first: the machine's speed drifts
for r in $(seq 1 "$rounds"); do
	for k in $(seq 0 2); do
		case $(((r + k) % 3)) in
		0) base=$(lua_ns GOPROF_CPU_HZ=0) ;;
		1) off=$(lua_ns GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=0 GOPROF_CPU_HZ=0) ;;
		2) on=$(lua_ns GOPROF_DB="$work/db" GOPROF_CPU_HZ=0) ;;
		esac
	done
	echo "$base" >>"$work/base"
	echo "$off $base" | awk '{ print $1 / $2 }' >>"$work/off"
	echo "$on $base" | awk '{ print $1 / $2 }' >>"$work/on"
	echo "$on $off" | awk '{ print $1 / $2 }' >>"$work/onoff"
done
echo
echo "Lua, bench/cpu.lua $scale, wall time: median of $rounds paired rounds"
echo
echo "| configuration | ratio to no GOPROF_DB |"
echo "|---|---|"
printf '| no GOPROF_DB (instrumentation alone, median %.2f s) | 1.000x |\n' \
	"$(median <"$work/base" | awk '{ print $1 / 1e9 }')"
printf '| GOPROF_DB, heap off, no CPU | %.3fx |\n' "$(median <"$work/off")"
printf '| GOPROF_DB, heap at 524288 (default), no CPU | %.3fx |\n' "$(median <"$work/on")"
echo
printf 'heap at the default rate against heap off, both with GOPROF_DB: %.3fx\n' \
	"$(median <"$work/onoff")"
