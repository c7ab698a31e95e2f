#!/bin/sh
# goprof-export reads a live database in one read transaction: a commit that lands between
# the query that sizes its function table and the one that fills it (made to land there by
# a shim that commits a function row with a far larger id from another connection when the
# exporter prepares the filling query) is not seen, instead of being written past the end.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

EXPORT=$GP_BUILDDIR/tools/goprof-export
cat >prog.c <<'C'
#include "burn.h"
volatile unsigned long sink;
int main(void)
{
	sink = spin(200000000ul);
	sink++;
	return 0;
}
C
cat >shim.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st,
		       const char **tail)
{
	static int (*real)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
	static int done;
	if (!real)
		real = (int (*)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **))
			dlsym(RTLD_NEXT, "sqlite3_prepare_v2");
	if (!done && strncmp(sql, "SELECT id, name, file", 21) == 0) {
		sqlite3 *w = NULL;
		done = 1;
		if (sqlite3_open(getenv("SHIM_DB"), &w) == SQLITE_OK)
			sqlite3_exec(w, "INSERT INTO functions VALUES (40000000, 'late', '', 0, 0, NULL)",
				     NULL, NULL, NULL);
		sqlite3_close(w);
	}
	return real(db, sql, n, st, tail);
}
C
gp_build_c prog prog.c
$GP_CC -O2 -shared -fPIC -o shim.so shim.c -ldl || gp_fail "building the shim failed"

GOPROF_DB=$GP_WORK/prof.db ./prog || gp_fail "prog failed"
SHIM_DB=$GP_WORK/prof.db LD_PRELOAD=$GP_WORK/shim.so "$EXPORT" -f folded prof.db >folded.txt 2>export.err
rc=$?
[ "$(gp_q prof.db "SELECT count(*) FROM functions WHERE name = 'late'")" = 1 ] ||
	gp_fail "the shim did not commit its row"
[ $rc = 0 ] || gp_fail "the export failed ($rc): $(cat export.err)"
grep -q '^main;spin [0-9]*$' folded.txt || { cat folded.txt >&2; gp_fail "no main;spin"; }
! grep -q late folded.txt || gp_fail "the export saw a row committed after it began"
exit 0
