/*
 * The database writer's own declarations, shared by its four files and by nothing else:
 * writer.c (the thread: its life, its loop, fork and crash handshakes), intern.c (the hash
 * map, functions, mappings, stacks and label sets given row ids), collect.c (one collector
 * per profile and the rows it writes) and db.c (the database file: paths, open, schema,
 * commit, close). Everything here is the writer thread's (or start's, before the thread
 * exists), unless a comment says otherwise.
 */
#ifndef GOPROF_RT_WRITER_H
#define GOPROF_RT_WRITER_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "gp-internal.h"
#include "retain.h"

/* Small hash map (intern.c): non-zero uint64 key -> uint32 value. */
struct u64map {
	uint64_t *keys;		/* 0 = empty slot */
	uint32_t *vals;
	size_t cap;		/* power of two */
	size_t n;
};

struct func_row {
	const char *name;	/* record or symbol-table string, or owned (synthetic) */
	const char *file;
	uint32_t line;
	int kind;		/* GP_FUNC_KIND_* */
	uint32_t mapping;	/* 0 = none */
	int owned;		/* name is ours to free */
	int gone;		/* its row was deleted by retention: written again with the
				   next stack row that names it (2: in the commit under way) */
};

struct map_row {
	char *path;		/* owned */
	char *build_id;		/* owned */
	uintptr_t start, limit;
	uint64_t offset;
};

struct pc_sym {
	const char *name;	/* gp_pc_lookup's string (lives as long as the process) */
	uint32_t mapping;
	uint32_t func;		/* its function row, made when first used; 0 = none yet */
};

struct node_row {
	uint32_t id, parent, func;
	uint32_t labels;	/* labels.id, 0 = none */
	uintptr_t address;	/* where in func (stacks.address), 0 = not known */
};

/* A function at an address: a stack row's (func, address) pair, for its key. */
struct site {
	uintptr_t address;
	uint32_t func;
};

struct label_row {
	uint32_t id, parent;
	const char *key, *value;	/* the label node's (they live as long as the process) */
};

struct agg {
	uint32_t bucket, stack, tid;
	uint8_t profile;
	uint64_t count, value;
};

struct custom_count {
	int profile;			/* profiles.id */
	uint32_t stack;			/* stacks.id, labels included */
	int64_t live;			/* entries live now */
	int64_t written;		/* the count in the database */
};

struct thread_row {
	uint32_t tid;
	uint64_t start_ns, end_ns;
	char name[16];
	uint32_t creator_tid;		/* 0 = none */
	uint32_t create_stack;		/* stacks.id, 0 = none */
};

struct snap_row {
	uint32_t tid;
	uint64_t start_ns;
	struct gp_wait_state wait;
	uint32_t stack;			/* stacks.id, 0 = empty */
};

/*
 * A time when the database cannot be written (db.c): pending rows are dropped and counted,
 * heap rows kept (they give the bytes in use), and a commit is tried again every second.
 */
struct write_failure {
	int active;			/* the last commit (or open) failed */
	uint64_t since_ns;		/* the first failed one */
	uint64_t retry_ns;		/* no new attempt before this */
	char error[160];		/* why the first one failed */
	uint64_t commits;		/* failed commits */
	uint64_t cpu_samples;		/* dropped */
	uint64_t lock_events;
	uint64_t snapshots;
	uint64_t traces;
};

struct writer {
	sqlite3 *db;			/* writer thread (start/stop: before/after it) */
	char path[PATH_MAX];
	int lazy_open;			/* open at the first sample (fork children) */
	int open_now;			/* open as the thread starts (made by gp_db_create) */
	int wal_fresh;			/* no commit has gone into the -wal file yet */
	uint64_t fork_mark;		/* history_mark() at fork (fork children) */
	int broken;			/* a database error: stop writing */
	struct write_failure fail;	/* writes fail now (disk full, ...): see db.c */
	struct gp_retain_state retain;	/* how far GOPROF_DB_RETAIN went (retain.c) */
	uint64_t retain_next_ns;	/* no retention pass before this */
	int lost;			/* the program took a descriptor of db: closed for good */
	uint64_t start_ns;		/* origin of the buckets */
	uint64_t period_ns;		/* CPU sampling period */
	uint64_t last_commit_ns;

