#!/bin/sh
# One fixed GOPROF_DB path for a program and the profiled helper it runs with system(): the
# helper finds the program's database in use and writes PATH.PID beside it, so both keep
# their profiles. Two programs started at once with the same path both keep theirs. A
# database whose process has ended is replaced, as before.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "burn.h"
volatile unsigned long sink;
__attribute__((noinline)) static void helper_work(void)
{
	sink = spin(200000000ul);
	sink++;
}
__attribute__((noinline)) static void parent_work(void)
{
	sink = spin(250000000ul);	/* not helper_work's twin: GCC would merge them */
	sink++;
}
int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "helper")) {
		helper_work();
		printf("helper %d\n", (int)getpid());
		return 0;
	}
	parent_work();
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "system") && system("./prog helper") != 0)
		return 3;
	parent_work();
	printf("parent %d\n", (int)getpid());
	return 0;
}
C
gp_build_c prog prog.c

# has DB FUNCTION: the database holds CPU samples of FUNCTION
has() {
	[ "$(gp_qs "$1" "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
		WHERE s.profile = 1 AND n.path LIKE '%$2>spin'")" -ge 10 ]
}

GOPROF_DB=$GP_WORK/prof.db ./prog system >run.out 2>run.err || gp_fail "prog failed: $(cat run.err)"
[ ! -s run.err ] || gp_fail "goprof complained: $(cat run.err)"
parent=$(sed -n 's/^parent //p' run.out)
helper=$(sed -n 's/^helper //p' run.out)
[ -n "$parent" ] && [ -n "$helper" ] || gp_fail "unexpected output: $(cat run.out)"
[ "$(gp_q prof.db 'SELECT pid FROM process')" = "$parent" ] ||
	gp_fail "prof.db is not the program's: $(ls)"
has prof.db parent_work || gp_fail "the program lost its samples"
[ -f prof.db.$helper ] || gp_fail "no prof.db.$helper: $(ls)"
[ "$(gp_q prof.db.$helper 'SELECT pid FROM process')" = "$helper" ] || gp_fail "prof.db.$helper: pid"
has prof.db.$helper helper_work || gp_fail "the helper lost its samples"

# two at once
rm -f prof.db*
GOPROF_DB=$GP_WORK/prof.db ./prog >a.out 2>a.err &
a=$!
GOPROF_DB=$GP_WORK/prof.db ./prog >b.out 2>b.err || gp_fail "second prog failed"
wait $a || gp_fail "first prog failed"
[ ! -s a.err ] && [ ! -s b.err ] || gp_fail "goprof complained: $(cat a.err b.err)"
for out in a.out b.out; do
	pid=$(sed -n 's/^parent //p' $out)
	if [ "$(gp_q prof.db 'SELECT pid FROM process')" = "$pid" ]; then
		db=prof.db
	else
		db=prof.db.$pid
	fi
	[ -f $db ] || gp_fail "no database for $pid: $(ls)"
	[ "$(gp_q $db 'SELECT pid FROM process')" = "$pid" ] || gp_fail "$db: pid"
	has $db parent_work || gp_fail "$db has no samples"
done

# the owner has ended: replaced
rm -f prof.db*
GOPROF_DB=$GP_WORK/prof.db ./prog >/dev/null 2>&1 || gp_fail "prog failed (1)"
GOPROF_DB=$GP_WORK/prof.db ./prog >c.out 2>c.err || gp_fail "prog failed (2)"
[ ! -s c.err ] || gp_fail "replacing complained: $(cat c.err)"
[ "$(gp_q prof.db 'SELECT pid FROM process')" = "$(sed -n 's/^parent //p' c.out)" ] ||
	gp_fail "the ended process's database was not replaced"
[ "$(ls | grep -c '^prof\.db\.')" = 0 ] || gp_fail "a side database while none was in use: $(ls)"
exit 0
