/*
 * What every output format of goprof-export gets: one profile type over one time range,
 * already summed per stack, and the ops table each format implements.
 */
#ifndef GOPROF_TOOLS_EXPORT_H
#define GOPROF_TOOLS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "db.h"

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
	int debug;			/* text: Go's ?debug= value (1 unless asked) */
	unsigned char *ever;		/* heap and allocs only, per stack id: 1 if it
					   allocated before the range's end (Go keeps such a
					   record even when all its values are 0) */
	int fd;				/* output file descriptor */
	FILE *out;			/* the same, as a stream (text formats) */
	uint32_t *frames;		/* scratch for gp_export_frames */
	size_t frames_cap;
};

struct gp_exporter {
	const char *name;		/* -f value */
	int binary;			/* refuses a terminal as output */
	void (*write)(struct gp_export *x);	/* dies on error */
};

extern const struct gp_exporter gp_exporter_pprof;
extern const struct gp_exporter gp_exporter_text;
extern const struct gp_exporter gp_exporter_top;
extern const struct gp_exporter gp_exporter_folded;

/* -f text of block, mutex, threadcreate and goroutine: Go's debug=1 (and =2) layouts. */
void gp_text_threads(struct gp_export *x);

/* -f top: the table `go tool pprof -top` prints (text.c); any profile type. */
void gp_text_top(struct gp_export *x);

/* -f text of heap and allocs: Go's `heap?debug=1` (text-heap.c). */
void gp_text_heap(struct gp_export *x);

/*
 * Heap and allocs in the one-value formats (top, folded): x->sums becomes what pprof opens
 * the profile on, unsampled: in use at the range's end (heap) or allocated within the
 * range (allocs). Other profiles are left alone. Call once.
 */
void gp_export_heap_view(struct gp_export *x);

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