	sqlite3_stmt *ins_map, *ins_func, *ins_stack, *up_sample, *up_thread, *up_end;
	sqlite3_stmt *ins_snap, *ins_snap_thread, *up_profile;
	sqlite3_stmt *ins_heapstats;	/* NULL while heap profiling is off */
	sqlite3_stmt *ins_trace, *ins_label, *up_custom;

	struct func_row *funcs;		/* [id - 1] */
	size_t nfuncs, capfuncs, funcs_written;
	struct map_row *maps;		/* [id - 1] */
	size_t nmaps, capmaps, maps_written;
	struct node_row *new_nodes;	/* stack rows not yet written */
	size_t nnew_nodes, capnew_nodes;
	uint32_t next_node;		/* last stack id handed out */
	uint64_t *node_keys;		/* [id]: parent << 32 | function (or site) of every row */
	size_t capnode_keys;
	uint8_t *gone_bits;		/* a bit per stack or labels id (gp_intern_forget_gone) */
	size_t capgone_bits;
	uint32_t *revived;		/* functions written again by the commit under way */
	size_t nrevived, caprevived;
	struct label_row *new_labels;	/* labels rows not yet written */
	size_t nnew_labels, capnew_labels;
	uint32_t next_label;		/* last labels id handed out */

	struct u64map func_by_record;	/* record address -> function id */
	struct u64map func_by_name;	/* hash(name, mapping) -> function id */
	struct u64map func_by_call;	/* interposed call's name (its address) -> function id */
	struct u64map node_by_key;	/* parent << 32 | function or GP_SITE_TAG | site index
					   -> stack id */
	struct site *sites;		/* (function, address) pairs of stack rows */
	size_t nsites, capsites;
	struct u64map site_by_addr;	/* address -> site index + 1 */
	struct u64map labels_by_node;	/* struct gp_labels address -> labels id */
	struct u64map labelled_by_key;	/* stack << 32 | labels id -> labelled stack id */
	struct u64map sym_by_pc;	/* pc -> index in syms + 1 (1: no symbol) */
	struct pc_sym *syms;		/* symbols found at sampled PCs */
	size_t nsyms, capsyms;

	struct agg *aggs;		/* pending sample rows */
	size_t naggs, capaggs;
	uint32_t *agg_slots;		/* hash slots: agg index + 1 */
	size_t nagg_slots;

	struct thread_row *pend_threads;	/* rows to write in this commit */
	size_t npend_threads, cappend_threads;
	struct snap_row *snaps;		/* this commit's snapshot */
	size_t nsnaps, capsnaps;
	uint32_t last_snapshot;		/* snapshots.id */
	struct custom_count *customs;	/* every (custom profile, stack) seen */
	size_t ncustoms, capcustoms;
	struct u64map custom_by_key;	/* profile << 32 | stack -> customs index + 1 */
	int custom_profiles_written;	/* profiles rows written for custom profiles */
	int64_t block_rate_written;	/* profiles.rate of 'block', 0 = no row yet */
	int64_t mutex_fraction_written;	/* of 'mutex' */
	int err;			/* first error of this batch (-errno or -EIO) */
	uint64_t batch_traces;		/* traces this commit wrote (gone if it fails) */
};

/* execution traces handed over by trace.c, written at the next commit */
struct pending_trace {
	struct pending_trace *next;
	uint64_t start_ns, end_ns;
	const char *source;
	void *data;
	size_t len;
};

/* all the writer's tables and statements (writer.c) */
extern GP_HIDDEN struct writer gp_w;
/* traces handed over by trace.c, newest first, under gp_writer_traces_lock (writer.c) */
extern GP_HIDDEN pthread_mutex_t gp_writer_traces_lock;
extern GP_HIDDEN struct pending_trace *gp_writer_traces;

/* ---- intern.c ---- */

/* The value for key, 0 if absent. */
GP_HIDDEN uint32_t gp_u64map_get(const struct u64map *m, uint64_t key);
/* Sets key (non-zero) to val. Returns 0 or -ENOMEM. */
GP_HIDDEN int gp_u64map_put(struct u64map *m, uint64_t key, uint32_t val);
GP_HIDDEN void gp_u64map_free(struct u64map *m);

