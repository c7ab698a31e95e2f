#!/bin/sh
# Lock-profiling benchmark (issue 5): bench/lock-micro.c built plain and with goprof, run
# uncontended (one thread, lock/unlock pairs) and contended (4 threads on one mutex) in
# several configurations. Wall time: ROUNDS paired rounds, each running every
# configuration once, interleaved; a ratio is the median over rounds of the ratio to the
# reference run of the same round. Then instructions counted by callgrind, which do not
# scatter on a shared machine (the uncontended loop on the other mutex kinds too): only those
# executed inside the loops (the lock wrappers and glibc's functions included; start-up,
# exit and goprof's writer thread left out). Prints Markdown tables.
#
# GOPROF_DB starts goprof's writer thread, and glibc's mutexes take their atomic paths in
# any process that ever had a second thread: "plain build, one idle thread" is that
# baseline for the configurations with a database (the last column).
#
#	bench/lock-bench.sh [BUILDDIR]		(default: the current directory)
#	N=... CN=... ROUNDS=... CALLGRIND_N=... bench/lock-bench.sh BUILDDIR
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")" && pwd)
n=${N:-20000000}		# uncontended pairs
cn=${CN:-500000}		# contended pairs per thread
rounds=${ROUNDS:-21}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "lock-bench: build first ($plugin)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rt=$(cd "$rt" && pwd)
$cc -O2 -o "$work/plain" "$src/lock-micro.c" -lpthread
$cc -O2 -fplugin="$plugin" -o "$work/goprof" "$src/lock-micro.c" -L"$rt" -Wl,-rpath,"$rt" \
	-lgoprof -lpthread

db="GOPROF_DB=$work/db GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=0"
on1="GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1"
on2="GOPROF_BLOCK_RATE=10000 GOPROF_MUTEX_FRACTION=100"
# label|program|environment|extra argument; the first two rows are the references
uncontended_cfgs="plain build|plain||
plain build, one idle thread|plain||thread
goprof, no GOPROF_DB|goprof|GOPROF_CPU_HZ=0|
goprof, GOPROF_DB, lock profiles off|goprof|$db|
goprof, GOPROF_DB, block rate 1 + mutex fraction 1|goprof|$db $on1|"
contended_cfgs="plain build|plain||
goprof, GOPROF_DB, lock profiles off|goprof|$db|
goprof, GOPROF_DB, block rate 10000 + mutex fraction 100|goprof|$db $on2|
goprof, GOPROF_DB, block rate 1 + mutex fraction 1|goprof|$db $on1|"

run() { # PROGRAM ENV MODE PAIRS EXTRA: ns per pair
	rm -f "$work"/db*
	# shellcheck disable=SC2086
	env $2 "$work/$1" "$3" "$4" $5 | cut -d' ' -f1
}

. "$(dirname "$0")/lib.sh"

ratio() { # FILE REFFILE: median of the per-round ratios
	paste "$1" "$2" | awk '{ print $1 / $2 }' | median | awk '{ printf "%.3f", $1 }'
}

# table MODE PAIRS CONFIGS: ratios to the first row and to the second
table() {
	r=0
	while [ $r -lt "$rounds" ]; do
		i=0
		echo "$3" | while IFS='|' read -r label prog envs extra; do
			run "$prog" "$envs" "$1" "$2" "$extra" >>"$work/$1.$i.ns"
			i=$((i + 1))
		done
		r=$((r + 1))
	done
	i=0
	echo "$3" | while IFS='|' read -r label prog envs extra; do
		echo "| $label | $(median <"$work/$1.$i.ns") | $(ratio "$work/$1.$i.ns" \
			"$work/$1.0.ns")x | $(ratio "$work/$1.$i.ns" "$work/$1.1.ns")x |"
		i=$((i + 1))
	done
}

echo "uncontended: $n lock/unlock pairs, one thread; median of $rounds paired rounds"
echo
echo "| configuration | ns per pair | vs plain build | vs plain, one idle thread |"
echo "|---|---|---|---|"
table uncontended "$n" "$uncontended_cfgs"
echo
echo "contended: 4 threads x $cn pairs on one mutex; median of $rounds paired rounds"
echo
echo "| configuration | ns per pair | vs plain build | vs lock profiles off |"
echo "|---|---|---|---|"
table contended "$cn" "$contended_cfgs"

command -v valgrind >/dev/null 2>&1 || exit 0
cgn=${CALLGRIND_N:-200000}
total() { # PROGRAM ENV MODE PAIRS EXTRA LOOP: instructions inside LOOP and its callees
	rm -f "$work"/db*
	# shellcheck disable=SC2086
	env $2 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		--toggle-collect="$6" "$work/$1" "$3" "$4" $5 2>&1 >/dev/null |
		awk '/Collected :/ { print $NF }'
}
ctable() { # MODE PAIRS TOTAL-PAIRS CONFIGS LOOP
	echo "$4" | while IFS='|' read -r label prog envs extra; do
		a=$(total "$prog" "$envs" "$1" "$2" "$extra" "$5")
		echo "$label|$(awk -v a="$a" -v n="$3" 'BEGIN { printf "%.1f", a / n }')"
	done >"$work/ct"
	ref0=$(sed -n 1p "$work/ct" | cut -d'|' -f2)
	ref1=$(sed -n 2p "$work/ct" | cut -d'|' -f2)
	while IFS='|' read -r label c; do
		echo "| $label | $c | $(awk -v a="$c" -v b="$ref0" 'BEGIN { printf "%.3f", a / b }')x |" \
			"$(awk -v a="$c" -v b="$ref1" 'BEGIN { printf "%.3f", a / b }')x |"
	done <"$work/ct"
}
echo
echo "callgrind, uncontended, $cgn pairs: instructions per pair inside the loop"
echo
echo "| configuration | instructions per pair | vs plain build | vs plain, one idle thread |"
echo "|---|---|---|---|"
ctable uncontended "$cgn" "$cgn" "$uncontended_cfgs" uncontended
for kind in recursive errorcheck adaptive; do
	echo
	echo "callgrind, uncontended, $kind mutex, $cgn pairs: instructions per pair"
	echo
	echo "| configuration | instructions per pair | vs plain build | vs plain, one idle thread |"
	echo "|---|---|---|---|"
	ctable $kind "$cgn" "$cgn" "$uncontended_cfgs" uncontended
done
cgc=$((cgn / 20))
echo
echo "callgrind, contended, 4 x $cgc pairs: instructions per pair inside the threads' loops"
echo "(valgrind runs one thread at a time: fewer waits than on real cores)"
echo
echo "| configuration | instructions per pair | vs plain build | vs lock profiles off |"
echo "|---|---|---|---|"
ctable contended "$cgc" $((cgc * 4)) "$contended_cfgs" contender
