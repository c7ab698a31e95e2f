#!/bin/sh
# Labels benchmark (issue 16): bench/labels-micro.c, N small "requests" in an instrumented
# function, each with no label (plain), one goprof_label_push/pop pair (kind), two nested
# pairs (nested), or one push of a value never pushed before (fresh: the first use of a
# string, which allocates a node); ns per request, best of RUNS, and the extra ns and ratio
# against plain in the same configuration. Without a database a push only checks its
# arguments; with one (CPU sampling off, so that only labels are measured) it is a hash
# lookup and a store.
#
#	bench/labels-bench.sh [BUILDDIR]	(default: the current directory)
#	N=... FRESH_N=... RUNS=... bench/labels-bench.sh ...
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")" && pwd)
n=${N:-20000000}
fresh_n=${FRESH_N:-500000}
runs=${RUNS:-3}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "labels-bench: build first ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
$cc -O2 -fplugin="$plugin" -I"$src/../rt" -o "$work/micro" "$src/labels-micro.c" -L"$rt" \
	-Wl,-rpath,"$rt" -lgoprof -lpthread

best() { # COUNT MODE ENV... : best ns per request of RUNS runs
	count=$1 mode=$2
	shift 2
	b=
	i=0
	while [ $i -lt "$runs" ]; do
		rm -f "$work"/db*
		t=$(env "$@" "$work/micro" "$count" "$mode")
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'; then
			b=$t
		fi
		i=$((i + 1))
	done
	echo "$b"
}

echo "$n requests ($fresh_n for fresh), ns per request, best of $runs runs"
echo
echo "| configuration | mode | ns per request | extra ns | vs plain |"
echo "|---|---|---|---|---|"
config() { # LABEL ENV...
	label=$1
	shift
	plain=$(best "$n" plain "$@")
	echo "| $label | plain | $plain | 0 | 1.000x |"
	for mode in kind nested fresh; do
		c=$n
		[ $mode = fresh ] && c=$fresh_n
		t=$(best "$c" $mode "$@")
		awk -v l="$label" -v m="$mode" -v t="$t" -v p="$plain" \
			'BEGIN { printf "| %s | %s | %s | %.1f | %.3fx |\n", l, m, t, t - p, t / p }'
	done
}
config "no GOPROF_DB" GOPROF_CPU_HZ=0
config "GOPROF_DB, CPU off" GOPROF_DB="$work/db" GOPROF_CPU_HZ=0
config "GOPROF_DB, CPU at 100 Hz" GOPROF_DB="$work/db"
