#!/bin/sh
# HTTP benchmark (issue 6), bench/http-micro.c built with goprof:
#  1. latency of /debug/pprof/heap (pprof and ?debug=1) and goroutine, served by the
#     program itself with 10000 distinct live allocation stacks (GOPROF_MEMPROFILE_RATE=1):
#     median and worst of REQS requests each, measured by curl;
#  2. the program's throughput while 4 clients scrape /debug/pprof/heap every second,
#     against the same program with the server up but not scraped: ROUNDS paired rounds of a
#     fixed amount of work, the ratio is the median of the per-round ratios; in wall time
#     and in the CPU time the whole process used (the server's threads included), which the
#     clients, running on the same machine, do not disturb as much.
# Prints Markdown tables.
#
#	bench/http-bench.sh [BUILDDIR]		(default: the current directory)
#	REQS=... ROUNDS=... WORK=... PIN=0|1 bench/http-bench.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")" && pwd)
reqs=${REQS:-20}
rounds=${ROUNDS:-7}
work_n=${WORK:-2000000}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -f "$rt/goprof-module.so" ] ||
	{ echo "http-bench: build first, with the HTTP server ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
$cc -O2 -fplugin="$plugin" -o "$work/prog" "$src/http-micro.c" -L"$rt" -Wl,-rpath,"$rt" -lgoprof

address() { # ERRFILE
	for _ in $(seq 100); do
		a=$(sed -n 's|.*serving .* on http://\([^/]*\)/debug/pprof/.*|\1|p' "$1" | head -1)
		[ -n "$a" ] && { echo "$a"; return; }
		sleep 0.1
	done
	echo "http-bench: no server address" >&2
	exit 1
}

. "$(dirname "$0")/lib.sh"

# 1. latency
TMPDIR=$work GOPROF_HTTP=127.0.0.1:0 GOPROF_MEMPROFILE_RATE=1 GOPROF_CPU_HZ=0 \
	"$work/prog" stacks "$work/stop" 2>"$work/stacks.err" &
pids="$pids $!"
addr=$(address "$work/stacks.err")
sleep 1
stacks=$(curl -sS "http://$addr/debug/pprof/heap?debug=1" | grep -c ' @ 0x')
echo "Latency, $stacks live allocation stacks, $reqs requests each (curl time_total):"
echo
echo "| request | median ms | worst ms | bytes |"
echo "|---|---|---|---|"
for path in "heap" "heap?debug=1" "allocs" "goroutine" "goroutine?debug=2"; do
	: >"$work/times"
	for _ in $(seq "$reqs"); do
		curl -sS -o "$work/body" -w '%{time_total}\n' "http://$addr/debug/pprof/$path" \
			>>"$work/times"
	done
	med=$(median <"$work/times")
	worst=$(sort -g "$work/times" | tail -1)
	printf '| /debug/pprof/%s | %.1f | %.1f | %s |\n' "$path" \
		"$(awk -v v="$med" 'BEGIN { print v * 1000 }')" \
		"$(awk -v v="$worst" 'BEGIN { print v * 1000 }')" "$(wc -c <"$work/body")"
done
touch "$work/stop"
wait
pids=

# 2. throughput while scraped
# The clients run at the lowest priority: a scraper normally runs on another machine, and
# here the four curl processes would otherwise take CPU from the program they measure.
# By default (PIN=0 turns it off; taskset needed) the program's worker thread keeps CPU 0
# and the clients CPU 1; goprof's server and writer threads may run on either.
pin= client_cpu=
if [ "${PIN:-1}" = 1 ] && command -v taskset >/dev/null; then
	pin=HTTP_MICRO_PIN=1
	client_cpu="taskset -c 1"
fi
scrape() { # ADDR: 4 clients, each fetching heap once a second, until killed
	for _ in 1 2 3 4; do
		( while :; do
			$client_cpu nice -n 19 curl -sS -o /dev/null "http://$1/debug/pprof/heap" \
				2>/dev/null
			sleep 1
		  done ) &
		pids="$pids $!"
	done
}
one() { # SCRAPED(0/1): "wall cpu" seconds of the fixed work
	rm -f "$work"/goprof-http-*
	TMPDIR=$work GOPROF_HTTP=127.0.0.1:0 GOPROF_CPU_HZ=0 env $pin \
		"$work/prog" work "$work_n" >"$work/out" 2>"$work/err" &
	p=$!
	if [ "$1" = 1 ]; then
		a=$(address "$work/err")
		saved=$pids
		scrape "$a"
	fi
	wait $p
	if [ "$1" = 1 ]; then
		for c in $pids; do
			case " $saved " in *" $c "*) ;; *) kill "$c" 2>/dev/null || : ;; esac
		done
		pids=$saved
	fi
	cut -d' ' -f1,2 "$work/out"
}
: >"$work/quiet"
: >"$work/scraped"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 0 ]; then
		q=$(one 0); s=$(one 1)
	else
		s=$(one 1); q=$(one 0)
	fi
	echo "$q" >>"$work/quiet"
	echo "$s" >>"$work/scraped"
done
col() { cut -d' ' -f"$1" "$2"; }
ratios() { # COLUMN
	paste -d' ' "$work/scraped" "$work/quiet" |
		awk -v c="$1" '{ print $c / $(c + 2) }' | median
}
echo
echo "Throughput, $work_n rounds of work, $rounds paired rounds (order alternating):"
echo
echo "| configuration | median wall s | vs not scraped | median CPU s | vs not scraped |"
echo "|---|---|---|---|---|"
printf '| server up, not scraped | %.3f | 1.000x | %.3f | 1.000x |\n' \
	"$(col 1 "$work/quiet" | median)" "$(col 2 "$work/quiet" | median)"
printf '| 4 clients scraping heap every second | %.3f | %.3fx | %.3f | %.3fx |\n' \
	"$(col 1 "$work/scraped" | median)" "$(ratios 1)" "$(col 2 "$work/scraped" | median)" \
	"$(ratios 2)"
