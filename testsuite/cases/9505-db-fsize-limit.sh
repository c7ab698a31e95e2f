#!/bin/sh
# A program that lowers its file-size limit (RLIMIT_FSIZE) below the database's size while
# it runs: SIGXFSZ kills neither the program nor goprof's writer, goprof says so in one
# line, counts what it drops, and writes again once the program raises the limit.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

cat >prog.c <<'C'
#include <stdio.h>
#include <sys/resource.h>
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
__attribute__((noinline)) static void before_limit(void)
{
	burn(3000, 1);
	sink++;
}
__attribute__((noinline)) static void under_limit(void)
{
	burn(3000, 2);
	sink += 2;
}
__attribute__((noinline)) static void after_limit(void)
{
	burn(3000, 3);
	sink += 3;
}
int main(void)
{
	struct rlimit old, low;
	if (getrlimit(RLIMIT_FSIZE, &old) != 0)
		return 2;
	low = old;
	low.rlim_cur = 4096;	/* below the -wal file's size, whatever its offset */
	before_limit();
	if (setrlimit(RLIMIT_FSIZE, &low) != 0)
		return 3;
	under_limit();
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		return 4;
	after_limit();
	printf("done\n");
	return 0;
}
C
# shellcheck disable=SC2086
gp_build_c prog prog.c
GOPROF_DB=$GP_WORK/prof.db GOPROF_CPU_HZ=250 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "the program exited with $GP_RC (153 = SIGXFSZ): $(cat run.err)"
[ "$(cat run.out)" = done ] || gp_fail "the program's output changed: $(cat run.out)"
grep goprof: run.err >msgs
[ "$(wc -l <msgs)" = 1 ] && grep -q 'cannot write.*dropped' msgs ||
	gp_fail "want one goprof line saying writes are dropped, got: $(cat msgs)"
[ "$(sqlite3 prof.db 'PRAGMA integrity_check')" = ok ] || gp_fail "database damaged"
[ "$(gp_q prof.db 'SELECT count(*) FROM write_failures WHERE commits >= 2 AND
	cpu_samples >= 10')" = 1 ] ||
	gp_fail "no write_failures row with the dropped samples: $(gp_q prof.db 'SELECT * FROM write_failures')"
for f in before_limit after_limit; do
	[ "$(gp_qs prof.db "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
		WHERE s.profile = 1 AND n.path LIKE '%$f>burn%'")" -ge 20 ] ||
		gp_fail "the samples of $f are missing"
done
exit 0
