#!/bin/sh
# A set-user-ID root program run by an unprivileged user (AT_SECURE) ignores every GOPROF_*
# variable and says so in one line: GOPROF_TRACE cannot truncate a file only root may write,
# GOPROF_DB creates no root-owned file where the user could not, GOPROF_HTTP opens no port.
# The same program without the set-user-ID bit is profiled as usual, and one started by root
# that gives up root after start goes on writing its database.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

[ "$(id -u)" = 0 ] || gp_skip "needs root to make a set-user-ID root program"
command -v setpriv >/dev/null 2>&1 || gp_skip "setpriv (util-linux) is not installed"
user=65534
chmod 755 "$GP_WORK"

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include "burn.h"
volatile unsigned long sink;
int main(int argc, char **argv)
{
	/* "drop": give up root for the given uid, as a daemon does after binding its port */
	if (argc > 1 && !strcmp(argv[1], "drop")) {
		uid_t u = (uid_t)atoi(argv[2]);
		if (setgid(u) != 0 || setuid(u) != 0) {
			perror("setuid");
			return 3;
		}
	}
	sink = spin(300000000ul);
	printf("uid %d euid %d secure %lu\n", (int)getuid(), (int)geteuid(),
	       getauxval(AT_SECURE));
	return 0;
}
C
gp_build_c prog prog.c
cp prog suid-prog && chmod 4755 suid-prog

# The unprivileged user may write only in pub/; root's files live in priv/.
mkdir pub priv && chown $user pub && chmod 755 priv
printf 'root:secret\n' >priv/shadow && chmod 600 priv/shadow && cp priv/shadow shadow.want
run_as_user() {
	setpriv --reuid=$user --regid=$user --clear-groups "$@"
}
run_as_user ./suid-prog >suid.out 2>suid.err </dev/null
[ "$(cat suid.out)" = "uid $user euid 0 secure 1" ] ||
	gp_fail "the set-user-ID program did not run as expected: $(cat suid.out suid.err)"

GOPROF_TRACE=$GP_WORK/priv/shadow GOPROF_DB=$GP_WORK/priv/root-%p.db \
	GOPROF_HTTP=127.0.0.1:0 run_as_user ./suid-prog >suid.out 2>suid.err </dev/null ||
	gp_fail "the set-user-ID program failed: $(cat suid.err)"
[ "$(cat suid.out)" = "uid $user euid 0 secure 1" ] ||
	gp_fail "the program's output changed: $(cat suid.out)"
cmp -s priv/shadow shadow.want || gp_fail "GOPROF_TRACE wrote into root's file"
[ "$(ls priv)" = shadow ] || gp_fail "GOPROF_DB created files as root: $(ls priv)"
[ "$(grep -c . suid.err)" = 1 ] && grep -q '^goprof: .*set-user-ID.*GOPROF_.*ignored' suid.err ||
	gp_fail "expected one line saying GOPROF_* is ignored, got: $(cat suid.err)"

# None of goprof's variables: nothing to say (GOPROF_BUILD_DIR, of the build scripts, is
# not one of them).
GOPROF_BUILD_DIR=$GP_BUILDDIR run_as_user ./suid-prog >suid.out 2>suid.err </dev/null
[ ! -s suid.err ] || gp_fail "a set-user-ID program without GOPROF_* got: $(cat suid.err)"

# The same program, not set-user-ID, run by the same user: profiled.
GOPROF_DB=$GP_WORK/pub/user-%p.db run_as_user ./prog >user.out 2>user.err </dev/null ||
	gp_fail "the plain program failed: $(cat user.err)"
[ ! -s user.err ] || gp_fail "the plain program complained: $(cat user.err)"
set -- pub/user-*.db
[ -f "$1" ] || gp_fail "the plain program wrote no database: $(ls pub)"
[ "$(stat -c %u "$1")" = $user ] || gp_fail "the user's database is not the user's"
[ "$(gp_qs "$1" "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
	WHERE s.profile = 1 AND n.path LIKE '%spin'")" -ge 10 ] ||
	gp_fail "the plain program's database has no spin samples"

# Started by root, gives up root at once: the database opened as root keeps growing.
mkdir drop && chmod 755 drop
GOPROF_DB=$GP_WORK/drop/d.db ./prog drop $user >drop.out 2>drop.err </dev/null ||
	gp_fail "the program that drops root failed: $(cat drop.err)"
[ "$(cat drop.out)" = "uid $user euid $user secure 0" ] ||
	gp_fail "the program did not drop root: $(cat drop.out)"
[ ! -s drop.err ] || gp_fail "dropping root made goprof complain: $(cat drop.err)"
[ "$(gp_qs drop/d.db "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
	WHERE s.profile = 1 AND n.path LIKE '%spin'")" -ge 10 ] ||
	gp_fail "the program that dropped root lost its samples"
[ "$(gp_q drop/d.db 'SELECT end_ns > start_ns FROM process')" = 1 ] ||
	gp_fail "the last commit after dropping root is missing"
exit 0