/*
 * gp_retain_pins' pin (retain.h): the ids of the stacks and label sets the writer holds and
 * will write later by id (heap and lock buckets, custom profiles, the latest CPU sample
 * of each thread, pending rows). Writer thread, inside the retention pass.
 */
GP_HIDDEN int gp_intern_pin(sqlite3 *db, void *ctx);
/* Room for gp_intern_forget_gone(), made before a retention pass; 0 or -ENOMEM. */
GP_HIDDEN int gp_intern_gone_room(void);
/*
 * After a retention pass: the stacks and label sets it deleted leave the intern tables (a
 * stack seen again gets a new row, with a new id: ids are never used twice), and the
 * functions it deleted are marked to be written again. Writer thread.
 */
GP_HIDDEN void gp_intern_forget_gone(sqlite3 *db);

/* The mapping row of the object holding addr (0: the main program); 0 if none. */
GP_HIDDEN uint32_t gp_intern_mapping_of_object(uintptr_t addr);
/* The function row named name in mapping (0 = none) of kind GP_FUNC_KIND_*; 0 if no memory. */
GP_HIDDEN uint32_t gp_intern_func_by_name(const char *name, uint32_t mapping, int kind);
/* The symbol found at a sampled pc (cached), NULL if none. */
GP_HIDDEN struct pc_sym *gp_intern_sym_of_pc(uintptr_t pc);
/* The stack row (parent, func); 0 if out of memory. */
GP_HIDDEN uint32_t gp_intern_node(uint32_t parent, uint32_t func);
/* The stack row (parent, func at address); address 0: gp_intern_node(). 0 if no memory. */
GP_HIDDEN uint32_t gp_intern_node_at(uint32_t parent, uint32_t func, uintptr_t address);
/* stack with the interposed call's frame (its name, e.g. "malloc") added below it. */
GP_HIDDEN uint32_t gp_intern_below_call(uint32_t stack, const char *call);
/* stack with the label set attached (the stack itself if set is NULL). */
GP_HIDDEN uint32_t gp_intern_labelled(uint32_t stack, const struct gp_labels *set);
/* Stack rows of shadow-stack frames (outermost last); see intern.c. */
GP_HIDDEN uint32_t gp_intern_stack(const void *const *frames, uint32_t nframes,
				   uint32_t truncated, uint32_t *innermost);
/* The same, each frame at addrs[i] (0: not known); addrs NULL: none known. */
GP_HIDDEN uint32_t gp_intern_stack_at(const void *const *frames, const uintptr_t *addrs,
				      uint32_t nframes, uint32_t truncated, uint32_t *innermost);

/* ---- callsite.c: where in each function a CPU sample's frames were ---- */

/*
 * addrs[i] (s->nframes of them): the address of frame i of s, the PC for the innermost
 * frame when pc_func (the function the PC lies in, NULL if unknown) is its function, else
 * the address of its call to the next frame in (a return address minus one); 0 where it
 * is not known.
 */
GP_HIDDEN void gp_callsite_match(const struct gp_sample *s, const char *pc_func,
				 uintptr_t *addrs);
/* Remembers stack (its row, labels aside) as thread tid's latest sample of frames. */
GP_HIDDEN void gp_callsite_note(uint32_t tid, const void *const *frames, uint32_t nframes,
				uint32_t stack);
/* fn(stack, ctx) for each thread's latest sample's row; stops at and returns fn's non-0. */
GP_HIDDEN int gp_callsite_each(int (*fn)(uint32_t stack, void *ctx), void *ctx);
/* The row of tid's latest sample if it had these shadow frames, else 0. */
GP_HIDDEN uint32_t gp_callsite_running(uint32_t tid, const void *const *frames,
				       uint32_t nframes);
/* The one-frame "[unknown]" stack. */
GP_HIDDEN uint32_t gp_intern_unknown_stack(void);
/* A heap or lock bucket's stack: its frames, or "[unknown]" if it has none. */
GP_HIDDEN uint32_t gp_intern_bucket_stack(const void *const *frames, uint32_t nframes,
					  uint32_t truncated);
/*
 * The same, the innermost frame at site - 1 when site (a return address) lies in it, and
 * the callers at their calls, matched among returns[] (gp_stack_scan_site) by callsite.c.
 */
