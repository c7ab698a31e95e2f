/*
 * What every output format of goprof-export gets: one profile type over one time range,
 * already summed per stack, and the ops table each format implements.
 */
#ifndef GOPROF_TOOLS_EXPORT_H
#define GOPROF_TOOLS_EXPORT_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "db.h"

/* Goroutine profile: the threads of one stack in one state (a delta: may be negative). */
struct gp_export_group {
	uint32_t stack;
	int state;			/* enum gp_thread_state */
	int64_t count;
};

/* One label of a sample: key and string value, static strings. */
struct gp_export_label {
	const char *key, *value;
};

/* The most labels (distinct keys) one sample's set may show; inner ones are kept. */
#define GP_EXPORT_MAX_LABELS 64

/* The most custom profiles the index lists (goprof_profile_new makes at most 128). */
#define GP_EXPORT_MAX_CUSTOM 128

struct gp_export {
	struct gp_db *db;
	const char *type;		/* profile name, "cpu" */
	struct gp_db_profile prof;
	int64_t from_ns, to_ns;		/* selected range, ns since the epoch */
	struct gp_db_sum *sums;		/* per stack id (db->nstacks entries, [0] = the
					   empty stack); heap: allocated within the range;
					   threadcreate, goroutine: threads (count = value) */
	struct gp_db_sum *inuse;	/* heap and allocs only: in use at the range's end */
	struct gp_db_thread *threads;	/* threadcreate: the threads started in the range;
					   goroutine: those of the chosen snapshot */
	size_t nthreads;
	struct gp_export_group *groups;	/* goroutine: per (stack, state), sorted so; the
					   count 0 ones left out */
	size_t ngroups;
	int debug;			/* text: Go's ?debug= value (1 unless asked) */
	int lines;			/* top: nodes per source line, as pprof -lines */
	const char *list;		/* list: regular expression of the functions */
	struct gp_lines *src;		/* debug information of the mappings, made on use */
	unsigned char *ever;		/* heap and allocs only, per stack id: 1 if it
					   allocated before the range's end (Go keeps such a
					   record even when all its values are 0) */
	int fd;				/* output file descriptor */
	FILE *out;			/* the same, as a stream (text formats) */
	uint32_t *frames;		/* scratch for gp_export_frames (db->nstacks) */
	struct gp_err *err;		/* where a failure goes (the run's own) */
};

struct gp_exporter {
	const char *name;		/* -f value */
	int binary;			/* refuses a terminal as output */
	int (*write)(struct gp_export *x);	/* 0, or -1 with x->err filled */
};

extern const struct gp_exporter gp_exporter_pprof;
extern const struct gp_exporter gp_exporter_text;
extern const struct gp_exporter gp_exporter_top;
extern const struct gp_exporter gp_exporter_folded;
extern const struct gp_exporter gp_exporter_list;

/*
 * The text formats; each returns 0, or -1 with x->err filled (a failed write shows later, in
 * the stream's error flag).
 */
/* -f text of block, mutex, threadcreate and goroutine: Go's debug=1 (and =2) layouts. */
int gp_text_threads(struct gp_export *x);

/* x->src, the mappings' debug information, made on first use; NULL if out of memory. */
struct gp_lines *gp_export_src(struct gp_export *x);

/* -f top: the table `go tool pprof -top` prints (text.c); any profile type. */
int gp_text_top(struct gp_export *x);

/* -f list: `go tool pprof -list REGEX`, the cost per source line of functions (text.c). */
int gp_text_list(struct gp_export *x);

/* -f text of heap and allocs: Go's `heap?debug=1` (text-heap.c). */
int gp_text_heap(struct gp_export *x);

/*
 * Heap and allocs in the one-value formats (top, folded): x->sums becomes what pprof opens
 * the profile on, unsampled: in use at the range's end (heap) or allocated within the
 * range (allocs). Other profiles are left alone. Call once.
 */
