#!/bin/sh
# GOPROF_DB is read once, at start: a relative path names a file in the directory the program
# started in, and neither a later chdir() nor a program that writes its title over the
# environment block (setproctitle, as servers do) moves or corrupts it. A fork child started
# after both writes its own database next to the parent's.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
#include "burn.h"
volatile unsigned long sink;
__attribute__((noinline)) static void child_work(void)
{
	sink = spin(300000000ul);
	sink++;
}
__attribute__((noinline)) static void parent_work(void)
{
	sink = spin(200000000ul);
	sink++;
}
/* setproctitle's way: environ moves to the heap, its old block holds the new title */
static void set_title(int argc, char **argv)
{
	char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
	int n = 0;
	while (environ[n])
		n++;
	char **copy = malloc((size_t)(n + 1) * sizeof(*copy));
	for (int i = 0; i < n; i++) {
		if (environ[i] == end + 1)
			end = environ[i] + strlen(environ[i]);
		copy[i] = strdup(environ[i]);
	}
	copy[n] = NULL;
	environ = copy;
	memset(start, 'X', (size_t)(end - start));
	snprintf(start, (size_t)(end - start), "prog: serving");
}
int main(int argc, char **argv)
{
	set_title(argc, argv);
	if (chdir("elsewhere") != 0) {
		perror("chdir");
		return 3;
	}
	pid_t pid = fork();
	if (pid == 0) {
		child_work();
		printf("child %d\n", (int)getpid());
		return 0;
	}
	parent_work();
	int st;
	waitpid(pid, &st, 0);
	printf("parent %d\n", (int)getpid());
	return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}
C
gp_build_c prog prog.c

mkdir dbs elsewhere
GOPROF_DB=dbs/p-%p.db ./prog >run.out 2>run.err </dev/null || gp_fail "prog failed: $(cat run.err)"
[ ! -s run.err ] || gp_fail "goprof complained: $(cat run.err)"
parent=$(sed -n 's/^parent //p' run.out)
child=$(sed -n 's/^child //p' run.out)
[ -n "$parent" ] && [ -n "$child" ] || gp_fail "unexpected output: $(cat run.out)"
[ -z "$(find elsewhere -type f)" ] || gp_fail "files in the later working directory: $(ls elsewhere)"
[ "$(find . -maxdepth 1 -type f -name 'X*' | wc -l)" = 0 ] || gp_fail "a file named by the title"
[ "$(ls dbs | grep -c '\.db$')" = 2 ] || gp_fail "expected two databases, got: $(ls dbs)"
for who in parent:$parent child:$child; do
	db=dbs/p-${who#*:}.db
	fn=${who%%:*}_work
	[ -f "$db" ] || gp_fail "no database $db: $(ls dbs)"
	[ "$(gp_q "$db" 'SELECT pid FROM process')" = "${who#*:}" ] || gp_fail "$db: wrong pid"
	[ "$(gp_qs "$db" "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
		WHERE s.profile = 1 AND n.path LIKE '%$fn>spin'")" -ge 10 ] ||
		gp_fail "$db has no samples of $fn"
done
exit 0
