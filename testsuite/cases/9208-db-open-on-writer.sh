#!/bin/sh
# The database's schema is written by the writer thread while main() runs: the file exists
# (empty) when main() starts, and what main() samples before the schema exists (a CPU burn
# and 16 blocks of 64 KiB, while the writer's SQLite open is held back) is in the profiles,
# exactly for the heap. goprof's descriptors sit high: the program's files get low numbers
# as without goprof (3, 4, ...; one more while the writer reads a file of its own), and a
# daemon-like sweep closing every descriptor, then loops of dup2() onto the program's own numbers and of close() sweeps over the numbers above
# them (also in a fork child, whose database is opened while they run) leave the program's
# files and the databases whole. A short run syncs twice, at
# its exit's checkpoint (the -wal file, then the database), and never before main().
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_sqlite3
gp_need_go

cat >prog.c <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "burn.h"
#define NFILES 8
void *volatile keep[16];
volatile unsigned long sink;
static int fds[NFILES], slots[NFILES], devnull;

/* 16 blocks of 64 KiB, kept until exit: 1 MiB in use */
__attribute__((noinline)) static void early(void)
{
	for (int i = 0; i < 16; i++) {
		keep[i] = malloc(65536);
		memset(keep[i], i, 65536);
	}
	spin_ms(300);
	sink++;
}

/* the database's size, -1 when there is no file */
static long long db_size(void)
{
	const char *db = getenv("CHECK_DB");
	struct stat st;

	return db && stat(db, &st) == 0 ? (long long)st.st_size : -1;
}

/* every descriptor past stderr closed, as a daemon does at start */
__attribute__((noinline)) static void sweep(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	for (int fd = 3; fd < max && fd < 65536; fd++)
		close(fd);
	sink++;
}

__attribute__((noinline)) static void open_files(void)
{
	char name[32], text[32];

	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "file%d", i);
		fds[i] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		int n = snprintf(text, sizeof(text), "file %d", i);
		if (fds[i] < 0 || write(fds[i], text, (size_t)n) != n)
			exit(11);
		/* plain's numbers: 3, 4, ...; a short read of goprof's writer (a /proc file,
		 * an ELF file) may hold one low number in that moment, never more: goprof's
		 * own descriptors, 3 to 6 before they were placed high, are not there */
		if (fds[i] < 3 + NFILES + 2)
			printf("%s on a low number\n", name);
		else
			printf("%s on %d\n", name, fds[i]);
	}
	/* numbers of the program's own that the loops below put files on */
	devnull = open("/dev/null", O_RDONLY);
	for (int i = 0; i < NFILES; i++)
		if ((slots[i] = dup(devnull)) < 0)
			exit(11);
	if (slots[0] < 3 + NFILES + 3)
		printf("slots from a low number\n");
	else
		printf("slots from %d\n", slots[0]);
}

/*
 * ms of CPU of dup2() onto the program's own slots and of close() over the numbers above
 * them, which the program never uses (as a daemon's sweep does)
 */
__attribute__((noinline)) static void shuffle(unsigned ms)
{
	uint64_t end = thread_cpu_ns() + (uint64_t)ms * 1000000u;
	int above = slots[NFILES - 1] + 1;

	while (thread_cpu_ns() < end) {
		for (int i = 0; i < NFILES; i++) {
			if (dup2(fds[i], slots[i]) != slots[i] ||
			    dup2(devnull, slots[i]) != slots[i])
				exit(12);
			sink += spin(2000);
		}
		for (int fd = above; fd < above + 32; fd++)
			close(fd);
	}
}

