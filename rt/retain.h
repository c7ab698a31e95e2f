/*
 * Retention (GOPROF_DB_RETAIN): keeps a long-running program's database bounded in age and
 * size. Works on an open goprof database handle alone (no writer state), so that a benchmark
 * can drive it with a simulated clock (bench/retain-sim.c).
 */
#ifndef GOPROF_RT_RETAIN_H
#define GOPROF_RT_RETAIN_H

#include <stdint.h>

#include <sqlite3.h>

/* Rows younger than this stay per second; older ones are merged per minute. */
#define GP_RETAIN_MINUTE_AFTER 3600
/* Rows older than this are merged per hour. */
#define GP_RETAIN_HOUR_AFTER 86400

/* What to keep; 0 = no limit. */
struct gp_retain_limits {
	int64_t age_buckets;		/* buckets (seconds) of history kept */
	int64_t max_bytes;		/* the database's pages in use, at most */
};

/*
 * How far retention has gone in one database, in buckets: [0, deleted) is gone (but for
 * the heap rows that give the bytes still in use, kept in bucket 0), [deleted, hour) is per
 * hour, [hour, minute) per minute, the rest per second. Zero-filled for a new database.
 */
struct gp_retain_state {
	int64_t deleted, hour, minute;
	int64_t swept;		/* deleted as of the last sweep of unreferenced rows */
};

/*
 * What the caller holds in memory and will write later by id (libgoprof's writer: the
 * stacks its heap and lock buckets, custom profiles and pending rows name): pin() puts
 * those ids into the temporary tables retain_pin_stacks and retain_pin_labels (one column
 * id INTEGER PRIMARY KEY each, made by the pass), inside the pass's transaction, and
 * returns 0 or an SQLite error. A sweep keeps them and their callers' rows.
 */
struct gp_retain_pins {
	int (*pin)(sqlite3 *db, void *ctx);
	void *ctx;
};

/*
 * One pass over db as it is at bucket now: merges rows that have aged into the next
 * coarser width, thins snapshots, heap statistics and custom counts the same way, deletes
 * everything past the age, then deletes the oldest history until the pages in use fit
 * max_bytes (the last bucket is always kept), and gives the freed pages back to the file
 * system (the database must have been made with auto_vacuum = INCREMENTAL for that).
 * Along with deleted history goes what only it named (a sweep): the stacks rows no row of
 * any table names (samples, snapshot threads, threads' creating stacks, custom counts,
 * another stack as its caller) and pins does not hold, then the labels and functions
 * rows no remaining stack names. A sweep reads every reference, so it runs when the
 * size needs it, and after deletions by age once the cut moved by an eighth of the
 * history kept. Each step is a transaction of its own; st moves only when one commits.
 * The ids the committed steps of this pass deleted are left in the temporary tables
 * retain_gone_stacks, retain_gone_labels and retain_gone_functions (id INTEGER PRIMARY
 * KEY), emptied when a pass begins (temporary tables: where temp_store says). Returns 0,
 * or the SQLite error of the step that failed (nothing of that step is changed). pins
 * NULL: nothing held.
 */
int gp_retain_pass_pinned(sqlite3 *db, const struct gp_retain_limits *lim, int64_t now,
			  struct gp_retain_state *st, const struct gp_retain_pins *pins);

/* gp_retain_pass_pinned() with nothing held in memory (a benchmark, a finished database). */
int gp_retain_pass(sqlite3 *db, const struct gp_retain_limits *lim, int64_t now,
		   struct gp_retain_state *st);

/*
 * Parses an age and/or a size, "24h", "500MB", "7d,1GB" (units s m h d w; B kB MB GB TB
 * and KiB MiB GiB TiB), or "off". Returns 0 and sets *lim, or -1 for anything else.
 */
int gp_retain_parse(const char *s, struct gp_retain_limits *lim);

#endif
