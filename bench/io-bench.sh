#!/bin/sh
# I/O-wrapper benchmark (issue 19), two workloads, each built plain and with goprof and run
# plain, with goprof and no database (the wrapper is a test and a jump), with a database
# (each call sets and clears the thread's state), and with GOPROF_BLOCK_IO=1 and a block
# rate of 1 (each call is also a block-profile event):
#  - bench/io-micro.c, the worst case: read() of 64 bytes from a file in the page cache,
#    over and over;
#  - bench/rr-micro.c, redis-like traffic: clients sending small requests over loopback
#    TCP to an epoll server thread, one at a time, each answered (five calls a request).
# Wall time and CPU time: ROUNDS paired rounds, each running every configuration once; a
# ratio is the median over rounds of the ratio to the plain run of the same round; the
# fastest run of each is given too (the machine's other load only ever slows a run down).
# GOPROF_DB starts goprof's writer thread, and in a process with a second live thread
# glibc's read() takes its cancellation checks and the kernel counts references to the
# file: "plain build, one idle thread" (a thread asleep through the loop) is that baseline
# for the configurations with a database. Then, for io-micro, the instructions callgrind
# counts in user space per read() (the loop and what it calls; the system call's own time
# in the kernel is not counted), which do not scatter on a shared machine. For io-micro
# also its "pairs" mode: batches of read() and of syscall(SYS_read) taking turns in one
# process, whose difference, minus the plain build's, is the wrapper's own cost, whatever
# the machine's load does to both. Prints Markdown tables.
#
#	bench/io-bench.sh [BUILDDIR]		(default: the current directory)
#	N=... RR_N=... ROUNDS=... CALLGRIND_N=... bench/io-bench.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")" && pwd)
n=${N:-300000}
rr_n=${RR_N:-100000}
rounds=${ROUNDS:-11}
cgn=${CALLGRIND_N:-100000}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "io-bench: build first ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
for m in io rr; do
	$cc -O2 -o "$work/$m-plain" "$src/$m-micro.c" -lpthread
	$cc -O2 -fplugin="$plugin" -o "$work/$m-goprof" "$src/$m-micro.c" -L"$rt" \
		-Wl,-rpath,"$rt" -lgoprof -lpthread
done
head -c 1048576 /dev/urandom >"$work/data"

db="GOPROF_DB=$work/db GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=0"
bio="GOPROF_BLOCK_IO=1 GOPROF_BLOCK_RATE=1"
# label|program|environment|extra argument; the first two rows are the references
cfgs="plain build|plain||
plain build, one idle thread|plain||thread
goprof, no GOPROF_DB|goprof|GOPROF_CPU_HZ=0|
goprof, GOPROF_DB (thread states)|goprof|$db|
goprof, GOPROF_DB, GOPROF_BLOCK_IO=1, block rate 1|goprof|$db $bio|"

# collect WORKLOAD CONFIGS PREFIX MORE FIELD...: ROUNDS rounds, each running every
# configuration of CONFIGS once (WORKLOAD-program data COUNT extra MORE); column k of a run's
# output goes to $work/PREFIX.FIELDk.ROW (ROW: the configuration's, from 0)
collect() {
	wl=$1 cf=$2 prefix=$3 more=$4
	shift 4
	r=0
	while [ $r -lt "$rounds" ]; do
		i=0
		echo "$cf" | while IFS='|' read -r label prog envs extra; do
			rm -f "$work"/db*
			# shellcheck disable=SC2086
			env $envs "$work/$wl-$prog" "$work/data" "$count" $extra $more >"$work/one"
			k=1
			for f in "$@"; do
				cut -d' ' -f$k "$work/one" >>"$work/$prefix.$f.$i"
				k=$((k + 1))
			done
			i=$((i + 1))
		done
		r=$((r + 1))
	done
}

. "$(dirname "$0")/lib.sh"