GP_HIDDEN uint32_t gp_intern_site_stack(const void *const *frames, uint32_t nframes,
					uint32_t truncated, uintptr_t site,
					const uintptr_t *returns, uint32_t nreturns);

/* ---- collect.c: the collectors, then the rows they write in a commit ---- */

/* The samples bucket of a time. */
GP_HIDDEN uint32_t gp_collect_bucket(uint64_t time_ns);
/*
 * A commit failed (gp_w.fail active): the pending sample rows are dropped and counted in
 * gp_w.fail, but the heap's, kept in the bucket of gp_w.fail.since_ns; every custom count
 * and the profiles rows are marked to be written again.
 */
GP_HIDDEN void gp_collect_drop_pending(void);
/* gp_cpu_drain callback: one CPU (or wall) sample into the pending rows. */
GP_HIDDEN void gp_collect_sample(const struct gp_sample *s, void *ctx);
/* What changed in the heap and lock buckets since the last look; returns how many rows. */
GP_HIDDEN size_t gp_collect_heap(void);
GP_HIDDEN size_t gp_collect_lock(void);
/* gp_custom_drain callback: an entry added to or removed from a custom profile. */
GP_HIDDEN void gp_collect_custom(const struct goprof_profile *p, struct gp_custom_entry *e,
				 void *ctx);

struct thread_batch {
	int err;
};

/* gp_threads_foreach and gp_threads_snapshot callbacks (ctx: a struct thread_batch). */
GP_HIDDEN int gp_collect_thread(struct gp_thread_info *t, void *ctx);
GP_HIDDEN void gp_collect_snap(const struct gp_thread_snap *s, void *ctx);
/* Row writers, inside gp_db_commit's transaction; each returns 0 or -EIO. */
GP_HIDDEN int gp_collect_write_thread(const struct thread_row *r);
GP_HIDDEN int gp_collect_write_snapshot(uint64_t time_ns);
GP_HIDDEN int gp_collect_write_lock_profiles(void);
GP_HIDDEN int gp_collect_write_heapstats(uint64_t time_ns);
/*
 * Starts, once per process, the thread that reads glibc's statistics for the heapstats
 * rows (while heap profiling is on); by the thread that starts the writer, after it.
 */
GP_HIDDEN void gp_collect_stats_start(void);
GP_HIDDEN int gp_collect_write_traces(void);
GP_HIDDEN int gp_collect_write_customs(uint64_t time_ns);

/* ---- db.c ---- */

/* Steps a prepared statement and resets it; 0 when done, else -EIO. */
GP_HIDDEN int gp_db_step_reset(sqlite3_stmt *st);
/*
 * Writes everything pending in one transaction; 0 or -EIO: the database is broken, or
 * gp_w.fail is active (a failure that may pass: what was pending is dropped and counted).
 */
GP_HIDDEN int gp_db_commit(void);
/*
 * Makes gp_w.path's file (mode 0600, locked) and opens it, its -wal and -shm files at high
 * numbers for SQLite to take: on the thread that starts the writer, which may be the
 * program's before main(), so that the files exist (for a fork child or a reader) and are
 * open before the program can change its user. 0, or -EIO (said once; gp_w.fail is active
 * when the failure may pass).
 */
GP_HIDDEN int gp_db_create(void);
/*
 * Opens gp_w.path's database (made first by gp_db_create() unless it was) and writes its
 * schema, process row and statements; 0 or -EIO. Writer thread.
 */
GP_HIDDEN int gp_db_open(void);
/* The calling thread is the writer: its SQLite opens go through goprof (db.c). */
GP_HIDDEN void gp_db_thread(void);
/*
 * When gp_w.fail is active: 1 when a new attempt is due (once a second; always when force)
 * and the database is open (opened here if it could not be before), else 0.
 */
GP_HIDDEN int gp_db_retry_due(int force);
/* Finalizes the statements and closes the database and its lock descriptor. */
GP_HIDDEN void gp_db_close(void);
/*
 * Lets go of the database without finalizing or closing the handle (a fork child's, which
 * are the parent's): forgets goprof's descriptors, closes the lock descriptor, clears the
 * handle and the statements.
 */
GP_HIDDEN void gp_db_forget(void);

#endif
