#!/bin/sh
# lines-bench.sh - what lines in every frame cost (issue 15). Not part of the test suite.
#
# Usage: bench/lines-bench.sh BUILDDIR [BASE_BUILDDIR]
#
#   1. The hot path, in instructions (callgrind) per non-leaf call of bench/calls.c over
#      the plain build, for the two ways of knowing each caller's line: the return-address
#      way goprof uses (the hot path is unchanged: the sample finds the return addresses on
#      the machine stack), and one store of a call-site record into the caller's slot before
#      each call, which calls.c -DCALL_SITE_STORE emulates with the plugin's own push.
#   2. The exporter's symbolisation: goprof-export -f pprof of a CPU profile of
#      testsuite/progs/lines-calls.c with its addresses, against the same database with
#      every stacks.address set to 0 (function level, as before); the difference, per
#      sample and per distinct address, median of 5 runs.
#   3. The signal handler's search of the machine stack: instructions of
#      gp_stack_scan_returns per CPU sample (callgrind, lines-calls.c at 100 Hz).
#   4. Database growth per minute (bench/db-growth.sh, 20 s) with BUILDDIR and, when given,
#      with BASE_BUILDDIR (a build from before addresses were recorded).
#   5. The goroutine snapshot's reading of a waiting thread's callers, per thread, for a
#      lock wait and for an I/O wait (bench/io-wait-snap.c: the system calls it makes).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: lines-bench.sh BUILDDIR [BASE_BUILDDIR]}" && pwd)
base=${2:+$(cd "$2" && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plugin="-fplugin=$build/plugin/.libs/goprof.so"
libs="-L$build/rt/.libs -Wl,-rpath,$build/rt/.libs -lgoprof -lpthread"

ir() {
	valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$@" >/dev/null 2>"$work/cg.log" \
		</dev/null || { cat "$work/cg.log" >&2; exit 1; }
	awk '/^(summary|totals):/ {print $2; exit}' "$work/cg"
}
# per_call BINARY: Ir of a million more non-leaf calls, per call
per_call() {
	echo $((($(ir "$1" nonleaf 2000000) - $(ir "$1" nonleaf 1000000)) / 1000000))
}

# shellcheck disable=SC2086
{
	gcc -O2 -fno-optimize-sibling-calls -o "$work/plain" "$here/calls.c"
	gcc -O2 -fno-optimize-sibling-calls $plugin -o "$work/ra" "$here/calls.c" $libs
	gcc -O2 -fno-optimize-sibling-calls $plugin -DCALL_SITE_STORE -o "$work/cs" "$here/calls.c" $libs
}
p=$(per_call "$work/plain")
r=$(per_call "$work/ra")
c=$(per_call "$work/cs")
echo "| way to a caller's line | Ir per non-leaf call (with its leaf) | extra over plain | extra over goprof without lines |"
echo "|---|---|---|---|"
echo "| plain -O2 | $p | — | — |"
echo "| return addresses from the machine stack (goprof) | $r | +$((r - p)) | +0 |"
echo "| one call-site store before each call (emulated) | $c | +$((c - p)) | +$((c - r)) |"
echo

# shellcheck disable=SC2086
gcc -O2 -g $plugin -I"$here/../rt" -o "$work/lines" "$here/../testsuite/progs/lines-calls.c" $libs
GOPROF_DB=$work/l.db GOPROF_CPU_HZ=250 "$work/lines" 100 >/dev/null
cp "$work/l.db" "$work/f.db"
sqlite3 "$work/f.db" "UPDATE stacks SET address = 0"
samples=$(sqlite3 "$work/l.db" "SELECT sum(count) FROM samples WHERE profile = 1")
addrs=$(sqlite3 "$work/l.db" "SELECT count(DISTINCT address) FROM stacks WHERE address != 0")
. "$(dirname "$0")/lib.sh"
export_ms() {
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$build/tools/goprof-export" -t cpu -o "$work/out.pb.gz" "$1"
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | median
}
with=$(export_ms "$work/l.db")
without=$(export_ms "$work/f.db")
echo "| export of one CPU profile ($samples samples, $addrs distinct addresses) | µs |"
echo "|---|---|"
echo "| function level (stacks.address = 0) | $without |"
echo "| with lines and inlined frames (libdw) | $with |"
awk -v a="$with" -v b="$without" -v s="$samples" -v n="$addrs" 'BEGIN {
	printf "| symbolisation per sample; per distinct address | %.1f; %.1f |\n", (a - b) / s, (a - b) / n }'
echo

GOPROF_DB=$work/v.db GOPROF_CPU_HZ=100 valgrind --tool=callgrind \
	--callgrind-out-file="$work/cg.scan" "$work/lines" 3 >/dev/null 2>"$work/cg.log"
scan=$(callgrind_annotate --auto=no --threshold=100 "$work/cg.scan" |
	awk '/:gp_stack_scan_returns / { gsub(",", "", $1); print $1; exit }')
vs=$(sqlite3 "$work/v.db" "SELECT sum(count) FROM samples WHERE profile = 1")
echo "| signal handler: machine-stack search | Ir per sample |"
echo "|---|---|"
awk -v a="$scan" -v n="$vs" 'BEGIN { printf "| gp_stack_scan_returns, %d samples under callgrind | %.0f |\n", n, a / n }'
echo

gcc -O2 -I"$build" -I"$here/../lib" -o "$work/io-wait-snap" "$here/io-wait-snap.c" \
	"$here/../lib/util.c" -lpthread
"$work/io-wait-snap" 8 2000
echo

for b in "$build" ${base:+"$base"}; do
	echo "db-growth with $(basename "$(dirname "$b")")/$(basename "$b"):"
	sh "$here/db-growth.sh" "$b" 20
done