ratio() { # FILE REFFILE: median of the per-round ratios
	paste "$1" "$2" | awk '{ print $1 / $2 }' | median
}
fastest() {
	sort -g "$1" | head -1
}
# table WHAT FILE-PREFIX: one table of workload $m
table() {
	echo "$what, $count $unit: $1 per $per; median of $rounds paired rounds"
	echo
	echo "| configuration | ns per $per | vs plain build | vs plain, one idle thread |" \
		"fastest run, ns | fastest vs fastest plain, one idle thread |"
	echo "|---|---|---|---|---|---|"
	i=0
	echo "$cfgs" | while IFS='|' read -r label prog envs extra; do
		printf '| %s | %s | %.3fx | %.3fx | %s | %.3fx |\n' "$label" \
			"$(median <"$work/$m.$2.$i")" "$(ratio "$work/$m.$2.$i" "$work/$m.$2.0")" \
			"$(ratio "$work/$m.$2.$i" "$work/$m.$2.1")" "$(fastest "$work/$m.$2.$i")" \
			"$(echo "$(fastest "$work/$m.$2.$i") / $(fastest "$work/$m.$2.1")" | bc -l)"
		i=$((i + 1))
	done
}
# measure: the rounds and the two tables of workload $m ($count, $what, $unit, $per, $cpu)
measure() {
	collect "$m" "$cfgs" "$m" "" ns cpu
	table "wall time" ns
	echo
	table "$cpu" cpu
	echo
}
m=io count=$n what="read() of 64 bytes from a cached file" unit=calls per="read()"
cpu="the thread's CPU time (user and kernel)"
measure
# Paired batches in one process ("pairs" of bench/io-micro.c and bench/rr-micro.c): the
# interposed calls against syscall(), every configuration with a second thread (glibc's
# path then is the same in all); the wrapper's cost is the difference minus the plain
# build's, per round.
pcfgs="plain build|plain|
goprof, no GOPROF_DB|goprof|GOPROF_CPU_HZ=0
goprof, GOPROF_DB (thread states)|goprof|$db
goprof, GOPROF_DB, GOPROF_BLOCK_IO=1, block rate 1|goprof|$db $bio"
# pairs WORKLOAD PER: the table of WORKLOAD's pairs mode, $count calls or requests ($PER)
pairs() {
	collect "$1" "$pcfgs" "$1.p" "thread pairs" read sys diff
	echo "| configuration | CPU ns per $2, interposed | through syscall() | difference |" \
		"wrapper's cost per $2 (minus the plain build's, per round) |" \
		"of the plain build's CPU time per $2 |"
	echo "|---|---|---|---|---|---|"
	i=0
	echo "$pcfgs" | while IFS='|' read -r label prog envs; do
		cost=$(paste "$work/$1.p.diff.$i" "$work/$1.p.diff.0" | awk '{ print $1 - $2 }' |
			median)
		printf '| %s | %s | %s | %s | %+.1f | %+.2f %% |\n' "$label" \
			"$(median <"$work/$1.p.read.$i")" "$(median <"$work/$1.p.sys.$i")" \
			"$(median <"$work/$1.p.diff.$i")" "$cost" \
			"$(echo "100 * $cost / $(median <"$work/$1.p.read.0")" | bc -l)"
		i=$((i + 1))
	done
	echo
}
echo "read() against syscall(SYS_read) in one process, $n calls in batches of 200 taking"
echo "turns, each timed by the thread's CPU clock; medians of $rounds rounds"
echo
pairs io "read()"

m=rr count=$rr_n what="request/response pairs over loopback TCP, 4 clients, one epoll server"
unit=requests per=request cpu="the process's CPU time (all threads, user and kernel)"
measure
echo "The clients' write() and read() against syscall(SYS_write) and syscall(SYS_read), $rr_n"
echo "requests, each client's in batches of 50 taking turns, each timed by the client's CPU"
echo "clock (the server's calls are the same in both); medians of $rounds rounds"
echo
pairs rr request

command -v valgrind >/dev/null 2>&1 || exit 0
echo
echo "callgrind, $cgn calls: user-space instructions per read() (the loop and its callees)"
echo
echo "| configuration | instructions per read() | added to plain |" \
	"added to plain, one idle thread |"
echo "|---|---|---|---|"
echo "$cfgs" | while IFS='|' read -r label prog envs extra; do
	rm -f "$work"/db*
	# shellcheck disable=SC2086
	c=$(env $envs valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		--toggle-collect=reads "$work/io-$prog" "$work/data" "$cgn" $extra 2>&1 >/dev/null |
		awk '/Collected :/ { print $NF }')
	per=$(awk -v c="$c" -v n="$cgn" 'BEGIN { printf "%.1f", c / n }')
	[ -n "${ref0:-}" ] || ref0=$per
	[ -n "${ref1:-}" ] || [ "$extra" != thread ] || ref1=$per
	printf '| %s | %s | %+.1f | %+.1f |\n' "$label" "$per" "$(echo "$per - $ref0" | bc)" \
		"$(echo "$per - ${ref1:-$per}" | bc)"
done
