/*
 * gen-db: writes a synthetic goprof database (lib/gp-schema.h) for the exporter's benchmark
 * and tests, without running a profiled program.
 *
 *	gen-db [-s SAMPLE_ROWS] [-k STACKS] [-n FUNCTIONS] [-d MAX_DEPTH] [-b BUCKETS]
 *	       [-T THREADS] OUT.db
 *	gen-db -m small|phases OUT.db
 *
 * The default (bench) shape: SAMPLE_ROWS rows spread evenly over BUCKETS one-second buckets,
 * drawn from STACKS distinct stacks of depth MAX_DEPTH/2..MAX_DEPTH over FUNCTIONS
 * functions. The "small" shape is a known profile for tests: main>work>burn_a 300 samples,
 * main>work>burn_b 100 (of which 20 with the PC in memcpy), 4 lost samples, in buckets 0-3.
 * The "phases" shape is a known history for the web UI's tests (gen_phases).
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gp-schema.h"

#define START_NS 1700000000000000000ll
#define HZ 100

static sqlite3 *db;

static void exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		errx(1, "%s: %s", sql, msg);
}

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

static void step(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		errx(1, "insert: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

static sqlite3_stmt *ins_func, *ins_stack, *ins_sample;
static int64_t next_stack = 1;

static void func(int64_t id, const char *name, const char *file, int line, int kind)
{
	sqlite3_bind_int64(ins_func, 1, id);
	sqlite3_bind_text(ins_func, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_func, 3, file, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(ins_func, 4, line);
	sqlite3_bind_int(ins_func, 5, kind);
	step(ins_func);
}

static int64_t stack(int64_t parent, int64_t fn)
{
	sqlite3_bind_int64(ins_stack, 1, next_stack);
	sqlite3_bind_int64(ins_stack, 2, parent);
	sqlite3_bind_int64(ins_stack, 3, fn);
	step(ins_stack);
	return next_stack++;
}

static void sample_of(int profile, int64_t bucket, int64_t st, int64_t tid, int64_t count,
		      int64_t value)
{
	sqlite3_bind_int(ins_sample, 1, profile);
	sqlite3_bind_int64(ins_sample, 2, bucket);
	sqlite3_bind_int64(ins_sample, 3, st);
	sqlite3_bind_int64(ins_sample, 4, tid);
	sqlite3_bind_int64(ins_sample, 5, count);
	sqlite3_bind_int64(ins_sample, 6, value);
	step(ins_sample);
}

static void sample(int64_t bucket, int64_t st, int64_t tid, int64_t count)
{
	sample_of(GP_PROFILE_CPU, bucket, st, tid, count, count * (1000000000 / HZ));
	/* the per-thread totals the runtime's writer keeps beside them */
	sample_of(GP_PROFILE_CPU_THREADS, bucket, 0, tid, count, count * (1000000000 / HZ));
}

/* A small deterministic generator (xorshift64*), so that every run gives the same file. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void gen_small(void)
{
	func(1, "main", "/src/small.c", 40, GP_FUNC_KIND_RECORD);
	func(2, "work", "/src/small.c", 30, GP_FUNC_KIND_RECORD);
	func(3, "burn_a", "/src/small.c", 10, GP_FUNC_KIND_RECORD);
	func(4, "burn_b", "/src/small.c", 20, GP_FUNC_KIND_RECORD);
	func(5, "memcpy", "", 0, GP_FUNC_KIND_SYMBOL);
	func(6, GP_LOST_FUNCTION, "", 0, GP_FUNC_KIND_SYNTHETIC);
	int64_t m = stack(0, 1), w = stack(m, 2), a = stack(w, 3), b = stack(w, 4);
	int64_t mc = stack(b, 5), lost = stack(0, 6);
	for (int bucket = 0; bucket < 4; bucket++) {
		sample(bucket, a, 101, 75);
		sample(bucket, b, 101, 20);
		sample(bucket, mc, 101, 5);
		sample(bucket, lost, 101, 1);
	}
	exec("INSERT INTO threads (tid, start_ns, end_ns, name) VALUES (101, 1700000000000000000, NULL, 'small')");
}

/* A stack row that names the label set labels: a copy of the leaf row leaf (schema 4). */
static int64_t labelled(int64_t parent, int64_t fn, int64_t labels)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "INSERT INTO stacks (id, parent, function_id, labels) "
		 "VALUES (%lld, %lld, %lld, %lld)",
		 (long long)next_stack, (long long)parent, (long long)fn, (long long)labels);
	exec(sql);
	return next_stack++;
}

