#!/bin/sh
# Execution-trace benchmark (issue 7): testsuite/progs/trace-busy.c (4 threads on one mutex,
# a byte through a pipe and back each round, a 50 us sleep every 1024 rounds) built plain
# and with goprof, run for a fixed number of rounds: plain, goprof with no trace, goprof
# while GOPROF_TRACE traces the whole run. Wall time: ROUNDS paired rounds, each running
# every configuration once; a ratio is the median over rounds of the ratio to the
# reference of the same round. Then instructions counted by callgrind inside the threads'
# loops (worker and what it calls), which do not scatter on a shared machine, for the
# 4-thread workload and for one thread alone (the I/O wrappers' cost with no trace).
# Last, the bytes the trace takes per event, in the buffers and in the Go file.
#
#	bench/trace-bench.sh [BUILDDIR]		(default: the current directory)
#	K=... ROUNDS=... CALLGRIND_K=... bench/trace-bench.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
k=${K:-200}			# thousands of rounds per thread
rounds=${ROUNDS:-9}
cgk=${CALLGRIND_K:-20}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "trace-bench: build first ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
prog=$src/testsuite/progs/trace-busy.c
$cc -O2 -o "$work/plain" "$prog" -lpthread
$cc -O2 -fplugin="$plugin" -DGP_INSTRUMENTED=1 -o "$work/goprof" "$prog" -L"$rt" \
	-Wl,-rpath,"$rt" -lgoprof -lpthread

# label|program|environment
cfgs="plain build|plain|
goprof, no trace|goprof|
goprof, GOPROF_TRACE on|goprof|GOPROF_TRACE=$work/t.trace"

run() { # PROGRAM ENV: wall seconds
	# shellcheck disable=SC2086
	env $2 sh -c 'a=$(date +%s.%N); "$0" "$1" rounds >/dev/null 2>&1; b=$(date +%s.%N)
		echo "$b - $a" | bc' "$work/$1" "$k"
}

. "$(dirname "$0")/lib.sh"

i=0
for r in $(seq 1 "$rounds"); do
	i=0
	echo "$cfgs" | while IFS='|' read -r label p e; do
		i=$((i + 1))
		run "$p" "$e" >>"$work/t$i"
	done
done
echo "wall time, 4 threads x ${k}k rounds, median of $rounds paired rounds"
echo
echo "| configuration | seconds | vs plain | vs goprof, no trace |"
echo "|---|---|---|---|"
i=0
echo "$cfgs" | while IFS='|' read -r label p e; do
	i=$((i + 1))
	s=$(median <"$work/t$i")
	vp=$(paste "$work/t$i" "$work/t1" | awk '{ print $1 / $2 }' | median)
	vn=$(paste "$work/t$i" "$work/t2" | awk '{ print $1 / $2 }' | median)
	printf '| %s | %.3f | %.3fx | %.3fx |\n' "$label" "$s" "$vp" "$vn"
done

cg() { # PROGRAM ENV THREADS: instructions inside worker()
	# shellcheck disable=SC2086
	env $2 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		--toggle-collect=worker "$work/$1" "$cgk" rounds "$3" >/dev/null 2>&1
	callgrind_annotate "$work/cg.out" 2>/dev/null |
		awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
echo
echo "callgrind: instructions per round inside the threads' loops (${cgk}k rounds per thread)"
echo
echo "| configuration | 4 threads | 1 thread |"
echo "|---|---|---|"
echo "$cfgs" | while IFS='|' read -r label p e; do
	a=$(cg "$p" "$e" 4)
	b=$(cg "$p" "$e" 1)
	printf '| %s | %.1f | %.1f |\n' "$label" "$(echo "$a / (4 * $cgk * 1000)" | bc -l)" \
		"$(echo "$b / ($cgk * 1000)" | bc -l)"
done

# bytes per event: a bounded run fills its buffers; the Go dump counts what was kept
env GOPROF_TRACE="$work/b.trace" GOPROF_TRACE_BUFFER=1048576 "$work/goprof" 2 >/dev/null 2>&1
tool=$(go env GOTOOLDIR 2>/dev/null)/trace
if [ -x "$tool" ]; then
	HOME=$work "$tool" -d "$work/b.trace" 2>/dev/null >"$work/b.dump"
	# one record each: GoBlock*/GoSleep, GoSysCall, GoUnblock (its GoStart pairs with it),
	# GoSysExit, GoCreate, GoEnd, User*
	ev=$(grep -cE ' (GoBlock[A-Za-z]*|GoSleep|GoSysCall|GoUnblock|GoSysExit|GoCreate|GoEnd|User[A-Za-z]*) ' \
		"$work/b.dump")
	# a thread starts its P again after each wait: count the threads, not the ProcStarts
	threads=$(sed -n 's/.* ProcStart .* thread=\([0-9]*\)$/\1/p' "$work/b.dump" | sort -u |
		wc -l)
	echo
	echo "bytes per event (GOPROF_TRACE_BUFFER=1 MiB, the buffers full): $ev events kept by" \
		"$threads threads"
	echo "in the buffers: $(echo "$threads * 1048576 / $ev" | bc) at most (a thread's buffer" \
		"over its events); in the Go file: $(echo "$(stat -c %s "$work/b.trace") / $ev" | bc)"
fi
