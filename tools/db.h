/*
 * Reading a goprof database (schema: lib/gp-schema.h). The tools open it read-only, check
 * that it is one and that its schema is not newer than this reader, and load the interned
 * tables (functions, stacks, mappings) into arrays indexed by their ids. This runs inside
 * a profiled program too (the /debug/pprof server), so a failure never ends anything: it is
 * a return value, -1, with one line in the struct gp_err given to gp_db_open (errors.h), and
 * whatever the call had made (statements, arrays) is undone or owned by the gp_db, which
 * gp_db_close() frees.
 */
#ifndef GOPROF_TOOLS_DB_H
#define GOPROF_TOOLS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "strtab.h"

struct sqlite3;

struct gp_db_func {
	const char *name;	/* never NULL; owned by gp_db.strs */
	const char *file;	/* "" if unknown */
	int64_t start_line;
	int kind;		/* GP_FUNC_KIND_* */
	uint32_t mapping_id;	/* gp_db.maps index, 0 = none */
	uint32_t name_idx;	/* index of name in gp_db.strs: equal names, equal index */
	int present;		/* the row exists */
};

struct gp_db_mapping {
	const char *path;
	const char *build_id;
	uint64_t start, limit, offset;
	int present;
};

struct gp_db_profile {
	int id;			/* GP_PROFILE_* */
	int64_t rate;
	int64_t period;
	int64_t start_ns;
};

/* What the samples of one stack add up to. */
struct gp_db_sum {
	int64_t count;
	int64_t value;
};

struct gp_db {
	struct sqlite3 *db;
	const char *path;
	struct gp_err *err;	/* where failures go (the caller's) */
	int version;		/* PRAGMA user_version */

	/* the process row */
	int64_t pid;
	const char *exe, *build_id, *hostname;
	int64_t start_ns, end_ns, bucket_ns;

	struct gp_strtab strs;		/* every string loaded */
	struct gp_db_func *funcs;	/* [id], [0] unused */
	size_t nfuncs;			/* highest id + 1 */
	struct gp_db_mapping *maps;	/* [id], [0] unused */
	size_t nmaps;
	uint32_t *stack_parent;		/* [id]: caller's row, 0 at the root */
	uint32_t *stack_func;		/* [id]: functions id */
	uint32_t *stack_labels;		/* [id]: labels id of the stack's label set, 0 = none */
	uint64_t *stack_addr;		/* [id]: where in its function, 0 = not known */
	size_t nstacks;			/* highest id + 1 */
	uint32_t *label_parent;		/* [id]: the set a labels row extends, 0 = none */
	const char **label_key;		/* [id], NULL: no such row */
	const char **label_value;	/* [id] */
	size_t nlabels;			/* highest labels id + 1 */
	/*
	 * When retention deleted rows nothing referred to (GOPROF_DB_RETAIN), a table's ids
	 * have gaps: its rows are then numbered 1.. in id order as they are loaded, and these
	 * hold the database ids, [i - 1] for row i (NULL: no gaps, the [id] above is the id).
	 * The counts above are then the number of rows + 1.
	 */
	int64_t *func_ids, *stack_ids, *label_ids;
};

/* One label of a set, as gp_db_label_set() gives it. */
struct gp_db_label {
	const char *key, *value;
};

/*
 * The labels of the stack row stack (none: 0), each key once with its innermost value,
 * sorted by key, into out; returns how many (at most max: the innermost max keys).
 */
size_t gp_db_label_set(const struct gp_db *db, uint32_t stack, struct gp_db_label *out,
		       size_t max);

/*
 * Where f is, for a frame line: its source file ("file:line"), else the object its mapping
 * names (an uninstrumented function: a C library call), else "?:0". Stored in buf.
 */
const char *gp_db_func_where(const struct gp_db *db, const struct gp_db_func *f, char *buf,
			     size_t size);

/* 1 if path begins as an SQLite database does (not whether it is goprof's), else 0. */
int gp_db_looks_like_sqlite(const char *path);

/*
 * The execution trace that began last at or before at_ns (INT64_MAX: the last one): 0 with
 * its Go-format bytes in *data (malloc'd), *len and its start in *start_ns; 1 when the
 * database holds none (or predates the traces table); -1 on a failure.
 */
