#!/bin/sh
# GOPROF_DB_RETAIN deletes the stacks nobody names any more, and the functions and label
# sets only they named: a program that runs a new call path every few microseconds (8
# levels of 8 functions in a new order, under a label that changes every CPU second)
# makes more stack rows in 20 CPU seconds than a 250 kB bound holds, and with
# GOPROF_DB_RETAIN=6s,250kB its database stays within the bound while it runs and at the
# end. What it burned last
# is whole, read by go tool pprof: the 8 steps of each path, the last phase's frames, and
# the first phase's stack, deleted with its function and label set while the paths ran,
# then seen again: written anew (newer ids than the phase before it) under its label.
# Every stack, function and label set a row names is there, and every profile exports.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_sqlite3
gp_need_go

cat >prog.c <<'C'
#include <goprof.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#define DEPTH 8
typedef unsigned long (*step_fn)(const unsigned char *code, int i, unsigned long n);
volatile unsigned long sink;
/* CPU time: as many samples, and stack rows, however busy the machine is */
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}
__attribute__((noinline)) static unsigned long leaf(volatile unsigned long n)
{
	unsigned long x = 0;
	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	return x;
}
#define DECL(k) static unsigned long s##k(const unsigned char *code, int i, unsigned long n);
DECL(0) DECL(1) DECL(2) DECL(3) DECL(4) DECL(5) DECL(6) DECL(7)
static step_fn const steps[8] = { s0, s1, s2, s3, s4, s5, s6, s7 };
/* work after the call: the frame stays; a constant of its own each: none is merged */
#define STEP(k)                                                                            \
	__attribute__((noinline)) static unsigned long s##k(const unsigned char *code, int i, \
							     unsigned long n)             \
	{                                                                                  \
		unsigned long r = i + 1 == DEPTH ? leaf(n) : steps[code[i + 1]](code, i + 1, n); \
		sink += r;                                                                 \
		return r + k;                                                              \
	}
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
/* a new path of DEPTH steps every few microseconds: *p's digits, the fastest at the root */
__attribute__((noinline)) static void churn(double secs, unsigned long *p)
{
	unsigned char code[DEPTH];
	double end = now_s() + secs;
	while (now_s() < end) {
		unsigned long q = (*p)++;
		for (int i = 0; i < DEPTH; i++, q /= 8)
			code[i] = (unsigned char)(q % 8);
		sink += steps[code[0]](code, 0, 2000);
	}
}
__attribute__((noinline)) static void phase_final(double secs)
{
	double end = now_s() + secs;
	while (now_s() < end)
		sink += leaf(20000) + 1;	/* unlike phase_old: never merged with it */
}
__attribute__((noinline)) static void phase_old(double secs)
{
	double end = now_s() + secs;
	while (now_s() < end)
		sink += leaf(20000);
}
int main(void)
{
	unsigned long p = 0;
	char round[16];
	goprof_label_push("round", "old");
	phase_old(1.0);
	goprof_label_pop();
	for (int r = 0; r < 20; r++) {
		snprintf(round, sizeof(round), "%d", r);
		goprof_label_push("round", round);
		churn(1.0, &p);
		goprof_label_pop();
	}
	phase_final(1.0);
	goprof_label_push("round", "old");
	phase_old(1.0);
	goprof_label_pop();
	printf("done\n");
	return 0;
}
C
gp_build_c prog prog.c

bound=250000
GOPROF_DB=$GP_WORK/prof.db GOPROF_CPU_HZ=1000 GOPROF_DB_RETAIN=6s,250kB ./prog >run.out \
	2>run.err &
pid=$!
# while it runs: the file's size, and phase_old's function rows (gone with its stacks
# while the paths run)
while kill -0 $pid 2>/dev/null; do
	# read-only: never the one who makes the file
	echo "$(stat -c %s prof.db 2>/dev/null || echo 0) $(sqlite3 -readonly prof.db \
		"SELECT count(*) FROM functions WHERE name = 'phase_old'" 2>/dev/null)" >>watch.txt
	sleep 0.2
done
wait $pid
rc=$?
[ $rc = 0 ] && [ "$(cat run.out)" = done ] && [ ! -s run.err ] ||
	gp_fail "the program exited with $rc, printed '$(cat run.out)', goprof said '$(cat run.err)'"
