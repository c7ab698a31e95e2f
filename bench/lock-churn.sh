#!/bin/sh
# Lock churn benchmark (issue 14): testsuite/progs/lock-churn.c, short-lived threads that
# each wait for a mutex, on a condition variable and release a contended mutex (every wait
# contended), built plain and with goprof and run at each thread count of COUNTS with
# GOPROF_DB, GOPROF_BLOCK_RATE=1 and GOPROF_MUTEX_FRACTION=1. For each: the peak RSS of
# both and its growth over the plain build's, and from the database the block and mutex
# keys (profile, stack, tid) that were ever recorded, a bucket each in a runtime that keeps
# every thread's, and the (profile, stack) pairs, a bucket each of the ended threads' (tid
# 0) in one that folds them. RT=DIR runs the same binary against another build's runtime
# (its rt/.libs). Prints a Markdown table.
#
#	bench/lock-churn.sh [BUILDDIR]		(default: the current directory)
#	COUNTS="10000 50000 100000" RT=... bench/lock-churn.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
counts=${COUNTS:-10000 50000 100000}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "lock-churn: build first ($plugin)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "lock-churn: needs the sqlite3 shell" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
prog=$src/testsuite/progs/lock-churn.c
$cc -O2 -o "$work/plain" "$prog" -lpthread
$cc -O2 -fplugin="$plugin" -o "$work/goprof" "$prog" -L"$rt" -Wl,-rpath,"$rt" -lgoprof \
	-lpthread

# the peak RSS (KiB) a run printed at its end
hwm() {
	awk '$1 == "hwm" && $2 == "burst" { print $3 }' "$1"
}

rss="| threads | plain peak RSS MiB | goprof peak RSS MiB | growth MiB"
echo "$rss | keys (profile, stack, tid) | (profile, stack) |"
echo "|---|---|---|---|---|---|"
for n in $counts; do
	"$work/plain" "$n" >/dev/null 2>"$work/plain.err"
	rm -f "$work/db"
	GOPROF_DB=$work/db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 \
		LD_LIBRARY_PATH=${RT:-$rt} "$work/goprof" "$n" >/dev/null 2>"$work/goprof.err"
	p=$(hwm "$work/plain.err")
	g=$(hwm "$work/goprof.err")
	keys=$(sqlite3 "$work/db" "SELECT count(*) FROM (SELECT DISTINCT profile, stack_id, tid
		FROM samples WHERE profile IN (4, 5))")
	stacks=$(sqlite3 "$work/db" "SELECT count(*) FROM (SELECT DISTINCT profile, stack_id
		FROM samples WHERE profile IN (4, 5))")
	awk -v n="$n" -v p="$p" -v g="$g" -v k="$keys" -v s="$stacks" 'BEGIN {
		printf "| %d | %.1f | %.1f | %.1f | %d | %d |\n", n, p / 1024, g / 1024,
			(g - p) / 1024, k, s }'
done
