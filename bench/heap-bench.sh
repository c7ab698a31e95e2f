#!/bin/sh
# Heap-profiling benchmark (issue 4): bench/heap-micro.c, N small malloc/free pairs from an
# instrumented function, run with libgoprof in several configurations; prints ns per pair
# (best of RUNS) and the ratio against the same build without GOPROF_DB as a Markdown table.
# GOPROF_DB starts goprof's writer thread, and glibc's malloc is slower in any process that
# ever had a second thread: the "one idle thread" row is that baseline, and the last column
# compares against it, i.e. the cost of the interposer and the sampling alone.
#
#	bench/heap-bench.sh [BUILDDIR]		(default: the current directory)
#	N=... RUNS=... bench/heap-bench.sh BUILDDIR
set -eu
build=${1:-.}
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
command -v valgrind >/dev/null 2>&1 || exit 0
cn=${CALLGRIND_N:-1000000}
count() { # ENV...: instructions per pair
	rm -f "$work"/db*
	env "$@" valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$work/micro" "$cn" 2>&1 >/dev/null |
		awk -v n="$cn" '/Collected :/ { printf "%.1f", $NF / n }'
}
c0=$(count GOPROF_CPU_HZ=0)
echo
echo "callgrind, $cn pairs: instructions per pair (whole process)"
echo
echo "| configuration | instructions per pair | ratio |"
echo "|---|---|---|"
echo "| no GOPROF_DB | $c0 | 1.000x |"
crow() { # LABEL ENV...
	label=$1
	shift
	c=$(count "$@")
	echo "| $label | $c | $(ratio "$c" "$c0")x |"
}
crow "GOPROF_DB, heap off" GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=0 GOPROF_CPU_HZ=0
crow "GOPROF_DB, heap at 524288 (default)" GOPROF_DB="$work/db" GOPROF_CPU_HZ=0
crow "GOPROF_DB, heap at 4096" GOPROF_DB="$work/db" GOPROF_MEMPROFILE_RATE=4096 GOPROF_CPU_HZ=0
