#!/bin/sh
# Thread churn benchmark (issue 14): testsuite/progs/thread-churn.c, N short-lived threads
# (100000 by default), half one after another and half in bursts of 1000, built plain and
# with goprof, run plain, with goprof and no database, and with GOPROF_DB (CPU profiling
# at 100 Hz, every thread its own timer and ring). For each configuration: the wall time,
# the peak RSS, the mean pthread_create call and its mean over the first and the last
# tenth of each half (a cost growing with the threads seen makes the last tenth slower),
# each the median of ROUNDS paired rounds, and the ratios to the plain build's medians.
# Prints Markdown tables.
#
#	bench/thread-churn.sh [BUILDDIR]		(default: the current directory)
#	N=... ROUNDS=... bench/thread-churn.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-100000}
rounds=${ROUNDS:-3}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "thread-churn: build first ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
prog=$src/testsuite/progs/thread-churn.c
$cc -O2 -o "$work/plain" "$prog" -lpthread
$cc -O2 -fplugin="$plugin" -o "$work/goprof" "$prog" -L"$rt" -Wl,-rpath,"$rt" -lgoprof \
	-lpthread

# label|program|environment
cfgs="plain build|plain|
goprof, no GOPROF_DB|goprof|
goprof, GOPROF_DB (CPU 100 Hz)|goprof|GOPROF_DB=$work/db"

. "$(dirname "$0")/lib.sh"

# one run: "wall_s hwm_kib serial_mean serial_first serial_last burst_mean burst_first
# burst_last" (create times in us)
run() { # PROGRAM ENV
	rm -f "$work"/db*
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	env $2 "$work/$1" "$n" >/dev/null 2>"$work/err"
	t1=$(date +%s.%N)
	awk -v w="$(echo "$t1 - $t0" | bc)" '
		$1 == "hwm" && $2 == "burst" { h = $3 }
		$1 == "create" { c[$2] = sprintf("%.1f %.1f %.1f", $3 / 1000, $5 / 1000, $6 / 1000) }
		END { print w, h, c["serial"], c["burst"] }' "$work/err"
}

i=0
while [ "$i" -lt "$rounds" ]; do
	echo "$cfgs" | while IFS='|' read -r label p envs; do
		run "$p" "$envs" >>"$work/res-$p-$(echo "$envs" | cut -c1-9 | tr -c 'A-Za-z0-9\n' _)"
	done
	i=$((i + 1))
	echo "thread-churn: round $i of $rounds done" >&2
done

col() { # FILE COLUMN: median
	awk -v c="$2" '{ print $c }' "$1" | median
}
file_of() { echo "$work/res-$1-$(echo "$2" | cut -c1-9 | tr -c 'A-Za-z0-9\n' _)"; }

ref=$(file_of plain "")
echo "Thread churn, $n threads ($((n / 2)) one after another, $((n - n / 2)) in bursts of 1000);" \
	"median of $rounds rounds"
echo
echo "| configuration | wall s | vs plain | peak RSS MiB | vs plain |"
echo "|---|---|---|---|---|"
echo "$cfgs" | while IFS='|' read -r label p envs; do
	f=$(file_of "$p" "$envs")
	w=$(col "$f" 1) h=$(col "$f" 2)
	printf '| %s | %.2f | %.2fx | %.1f | %.2fx |\n' "$label" "$w" \
		"$(echo "$w / $(col "$ref" 1)" | bc -l)" "$(echo "$h / 1024" | bc -l)" \
		"$(echo "$h / $(col "$ref" 2)" | bc -l)"
done
echo
echo "pthread_create, us per call: mean, and mean over the first and the last tenth of the calls"
echo
echo "| configuration | one after another | first tenth | last tenth | in bursts |" \
	"first tenth | last tenth |"
echo "|---|---|---|---|---|---|---|"
echo "$cfgs" | while IFS='|' read -r label p envs; do
	f=$(file_of "$p" "$envs")
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(col "$f" 3)" "$(col "$f" 4)" \
		"$(col "$f" 5)" "$(col "$f" 6)" "$(col "$f" 7)" "$(col "$f" 8)"
done
