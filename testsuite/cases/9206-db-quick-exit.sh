#!/bin/sh
# A program that exits at once still leaves a complete database (its file made before main()
# runs, its schema by the writer thread), with no sync on the program's thread: the process row with its end, every profile's row, the
# goroutine snapshot at exit and the one allocation made (exactly its bytes, read through go
# tool pprof), in the one file (no -wal, -shm or journal left), and the program's output and
# exit status are plain's. A GOPROF_DB that cannot be written (its directory is missing, or
# it names a file that is not a goprof database) says so in one line and changes nothing else.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_sqlite3
gp_need_go

cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void *volatile keep;
/* one block, kept until exit: in use at the end */
__attribute__((noinline)) static void take(size_t n)
{
	keep = malloc(n);
	memset(keep, 1, n);
	printf("took %zu\n", n);
}
int main(void)
{
	printf("started\n");
	fflush(stdout);
	take((size_t)1 << 20);
	return 3;
}
C
# under --enable-sanitizers the program is built without ASan, whose allocator would be its
# malloc instead of goprof's (the runtime it links keeps ASan)
gp_build_c prog prog.c ${GP_SANITIZE:+-fno-sanitize=address}
$GP_CC_PLAIN -O2 -o plain prog.c || gp_fail "building the plain program failed"
gp_run plain ./plain
[ "$GP_RC" = 3 ] || gp_fail "the plain program exited with $GP_RC"

# --- exits at once, with a database (every allocation sampled)
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 3 ] || gp_fail "the program exited with $GP_RC, not 3"
gp_same_output plain run
[ ! -s run.err ] || { cat run.err >&2; gp_fail "the program's stderr is not empty"; }
for f in prof.db-wal prof.db-shm prof.db-journal; do
	[ ! -e "$f" ] || gp_fail "$f is left beside the database"
done
[ "$(gp_q prof.db 'PRAGMA integrity_check')" = ok ] || gp_fail "the database is not intact"
[ "$(gp_q prof.db 'PRAGMA journal_mode')" = wal ] || gp_fail "the database is not in WAL mode"
pid_end=$(gp_q prof.db "SELECT end_ns >= start_ns FROM process WHERE id = 1")
[ "$pid_end" = 1 ] || gp_fail "the process row has no end: '$pid_end'"
profiles=$(gp_q prof.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM profiles ORDER BY id)")
[ "$profiles" = "cpu allocs frees threadcreate goroutine" ] ||
	gp_fail "profiles: '$profiles'"
snaps=$(gp_q prof.db "SELECT count(*) FROM snapshots")
[ "$snaps" -ge 1 ] || gp_fail "no goroutine snapshot at exit"
gp_export prof.db heap.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_space >heap.top
took=$(gp_flat heap.top take)
[ "$took" = 1048576 ] || { cat heap.top >&2; gp_fail "take holds ${took} B in use, want 1048576"; }
gp_export prof.db goroutine.txt -t goroutine -f text
grep -q '^goroutine profile: total 1$' goroutine.txt ||
	{ cat goroutine.txt >&2; gp_fail "the snapshot at exit does not hold the one thread"; }

# --- no sync on the program's thread before main() prints its first line
if command -v strace >/dev/null 2>&1 &&
	strace -o /dev/null true >/dev/null 2>&1; then
	rm -f prof.db
	GOPROF_DB=$GP_WORK/prof.db strace -qq -o sys.log -e trace=fsync,fdatasync,sync_file_range,write \
		./prog >strace.out 2>strace.err
	grep -q 'write(1, "started' sys.log || { cat strace.err >&2; gp_fail "strace saw no write"; }
	early=$(awk '/write\(1, "started/ { exit } /sync/ { n++ } END { print n + 0 }' sys.log)
	[ "$early" = 0 ] || { cat sys.log >&2; gp_fail "$early syncs before main()"; }
	[ "$(gp_q prof.db 'PRAGMA integrity_check')" = ok ] || gp_fail "the traced run's database"
elif [ -n "${CI:-}" ]; then
	gp_fail "strace is not installed or cannot trace here"
else
	echo "note: strace is not installed or cannot trace here: the sync check is not run" >&2
fi

# --- a database that cannot be written: one line, nothing else changes
check_refused() { # NAME WHY-PATTERN
	[ "$GP_RC" = 3 ] || gp_fail "$1: exited with $GP_RC"
	gp_same_output plain "$1"
	[ "$(wc -l <"$1.err")" = 1 ] && grep -q "^goprof: GOPROF_DB .*$2" "$1.err" ||
		{ cat "$1.err" >&2; gp_fail "$1: stderr is not the one line about '$2'"; }
}
GOPROF_DB=$GP_WORK/no-such-dir/prof.db gp_run missing ./prog
check_refused missing "No such file or directory"
[ ! -e no-such-dir ] || gp_fail "the missing directory was made"
printf 'not a database\n' >other.txt
cp other.txt other.want
GOPROF_DB=$GP_WORK/other.txt gp_run other ./prog
check_refused other "not a goprof database"
cmp -s other.txt other.want || gp_fail "the other file was changed"
exit 0
