#!/bin/sh
# The database writer: GOPROF_DB's %p/%h/%% are expanded, the file is created mode 0600 in
# WAL mode with the schema version, the process row (pid, cmdline, exe, build ID), threads,
# functions and samples are there and export, with per-thread CPU totals that add up; a path it must not or cannot use costs one
# "goprof:" line on stderr and the program runs on; an old goprof database is replaced.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

EXPORT=$GP_BUILDDIR/tools/goprof-export

cat >prog.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "burn.h"
volatile unsigned long sink;
__attribute__((noinline)) static void *worker(void *arg)
{
	sink = spin((unsigned long)arg);	/* not a tail call: worker keeps its frame */
	return NULL;
}
int main(int argc, char **argv)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, (void *)400000000ul);
	spin(400000000ul);
	pthread_join(t, NULL);
	printf("%d %d\n", (int)getpid(), argc);
	(void)argv;
	return 0;
}
C
gp_build_c prog prog.c

host=$(hostname)
GOPROF_DB="$GP_WORK/w-%p-%h-%%.db" ./prog a b >run.out 2>run.err || gp_fail "prog failed"
[ ! -s run.err ] || { cat run.err >&2; gp_fail "the writer complained"; }
pid=$(cut -d' ' -f1 run.out)
db=$GP_WORK/w-$pid-$host-%.db
[ -f "$db" ] || { ls >&2; gp_fail "no database $db"; }
[ "$(stat -c %a "$db")" = 600 ] || gp_fail "database mode $(stat -c %a "$db"), not 600"
q() { sqlite3 "$db" "$1"; }
[ "$(q 'PRAGMA journal_mode')" = wal ] || gp_fail "not in WAL mode"
[ "$(q 'PRAGMA user_version')" -ge 1 ] || gp_fail "no schema version"
[ "$(q 'PRAGMA application_id')" = 1196446278 ] || gp_fail "wrong application_id"
[ "$(q 'SELECT pid FROM process')" = "$pid" ] || gp_fail "process.pid"
# "./prog a b", each argument ended by a NUL
[ "$(q 'SELECT hex(cmdline) FROM process')" = 2E2F70726F670061006200 ] ||
	gp_fail "process.cmdline: $(q 'SELECT quote(cmdline) FROM process')"
[ "$(q 'SELECT exe FROM process')" = "$GP_WORK/prog" ] || gp_fail "process.exe"
want_id=$(readelf -n prog 2>/dev/null | sed -n 's/.*Build ID: *//p')
[ -z "$want_id" ] || [ "$(q 'SELECT build_id FROM process')" = "$want_id" ] ||
	gp_fail "process.build_id is not $want_id"
[ "$(q 'SELECT count(*) FROM threads')" -ge 2 ] || gp_fail "fewer than 2 threads"
[ "$(q "SELECT count(*) FROM threads WHERE tid = $pid AND (end_ns IS NULL OR end_ns >= start_ns)")" = 1 ] ||
	gp_fail "no row for the main thread"
[ "$(q "SELECT file LIKE '%prog.c' FROM functions WHERE name = 'worker'")" = 1 ] ||
	gp_fail "no function row for worker"
[ "$(q 'SELECT sum(count) FROM samples WHERE profile = 1')" -ge 20 ] ||
	gp_fail "fewer than 20 samples"
[ "$(q 'SELECT end_ns > start_ns FROM process')" = 1 ] || gp_fail "process.end_ns not set"
# the per-thread CPU totals (profile 8, for the timeline) are the CPU rows summed, exactly
cpu_by_thread="SELECT bucket, tid, sum(count), sum(value) FROM samples WHERE profile = 1
	GROUP BY bucket, tid"
totals="SELECT bucket, tid, count, value FROM samples WHERE profile = 8 AND stack_id = 0"
[ "$(q "SELECT count(*) FROM ($cpu_by_thread EXCEPT $totals)")" = 0 ] &&
	[ "$(q "SELECT count(*) FROM ($totals EXCEPT $cpu_by_thread)")" = 0 ] &&
	[ "$(q "SELECT count(DISTINCT tid) FROM samples WHERE profile = 8")" = 2 ] ||
	gp_fail "the per-thread CPU totals are not the CPU rows summed per thread and second"
"$EXPORT" -f folded "$db" >folded.txt || gp_fail "export failed"
grep -q '^worker;spin [0-9]*$' folded.txt || { cat folded.txt >&2; gp_fail "no worker;spin"; }
grep -q '^main;spin [0-9]*$' folded.txt || { cat folded.txt >&2; gp_fail "no main;spin"; }
echo "ok: database $(stat -c %s "$db") bytes"

# replacing an old goprof database at a fixed path
GOPROF_DB=$GP_WORK/fixed.db ./prog >/dev/null 2>run.err || gp_fail "prog failed (1)"
GOPROF_DB=$GP_WORK/fixed.db ./prog >run.out 2>run.err || gp_fail "prog failed (2)"
[ ! -s run.err ] || { cat run.err >&2; gp_fail "replacing an old database complained"; }
[ "$(sqlite3 fixed.db 'SELECT pid FROM process')" = "$(cut -d' ' -f1 run.out)" ] ||
	gp_fail "the old database was not replaced"

# a file that is not a goprof database is left alone
echo "precious" >precious.txt
GOPROF_DB=$GP_WORK/precious.txt ./prog >run.out 2>run.err || gp_fail "prog failed (precious)"
[ "$(cat precious.txt)" = precious ] || gp_fail "a foreign file was overwritten"
[ "$(wc -l <run.err)" = 1 ] && grep -q '^goprof: GOPROF_DB .*not a goprof database' run.err ||
	{ cat run.err >&2; gp_fail "no one-line complaint about the foreign file"; }
[ "$(cut -d' ' -f2 run.out)" = 1 ] || gp_fail "the program did not run to its end"

# a directory that does not exist
GOPROF_DB=$GP_WORK/no/such/dir/x.db ./prog >run.out 2>run.err || gp_fail "prog failed (nodir)"
[ "$(wc -l <run.err)" = 1 ] && grep -q '^goprof: GOPROF_DB .*No such file or directory' run.err ||
	{ cat run.err >&2; gp_fail "no one-line complaint about the missing directory"; }
[ "$(cut -d' ' -f2 run.out)" = 1 ] || gp_fail "the program did not run to its end"
exit 0
