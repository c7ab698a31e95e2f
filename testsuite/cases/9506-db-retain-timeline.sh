#!/bin/sh
# The web UI's timeline (goprof-export serve, /ui/api/timeline) on a database whose first
# minute retention merged into one row per stack and thread: the CPU time per thread adds up
# to what it was before the merge, and a merged row is spread over the seconds it stands for
# instead of piling up in its first one.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_sqlite3
gp_need_curl
gp_need_cmd node "nodejs"
sim=$GP_BUILDDIR/bench/retain-sim
[ -x "$sim" ] || gp_die "bench/retain-sim is not built"

cat >prog.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "burn.h"
volatile unsigned long sink;
__attribute__((noinline)) static void *burn(void *arg)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sink += spin(100000 + (unsigned long)arg);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 4);
	return NULL;
}
int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, burn, (void *)1);
	burn(NULL);
	pthread_join(t, NULL);
	printf("done\n");
	return 0;
}
C
# shellcheck disable=SC2086
gp_build_c prog prog.c
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "the program failed: $(cat run.err)"
sqlite3 prof.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
cp prof.db merged.db
"$sim" -n 3660 merged.db || gp_fail "retain-sim failed"
[ "$(gp_q merged.db 'SELECT count(DISTINCT bucket) FROM samples WHERE profile = 1')" = 1 ] ||
	gp_fail "the merge left more than one bucket"

# per thread: total CPU ns, and how many points have some
summary() {
	node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1]));
		for (const th of t.cpu) console.log(th.tid, th.ns.reduce((a, b) => a + b, 0),
			th.ns.filter((v) => v > 0).length);' "$1" | sort
}
for db in prof merged; do
	"$GP_EXPORT" serve --http 127.0.0.1:0 $db.db >$db-serve.out 2>$db-serve.err &
	GP_PIDS="$GP_PIDS $!"
	gp_wait_address $db-serve.err
	gp_fetch $db /ui/api/timeline
	gp_expect_answer $db 200 application/json -
	summary $db.body >$db.sum || gp_fail "$db: the timeline is not JSON"
done
[ "$(wc -l <prof.sum)" -ge 2 ] || gp_fail "fewer than two threads on the timeline: $(cat prof.sum)"
awk '{ print $1, $2 }' prof.sum >prof.tot
awk '{ print $1, $2 }' merged.sum >merged.tot
cmp -s prof.tot merged.tot ||
	gp_fail "CPU per thread changed by the merge: $(cat prof.tot) -> $(cat merged.tot)"
awk '$3 < 55 { exit 1 }' merged.sum ||
	gp_fail "merged rows not spread over their minute: $(cat merged.sum)"
exit 0
