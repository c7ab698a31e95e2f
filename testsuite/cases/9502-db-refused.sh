#!/bin/sh
# A database that cannot be created is tried again, not given up: on a read-only file system
# at start (remounted read-write later), and in a fork child of a program that dropped its
# privileges, whose directory it may not write (until the directory is opened to it). Each
# says so in one line, the program runs on with the same output, and the database, once
# made, holds what was sampled after and a write_failures row with the reason and the count.
# Under --enable-sanitizers the fork child's writer starts only at its exit, when it may
# write: its database is made then, without a failure.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

[ "$(id -u)" = 0 ] || gp_skip "a read-only mount and a privilege drop need root"
mkdir fs
mount -t tmpfs -o size=8m goprof-test fs 2>mount.err ||
	gp_skip "mounting a tmpfs needs root (CAP_SYS_ADMIN): $(cat mount.err)"
gp_at_exit 'umount "$GP_WORK/fs" 2>/dev/null'
mount -o remount,ro fs || gp_fail "cannot remount the tmpfs read-only"

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
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
/* until the file exists */
__attribute__((noinline)) static void refused(const char *until)
{
	while (access(until, F_OK) != 0)
		burn(50, 1);
	sink++;
}
__attribute__((noinline)) static void written(void)
{
	burn(1500, 2);
	sink += 2;
}
int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "drop")) {
		/* the parent's database is open already: it goes on; the child's is made later */
		if (setgid(65534) != 0 || setuid(65534) != 0)
			return 2;
		pid_t pid = fork();
		if (pid == 0) {
			refused("open-now");
			written();
			printf("child done\n");
			return 0;
		}
		int st;
		written();
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 3;
	} else {
		refused("rw-now");
		written();
	}
	printf("done\n");
	return 0;
}
C
# shellcheck disable=SC2086
gp_build_c prog prog.c

# one line, then the database once the failure has passed
check() { # NAME DB ERROR
	grep goprof: $1.err >$1.msgs
	[ "$(wc -l <$1.msgs)" = 1 ] && grep -q "cannot write: $3.*dropped" $1.msgs ||
		gp_fail "$1: want one goprof line saying '$3', got: $(cat $1.msgs)"
	[ -f "$2" ] || gp_fail "$1: no database once the failure passed"
	[ "$(sqlite3 "$2" 'PRAGMA integrity_check')" = ok ] || gp_fail "$1: database damaged"
	[ "$(gp_q "$2" "SELECT count(*) FROM write_failures WHERE error LIKE '%$3%' AND
		commits >= 2 AND cpu_samples >= 5")" = 1 ] ||
		gp_fail "$1: no write_failures row for '$3': $(gp_q "$2" 'SELECT * FROM write_failures')"
	[ "$(gp_qs "$2" "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
		WHERE s.profile = 1 AND n.path LIKE '%written>burn%'")" -ge 10 ] ||
		gp_fail "$1: the samples after the failure are missing"
}

# a read-only file system at start
GOPROF_DB=$GP_WORK/fs/prof.db ./prog >ro.out 2>ro.err &
pid=$!
sleep 2.5
kill -0 $pid 2>/dev/null || gp_fail "ro: the program died: $(cat ro.err)"
[ ! -e fs/prof.db ] || gp_fail "ro: a database on a read-only file system"
mount -o remount,rw fs || gp_fail "cannot remount the tmpfs read-write"
sleep 1.5
touch rw-now
wait $pid || gp_fail "ro: the program failed: $(cat ro.err)"
[ "$(cat ro.out)" = done ] || gp_fail "ro: the program's output changed: $(cat ro.out)"
check ro fs/prof.db 'Read-only file system'

# a fork child after a privilege drop, in a directory only root may write
mkdir -m 0755 dbdir
GOPROF_DB=$GP_WORK/dbdir/prof-%p.db ./prog drop >drop.out 2>drop.err &
pid=$!
sleep 2.5
kill -0 $pid 2>/dev/null || gp_fail "drop: the program died: $(cat drop.err)"
[ "$(ls dbdir | grep -c '\.db$')" = 1 ] || gp_fail "drop: want only the parent's database: $(ls dbdir)"
chmod 0777 dbdir
sleep 1.5
touch open-now
wait $pid || gp_fail "drop: the program failed: $(cat drop.err)"
[ "$(sort drop.out | tr '\n' ' ')" = "child done done " ] ||
	gp_fail "drop: the program's output changed: $(cat drop.out)"
parent=$(ls dbdir/prof-$pid.db) || gp_fail "drop: no parent database"
child=$(ls dbdir/*.db | grep -v "prof-$pid.db")
[ -n "$child" ] || gp_fail "drop: no child database once the directory was opened"
if [ -n "${GP_SANITIZE:-}" ]; then
	# under AddressSanitizer a fork child's writer starts at its exit (writer.c), when the
	# directory is open already: nothing failed, and the samples the ring kept are there
	! grep goprof: drop.err || gp_fail "drop: goprof said something"
	[ "$(gp_q "$child" 'SELECT count(*) FROM write_failures')" = 0 ] ||
		gp_fail "drop: the child's database had failures"
	[ "$(gp_qs "$child" 'SELECT sum(count) FROM samples WHERE profile = 1')" -ge 10 ] ||
		gp_fail "drop: the child's samples are missing"
else
	check drop "$child" 'Permission denied'
fi
[ "$(gp_q $parent 'SELECT count(*) FROM write_failures')" = 0 ] ||
	gp_fail "drop: the parent's database had failures"
exit 0
