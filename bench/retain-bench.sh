#!/bin/sh
# retain-bench.sh - database growth over a simulated day of a 16-thread server
# (bench/server16.c) at goprof's default rates (CPU 100 Hz, heap 512 KiB), with and without
# retention. The server runs for SEED seconds for real; bench/retain-sim then repeats its
# seconds up to a day, running the writer's retention code (rt/retain.c) every 2 simulated
# seconds as the writer does every 2 real ones, and reports the pages in use. Prints a
# markdown table. Not part of the test suite.
#
# Usage: bench/retain-bench.sh [-c] BUILDDIR [SEED] [RETAIN...]
#        (default 60 s; 7d,1GB 24h,100MB)
# -c: changing stacks (retain-sim -c): each repeat of the SEED seconds runs new code, as
# an interpreter or a JIT does. RETAIN_SIM=PROGRAM runs another build of retain-sim (an
# older rt/retain.c, to compare); RETAIN_SEED=DB takes that seed instead of running the
# server (the same seed for both).
set -eu

changing=
[ "${1:-}" = -c ] && changing=-c && shift
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: retain-bench.sh [-c] BUILDDIR [SEED] [RETAIN...]}" && pwd)
seed=${2:-60}
shift $(($# < 2 ? $# : 2))
[ $# -gt 0 ] || set -- 7d,1GB 24h,100MB
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sim=${RETAIN_SIM:-$build/bench/retain-sim}
if [ -n "${RETAIN_SEED:-}" ]; then
	cp "$RETAIN_SEED" "$work/seed.db"
else
	gcc -O2 -fplugin="$build/plugin/.libs/goprof.so" -o "$work/server16" "$here/server16.c" \
		-L"$build/rt/.libs" -Wl,-rpath,"$build/rt/.libs" -lgoprof -lpthread
	GOPROF_DB=$work/seed.db "$work/server16" "$seed" >/dev/null
fi
sqlite3 "$work/seed.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null

sim() { # RETAIN OUT: "hours bytes" every 3 simulated hours
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$sim" -r "$1" $changing -d 86400 -p 2 -R 10800 "$work/seed.db" "$work/$2.db" |
		awk '{ print $1 / 3600, $2 }' >"$work/$2.txt"
	echo $(($(date +%s) - start)) >"$work/$2.time"
}
sim off none
i=0
for r in "$@"; do
	sim "$r" "r$i"
	i=$((i + 1))
done

rows=$(sqlite3 "$work/seed.db" "SELECT count(*) FROM samples")
echo "Seed: 16 threads, $seed s, $rows sample rows, $(($(stat -c %s "$work/seed.db") / 1024)) KiB${changing:+, new stacks every repeat}."
echo
printf "| simulated hours | no retention |"
for r in "$@"; do printf " %s | ratio |" "$r"; done
echo
printf "|---|---|"
for r in "$@"; do printf "%s" "---|---|"; done
echo
awk -v n=$# -v w="$work" 'BEGIN {
	while ((getline l < (w "/none.txt")) > 0) { split(l, f, " "); h[++k] = f[1]; none[k] = f[2] }
	for (j = 0; j < n; j++) { i = 0; while ((getline l < (w "/r" j ".txt")) > 0) { split(l, f, " "); v[j, ++i] = f[2] } }
	for (i = 1; i <= k; i++) {
		printf "| %d | %.1f MB |", h[i], none[i] / 1e6
		for (j = 0; j < n; j++) printf " %.1f MB | %.2f |", v[j, i] / 1e6, v[j, i] / none[i]
		printf "\n"
	}
}'
echo
printf "Simulation time (s): none %s" "$(cat "$work/none.time")"
i=0
for r in "$@"; do printf ", %s %s" "$r" "$(cat "$work/r$i.time")"; i=$((i + 1)); done
echo
