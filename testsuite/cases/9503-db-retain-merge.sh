#!/bin/sh
# Retention on a real program's database, driven by a simulated clock (bench/retain-sim runs
# the writer's rt/retain.c): merging per-second buckets per minute, then per hour, keeps
# every profile's totals (counts and values), go tool pprof's view, a --from/--to window
# (widened to whole merged rows) and the bytes in use; deleting past the age leaves no CPU
# sample, the newest snapshot, and the exact bytes still in use. GOPROF_DB_RETAIN's bad
# values get one line and the default.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_sqlite3
gp_need_go
sim=$GP_BUILDDIR/bench/retain-sim
[ -x "$sim" ] || gp_die "bench/retain-sim is not built"

cat >prog.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "burn.h"
volatile unsigned long sink;
__attribute__((noinline)) static void burn(int ms, unsigned long salt)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sink += spin(100000 + salt);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}
static void *kept[300];
__attribute__((noinline)) static void *keep_site(size_t n)
{
	void *p = malloc(n);
	memset(p, 1, n);
	return p;
}
__attribute__((noinline)) static void drop_site(size_t n)
{
	char *p = malloc(n);
	memset(p, 2, n);
	sink += (unsigned char)p[n / 2];
	free(p);
}
__attribute__((noinline)) static void *worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < 30; i++) {
		burn(100, (unsigned long)id);
		kept[id * 30 + i] = keep_site(1000);
		drop_site(5000);
	}
	return NULL;
}
int main(void)
{
	pthread_t t[10];
	for (long i = 0; i < 10; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 10; i++)
		pthread_join(t[i], NULL);
	printf("done\n");
	return 0;
}
C
# shellcheck disable=SC2086
gp_build_c prog prog.c
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 GOPROF_DB_RETAIN=1y gp_run run ./prog
[ "$GP_RC" = 0 ] && [ "$(cat run.out)" = done ] || gp_fail "the program failed: $(cat run.err)"
[ "$(grep -c goprof: run.err)" = 1 ] &&
	grep -q 'GOPROF_DB_RETAIN=1y is not an age.*using 7d,1GB' run.err ||
	gp_fail "GOPROF_DB_RETAIN=1y: want one line naming the default: $(cat run.err)"
sqlite3 prof.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
[ "$(gp_q prof.db 'SELECT count(DISTINCT bucket) FROM samples WHERE profile = 1')" -ge 3 ] ||
	gp_fail "the run spans fewer than 3 buckets"

totals() { gp_q "$1" 'SELECT profile, sum(count), sum(value) FROM samples GROUP BY 1'; }
rows() { gp_q "$1" 'SELECT count(*) FROM samples'; }
inuse() { # DB OUT
	gp_export "$1" "$2.pb.gz" -t heap
	gp_heap_top "$2.pb.gz" inuse_space >"$2.txt"
}
inuse prof.db heap0
[ "$(gp_flat heap0.txt keep_site)" = 300000 ] && [ "$(gp_flat heap0.txt drop_site)" = 0 ] ||
	{ cat heap0.txt >&2; gp_fail "the program's own heap is not as it made it"; }
gp_export prof.db cpu0.pb.gz
gp_top cpu0.pb.gz >top0.txt

# an hour on: the first minute is one row per stack and thread, nothing is lost
cp prof.db minute.db
"$sim" -n 3660 minute.db || gp_fail "retain-sim failed"
[ "$(gp_q minute.db 'SELECT * FROM merged_buckets')" = "0|60|60" ] ||
	gp_fail "merged_buckets: $(gp_q minute.db 'SELECT * FROM merged_buckets')"
[ "$(gp_q minute.db 'SELECT count(*) FROM samples WHERE bucket != 0')" = 0 ] ||
	gp_fail "rows left outside bucket 0 after the merge"
[ "$(totals minute.db)" = "$(totals prof.db)" ] ||
	gp_fail "totals changed by the merge: $(totals prof.db) -> $(totals minute.db)"
[ "$(rows minute.db)" -lt "$(rows prof.db)" ] || gp_fail "the merge made no fewer rows"
[ "$(gp_q minute.db 'SELECT count(*) FROM snapshots')" = 1 ] ||
	gp_fail "snapshots of the merged minute not thinned to one"
[ "$(sqlite3 minute.db 'PRAGMA integrity_check')" = ok ] || gp_fail "merged database damaged"
gp_export minute.db cpu1.pb.gz
gp_top cpu1.pb.gz >top1.txt
for f in worker burn; do
	[ "$(gp_cum_ms top1.txt $f)" = "$(gp_cum_ms top0.txt $f)" ] ||
		gp_fail "$f: $(gp_cum_ms top0.txt $f) ms before the merge, $(gp_cum_ms top1.txt $f) after"
done
inuse minute.db heap1
cmp -s heap0.txt heap1.txt || { diff heap0.txt heap1.txt >&2; gp_fail "heap changed by the merge"; }
# a window inside the merged minute gets the whole minute's row
gp_export minute.db win.pb.gz --from +1s --to +2s
gp_top win.pb.gz >topw.txt
[ "$(gp_cum_ms topw.txt worker)" = "$(gp_cum_ms top0.txt worker)" ] ||
	gp_fail "--from +1s --to +2s on merged data: $(gp_cum_ms topw.txt worker) ms of worker"

# a day on: per hour, the same totals
"$sim" -n 90000 minute.db || gp_fail "retain-sim failed"
[ "$(gp_q minute.db 'SELECT * FROM merged_buckets ORDER BY 1')" = "0|3600|3600
3600|86400|60" ] || gp_fail "merged_buckets: $(gp_q minute.db 'SELECT * FROM merged_buckets')"
[ "$(totals minute.db)" = "$(totals prof.db)" ] || gp_fail "totals changed by the hour merge"

# past the age (1h): the CPU samples go, the bytes in use stay
cp prof.db aged.db
"$sim" -r 1h -n 7300 aged.db || gp_fail "retain-sim failed"
[ "$(gp_q aged.db 'SELECT count(*) FROM samples WHERE profile NOT IN (2, 3)')" = 0 ] ||
	gp_fail "samples older than the age are left"
[ "$(gp_q aged.db 'SELECT count(*) FROM samples WHERE profile = 3')" = 0 ] ||
	gp_fail "frees rows are left: the net should be in the allocs rows"
[ "$(gp_q aged.db 'SELECT count(*) FROM snapshots')" = 1 ] &&
	[ "$(gp_q aged.db 'SELECT max(id) FROM snapshots')" = "$(gp_q prof.db 'SELECT max(id) FROM snapshots')" ] ||
	gp_fail "want only the newest snapshot"
inuse aged.db heap2
[ "$(gp_flat heap2.txt keep_site)" = 300000 ] && [ "$(gp_flat heap2.txt drop_site)" = 0 ] ||
	{ cat heap2.txt >&2; gp_fail "bytes in use changed by the deletion"; }
gp_export prof.db gr0.txt -t goroutine -f text
gp_export aged.db gr2.txt -t goroutine -f text
cmp -s gr0.txt gr2.txt || { diff gr0.txt gr2.txt >&2; gp_fail "the last goroutine profile changed"; }
exit 0
