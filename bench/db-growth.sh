#!/bin/sh
# db-growth.sh - how fast the profile database grows: a 4-thread program (bench/threads4.c)
# with CPU sampling at 100 Hz runs for SECONDS, then the database (checkpointed) is measured
# and scaled to a minute. Prints a markdown table. Not part of the test suite.
#
# Usage: bench/db-growth.sh BUILDDIR [SECONDS]    (default 60)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: db-growth.sh BUILDDIR [SECONDS]}" && pwd)
secs=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -O2 -fplugin="$build/plugin/.libs/goprof.so" -o "$work/threads4" "$here/threads4.c" \
	-L"$build/rt/.libs" -Wl,-rpath,"$build/rt/.libs" -lgoprof -lpthread
GOPROF_DB=$work/prof.db GOPROF_CPU_HZ=100 "$work/threads4" "$secs" >/dev/null
sqlite3 "$work/prof.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
bytes=$(cat "$work"/prof.db* | wc -c)
samples=$(sqlite3 "$work/prof.db" "SELECT sum(count) FROM samples WHERE profile != 8")
rows=$(sqlite3 "$work/prof.db" "SELECT count(*) FROM samples WHERE profile != 8")
stacks=$(sqlite3 "$work/prof.db" "SELECT count(*) FROM stacks")
echo "| run | samples | sample rows | stack rows | database | growth per minute |"
echo "|---|---|---|---|---|---|"
awk -v s="$secs" -v b="$bytes" -v n="$samples" -v r="$rows" -v k="$stacks" 'BEGIN {
	printf "| 4 threads, 100 Hz, %d s | %d | %d | %d | %.0f KiB | %.2f MB/min |\n",
		s, n, r, k, b / 1024, b * 60 / s / 1e6 }'