/*
 * Ten seconds in two phases, each labelled phase=one or phase=two. Thread 101 runs
 * main>work>burn_a 90 and main>work>burn_b 10 samples a second in buckets 0-4, then 10 and
 * 90 in buckets 5-9; thread 102 ("helper", alive from 3 s to 8 s) runs main>helper 10 a
 * second in buckets 3-8. So burn_a is 500 of 1060 samples in all (47.17 %), 450 of 520 in
 * the first five seconds (86.54 %) and burn_b 450 of 540 in the last five (83.33 %).
 * Heap (rate 1, every allocation): main>alloc_big allocates 4 blocks of 1000000 bytes in
 * bucket 2 and frees 2 of them in bucket 7.
 */
static void gen_phases(void)
{
	func(1, "main", "/src/phases.c", 50, GP_FUNC_KIND_RECORD);
	func(2, "work", "/src/phases.c", 40, GP_FUNC_KIND_RECORD);
	func(3, "burn_a", "/src/phases.c", 10, GP_FUNC_KIND_RECORD);
	func(4, "burn_b", "/src/phases.c", 20, GP_FUNC_KIND_RECORD);
	func(5, "helper", "/src/phases.c", 30, GP_FUNC_KIND_RECORD);
	func(6, "alloc_big", "/src/phases.c", 60, GP_FUNC_KIND_RECORD);
	exec("INSERT INTO labels VALUES (1, 0, 'phase', 'one'), (2, 0, 'phase', 'two')");
	int64_t m = stack(0, 1), w = stack(m, 2), h = stack(m, 5), big = stack(m, 6);
	int64_t a1 = labelled(w, 3, 1), b1 = labelled(w, 4, 1);
	int64_t a2 = labelled(w, 3, 2), b2 = labelled(w, 4, 2);
	for (int bucket = 0; bucket < 10; bucket++) {
		int first = bucket < 5;
		sample(bucket, first ? a1 : a2, 101, first ? 90 : 10);
		sample(bucket, first ? b1 : b2, 101, first ? 10 : 90);
		if (bucket >= 3 && bucket <= 8)
			sample(bucket, h, 102, 10);
	}
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'allocs', 1, 1, %lld), "
		 "(%d, 'frees', 1, 1, %lld)", GP_PROFILE_ALLOCS, START_NS, GP_PROFILE_FREES,
		 START_NS);
	exec(sql);
	sample_of(GP_PROFILE_ALLOCS, 2, big, 0, 4, 4000000);
	sample_of(GP_PROFILE_FREES, 7, big, 0, 2, 2000000);
	snprintf(sql, sizeof(sql), "INSERT INTO threads (tid, start_ns, end_ns, name) VALUES "
		 "(101, %lld, NULL, 'phases'), (102, %lld, %lld, 'helper')", START_NS,
		 START_NS + 3000000000ll, START_NS + 8500000000ll);
	exec(sql);
}

static void gen_bench(long rows, long nstacks, long nfuncs, long depth, long buckets,
		      long threads)
{
	char name[160], file[64];
	int64_t *leaves = malloc(nstacks * sizeof(*leaves));

	if (!leaves)
		errx(1, "out of memory");
	func(1, "main", "/src/bench/main.c", 1, GP_FUNC_KIND_RECORD);
	for (long f = 2; f <= nfuncs; f++) {
		snprintf(name, sizeof(name), "module%ld_function_%ld", f % 97, f);
		snprintf(file, sizeof(file), "/src/bench/module%ld.c", f % 97);
		func(f, name, file, (int)(f % 5000) + 1, GP_FUNC_KIND_RECORD);
	}
	/* a shared trunk of 4 frames, then random frames: distinct stacks almost surely */
	int64_t trunk = stack(0, 1);
	for (int i = 0; i < 3; i++)
		trunk = stack(trunk, 2 + i);
	for (long s = 0; s < nstacks; s++) {
		long d = depth / 2 + (long)(rnd() % (uint64_t)(depth - depth / 2 + 1));
		int64_t node = trunk;
		for (long k = 4; k < d; k++)
			node = stack(node, 2 + (int64_t)(rnd() % (uint64_t)(nfuncs - 1)));
		leaves[s] = node;
	}
	long per_bucket = (rows + buckets - 1) / buckets, done = 0;
	for (long b = 0; b < buckets && done < rows; b++) {
		for (long j = 0; j < per_bucket && done < rows; j++, done++) {
			long k = (long)(((uint64_t)j * 7919u + (uint64_t)b * 31u) % (uint64_t)nstacks);
			/* every thread busy; a stack seen twice in a bucket: on another thread */
			long tid = 1000 + (per_bucket <= nstacks ? j : j / nstacks) % threads;
			sample(b, leaves[k], tid, 1 + (int64_t)(rnd() % 3));
		}
	}
	for (long t = 0; t < threads; t++) {
		snprintf(name, sizeof(name),
			 "INSERT INTO threads (tid, start_ns, end_ns, name) "
			 "VALUES (%ld, %lld, NULL, 'worker-%ld')", 1000 + t, START_NS, t);
		exec(name);
	}
	free(leaves);
}

