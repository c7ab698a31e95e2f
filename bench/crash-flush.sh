#!/bin/sh
# Crash flush benchmark (issue 14, item 11): testsuite/progs/crash-flush.c, a program
# whose threads allocate (every allocation sampled), wait on a contended mutex, create
# threads and fork in a loop, killed by SIGABRT and SIGSEGV (in turn) sent to its busiest
# thread just after it kept 8448 bytes. Built plain and with goprof from each BUILDDIR,
# run RUNS times each, in turn, with GOPROF_DB. For each build: how long the process took
# to die after the signal (median, 90th percentile, maximum, in ms, and the medians' ratio
# to the plain build's), how many runs took more than the 500 ms the handler waits at most
# (the flush given up), and in how many databases go tool pprof finds the kept bytes.
# Prints a Markdown table.
#
#	bench/crash-flush.sh BUILDDIR...		(RUNS=40 by default)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-40}
cc=${CC:-gcc}
[ $# -ge 1 ] || { echo "usage: bench/crash-flush.sh BUILDDIR..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prog=$src/testsuite/progs/crash-flush.c
$cc -O2 -o "$work/p0" "$prog" -lpthread
names="plain build"
k=0
for b in "$@"; do
	k=$((k + 1))
	rt=$(cd "$b/rt/.libs" && pwd)
	$cc -O2 -fplugin="$b/plugin/.libs/goprof.so" -o "$work/p$k" "$prog" -L"$rt" \
		-Wl,-rpath,"$rt" -lgoprof -lpthread
	names="$names|$b"
done
export_tool=$1/tools/goprof-export
[ -x "$export_tool" ] || export_tool=$(find "$1" -name goprof-export -type f -perm -u+x | head -1)

# one run: "ms kept_found" (kept_found: 1, 0, or - for the plain build)
run() { # K RUN
	how=abort sig=6
	[ $(($2 % 2)) = 1 ] && how=segv sig=11
	db=$work/db-$1-$2
	rc=0
	(ulimit -c 0; GOPROF_DB=$db GOPROF_MEMPROFILE_RATE=1 GOPROF_MUTEX_FRACTION=1 \
		GOPROF_BLOCK_RATE=1 exec timeout -s KILL 20 "$work/p$1" "$how" $((40 + $2 * 37 % 260))) \
		>"$work/out" 2>/dev/null || rc=$?
	died=$(date +%s%N)
	[ "$rc" = $((128 + sig)) ] || { echo "crash-flush: exit status $rc, want $((128 + sig))" >&2; exit 1; }
	sent=$(awk '$1 == "sent" { print $2 }' "$work/out")
	kept=$(awk '$1 == "kept" { print $2 }' "$work/out")
	found=-
	if [ "$1" != 0 ]; then
		found=0
		if "$export_tool" -t heap -o "$work/h.pb.gz" "$db" 2>/dev/null; then
			got=$(go tool pprof -top -sample_index=inuse_space -unit=B -nodecount=100000 \
				-nodefraction=0 "$work/h.pb.gz" 2>/dev/null |
				awk '$NF == "kept_blocks" { f = $1; sub(/B$/, "", f); print f }')
			[ "$got" = "$kept" ] && found=1
		fi
	fi
	rm -f "$db" "$db"-*
	echo "$(((died - sent) / 1000000)) $found"
}

i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	k=0
	while [ "$k" -le $# ]; do
		# the shell's own "Aborted" and "Segmentation fault" lines: not the table's
		run "$k" "$i" >>"$work/res-$k" 2>"$work/shell-err" ||
			{ cat "$work/shell-err" >&2; exit 1; }
		k=$((k + 1))
	done
done

pct() { # FILE P: the P-th percentile of the first column
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int((NR - 1) * p / 100) + 1; print v[i] }'
}
base=$(pct "$work/res-0" 50)
echo "| build | runs | median ms | vs plain | p90 ms | max ms | over 500 ms | kept bytes written |"
echo "|---|---|---|---|---|---|---|---|"
k=0
echo "$names" | tr '|' '\n' | while read -r name; do
	f=$work/res-$k
	med=$(pct "$f" 50)
	ratio=$(awk -v m="$med" -v b="$base" 'BEGIN { printf "%.2fx", b ? m / b : 0 }')
	over=$(awk '$1 > 500 { n++ } END { print n + 0 }' "$f")
	found=$(awk '$2 == 1 { n++ } $2 != "-" { t++ } END { print t ? n + 0 "/" t : "-" }' "$f")
	echo "| $name | $runs | $med | $ratio | $(pct "$f" 90) | $(pct "$f" 100) | $over | $found |"
	k=$((k + 1))
done
