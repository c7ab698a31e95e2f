#!/bin/sh
# Export benchmark (issue 3): a synthetic database of 1,000,000 sample rows over 50,000
# distinct stacks (bench/gen-db), exported in every format; prints wall time (best of
# RUNS) and peak RSS per format as a Markdown table.
#
#	bench/export-bench.sh [BUILDDIR]	(default: the current directory)
#	ROWS=... STACKS=... RUNS=... bench/export-bench.sh BUILDDIR
set -eu
build=${1:-.}
rows=${ROWS:-1000000}
stacks=${STACKS:-50000}
runs=${RUNS:-3}
gen=$build/bench/gen-db
export_bin=$build/tools/goprof-export
[ -x "$gen" ] && [ -x "$export_bin" ] || { echo "export-bench: build first ($gen, $export_bin)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "export-bench: needs GNU time (Debian: apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/bench.db
"$gen" -s "$rows" -k "$stacks" "$db"
echo "database: $rows sample rows, $stacks stacks," \
	"$(sqlite3 "$db" 'SELECT count(*) FROM stacks' 2>/dev/null || echo '?') stack rows," \
	"$(($(stat -c %s "$db") / 1024)) KiB"
echo
echo "| format | best wall time (s) | peak RSS (MiB) | output (KiB) |"
echo "|---|---|---|---|"
for f in pprof text folded; do
	best= rss=
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -v "$export_bin" -f $f -o "$work/out.$f" "$db" 2>"$work/time.txt"
		t=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/time.txt" |
			awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
		r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
		fi
		if [ -z "$rss" ] || [ "$r" -gt "$rss" ]; then
			rss=$r
		fi
		i=$((i + 1))
	done
	echo "| $f | $best | $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') |" \
		"$(($(stat -c %s "$work/out.$f") / 1024)) |"
done