int main(int argc, char **argv)
{
	long rows = 1000000, nstacks = 50000, nfuncs = 5000, depth = 24, buckets = 1000;
	long threads = 4;
	const char *mode = "bench";
	int c;

	while ((c = getopt(argc, argv, "s:k:n:d:b:T:m:")) != -1) {
		switch (c) {
		case 's': rows = atol(optarg); break;
		case 'k': nstacks = atol(optarg); break;
		case 'n': nfuncs = atol(optarg); break;
		case 'd': depth = atol(optarg); break;
		case 'b': buckets = atol(optarg); break;
		case 'T': threads = atol(optarg); break;
		case 'm': mode = optarg; break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || rows < 1 || nstacks < 1 || nfuncs < 8 || depth < 5 ||
	    buckets < 1 || threads < 1)
		errx(2, "usage: gen-db [-s ROWS] [-k STACKS] [-n FUNCS] [-d DEPTH] [-b BUCKETS] "
		     "[-T THREADS] [-m bench|small|phases] OUT.db");
	unlink(argv[optind]);
	if (sqlite3_open(argv[optind], &db) != SQLITE_OK)
		errx(1, "%s: %s", argv[optind], sqlite3_errmsg(db));
	exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
	exec(GP_SCHEMA_SQL);
	char sql[512];
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 GP_SCHEMA_APPLICATION_ID, GP_SCHEMA_VERSION);
	exec(sql);
	exec("BEGIN");
	long nb = strcmp(mode, "small") == 0 ? 4 : strcmp(mode, "phases") == 0 ? 10 : buckets;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO process VALUES (1, 4242, 1, 'genhost', '/usr/bin/%s-prog', "
		 "'0123456789abcdef0123456789abcdef01234567', X'70726f6700', %lld, %lld, %llu, "
		 "'%s')", mode, START_NS, START_NS + nb * (long long)GP_BUCKET_NS,
		 GP_BUCKET_NS, PACKAGE_VERSION);
	exec(sql);
	snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'cpu', %d, %d, %lld)",
		 GP_PROFILE_CPU, HZ, 1000000000 / HZ, START_NS);
	exec(sql);
	snprintf(sql, sizeof(sql), "INSERT INTO mappings VALUES (1, '/usr/bin/%s-prog', "
		 "'0123456789abcdef0123456789abcdef01234567', 4194304, 8388608, 0)", mode);
	exec(sql);
	ins_func = prep("INSERT INTO functions VALUES (?1, ?2, ?3, ?4, ?5, 1)");
	ins_stack = prep("INSERT INTO stacks (id, parent, function_id) VALUES (?1, ?2, ?3)");
	ins_sample = prep("INSERT INTO samples VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT "
			  "DO UPDATE SET count = count + excluded.count, "
			  "value = value + excluded.value");
	if (strcmp(mode, "small") == 0)
		gen_small();
	else if (strcmp(mode, "phases") == 0)
		gen_phases();
	else
		gen_bench(rows, nstacks, nfuncs, depth, buckets, threads);
	exec("COMMIT");
	sqlite3_finalize(ins_func);
	sqlite3_finalize(ins_stack);
	sqlite3_finalize(ins_sample);
	if (sqlite3_close(db) != SQLITE_OK)
		errx(1, "close: %s", sqlite3_errmsg(db));
	return 0;
}