int gp_db_trace(struct gp_db *db, int64_t at_ns, uint8_t **data, size_t *len,
		int64_t *start_ns);

/*
 * Opens path read-only and checks it; 0, or -1 with one line in err (which the gp_db keeps
 * for its later failures). gp_db_close() is due either way.
 */
int gp_db_open(struct gp_db *db, const char *path, struct gp_err *err);

/* Looks up a profile by name ("cpu"); returns 0, 1 if the database has none, -1 on a failure. */
int gp_db_profile(struct gp_db *db, const char *name, struct gp_db_profile *out);

/*
 * The bucket whose row holds bucket's samples: bucket itself, or the first of the coarser
 * row retention merged it into (merged_buckets, schema 5).
 */
int64_t gp_db_merged_floor(struct gp_db *db, int64_t bucket);

/* The first and last bucket holding samples of a profile; 0, 1 if there is none, or -1. */
int gp_db_bucket_span(struct gp_db *db, int profile, int64_t *first, int64_t *last);

/* Loads functions, mappings and stacks; 0 or -1. */
int gp_db_load(struct gp_db *db);

/*
 * Adds up the samples of a profile in buckets first..last (inclusive) per stack into
 * sums[stack_id], an array of db->nstacks zeroed entries. Returns the number of sample
 * rows read, or -1.
 */
int64_t gp_db_sum_samples(struct gp_db *db, int profile, int64_t first, int64_t last,
			  struct gp_db_sum *sums);

/* A thread as the threadcreate and goroutine profiles see it (schema 2). */
struct gp_db_thread {
	int64_t tid;
	int64_t start_ns, end_ns;	/* end_ns 0 while it ran */
	const char *name;		/* "" if none */
	int64_t creator_tid;		/* 0: none (the main thread) */
	uint32_t create_stack;		/* stacks.id, 0 = none */
	/* goroutine snapshots only: */
	int state;			/* enum gp_thread_state */
	int64_t wait_object;		/* 0 if none */
	int64_t wait_since_ns;		/* 0 while running */
	uint32_t stack;			/* stacks.id of its shadow stack, 0 = empty */
};

/*
 * Every thread that started before to_ns (and at or after from_ns), oldest first, in a
 * malloc'd array the caller frees; *n gets their number. Needs gp_db_load() first (stack
 * ids are checked). Returns 0, 1 if the database predates the threadcreate profile, or -1.
 */
int gp_db_threads(struct gp_db *db, int64_t from_ns, int64_t to_ns, struct gp_db_thread **out,
		  size_t *n);

/*
 * The threads of the newest goroutine snapshot taken at or before at_ns, sorted by tid,
 * like gp_db_threads; *time_ns gets the snapshot's time. Returns 0, 1 if there is none, or -1.
 */
int gp_db_snapshot(struct gp_db *db, int64_t at_ns, int64_t *time_ns, struct gp_db_thread **out,
		   size_t *n);

/*
 * The entries of the custom profile profile (profiles.id) live at the last commit at or
 * before at_ns, one count and one value each added to sums[stack_id] (db->nstacks
 * entries); sign -1 subtracts them (a delta). Returns how many, or -1. Needs gp_db_load()
 * first.
 */
int64_t gp_db_custom(struct gp_db *db, int profile, int64_t at_ns, int sign,
		     struct gp_db_sum *sums);

/* One heapstats row (schema 2): the allocator's statistics at time_ns. */
struct gp_db_heapstats {
	int64_t time_ns;
	int64_t mallocs, frees;		/* calls so far (frees: non-NULL pointers) */
	int64_t alloc_bytes;		/* bytes requested so far */
	int64_t live_bytes;		/* bytes in blocks not freed (glibc's count) */
	int64_t arena, hblkhd, uordblks, fordblks, keepcost;	/* mallinfo2() */
	int64_t max_rss;		/* bytes */
};

/*
 * The last heapstats row taken at or before to_ns into out; returns 0, 1 when there is none
 * (heap profiling off, or a schema 1 database without the table), or -1 on a failure.
 */
int gp_db_heapstats(struct gp_db *db, int64_t to_ns, struct gp_db_heapstats *out);

/* Closes the database and frees what gp_db_open and gp_db_load allocated. */
void gp_db_close(struct gp_db *db);

#endif
