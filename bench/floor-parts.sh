#!/bin/bash
# floor-parts.sh - where goprof's cost on a whole program goes beyond its instructions, part
# by part (issue 18): a plain build with one idle thread more (what any background thread,
# goprof's writer too, does to a program that had one: glibc's malloc leaves its
# single-thread path), the build's own instructions (no database), then a database with CPU
# and heap profiling off, CPU at 100 Hz only, heap at the default rate only, and both (what
# bench/floor-bench.sh times). Not part of the test suite.
#
# Usage: bench/floor-parts.sh OUTDIR [ROUNDS]
#   OUTDIR: testsuite/real/build-and-compare.sh's, with plain and goprof builds of Lua.
#   ROUNDS: paired rounds (default 11) of Lua bench/cpu.lua LUA_SCALE (10).
#   Knobs: LUA_SCALE (10); IR_SCALE (1): the cpu.lua scale of the callgrind runs.
#
# Two measures:
#   - user+system CPU time of the whole process (all its threads: the writer's too), and
#     wall time, each configuration once a round, interleaved; the figure is the median of
#     the rounds' ratios to the plain run of the same round. CPU time sums are less moved by
#     other load on the machine than wall time, but not immune to it (caches, the CPU's
#     speed), so the load average is printed too;
#   - instructions per thread (valgrind --tool=callgrind --separate-threads=yes) of cpu.lua
#     IR_SCALE, split into the program's threads and goprof's writer thread, with the
#     numbers of CPU samples and of sampled allocations the database holds. Under valgrind a
#     program runs some 50 times slower, so its CPU timer fires 50 times as often a work
#     unit and the writer wakes 50 times as often: the per-sample and per-wake-up costs are
#     what to read there, not the totals.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:?usage: floor-parts.sh OUTDIR [ROUNDS]}" && pwd)
rounds=${2:-11}
lua_scale=${LUA_SCALE:-10}
ir_scale=${IR_SCALE:-1}
for f in plain goprof; do
	[ -x "$out/$f/lua" ] || { echo "floor-parts: no $out/$f/lua: build it first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

configs="plain thread nodb none cpu heap both"
label() {
	case $1 in
	plain) echo "plain" ;;
	thread) echo "plain, one idle thread more" ;;
	nodb) echo "goprof, no database" ;;
	none) echo "database, CPU and heap off" ;;
	cpu) echo "database, CPU 100 Hz" ;;
	heap) echo "database, heap 524288" ;;
	both) echo "database, CPU 100 Hz + heap 524288" ;;
	esac
}
# envs CONFIG: the environment of a configuration
envs() {
	case $1 in
	plain | nodb) echo "-u GOPROF_DB" ;;
	thread) echo "-u GOPROF_DB LD_PRELOAD=$work/idle-thread.so" ;;
	none) echo "GOPROF_DB=$work/db GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=0" ;;
	cpu) echo "GOPROF_DB=$work/db GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=0" ;;
	heap) echo "GOPROF_DB=$work/db GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=524288" ;;
	both) echo "GOPROF_DB=$work/db GOPROF_CPU_HZ=100 GOPROF_MEMPROFILE_RATE=524288" ;;
	esac
}
build() { case $1 in plain | thread) echo plain ;; *) echo goprof ;; esac; }

# a thread that only waits, started before main()
cat >"$work/idle-thread.c" <<'C'
#include <pthread.h>
#include <unistd.h>
static void *idle(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return NULL;
}
__attribute__((constructor)) static void start(void)
{
	pthread_t t;
	pthread_create(&t, NULL, idle, NULL);
}
C
gcc -O2 -shared -fPIC -o "$work/idle-thread.so" "$work/idle-thread.c" -lpthread

# run CONFIG SCALE [WRAPPER...]: one run of Lua cpu.lua SCALE, output in $work/run.out
run() {
	local c=$1 s=$2
	shift 2
	rm -f "$work"/db "$work"/db-wal "$work"/db-shm
	# shellcheck disable=SC2046
	(cd "$work" && env $(envs "$c") "$@" "$out/$(build "$c")/lua" "$here/cpu.lua" "$s" \
		>"$work/run.out" 2>"$work/run.err") </dev/null ||
		{ cat "$work/run.err" >&2; echo "floor-parts: $c failed" >&2; exit 1; }
}

. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- CPU time and wall

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
	echo "floor-parts: round $r/$rounds" >&2
	for c in $configs; do
		run "$c" "$lua_scale" /usr/bin/time -f "%e %U %S" -o "$work/time"
		awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$work/time" >>"$work/t.$c"
		if [ "$c" = plain ]; then
			cp "$work/run.out" "$work/plain.out"
		elif ! cmp -s "$work/run.out" "$work/plain.out"; then
			echo "floor-parts: $c: output differs from plain" >&2
			exit 1
		fi
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ratio CONFIG FIELD: the median of the rounds' ratios to plain (1 wall, 2 CPU)
ratio() {
	paste "$work/t.$1" "$work/t.plain" | awk -v k="$2" '{print $k / $(k + 2)}' | median |
		awk '{printf "%.3fx", $1}'
}

# ---------------------------------------------------------------- instructions per thread

# ir CONFIG: "program_Ir writer_Ir cpu_samples sampled_allocs" of one callgrind run
ir() {
	local c=$1 f total writer samples allocs
	rm -f "$work"/cg.out*
	run "$c" "$ir_scale" valgrind --tool=callgrind --separate-threads=yes \
		--callgrind-out-file="$work/cg.out"
	total=0
	writer=0
	for f in "$work"/cg.out*; do
		local n
		n=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
		total=$((total + n))
		# the writer is the thread that runs writer_main
		grep -q 'writer_main' "$f" && writer=$((writer + n))
		grep -q 'fn=.* idle$' "$f" && total=$((total - n))
	done
	samples=0
	allocs=0
	if [ -s "$work/db" ]; then
		samples=$(sqlite3 "$work/db" "SELECT coalesce(sum(count), 0) FROM samples WHERE profile = 1")
		allocs=$(sqlite3 "$work/db" "SELECT coalesce(sum(count), 0) FROM samples WHERE profile = 2")
	fi
	echo "$((total - writer)) $writer $samples $allocs"
}

echo "floor-parts: callgrind" >&2
for c in $configs; do
	ir "$c" >"$work/ir.$c"
done

echo "$(nproc) cores; load average $load_before before the rounds, $load_after after;" \
	"Lua 5.4 cpu.lua $lua_scale, medians of $rounds paired rounds (plain: $(cut -d' ' -f1 \
	"$work/t.plain" | median)s wall, $(cut -d' ' -f2 "$work/t.plain" | median)s CPU)."
echo
echo "| configuration | wall | user+sys CPU | Ir program threads (cpu.lua $ir_scale) | Ir writer thread | CPU samples | sampled allocations |"
echo "|---|---|---|---|---|---|---|"
read -r p0 _ <"$work/ir.plain"
for c in $configs; do
	read -r p w s a <"$work/ir.$c"
	awk -v l="$(label "$c")" -v wall="$(ratio "$c" 1)" -v cpu="$(ratio "$c" 2)" -v p="$p" \
		-v p0="$p0" -v w="$w" -v s="$s" -v a="$a" \
		'BEGIN { printf "| %s | %s | %s | %.1fM (%.4fx) | %.2fM | %d | %d |\n",
			 l, wall, cpu, p / 1e6, p / p0, w / 1e6, s, a }'
done
