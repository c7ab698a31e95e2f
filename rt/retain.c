/*
 * Retention (retain.h): the per-second samples of a long run are added up into per-minute
 * rows after an hour and per-hour rows after a day; snapshots, heap statistics and custom
 * counts are thinned to the newest one of each minute or hour the same way; what is older
 * than the age goes, then the oldest history goes until the pages in use fit the size.
 * Totals are kept by every merge (a merged row is the sum of the rows it replaces), and
 * the heap's bytes in use by every deletion (the net of the deleted allocs and frees rows
 * stays in bucket 0). The table merged_buckets says which widths the rows have. Stacks,
 * labels and functions rows that nothing names any more go with the history that named
 * them (sweep()): a program whose stacks keep changing would otherwise outgrow any size.
 *
 * Called by the writer thread between two commits (writer.c), or by a benchmark; only
 * SQLite is used here.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retain.h"
#include "gp-schema.h"

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Runs sql with ?1..?4 bound to a, b, c, d; the SQLite result. */
static int run(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c, int64_t d)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	int n = sqlite3_bind_parameter_count(st);
	int64_t v[4] = { a, b, c, d };
	for (int i = 0; i < n && i < 4; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The first value of the first row of sql, or def. */
static int64_t value(sqlite3 *db, const char *sql, int64_t def)
{
	sqlite3_stmt *st;
	int64_t v = def;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return def;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The profiles with samples rows, the per-thread CPU totals included. */
static const int sample_profiles[] = {
	GP_PROFILE_CPU, GP_PROFILE_ALLOCS, GP_PROFILE_FREES, GP_PROFILE_BLOCK, GP_PROFILE_MUTEX,
	GP_PROFILE_CPU_THREADS,
};
#define NSAMPLE_PROFILES (sizeof(sample_profiles) / sizeof(sample_profiles[0]))

/* Samples rows of buckets [lo, hi) added up into one row per width w (lo, hi multiples). */
static int merge_samples(sqlite3 *db, int64_t lo, int64_t hi, int64_t w)
{
	/* per profile: the primary key (profile, bucket, ...) makes each a range scan */
	for (size_t i = 0; i < NSAMPLE_PROFILES; i++) {
		int p = sample_profiles[i];
		int rc = run(db, "INSERT INTO samples SELECT profile, bucket - bucket % ?4, "
			     "stack_id, tid, sum(count), sum(value) FROM samples WHERE "
			     "profile = ?1 AND bucket >= ?2 AND bucket < ?3 AND bucket % ?4 != 0 "
			     "GROUP BY 2, 3, 4 ON CONFLICT (profile, bucket, stack_id, tid) DO "
			     "UPDATE SET count = count + excluded.count, "
			     "value = value + excluded.value", p, lo, hi, w);
		if (rc == SQLITE_OK)
			rc = run(db, "DELETE FROM samples WHERE profile = ?1 AND bucket >= ?2 AND "
				 "bucket < ?3 AND bucket % ?4 != 0", p, lo, hi, w);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/*
 * Snapshots, heap statistics and custom counts taken in [lo_ns, hi_ns): the newest of each
 * width w_ns (counted from origin_ns) is kept.
 */
static int thin_times(sqlite3 *db, int64_t lo_ns, int64_t hi_ns, int64_t w_ns, int64_t origin)
{
	int rc = run(db, "DELETE FROM snapshot_threads WHERE snapshot IN (SELECT id FROM "
		     "snapshots WHERE time_ns >= ?1 AND time_ns < ?2 AND id NOT IN (SELECT "
		     "max(id) FROM snapshots WHERE time_ns >= ?1 AND time_ns < ?2 "
		     "GROUP BY (time_ns - ?4) / ?3))", lo_ns, hi_ns, w_ns, origin);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM snapshots WHERE time_ns >= ?1 AND time_ns < ?2 AND "
			 "id NOT IN (SELECT max(id) FROM snapshots WHERE time_ns >= ?1 AND "
			 "time_ns < ?2 GROUP BY (time_ns - ?4) / ?3)", lo_ns, hi_ns, w_ns,
			 origin);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM heapstats WHERE time_ns >= ?1 AND time_ns < ?2 AND "
			 "time_ns NOT IN (SELECT max(time_ns) FROM heapstats WHERE "
			 "time_ns >= ?1 AND time_ns < ?2 GROUP BY (time_ns - ?4) / ?3)", lo_ns,
			 hi_ns, w_ns, origin);
	/* a custom count holds from its row on: the last one of each width says the same */
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM custom_counts WHERE time_ns >= ?1 AND time_ns < ?2 AND "
			 "(profile, stack_id, time_ns) NOT IN (SELECT profile, stack_id, "
			 "max(time_ns) FROM custom_counts WHERE time_ns >= ?1 AND time_ns < ?2 "
			 "GROUP BY profile, stack_id, (time_ns - ?4) / ?3)", lo_ns, hi_ns, w_ns,
			 origin);
	return rc;
}

/*
 * Everything before bucket cut (time cut_ns) goes: samples, but the heap's net (allocs
 * minus frees per stack, which is what the bytes in use need) added into bucket 0;
 * snapshots but the newest, heap statistics, traces, ended threads; a custom count's rows
 * but the last one (it still holds), which goes too if it says 0.
 */
static int delete_before(sqlite3 *db, int64_t cut, int64_t cut_ns)
{
	int rc = SQLITE_OK;

	for (int p = GP_PROFILE_ALLOCS; p <= GP_PROFILE_FREES && rc == SQLITE_OK; p++) {
		rc = run(db, "INSERT INTO samples SELECT profile, 0, stack_id, tid, sum(count), "
			 "sum(value) FROM samples WHERE profile = ?1 AND bucket > 0 AND "
			 "bucket < ?2 GROUP BY 3, 4 ON CONFLICT (profile, bucket, stack_id, "
			 "tid) DO UPDATE SET count = count + excluded.count, "
			 "value = value + excluded.value", p, cut, 0, 0);
		if (rc == SQLITE_OK)
			rc = run(db, "DELETE FROM samples WHERE profile = ?1 AND bucket > 0 AND "
				 "bucket < ?2", p, cut, 0, 0);
	}
	/* a block is freed in its allocation's bucket or later: the net is never negative */
	if (rc == SQLITE_OK)
		rc = run(db, "UPDATE samples AS a SET count = a.count - f.count, value = a.value - "
			 "f.value FROM (SELECT stack_id, tid, count, value FROM samples WHERE "
			 "profile = ?2 AND bucket = 0) AS f WHERE a.profile = ?1 AND a.bucket = 0 "
			 "AND a.stack_id = f.stack_id AND a.tid = f.tid", GP_PROFILE_ALLOCS,
			 GP_PROFILE_FREES, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM samples WHERE (profile = ?2 AND bucket = 0) OR "
			 "(profile = ?1 AND bucket = 0 AND count <= 0 AND value <= 0)",
			 GP_PROFILE_ALLOCS, GP_PROFILE_FREES, 0, 0);
	for (size_t i = 0; i < NSAMPLE_PROFILES && rc == SQLITE_OK; i++) {
		int p = sample_profiles[i];
		if (p != GP_PROFILE_ALLOCS && p != GP_PROFILE_FREES)
			rc = run(db, "DELETE FROM samples WHERE profile = ?1 AND bucket < ?2", p,
				 cut, 0, 0);
	}
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM snapshot_threads WHERE snapshot IN (SELECT id FROM "
			 "snapshots WHERE time_ns < ?1 AND id < (SELECT max(id) FROM snapshots))",
			 cut_ns, 0, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM snapshots WHERE time_ns < ?1 AND id < (SELECT max(id) "
			 "FROM snapshots)", cut_ns, 0, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM heapstats WHERE time_ns < ?1 AND time_ns < (SELECT "
			 "max(time_ns) FROM heapstats)", cut_ns, 0, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM traces WHERE end_ns < ?1", cut_ns, 0, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM threads WHERE end_ns IS NOT NULL AND end_ns < ?1", cut_ns,
			 0, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM custom_counts WHERE time_ns < ?1 AND (profile, "
			 "stack_id, time_ns) NOT IN (SELECT profile, stack_id, max(time_ns) "
			 "FROM custom_counts WHERE time_ns < ?1 GROUP BY profile, stack_id)",
			 cut_ns, 0, 0, 0);
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM custom_counts WHERE time_ns < ?1 AND count = 0", cut_ns,
			 0, 0, 0);
	return rc;
}

/*
 * The stacks rows nothing names: no row of samples, snapshot_threads, threads or
 * custom_counts, no id pins holds, no stack kept as its caller; then the labels rows no
 * kept stack names (nor a kept set as its parent, nor pins), then the functions rows no
 * kept stack names. Each deleted id goes into its retain_gone_* table as well.
 */
static int sweep(sqlite3 *db, const struct gp_retain_pins *pins)
{
	static const char *const sql[] = {
		"CREATE TEMP TABLE IF NOT EXISTS retain_pin_stacks (id INTEGER PRIMARY KEY)",
		"CREATE TEMP TABLE IF NOT EXISTS retain_pin_labels (id INTEGER PRIMARY KEY)",
		"CREATE TEMP TABLE IF NOT EXISTS retain_keep (id INTEGER PRIMARY KEY)",
		"DELETE FROM retain_pin_stacks",
		"DELETE FROM retain_pin_labels",
		NULL,	/* pins */
		"DELETE FROM retain_keep",
		/* a tree: a row's callers up to the root, each once (UNION) */
		"WITH RECURSIVE named(id) AS (SELECT stack_id FROM samples UNION "
		"SELECT stack_id FROM snapshot_threads UNION SELECT create_stack FROM threads "
		"UNION SELECT stack_id FROM custom_counts UNION SELECT id FROM retain_pin_stacks), "
		"k(id) AS (SELECT id FROM named UNION SELECT s.parent FROM stacks s JOIN k ON "
		"s.id = k.id WHERE s.parent != 0) INSERT INTO retain_keep SELECT id FROM k "
		"WHERE id != 0",
		"INSERT OR IGNORE INTO retain_gone_stacks SELECT id FROM stacks WHERE id NOT IN "
		"(SELECT id FROM retain_keep)",
		"DELETE FROM stacks WHERE id NOT IN (SELECT id FROM retain_keep)",
		"DELETE FROM retain_keep",
		"WITH RECURSIVE named(id) AS (SELECT labels FROM stacks UNION "
		"SELECT id FROM retain_pin_labels), k(id) AS (SELECT id FROM named UNION "
		"SELECT l.parent FROM labels l JOIN k ON l.id = k.id WHERE l.parent != 0) "
		"INSERT INTO retain_keep SELECT id FROM k WHERE id != 0",
		"INSERT OR IGNORE INTO retain_gone_labels SELECT id FROM labels WHERE id NOT IN "
		"(SELECT id FROM retain_keep)",
		"DELETE FROM labels WHERE id NOT IN (SELECT id FROM retain_keep)",
		"DELETE FROM retain_keep",
		"INSERT OR IGNORE INTO retain_gone_functions SELECT id FROM functions WHERE id "
		"NOT IN (SELECT function_id FROM stacks)",
		"DELETE FROM functions WHERE id NOT IN (SELECT function_id FROM stacks)",
	};
	int rc = SQLITE_OK;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == SQLITE_OK; i++)
		rc = sql[i] ? exec(db, sql[i]) : pins ? pins->pin(db, pins->ctx) : SQLITE_OK;
	return rc;
}

/* merged_buckets as st says. */
static int write_spans(sqlite3 *db, const struct gp_retain_state *st)
{
	int rc = exec(db, "DELETE FROM merged_buckets");
	static const char ins[] = "INSERT INTO merged_buckets VALUES (?1, ?2, ?3)";

	if (rc == SQLITE_OK && st->deleted > 0)
		rc = run(db, ins, 0, st->deleted, 0, 0);
	if (rc == SQLITE_OK && st->hour > st->deleted)
		rc = run(db, ins, st->deleted, st->hour, 3600, 0);
	if (rc == SQLITE_OK && st->minute > st->hour)
		rc = run(db, ins, st->hour, st->minute, 60, 0);
	return rc;
}

/*
 * A cut moved to a bucket where no coarser row straddles it: up (round) or down to a
 * whole hour inside the per-hour range, to a whole minute inside the per-minute range.
 */
static int64_t align(int64_t cut, const struct gp_retain_state *st, int up)
{
	int64_t w = cut <= st->hour ? 3600 : cut <= st->minute ? 60 : 1;

	return (cut + (up ? w - 1 : 0)) / w * w;
}

/* One step to the state want, in a transaction; a sweep too when want->swept moves. */
static int step(sqlite3 *db, struct gp_retain_state *st, const struct gp_retain_state *want,
		int64_t start_ns, int64_t bucket_ns, const struct gp_retain_pins *pins)
{
	int rc = exec(db, "BEGIN");

	if (rc != SQLITE_OK)
		return rc;
	if (want->deleted > st->deleted)
		rc = delete_before(db, want->deleted, start_ns + want->deleted * bucket_ns);
	if (rc == SQLITE_OK && want->hour > st->hour) {
		int64_t lo = st->hour > want->deleted ? st->hour : want->deleted;
		rc = merge_samples(db, lo, want->hour, 3600);
		if (rc == SQLITE_OK)
			rc = thin_times(db, start_ns + lo * bucket_ns,
					start_ns + want->hour * bucket_ns, 3600 * bucket_ns,
					start_ns);
	}
	if (rc == SQLITE_OK && want->minute > st->minute) {
		int64_t lo = st->minute > want->hour ? st->minute : want->hour;
		rc = merge_samples(db, lo, want->minute, 60);
		if (rc == SQLITE_OK)
			rc = thin_times(db, start_ns + lo * bucket_ns,
					start_ns + want->minute * bucket_ns, 60 * bucket_ns,
					start_ns);
	}
	if (rc == SQLITE_OK && want->swept != st->swept)
		rc = sweep(db, pins);
	if (rc == SQLITE_OK)
		rc = write_spans(db, want);
	if (rc == SQLITE_OK)
		rc = exec(db, "COMMIT");
	if (rc != SQLITE_OK) {
		exec(db, "ROLLBACK");
		return rc;
	}
	*st = *want;
	return SQLITE_OK;
}

static int64_t used_bytes(sqlite3 *db)
{
	return (value(db, "PRAGMA page_count", 0) - value(db, "PRAGMA freelist_count", 0)) *
	       value(db, "PRAGMA page_size", 4096);
}

int gp_retain_pass(sqlite3 *db, const struct gp_retain_limits *lim, int64_t now,
		   struct gp_retain_state *st)
{
	return gp_retain_pass_pinned(db, lim, now, st, NULL);
}

int gp_retain_pass_pinned(sqlite3 *db, const struct gp_retain_limits *lim, int64_t now,
			  struct gp_retain_state *st, const struct gp_retain_pins *pins)
{
	int64_t start_ns = value(db, "SELECT start_ns FROM process WHERE id = 1", 0);
	int64_t bucket_ns = value(db, "SELECT bucket_ns FROM process WHERE id = 1", 1000000000);
	struct gp_retain_state want = *st;
	int rc;

	if (now - GP_RETAIN_MINUTE_AFTER > want.minute)
		want.minute = (now - GP_RETAIN_MINUTE_AFTER) / 60 * 60;
	if (now - GP_RETAIN_HOUR_AFTER > want.hour)
		want.hour = (now - GP_RETAIN_HOUR_AFTER) / 3600 * 3600;
	if (lim->age_buckets && now - lim->age_buckets > want.deleted)
		want.deleted = align(now - lim->age_buckets, &want, 0);
	if (want.hour < want.deleted)
		want.hour = want.deleted;
	if (want.minute < want.hour)
		want.minute = want.hour;
	rc = exec(db, "CREATE TEMP TABLE IF NOT EXISTS retain_gone_stacks (id INTEGER PRIMARY "
		  "KEY); CREATE TEMP TABLE IF NOT EXISTS retain_gone_labels (id INTEGER PRIMARY "
		  "KEY); CREATE TEMP TABLE IF NOT EXISTS retain_gone_functions (id INTEGER "
		  "PRIMARY KEY); DELETE FROM retain_gone_stacks; DELETE FROM retain_gone_labels; "
		  "DELETE FROM retain_gone_functions");
	if (rc != SQLITE_OK)
		return rc;
	/* a sweep reads every row: after an eighth of the history kept went */
	if (want.deleted > st->deleted && (want.deleted - st->swept) * 8 >= now - want.deleted)
		want.swept = want.deleted;
	if (memcmp(&want, st, sizeof(want)) != 0 &&
	    (rc = step(db, st, &want, start_ns, bucket_ns, pins)) != SQLITE_OK)
		return rc;

	/* over the size: the oldest eighth of what is left, until it fits */
	while (lim->max_bytes && used_bytes(db) > lim->max_bytes && st->deleted < now - 1) {
		int64_t left = now - 1 - st->deleted;
		want = *st;
		want.deleted = align(st->deleted + (left + 7) / 8, st, 1);
		if (want.deleted > now - 1)
			want.deleted = now - 1;
		if (want.hour < want.deleted)
			want.hour = want.deleted;
		if (want.minute < want.hour)
			want.minute = want.hour;
		want.swept = want.deleted;
		if ((rc = step(db, st, &want, start_ns, bucket_ns, pins)) != SQLITE_OK)
			return rc;
	}
	/* the pages freed go back to the file system (auto_vacuum = INCREMENTAL) */
	if (value(db, "PRAGMA freelist_count", 0) > 0 &&
	    (rc = exec(db, "PRAGMA incremental_vacuum")) != SQLITE_OK)
		return rc;
	/*
	 * With a size: the file itself follows at once (a passive checkpoint never waits for
	 * a reader), and the -wal file holds no more than the commits since the last pass.
	 */
	if (lim->max_bytes)
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* A number followed by a unit from units (factor each); -1 if s is not one. */
static int64_t with_unit(const char *s, const char *const *units, const int64_t *factor)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);

	if (end == s || errno || *s == '-')
		return -1;
	for (int i = 0; units[i]; i++)
		if (strcasecmp(end, units[i]) == 0) {
			if (n > (unsigned long long)INT64_MAX / (unsigned long long)factor[i])
				return -1;
			return (int64_t)n * factor[i];
		}
	return -1;
}

int gp_retain_parse(const char *s, struct gp_retain_limits *lim)
{
	static const char *const age_units[] = { "s", "m", "h", "d", "w", NULL };
	static const int64_t age_factor[] = { 1, 60, 3600, 86400, 7 * 86400 };
	static const char *const size_units[] = { "B", "kB", "MB", "GB", "TB", "KiB", "MiB",
						  "GiB", "TiB", NULL };
	static const int64_t size_factor[] = { 1, 1000, 1000000, 1000000000, 1000000000000,
					       1ll << 10, 1ll << 20, 1ll << 30, 1ll << 40 };
	struct gp_retain_limits out = { 0, 0 };
	char buf[64];

	if (strcmp(s, "off") == 0) {
		*lim = out;
		return 0;
	}
	if (!*s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int64_t v;
		if ((v = with_unit(tok, age_units, age_factor)) > 0 && !out.age_buckets)
			out.age_buckets = v;
		else if ((v = with_unit(tok, size_units, size_factor)) > 0 && !out.max_bytes)
			out.max_bytes = v;
		else
			return -1;
	}
	*lim = out;
	return 0;
}
