#!/bin/sh
# sampler-cost.sh - what goprof's samplers cost by themselves at the default rates, on a
# program of 16 threads (bench/sampler-micro.c: an instrumented recursion with a malloc and
# free in every step, 40 million a second on this machine, far above a usual program).
# Each round runs the program with GOPROF_DB in three settings (CPU at 100 Hz and heap
# sampling at 524288, the defaults; CPU only; heap only) and once without a database, and
# reads the CPU time of every thread:
#   - goprof's own threads (collector and writer): their CPU time over the workers' CPU
#     time, i.e. the share of a core per core the program keeps busy;
#   - signal delivery: the measured round trip of a signal to a handler that does nothing,
#     times the samples a CPU second (GOPROF_CPU_HZ), over a second;
#   - the heap countdown and the handler itself: steps a worker CPU second, against the run
#     without a database (noisy: a few percent between runs on a shared machine; the
#     instruction counts of bench/heap-bench.sh are the exact figure).
# Prints medians over ROUNDS as a markdown table. Not part of the test suite.
#
#	bench/sampler-cost.sh BUILDDIR [ROUNDS [SECONDS [THREADS]]]	(5 rounds of 10 s, 16 threads)
set -eu
build=${1:?usage: sampler-cost.sh BUILDDIR [ROUNDS [SECONDS [THREADS]]]}
rounds=${2:-5}
seconds=${3:-10}
threads=${4:-16}
src=$(cd "$(dirname "$0")" && pwd)
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "sampler-cost: build first ($plugin)" >&2; exit 1; }
rt=$(cd "$rt" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
${CC:-gcc} -O2 -fplugin="$plugin" -o "$work/micro" "$src/sampler-micro.c" -L"$rt" \
	-Wl,-rpath,"$rt" -lgoprof -lpthread

# run NAME ENV...: one run; appends "key value" lines to $work/NAME.<key>
run() {
	name=$1
	shift
	rm -f "$work"/db*
	env "$@" "$work/micro" "$threads" "$seconds" >"$work/out" ||
		{ echo "sampler-cost: the program failed ($*)" >&2; exit 1; }
	while read -r k v; do echo "$v" >>"$work/$name.$k"; done <"$work/out"
	# goprof's share of the workers' CPU, and steps a worker CPU second
	awk '/^workers_cpu_ns/ { w = $2 } /^other_cpu_ns/ { o = $2 } /^steps/ { s = $2 }
		END { print o / w, s / (w / 1e9) }' "$work/out" >"$work/pair"
	read -r share rate <"$work/pair"
	echo "$share" >>"$work/$name.share"
	echo "$rate" >>"$work/$name.rate"
}

. "$(dirname "$0")/lib.sh"

db="GOPROF_DB=$work/db"
for r in $(seq 1 "$rounds"); do
	echo "sampler-cost: round $r/$rounds" >&2
	run off -u GOPROF_DB
	run both "$db" GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=524288
	run cpu "$db" GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=0
	run heap "$db" GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=524288
done

sig_ns=$(median <"$work/off.signal_ns")
off_rate=$(median <"$work/off.rate")
echo "$threads threads, $seconds s a run, medians of $rounds rounds; $(nproc) cores;" \
	"load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "A signal's round trip to an empty handler: $sig_ns ns; at 100 samples a CPU second:" \
	"$(awk -v s="$sig_ns" 'BEGIN { printf "%.3f %%", s * 100 / 1e9 * 100 }') of a core."
echo "Malloc calls a worker CPU second without a database: $(awk -v r="$off_rate" \
	'BEGIN { printf "%.1f million", r / 1e6 }')."
echo
echo "| setting | goprof's threads, share of the workers' CPU | signal delivery | total | steps a CPU second vs no database |"
echo "|---|---|---|---|---|"
for s in both cpu heap; do
	case $s in
	both) label="CPU 100 Hz + heap 524288 (defaults)"; hz=100 ;;
	cpu) label="CPU 100 Hz only"; hz=100 ;;
	heap) label="heap 524288 only"; hz=0 ;;
	esac
	share=$(median <"$work/$s.share")
	rate=$(median <"$work/$s.rate")
	awk -v sh="$share" -v s="$sig_ns" -v hz="$hz" -v r="$rate" -v o="$off_rate" -v l="$label" \
		'BEGIN { sig = s * hz / 1e9;
			printf "| %s | %.3f %% | %.3f %% | %.3f %% | %.3f× |\n",
				l, sh * 100, sig * 100, (sh + sig) * 100, r / o }'
done