void gp_export_heap_view(struct gp_export *x);

/*
 * A time as --from, --to and --at take it: RFC 3339, unix seconds, or +DURATION after
 * start_ns; 0 with ns since the epoch in *out, or -1.
 */
int gp_export_parse_time(const char *s, int64_t start_ns, int64_t *out);

/* One question to the exporter (gp_export_run). Zero-fill, then set what applies. */
struct gp_export_query {
	const char *type;		/* "cpu", "heap", "allocs", "block", "mutex", ... */
	const char *format;		/* "pprof", "text", "top", "folded" */
	int debug;			/* text: Go's ?debug= value, 1 or 2 (0 = 1) */
	int lines;			/* top: one node per source line (pprof -lines) */
	const char *list;		/* list: the functions to list, a regular expression */
	const char *from, *to, *at;	/* range as goprof-export takes it, NULL = not given */
	int64_t from_ns, to_ns;		/* or as times (ns since the epoch), 0 = not given */
	int delta;			/* heap and goroutine: only what changed in the range */
	const char *label;		/* "KEY=VALUE": only stacks so labelled, NULL = all */
	const char *output;		/* write to this file instead of the descriptor */
	int refuse_terminal;		/* no binary output to a terminal */
	int fd;				/* (set by gp_export_run) */
};

/*
 * Answers q from the database at db_path, writing to fd (or q->output). Returns 0; -2 for
 * a bad query (unknown type or format, bad time: a usage error); -1 for anything else. On
 * failure err holds one line. Never exits; thread-safe: concurrent runs share nothing
 * mutable, and a failed run has freed, finalized and closed all it made.
 */
int gp_export_run(const char *db_path, const struct gp_export_query *q, int fd, char *err,
		  size_t errlen);

/* What the /debug/pprof index counts (spec §3). */
struct gp_export_counts {
	long long heap;			/* heap records (stacks that allocated) */
	long long block, mutex;		/* stacks recorded */
	long long goroutine;		/* threads at the last snapshot */
	long long threadcreate;		/* threads ever */
	size_t ncustom;			/* the program's own profiles, by name */
	struct {
		char name[64];
		long long count;	/* entries live at the last commit */
	} custom[GP_EXPORT_MAX_CUSTOM];
};

/* Fills c from the database; 0, or -1 with one line in err. */
int gp_export_count(const char *db_path, struct gp_export_counts *c, char *err, size_t errlen);

/* The origin and width of the database's sample buckets; 0, or -1. */
int gp_export_buckets(const char *db_path, int64_t *start_ns, int64_t *width_ns);

/* The exporter for a -f name, or NULL. */
const struct gp_exporter *gp_export_format(const char *name);

/* Go's words for a thread state ("IO wait", "running"); "unknown" for one it does not know. */
const char *gp_export_state_name(int state);

/*
 * The labels of a sample of stack in out[0..max), as every format shows them (pprof's
 * sample labels, debug=1's `# labels:` line): the stack's own (goprof_label_push) and, for
 * a goroutine group g (or NULL), its "state", which hides a pushed label of that key;
 * sorted by key, as Go's labelMap.String() sorts them (labels.c). Returns how many.
 */
size_t gp_export_labels(struct gp_export *x, uint32_t stack, const struct gp_export_group *g,
			struct gp_export_label *out, size_t max);

/* goprof-export serve (serve.c): returns the exit status. */
int gp_serve_main(int argc, char **argv);

/*
 * The function ids of stack, innermost first, in x->frames (valid until the next call).
 * Returns how many.
 */
size_t gp_export_frames(struct gp_export *x, uint32_t stack);

/*
 * Go's heap unsampling (spec 6.2): count sampled objects of bytes in all, sampled at rate
 * bytes, as out[0] objects and out[1] bytes.
 */
void gp_export_unsample(int64_t count, int64_t bytes, int64_t rate, int64_t *out);

#endif
