#!/bin/sh
# GOPROF_DB_RETAIN with a size: a 16-thread program sampled at 1000 Hz, with stacks of 64
# depths, would write more than 120 kB in 10 s; with GOPROF_DB_RETAIN=120kB the database
# file stays near 120 kB while it runs (within what 2 s write) and under it at the end, the
# oldest seconds are what was deleted (merged_buckets), the newest are all there, and the
# database is whole. Retention deletes samples, never the stacks they name: the empty
# tables take 21 pages (86 kB) and this program's stacks, one row per frame and address
# (the leaf's sampled PCs, schema 5), 16 kB more, so the bound leaves room for seconds.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

cat >prog.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) static unsigned long leaf(volatile unsigned long n)
{
	unsigned long x = 0;
	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	return x;
}
__attribute__((noinline)) static unsigned long deep(int d, unsigned long n)
{
	if (d == 0)
		return leaf(n);
	unsigned long r = deep(d - 1, n);
	sink += r;	/* work after the call: the frame stays */
	return r + 1;
}
static double secs;
__attribute__((noinline)) static void *worker(void *arg)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0;; i++) {
		sink += deep((i + (int)(long)arg) % 64, 20000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
			break;
	}
	return NULL;
}
int main(int argc, char **argv)
{
	pthread_t t[16];
	secs = atof(argv[1]);
	for (long i = 0; i < 16; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	printf("done\n");
	return 0;
}
C
# shellcheck disable=SC2086
gp_build_c prog prog.c

bound=120000
GOPROF_DB=$GP_WORK/prof.db GOPROF_CPU_HZ=1000 GOPROF_DB_RETAIN=120kB ./prog 10 >run.out \
	2>run.err &
pid=$!
max=0
while kill -0 $pid 2>/dev/null; do
	size=$(stat -c %s prof.db 2>/dev/null || echo 0)
	[ "$size" -gt $max ] && max=$size
	sleep 0.2
done
wait $pid || gp_fail "the program failed: $(cat run.err)"
[ "$(cat run.out)" = done ] || gp_fail "the program's output changed: $(cat run.out)"
[ ! -s run.err ] || gp_fail "goprof complained: $(cat run.err)"
# between two passes (2 s) an automatic checkpoint may bring in what those seconds wrote
[ $max -le $((bound * 5 / 4)) ] || gp_fail "the database file grew to $max bytes while the program ran"
size=$(stat -c %s prof.db)
[ "$size" -le $bound ] || gp_fail "the database file is $size bytes at the end"
[ "$(sqlite3 prof.db 'PRAGMA integrity_check')" = ok ] || gp_fail "database damaged"

# without the bound the same run is larger: the bound did the work
GOPROF_DB=$GP_WORK/free.db GOPROF_CPU_HZ=1000 GOPROF_DB_RETAIN=off gp_run free ./prog 10
sqlite3 free.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
free=$(gp_q free.db 'SELECT page_count * page_size FROM pragma_page_count, pragma_page_size')
[ "$free" -gt $bound ] || gp_fail "unbounded, the run writes only $free bytes: the test proves nothing"

cut=$(gp_q prof.db 'SELECT end_bucket FROM merged_buckets WHERE width = 0')
[ -n "$cut" ] && [ "$cut" -ge 1 ] || gp_fail "nothing was deleted: $(gp_q prof.db 'SELECT * FROM merged_buckets')"
[ "$(gp_q prof.db "SELECT count(*) FROM samples WHERE profile = 1 AND bucket < $cut")" = 0 ] ||
	gp_fail "CPU samples left before bucket $cut"
# the newest seconds are all there, each with samples
last=$(gp_q prof.db 'SELECT max(bucket) FROM samples WHERE profile = 1')
[ "$last" -ge 8 ] || gp_fail "the last bucket is $last: the newest seconds are missing"
[ "$(gp_q prof.db "SELECT count(DISTINCT bucket) FROM samples WHERE profile = 1 AND
	bucket >= $cut")" = $((last - cut + 1)) ] || gp_fail "seconds missing between $cut and $last"
n=$(gp_q prof.db "SELECT sum(count) FROM samples WHERE profile = 1 AND bucket = $((last - 1))")
[ "$n" -ge 100 ] || gp_fail "only $n samples in the second before the last"
exit 0