/* each file still holds its text */
static void check_files(const char *who)
{
	char want[32], got[32];

	for (int i = 0; i < NFILES; i++) {
		int n = snprintf(want, sizeof(want), "file %d", i);
		if (pread(fds[i], got, sizeof(got), 0) != n || memcmp(got, want, (size_t)n))
			exit(13);
	}
	printf("%s: files whole\n", who);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "early")) {
		/* the writer is held back until go-open exists: no schema yet */
		if (db_size() != 0)
			return 10;
		early();
		if (db_size() != 0)
			return 10;
		close(open("go-open", O_WRONLY | O_CREAT, 0600));
		printf("early done\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "quick"))
		return 0;
	sweep();
	open_files();
	shuffle(200);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* the child's database is opened at its first sample, during the shuffle */
		shuffle(400);
		check_files("child");
		return 0;
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 14;
	check_files("parent");
	return 0;
}
C
# under --enable-sanitizers the program is built without ASan, whose allocator would be its
# malloc instead of goprof's (the runtime it links keeps ASan)
gp_build_c prog prog.c ${GP_SANITIZE:+-fno-sanitize=address}
$GP_CC_PLAIN -O2 -I"$GP_SRCDIR/testsuite/progs" -o plain prog.c ||
	gp_fail "building the plain program failed"

# a shim holding the writer's SQLite open back until the program says so
cat >slow.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>
int sqlite3_open_v2(const char *path, void **db, int flags, const char *vfs)
{
	int (*real)(const char *, void **, int, const char *) =
		(int (*)(const char *, void **, int, const char *))dlsym(RTLD_NEXT, "sqlite3_open_v2");
	struct timespec ts = { 0, 10000000 };

	/* SQLITE_OPEN_READWRITE: the writer's open, not a reader's */
	for (int i = 0; (flags & 2) && i < 6000 && access("go-open", F_OK) != 0; i++)
		nanosleep(&ts, NULL);
	return real(path, db, flags, vfs);
}
C
$GP_CC_PLAIN -O2 -shared -fPIC -o slow.so slow.c -ldl || gp_fail "building the shim failed"
[ -z "${GP_SANITIZE:-}" ] || export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

# --- samples before the schema exists
CHECK_DB=$GP_WORK/early.db GOPROF_DB=$GP_WORK/early.db GOPROF_MEMPROFILE_RATE=1 \
	LD_PRELOAD=$GP_WORK/slow.so gp_run early ./prog early
[ "$GP_RC" = 0 ] || { cat early.err >&2; gp_fail "early: exited with $GP_RC (10: the schema was there before main() or no file)"; }
[ "$(cat early.out)" = "early done" ] || gp_fail "early: output $(cat early.out)"
[ ! -s early.err ] || { cat early.err >&2; gp_fail "early: stderr is not empty"; }
[ "$(gp_q early.db 'PRAGMA integrity_check')" = ok ] || gp_fail "early: the database is not intact"
gp_export early.db heap.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_space >heap.top
took=$(gp_flat heap.top early)
[ "$took" = 1048576 ] || { cat heap.top >&2; gp_fail "early holds ${took} B in use, want 1048576"; }
cpu=$(gp_qs early.db "SELECT coalesce(sum(count), 0) FROM samples s JOIN named n ON
	n.stack_id = s.stack_id WHERE s.profile = 1 AND n.path LIKE '%main>early%'")
[ "$cpu" -ge 10 ] || gp_fail "early: $cpu CPU samples in main>early before the schema, want >= 10"

# --- descriptors: the program's numbers are plain's, its files and the databases whole
gp_run plain ./plain
[ "$GP_RC" = 0 ] || gp_fail "the plain program exited with $GP_RC"
grep -q '^file7 on a low number$' plain.out ||
	gp_fail "plain: the program's files are not on 3 to 12: $(cat plain.out)"
GOPROF_DB=$GP_WORK/fds-%p.db gp_run fds ./prog
[ "$GP_RC" = 0 ] || { cat fds.err >&2; gp_fail "fds: exited with $GP_RC"; }
gp_same_output plain fds
[ ! -s fds.err ] || { cat fds.err >&2; gp_fail "fds: stderr is not empty"; }
[ "$(ls fds-*.db | wc -l)" = 2 ] || gp_fail "fds: want the parent's and the child's database: $(ls fds-*)"
for db in fds-*.db; do
	[ "$(gp_q "$db" 'PRAGMA integrity_check')" = ok ] || gp_fail "fds: $db is not intact"
	n=$(gp_qs "$db" "SELECT coalesce(sum(count), 0) FROM samples s JOIN named n ON
		n.stack_id = s.stack_id WHERE s.profile = 1 AND n.path LIKE '%main>shuffle%'")
	[ "$n" -ge 5 ] || gp_fail "fds: $db has $n CPU samples in main>shuffle, want >= 5"
done

# --- a short run's syncs: two, at exit, the -wal file's then the database's
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true >/dev/null 2>&1; then
	GOPROF_DB=$GP_WORK/quick.db strace -f -qq -y -o sys.log \
		-e trace=fsync,fdatasync,sync_file_range,syncfs,sync ./prog quick ||
		gp_fail "quick: the traced run failed"
	sed 's/^[0-9]* *//' sys.log | grep -v '^+++' >syncs
	printf 'fdatasync(%s-wal>) = 0\nfdatasync(%s>) = 0\n' "$GP_WORK/quick.db" \
		"$GP_WORK/quick.db" >syncs.want
	sed 's/([0-9]*</(/' syncs | cmp -s - syncs.want ||
		{ cat sys.log >&2; gp_fail "quick: the syncs are not the exit's two"; }
	[ ! -e quick.db-wal ] || gp_fail "quick: the -wal file is left"
	[ "$(gp_q quick.db 'PRAGMA integrity_check')" = ok ] || gp_fail "quick: not intact"
elif [ -n "${CI:-}" ]; then
	gp_fail "strace is not installed or cannot trace here"
else
	echo "note: strace is not installed or cannot trace here: the sync check is not run" >&2
fi
exit 0
