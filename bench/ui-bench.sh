#!/bin/sh
# Web UI benchmark (issue 17): a one-hour history of 16 busy threads (bench/gen-db: 3600
# one-second buckets, ROWS sample rows over STACKS stacks), served by goprof-export serve.
# Prints, as a Markdown table, how long the server takes to answer the timeline and a
# flame graph's data for windows of several widths (best of RUNS, curl's total time), and
# how long headless chromium takes until the page is usable (navigation start to the
# flame graph, top table and timeline drawn, the page's own "ready in" figure), each with
# its ratio to the budget (1 s for an answer, 2 s for the page). The server's CPU time per
# answer is given too, and the time the page's main thread was busy (DevTools'
# TaskDuration, of it ScriptDuration): on a loaded machine they are the figures that do
# not depend on what else runs.
#
#	bench/ui-bench.sh [BUILDDIR]		(default: the current directory)
#	ROWS=... STACKS=... RUNS=... bench/ui-bench.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
rows=${ROWS:-3600000}
stacks=${STACKS:-20000}
runs=${RUNS:-3}
gen=$build/bench/gen-db
export_bin=$build/tools/goprof-export
[ -x "$gen" ] && [ -x "$export_bin" ] || { echo "ui-bench: build first ($gen, $export_bin)" >&2; exit 1; }
for c in curl chromium node; do
	command -v $c >/dev/null || { echo "ui-bench: needs $c" >&2; exit 1; }
done

work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server; rm -rf "$work"' EXIT
db=$work/hour.db
"$gen" -s "$rows" -k "$stacks" -b 3600 -T 16 "$db"
"$export_bin" serve --http 127.0.0.1:0 "$db" 2>"$work/serve.err" &
server=$!
addr=
while [ -z "$addr" ]; do
	sleep 0.1
	addr=$(sed -n 's|.*on http://\([^/]*\)/.*|\1|p' "$work/serve.err")
done
echo "database: $rows sample rows over 3600 s, 16 threads, $stacks stacks," \
	"$(($(stat -c %s "$db") / 1048576)) MiB"
echo
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo
echo "| request | best time (s) | server CPU (s) | answer (KiB) | ratio to the 1 s budget |"
echo "|---|---|---|---|---|"
# the server's user + system CPU time so far, in clock ticks
ticks() {
	awk '{ print $14 + $15 }' "/proc/$server/stat"
}
hz=$(getconf CLK_TCK)
measure() { # LABEL PATH
	best= cpu=
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(ticks)
		t=$(curl -sS -o "$work/answer" -w '%{time_total}' "http://$addr$2")
		c=$(($(ticks) - t0))
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
		fi
		if [ -z "$cpu" ] || [ "$c" -lt "$cpu" ]; then
			cpu=$c
		fi
		i=$((i + 1))
	done
	echo "| $1 | $(awk -v t="$best" 'BEGIN { printf "%.3f", t }') |" \
		"$(awk -v c="$cpu" -v hz="$hz" 'BEGIN { printf "%.2f", c / hz }') |" \
		"$(($(stat -c %s "$work/answer") / 1024)) |" \
		"$(awk -v t="$best" 'BEGIN { printf "%.2f", t }') |"
}
measure "timeline (3600 points, 16 threads)" /ui/api/timeline
measure "flame graph data, whole hour" "/ui/api/profile?type=cpu"
measure "flame graph data, 10 minutes" "/ui/api/profile?type=cpu&from=%2B1200s&to=%2B1800s"
measure "flame graph data, 10 seconds" "/ui/api/profile?type=cpu&from=%2B3000s&to=%2B3010s"
measure "pprof download, 10 minutes" "/ui/api/profile?type=cpu&from=%2B1200s&to=%2B1800s&format=pprof"

echo
echo "| page (headless chromium) | best time to usable (s) | ratio to the 2 s budget | main thread busy, best run (ms) | the page's own split, best run |"
echo "|---|---|---|---|---|"
page() { # LABEL FRAGMENT
	best=
	i=0
	while [ $i -lt "$runs" ]; do
		printf 'load page http://%s/ui/#%s\nmetrics page\n' "$addr" "$2" |
			node "$src/testsuite/ui-driver.js" "$work" "$work" 2>"$work/driver.err" ||
			{ cat "$work/driver.err" >&2; exit 1; }
		ms=$(grep -o 'ready in [0-9]* ms' "$work/page.html" | tr -dc 0-9)
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then
			best=$ms
			split=$(grep -o 'ready in [0-9]* ms ([^)]*)' "$work/page.html" | sed 's/^[^(]*(//; s/)$//')
			busy=$(awk '{ print $2 " (script " $4 ")" }' "$work/page.metrics")
		fi
		i=$((i + 1))
	done
	echo "| $1 | $(awk -v m="$best" 'BEGIN { printf "%.2f", m / 1000 }') |" \
		"$(awk -v m="$best" 'BEGIN { printf "%.2f", m / 2000 }') | $busy | $split |"
}
page "whole hour" ""
page "10 minutes" "from=1200&to=1800"
