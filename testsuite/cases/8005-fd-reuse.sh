#!/bin/sh
# A program that closes every descriptor from 3 up (a loop of close(), or closefrom) and then
# opens files of its own never gets a goprof byte in them: goprof's database descriptors are
# kept from those calls and profiling goes on. One that dup2()s a file of its own over a
# descriptor of goprof's database gets that descriptor, nothing of goprof's is written into
# its file, and goprof stops writing with one line on stderr; the profile written before
# stays readable.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

cat >prog.c <<'C'
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "burn.h"
volatile unsigned long sink;
__attribute__((noinline)) static void before_work(void)
{
	sink = spin(200000000ul);
	sink++;
}
__attribute__((noinline)) static void after_work(void)
{
	sink = spin(250000000ul);	/* not before_work's twin */
	sink += 2;
}
/* the descriptors open now that name a file whose name holds "prof.db" */
static int db_fds(int *fds, int max)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[64], target[4096];
	while (d && (e = readdir(d)) && n < max) {
		int fd = atoi(e->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t l = readlink(link, target, sizeof(target) - 1);
		if (l > 0 && fd != dirfd(d)) {
			target[l] = '\0';
			if (strstr(target, "prof.db"))
				fds[n++] = fd;
		}
	}
	if (d)
		closedir(d);
	return n;
}
int main(int argc, char **argv)
{
	const char *how = argv[1];
	int fds[16], n = 0, files[8];
	char name[32], line[32];

	before_work();
	if (!strcmp(how, "close")) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	} else if (!strcmp(how, "closefrom")) {
		closefrom(3);
	} else {
		n = db_fds(fds, 16);
		if (n == 0) {
			fprintf(stderr, "no database descriptor found\n");
			return 3;
		}
	}
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "file%d", i);
		files[i] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
		snprintf(line, sizeof(line), "file %d\n", i);
		if (files[i] < 0 || write(files[i], line, strlen(line)) != (ssize_t)strlen(line))
			return 4;
	}
	/* dup2: every descriptor goprof's database had now names file0 */
	for (int i = 0; i < n; i++)
		if (dup2(files[0], fds[i]) != fds[i])
			return 5;
	after_work();
	printf("%d %d\n", (int)getpid(), argc);
	(void)argv;
	return 0;
}
C
gp_build_c prog prog.c

# has DB FUNCTION: the database holds CPU samples of FUNCTION
has() {
	[ "$(gp_qs "$1" "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
		WHERE s.profile = 1 AND n.path LIKE '%$2>spin'")" -ge 10 ]
}
files_intact() {
	i=0
	while [ $i -lt 8 ]; do
		printf 'file %d\n' $i | cmp -s - $1/file$i ||
			gp_fail "$1: the program's file$i holds $(wc -c <$1/file$i) bytes, not its own line"
		i=$((i + 1))
	done
}

for how in close closefrom dup2; do
	mkdir $how
	(cd $how && GOPROF_DB=$GP_WORK/$how/prof.db exec ../prog $how) >$how.out 2>$how.err ||
		gp_fail "$how: the program failed: $(cat $how.err)"
	files_intact $how
	[ "$(sqlite3 $how/prof.db 'PRAGMA integrity_check')" = ok ] || gp_fail "$how: database damaged"
	has $how/prof.db before_work || gp_fail "$how: the samples before are lost"
	if [ $how = dup2 ]; then
		[ "$(grep -c . $how.err)" = 1 ] && grep -q '^goprof: .*descriptor.*stops' $how.err ||
			gp_fail "$how: expected one line saying goprof stops: $(cat $how.err)"
	else
		[ ! -s $how.err ] || gp_fail "$how: goprof complained: $(cat $how.err)"
		has $how/prof.db after_work || gp_fail "$how: profiling stopped after the close"
	fi
done
exit 0
