/*
 * retain-sim: drives the writer's retention (rt/retain.c, the same code libgoprof runs)
 * with a simulated clock, for the retention tests and bench/retain-bench.sh.
 *
 *	retain-sim [-r RETAIN] -n NOW DB
 *		one retention pass over DB as if the program had run until bucket NOW
 *		(process.end_ns moves there)
 *	retain-sim [-r RETAIN] [-c] -d SECONDS -p PASS -R REPORT SEED OUT
 *		OUT = SEED (a database a real program wrote, checkpointed) extended to SECONDS
 *		of history by repeating its seconds, with a retention pass every PASS
 *		simulated seconds (RETAIN "off": none); prints "seconds bytes" every REPORT
 *		simulated seconds (bytes: the pages in use)
 *
 * RETAIN is GOPROF_DB_RETAIN's syntax (default 7d,1GB, as libgoprof's). Repeating a seed
 * second copies its samples, snapshots and heap statistics rows with times and ids moved;
 * the stacks, functions and threads are the seed's. With -c (changing stacks: a program
 * that runs new code all the time, a JIT, an interpreter running new scripts) each repeat
 * of the whole seed has stacks of its own: copies of the seed's stacks rows under new ids,
 * which its samples and snapshots name.
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "retain.h"

static sqlite3 *db;

static void exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		errx(1, "%s: %s", sql, msg);
}

static int64_t value(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

/* Runs st with ?1..?3 = a, b, c. */
static void run(sqlite3_stmt *st, int64_t a, int64_t b, int64_t c)
{
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	if (sqlite3_step(st) != SQLITE_DONE)
		errx(1, "copy: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

static void pass(const struct gp_retain_limits *lim, int64_t now, struct gp_retain_state *st)
{
	int rc = gp_retain_pass(db, lim, now, st);

	if (rc != SQLITE_OK)
		errx(1, "retention at %lld: %s", (long long)now, sqlite3_errstr(rc));
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	if (!in || !out)
		err(1, "%s", !in ? from : to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err(1, "%s", to);
	if (ferror(in) || fclose(out) != 0)
		err(1, "%s", to);
	fclose(in);
}

int main(int argc, char **argv)
{
	const char *retain = "7d,1GB";
	int64_t now = -1, seconds = 0, every = 2, report = 3600;
	struct gp_retain_limits lim;
	struct gp_retain_state st = { 0 };
	int opt, changing = 0;

	while ((opt = getopt(argc, argv, "r:cn:d:p:R:")) != -1) {
		switch (opt) {
		case 'r': retain = optarg; break;
		case 'c': changing = 1; break;
		case 'n': now = atoll(optarg); break;
		case 'd': seconds = atoll(optarg); break;
		case 'p': every = atoll(optarg); break;
		case 'R': report = atoll(optarg); break;
		default: return 2;
		}
	}
	if (gp_retain_parse(retain, &lim) != 0)
		errx(2, "-r %s: not an age and/or a size", retain);
	if (now >= 0 && optind + 1 == argc) {
		if (sqlite3_open(argv[optind], &db) != SQLITE_OK)
			errx(1, "%s: %s", argv[optind], sqlite3_errmsg(db));
		/* what earlier passes did, from the table they wrote */
		st.deleted = value("SELECT coalesce(max(end_bucket), 0) FROM merged_buckets "
				   "WHERE width = 0");
		st.hour = value("SELECT coalesce(max(end_bucket), 0) FROM merged_buckets "
				"WHERE width = 3600");
		st.minute = value("SELECT coalesce(max(end_bucket), 0) FROM merged_buckets "
				  "WHERE width = 60");
		if (st.hour < st.deleted)
			st.hour = st.deleted;
		if (st.minute < st.hour)
			st.minute = st.hour;
		pass(&lim, now, &st);
		/* the program ran until now: its last commit says so */
		char sql[160];
		snprintf(sql, sizeof(sql), "UPDATE process SET end_ns = max(coalesce(end_ns, 0), "
			 "start_ns + %lld * bucket_ns)", (long long)now);
		exec(sql);
		sqlite3_close(db);
		return 0;
	}
	if (!seconds || optind + 2 != argc || every < 1 || report < 1)
		errx(2, "usage: retain-sim [-r RETAIN] -n NOW DB | [-r RETAIN] [-c] -d SECONDS "
		     "[-p PASS] [-R REPORT] SEED OUT");
	copy_file(argv[optind], argv[optind + 1]);
	if (sqlite3_open(argv[optind + 1], &db) != SQLITE_OK)
		errx(1, "%s: %s", argv[optind + 1], sqlite3_errmsg(db));
	int64_t bucket_ns = value("SELECT bucket_ns FROM process");
	int64_t first = value("SELECT min(bucket) FROM samples");
	int64_t span = value("SELECT max(bucket) FROM samples") - first + 1;
	int64_t max_snap = value("SELECT max(id) FROM snapshots");
	int64_t max_stack = value("SELECT max(id) FROM stacks");
	if (span < 1 || bucket_ns != 1000000000)
		errx(1, "%s: no samples in one-second buckets", argv[optind]);
	exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF");
	exec("CREATE TEMP TABLE seed_samples AS SELECT * FROM samples");
	exec("CREATE TEMP TABLE seed_snapshots AS SELECT * FROM snapshots");
	exec("CREATE TEMP TABLE seed_snapshot_threads AS SELECT * FROM snapshot_threads");
	exec("CREATE TEMP TABLE seed_heapstats AS SELECT * FROM heapstats");
	exec("CREATE TEMP TABLE seed_stacks AS SELECT * FROM stacks");
	exec("CREATE INDEX temp.seed_samples_bucket ON seed_samples (bucket)");
	exec("CREATE INDEX temp.seed_snapshots_time ON seed_snapshots (time_ns)");
	exec("CREATE INDEX temp.seed_threads_snapshot ON seed_snapshot_threads (snapshot)");
	exec("CREATE INDEX temp.seed_heapstats_time ON seed_heapstats (time_ns)");
	int64_t origin = value("SELECT start_ns FROM process");
	/* ?3, and ?1 of cp_stacks: the stack id offset (-c) */
	sqlite3_stmt *cp_samples = prep(
		"INSERT INTO samples SELECT profile, ?1, stack_id + (stack_id != 0) * ?3, tid, "
		"count, value FROM seed_samples WHERE bucket = ?2 ON CONFLICT DO NOTHING");
	sqlite3_stmt *cp_stacks = prep(
		"INSERT INTO stacks SELECT id + ?1, parent + (parent != 0) * ?1, function_id, "
		"labels, address FROM seed_stacks");
	/* ?1: the seed second's start; ?2: the time offset; ?3: the id offset */
	sqlite3_stmt *cp_snaps = prep(
		"INSERT INTO snapshots SELECT id + ?3, time_ns + ?2 FROM seed_snapshots WHERE "
		"time_ns >= ?1 AND time_ns < ?1 + 1000000000");
	sqlite3_stmt *cp_threads = prep(
		"INSERT INTO snapshot_threads SELECT t.snapshot + ?3, t.tid, t.thread_start_ns, "
		"t.state, t.wait_object, t.wait_since_ns, t.stack_id + (t.stack_id != 0) * ?4 "
		"FROM seed_snapshot_threads t JOIN seed_snapshots s ON s.id = t.snapshot WHERE "
		"s.time_ns >= ?1 AND s.time_ns < ?1 + 1000000000");
	sqlite3_stmt *cp_heap = prep(
		"INSERT OR IGNORE INTO heapstats SELECT time_ns + ?2, mallocs, frees, alloc_bytes, "
		"live_bytes, arena, hblkhd, uordblks, fordblks, keepcost, max_rss FROM "
		"seed_heapstats WHERE time_ns >= ?1 AND time_ns < ?1 + 1000000000");

	exec("BEGIN");
	for (int64_t t = first + span; t < first + seconds; t++) {
		int64_t cycle = (t - first) / span, src = first + (t - first) % span;
		int64_t src_ns = origin + src * bucket_ns, off_ns = (t - src) * bucket_ns;
		int64_t off_stack = changing ? cycle * max_stack : 0;
		if (changing && src == first)
			run(cp_stacks, off_stack, 0, 0);
		run(cp_samples, t, src, off_stack);
		run(cp_snaps, src_ns, off_ns, cycle * max_snap);
		sqlite3_bind_int64(cp_threads, 4, off_stack);
		run(cp_threads, src_ns, off_ns, cycle * max_snap);
		run(cp_heap, src_ns, off_ns, 0);
		if ((t + 1) % every == 0 && (lim.age_buckets || lim.max_bytes)) {
			exec("COMMIT");
			pass(&lim, t + 1, &st);
			exec("BEGIN");
		}
		if ((t + 1 - first) % report == 0) {
			exec("COMMIT");
			int64_t pages = value("PRAGMA page_count") - value("PRAGMA freelist_count");
			printf("%lld %lld\n", (long long)(t + 1 - first),
			       (long long)(pages * value("PRAGMA page_size")));
			fflush(stdout);
			exec("BEGIN");
		}
	}
	exec("COMMIT");
	exec("PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_finalize(cp_samples);
	sqlite3_finalize(cp_snaps);
	sqlite3_finalize(cp_threads);
	sqlite3_finalize(cp_heap);
	sqlite3_finalize(cp_stacks);
	sqlite3_close(db);
	return 0;
}
