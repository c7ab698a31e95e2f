#!/bin/sh
# A reader that opens the database while the program's writer is still making it (a script
# watching the file, goprof-export, sqlite3) holds a shared lock for a moment; the writer
# waits for it instead of failing: in RUNS runs, each with a reader polling the path from
# before the program starts, the program says nothing on stderr, prints its result, and its
# database is whole, with no write_failures row. (Without the wait, about one run in ten failed to create the schema,
# said so and dropped the first second's data.)
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	/* 64 blocks of 64 KiB kept to the end: heap samples at every rate */
	static char *kept[64];
	unsigned long sum = 0;
	for (int i = 0; i < 64; i++) {
		kept[i] = malloc(65536);
		memset(kept[i], i, 65536);
		sum += (unsigned char)kept[i][i * 97];
	}
	printf("sum %lu\n", sum);
	return 0;
}
C
gp_build_c prog prog.c
runs=${RUNS:-30}
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	rm -f "$i.db"
	(while :; do sqlite3 -readonly "$i.db" 'SELECT count(*) FROM sqlite_master' \
		>/dev/null 2>&1; done) &
	reader=$!
	GOPROF_DB=$GP_WORK/$i.db gp_run run ./prog
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	[ "$GP_RC" = 0 ] || { cat run.err >&2; gp_fail "run $i: the program exited with $GP_RC"; }
	[ -s run.err ] && { cat run.err >&2; gp_fail "run $i: the program said something on stderr"; }
	grep -qx 'sum 2016' run.out || gp_fail "run $i: output $(cat run.out)"
	[ "$(gp_q "$i.db" 'PRAGMA integrity_check')" = ok ] || gp_fail "run $i: database damaged"
	[ "$(gp_q "$i.db" 'SELECT count(*) FROM write_failures')" = 0 ] ||
		gp_fail "run $i: $(gp_q "$i.db" 'SELECT * FROM write_failures')"
done
echo "$runs runs, a reader polling each database from before its program started" >&2
exit 0
