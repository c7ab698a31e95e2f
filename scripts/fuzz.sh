#!/bin/sh
# Fuzzes goprof-export's two readers with libFuzzer (clang, ASan and UBSan): the database
# reader (testsuite/fuzz/fuzz-db.c) and the Go execution-trace reader (fuzz-trace.c), each for
# SECONDS (default 60), starting from the committed corpus in testsuite/fuzz/corpus-*/.
# Prints a table of runs and runs per second; an input that crashes, hangs (10 s) or
# allocates past 1 GiB is saved under BUILD/fuzz/crashes-TARGET/ and makes the script exit 1:
# copy it into the corpus and make a test of it.
#
#   GOPROF_BUILD_DIR=_build sh scripts/fuzz.sh [SECONDS]
#
# Needs a configured build directory (config.h, lib/profile.pb-c.c) and clang with
# libFuzzer (Debian: clang).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${GOPROF_BUILD_DIR:-$top/_build}
seconds=${1:-60}
command -v clang >/dev/null 2>&1 || { echo "fuzz.sh: clang is not installed" >&2; exit 77; }
[ -f "$build/config.h" ] && [ -f "$build/lib/profile.pb-c.c" ] ||
	{ echo "fuzz.sh: build goprof in $build first" >&2; exit 2; }
work=$build/fuzz
mkdir -p "$work"

flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE
	-I$build -I$build/lib -I$top/lib -I$top/tools -I$top/rt"
t=$top/tools
l=$top/lib
# shellcheck disable=SC2086
clang $flags -o "$work/fuzz-db" "$top/testsuite/fuzz/fuzz-db.c" $t/db.c $t/errors.c \
	$t/export-run.c $t/folded.c $t/legacy.c $t/pprof-export.c $t/text.c $t/text-heap.c \
	$t/text-threads.c $t/labels.c $t/ui.c $t/flame-svg.c "$build/tools/ui-assets.c" \
	$l/pprof.c $l/strtab.c "$build/lib/profile.pb-c.c" \
	-lsqlite3 -lprotobuf-c -lz -lm
# shellcheck disable=SC2086
clang $flags -o "$work/fuzz-trace" "$top/testsuite/fuzz/fuzz-trace.c" $t/gotrace-read.c \
	$l/gotrace.c $l/chrome.c $l/strtab.c -lm

status=0
printf '%-12s %8s %10s %8s %8s %8s\n' target seconds runs runs/s corpus crashes
for target in db trace; do
	corpus=$work/corpus-$target
	crashes=$work/crashes-$target
	mkdir -p "$corpus" "$crashes"
	cp "$top/testsuite/fuzz/corpus-$target"/* "$corpus/"
	# leaks are not findings here: the fuzzers look for crashes, hangs and huge allocations
	ASAN_OPTIONS=detect_leaks=0 "$work/fuzz-$target" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus" >"$work/$target.log" 2>&1 || status=1
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log" | tail -1)
	per=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log" | tail -1)
	found=$(find "$crashes" -type f | wc -l)
	[ "$found" = 0 ] || status=1
	printf '%-12s %8s %10s %8s %8s %8s\n' "fuzz-$target" "$seconds" "${runs:-?}" "${per:-?}" \
		"$(find "$corpus" -type f | wc -l)" "$found"
done
[ $status = 0 ] || echo "fuzz.sh: findings; see $work/*.log and $work/crashes-*/" >&2
exit $status
