#!/bin/sh
# The database's file system fills up while the program runs (a 4 MiB tmpfs and a file that
# takes the rest; writes fail once the -wal file must grow): goprof says so in one line, the program runs on with the same output and
# a memory that does not grow, what could not be written is counted (a write_failures row;
# the dropped CPU samples as lost_profile_event, which go tool pprof shows), the heap rows
# are kept (the bytes in use are exact), and profiling resumes once space is freed.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_sqlite3
gp_need_go

mkdir fs
mount -t tmpfs -o size=4m goprof-test fs 2>mount.err ||
	gp_skip "mounting a tmpfs needs root (CAP_SYS_ADMIN): $(cat mount.err)"
gp_at_exit 'umount "$GP_WORK/fs" 2>/dev/null'

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "burn.h"
volatile unsigned long sink;
static void *kept[192];
/* busy for ms milliseconds of CPU time */
__attribute__((noinline)) static void burn(int ms, unsigned long salt)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		sink += spin(200000 + salt);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}
__attribute__((noinline)) static void keep_before(int i)
{
	kept[i] = malloc(65536);
	memset(kept[i], i, 65536);
}
__attribute__((noinline)) static void keep_during(int i)
{
	kept[64 + i] = malloc(32768);
	memset(kept[64 + i], i, 32768);
}
__attribute__((noinline)) static void keep_after(int i)
{
	kept[128 + i] = malloc(16384);
	memset(kept[128 + i], i, 16384);
}
__attribute__((noinline)) static void before_full(void)
{
	for (int i = 0; i < 64; i++)
		keep_before(i);
	burn(1500, 1);
	sink++;
}
__attribute__((noinline)) static void while_full(void)
{
	burn(500, 2);
	for (int i = 0; i < 64; i++) {
		keep_during(i);
		if (i % 2 == 0) {
			free(kept[i]);	/* half of before's blocks go while the disk is full */
			kept[i] = NULL;
		}
	}
	/* until the test has freed the space again */
	while (access("freed", F_OK) != 0)
		burn(100, 2);
	sink += 2;
}
__attribute__((noinline)) static void after_freed(void)
{
	for (int i = 0; i < 64; i++)
		keep_after(i);
	burn(1500, 3);
	sink += 3;
}
int main(void)
{
	struct timespec t;
	before_full();
	fclose(fopen("full-now", "w"));
	while_full();
	after_freed();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	fprintf(stderr, "cpu_ms %ld\n", (long)(t.tv_sec * 1000 + t.tv_nsec / 1000000));
	long sum = 0;
	for (int i = 0; i < 192; i++)
		sum += kept[i] != NULL;
	printf("kept %ld\n", sum);
	return 0;
}
C
# shellcheck disable=SC2086
gp_build_c prog prog.c

rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }

GOPROF_DB=$GP_WORK/fs/prof.db GOPROF_MEMPROFILE_RATE=1 GOPROF_CPU_HZ=250 ./prog >run.out \
	2>run.err &
pid=$!
i=0
while [ ! -e full-now ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -e full-now ] || gp_fail "the program never reached its full-disk phase"
dd if=/dev/zero of=fs/filler bs=64k 2>/dev/null
[ "$(df --output=avail fs | tail -1)" -lt 64 ] || gp_fail "the tmpfs is not full"
# the -wal file is reused after each checkpoint: the failure comes when it must grow
i=0
while ! grep -q goprof: run.err && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
grep -q goprof: run.err || gp_fail "no write failed in 60 s on a full file system"
sleep 1
rss1=$(rss_kb $pid)
sleep 4
rss2=$(rss_kb $pid)
kill -0 $pid 2>/dev/null || gp_fail "the program died while the disk was full: $(cat run.err)"
rm fs/filler
touch freed
wait $pid || gp_fail "the program failed: $(cat run.err)"

[ "$(cat run.out)" = "kept 160" ] || gp_fail "the program's output changed: $(cat run.out)"
grep goprof: run.err >msgs
[ "$(wc -l <msgs)" = 1 ] && grep -q 'cannot write.*dropped' msgs ||
	gp_fail "want one goprof line saying writes are dropped, got: $(cat msgs)"
[ $((rss2 - rss1)) -lt 2048 ] ||
	gp_fail "memory grew by $((rss2 - rss1)) KiB in 4 s while the disk was full"

db=fs/prof.db
[ "$(sqlite3 $db 'PRAGMA integrity_check')" = ok ] || gp_fail "database damaged"
[ "$(gp_q $db 'SELECT count(*) FROM write_failures')" = 1 ] ||
	gp_fail "want one write_failures row: $(gp_q $db 'SELECT * FROM write_failures')"
set -- $(gp_q $db "SELECT commits, cpu_samples, snapshots, end_ns - start_ns,
	error LIKE '%full%' FROM write_failures" | tr '|' ' ')
[ "$1" -ge 3 ] && [ "$3" -ge 3 ] || gp_fail "failed commits $1, dropped snapshots $3: want >= 3"
[ "$2" -ge 50 ] || gp_fail "only $2 CPU samples counted as dropped in 5 s at 250 Hz"
[ "$4" -ge 4000000000 ] || gp_fail "the failure lasted $4 ns, less than the 5 s it did"
[ "$5" = 1 ] || gp_fail "the error does not say the disk is full: $(gp_q $db 'SELECT error FROM write_failures')"
dropped=$2

# every CPU sample is there or counted: the total matches the program's CPU time
cpu_ms=$(awk '/^cpu_ms/ { print $2 }' run.err)
total=$(gp_q $db 'SELECT sum(count) FROM samples WHERE profile = 1')
gp_within "$total" $((cpu_ms / 4)) 25 ||
	gp_fail "$total CPU samples (with $dropped dropped), want about $((cpu_ms / 4))"

gp_export $db cpu.pb.gz
gp_top cpu.pb.gz >top.txt
for f in before_full after_freed lost_profile_event; do
	[ "$(gp_cum_ms top.txt $f)" != 0 ] || { cat top.txt >&2; gp_fail "go tool pprof shows no $f"; }
done
# the lost samples are the dropped ones: their flat value is dropped * 4 ms
lost_ms=$(gp_flat_ms top.txt lost_profile_event)
gp_within "$lost_ms" $((dropped * 4)) 1 || gp_fail "lost_profile_event $lost_ms ms, want $((dropped * 4))"

# the heap rows of the failure were kept: the bytes in use are exact
gp_export $db heap.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_space >heap.txt
for want in "keep_before $((32 * 65536))" "keep_during $((64 * 32768))" \
	"keep_after $((64 * 16384))"; do
	set -- $want
	[ "$(gp_flat heap.txt $1)" = "$2" ] ||
		{ cat heap.txt >&2; gp_fail "in use at $1: $(gp_flat heap.txt $1), want $2"; }
done
exit 0