max=$(sort -n watch.txt | tail -1 | cut -d' ' -f1)
# a pass every 2 s: an automatic checkpoint may bring in what the seconds between wrote
[ "$max" -le $((bound * 5 / 4)) ] || gp_fail "the database file grew to $max bytes while it ran"
grep -q ' 0$' watch.txt || gp_fail "phase_old's function row was never deleted while the paths ran"
sqlite3 prof.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
used=$(gp_q prof.db 'SELECT (page_count - freelist_count) * page_size FROM pragma_page_count,
	pragma_freelist_count, pragma_page_size')
[ "$used" -le $bound ] || gp_fail "$used bytes in use at the end"
[ "$(sqlite3 prof.db 'PRAGMA integrity_check')" = ok ] || gp_fail "database damaged"

# the stack rows the run made (ids are never used twice) would not fit: each takes 20
# bytes at least (a cell of SQLite's: its id, 4 integers, the 48-bit address among them)
made=$(gp_q prof.db 'SELECT max(id) FROM stacks')
rows=$(gp_q prof.db 'SELECT count(*) FROM stacks')
echo "stacks: $made rows made, $rows kept" >&2
[ $((made * 20)) -gt $bound ] || gp_fail "the run made only $made stack rows: the test proves nothing"
[ $((rows * 4)) -lt "$made" ] || gp_fail "$rows of $made stack rows kept"

# nothing names a row that is not there
dangling=$(gp_q prof.db "SELECT 'samples', count(*) FROM samples WHERE stack_id != 0 AND
	stack_id NOT IN (SELECT id FROM stacks)
UNION ALL SELECT 'snapshot_threads', count(*) FROM snapshot_threads WHERE stack_id != 0 AND
	stack_id NOT IN (SELECT id FROM stacks)
UNION ALL SELECT 'threads', count(*) FROM threads WHERE create_stack != 0 AND
	create_stack NOT IN (SELECT id FROM stacks)
UNION ALL SELECT 'custom_counts', count(*) FROM custom_counts WHERE
	stack_id NOT IN (SELECT id FROM stacks)
UNION ALL SELECT 'stacks.parent', count(*) FROM stacks WHERE parent != 0 AND
	parent NOT IN (SELECT id FROM stacks)
UNION ALL SELECT 'stacks.function_id', count(*) FROM stacks WHERE
	function_id NOT IN (SELECT id FROM functions)
UNION ALL SELECT 'stacks.labels', count(*) FROM stacks WHERE labels != 0 AND
	labels NOT IN (SELECT id FROM labels)
UNION ALL SELECT 'labels.parent', count(*) FROM labels WHERE parent != 0 AND
	parent NOT IN (SELECT id FROM labels)
UNION ALL SELECT 'functions.mapping_id', count(*) FROM functions WHERE mapping_id IS NOT NULL
	AND mapping_id NOT IN (SELECT id FROM mappings)")
[ "$(echo "$dangling" | grep -cv '|0$')" = 0 ] ||
	gp_fail "rows name what is not there: $(echo "$dangling" | grep -v '|0$')"

# the first phase's stack was written again: every row of it is newer than the last phase's
ids=$(gp_qs prof.db "SELECT (SELECT min(stack_id) FROM named WHERE path = 'main>phase_old>leaf')
	> (SELECT max(stack_id) FROM named WHERE path = 'main>phase_final>leaf')")
[ "$ids" = 1 ] || gp_fail "main>phase_old>leaf is not newer than main>phase_final>leaf: \
$(gp_qs prof.db "SELECT * FROM named WHERE path LIKE 'main>phase_%'")"

# what it burned last, through go tool pprof
gp_export prof.db cpu.pb.gz
gp_traces cpu.pb.gz >cpu.traces
gp_traces cpu.pb.gz -tagfocus=round=old >old.traces
final=$(gp_trace_value cpu.traces 'main;phase_final;leaf')
old=$(gp_trace_value old.traces 'main;phase_old;leaf')
echo "phase_final $final ms, phase_old $old ms (round=old)" >&2
[ "$final" -ge 300 ] || { cat cpu.traces >&2; gp_fail "phase_final has $final ms of its 1000"; }
[ "$old" -ge 300 ] || { cat old.traces >&2; gp_fail "phase_old has $old ms of its 1000 under round=old"; }
[ "$(gp_trace_value cpu.traces 'main;phase_old;leaf')" = "$old" ] ||
	gp_fail "phase_old's samples are not all labelled round=old"
# each path that is left: main, churn, up to 8 steps, leaf below the eighth only (a
# sample in a step's own code ends there, one in the clock read has no step)
awk '$2 ~ /(^|;)churn(;|$)/ {
	n = split($2, f, ";"); steps = 0
	while (f[3 + steps] ~ /^s[0-7]$/) steps++
	rest = n - 2 - steps
	if (f[1] != "main" || f[2] != "churn" || steps > 8 || rest > 1 ||
	    (rest == 1 && steps > 0 && (steps != 8 || f[n] != "leaf"))) {
		print "broken path: " $2; bad = 1
	}
	if (steps == 8) whole++
}
END { print whole + 0, "whole paths" > "/dev/stderr"; exit bad || !whole }' cpu.traces ||
	gp_fail "a path lost frames, or none is whole"

# every profile exports and pprof reads it
for t in cpu heap allocs threadcreate goroutine; do
	gp_export prof.db "$t.pb.gz" -t "$t"
	gp_pprof -top "$t.pb.gz" >/dev/null 2>pprof.err ||
		{ cat pprof.err >&2; gp_fail "go tool pprof cannot read the $t export"; }
	gp_export prof.db "$t.txt" -t "$t" -f text
done
gp_export prof.db ui.json -f json
exit 0
