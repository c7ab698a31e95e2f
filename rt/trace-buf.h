/*
 * The execution trace's own declarations, shared by its two files and nothing else:
 * trace.c (the capture: hooks on the program's threads and in the signal handler, start
 * and stop) and trace-merge.c (at the stop: every thread's buffer into one struct
 * gp_trace). The layout of a thread's buffer is the contract between the two.
 */
#ifndef GOPROF_RT_TRACE_BUF_H
#define GOPROF_RT_TRACE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "gp-internal.h"
#include "trace.h"

#define GP_TRACE_MAX_FRAMES 64		/* innermost frames kept per event */
#define GP_TRACE_REC_WAKE 100		/* record kind: gp_trace_wake(); never an event */

/*
 * One record in a thread's buffer, followed by nframes function-record pointers (innermost
 * first) and then name_len + msg_len bytes of copied strings (each NUL-terminated), padded
 * to 8 bytes.
 */
struct rec {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC, gp_clock_ns() */
	uint64_t object;		/* what gp_trace_event.object says; CREATE: the token */
	const char *name;		/* a static string (call name), or NULL */
	uint32_t other;
	uint8_t kind, why;		/* enum gp_trace_kind, enum gp_trace_block */
	uint16_t nframes;
	uint16_t name_len, msg_len;	/* copied strings, NUL included; 0 = none */
	uint32_t pad;
};

/* A thread's trace state; see trace.c's DESIGN. */
struct tbuf {
	struct tbuf *next;		/* all headers; fixed once pushed */
	struct tbuf *free_next;		/* free list; free_lock */
	int writing;			/* owner: 1 while appending; the stopper waits on it */
	int owner_gone;			/* the thread ended; set once, release */
	unsigned gen;			/* the trace the buffer belongs to; owner, under writing */
	char *data;			/* mapping of cap bytes; owner maps, stopper takes */
	size_t cap, len;		/* len: published with release after each record */
	uint64_t dropped;		/* events lost; owner */
	uint64_t first_drop_ns;		/* when the first was lost */
	uint64_t token;			/* its creation token, 0: it existed at the start */
	uintptr_t start_fn;		/* the start routine it was created with, 0 = unknown */
	uint32_t tid;
	int ended;			/* END recorded in this trace */
	int open;			/* a BLOCK or SYSCALL waits for its end; owner */
	char name[16];			/* at END (live threads: read at the stop) */
};

/* One distinct stack: the leaf call name (or NULL) and the shadow frames. */
struct stack_key {
	const char *leaf;
	const void *const *frames;
	uint32_t nframes;
	uint64_t hash;
};

/* A gp_trace_wake() record, at the stop. */
struct wake_rec {
	uint64_t object, ts_ns;
	uint32_t thread;		/* its thread's number */
	uint32_t stack;			/* intern() id: the waker's stack below the call */
};

/* Everything a stopped trace owns until it is written. */
struct captured {
	struct gp_trace t;
	struct gp_trace_thread *threads;
	size_t nthreads;
	struct gp_trace_event **events;	/* per thread */
	struct stack_key *keys;		/* keys[i] = stack i + 1 */
	size_t nkeys, keys_cap;
	uint32_t *slots;		/* hash: key index + 1 */
	size_t nslots;
	struct gp_trace_stack *stacks;
	struct gp_trace_frame **frames;	/* per stack */
	char **maps;			/* the buffers, unmapped at the end */
	size_t *map_bytes;
	size_t nmaps;
	char (*names)[16];
	const void **snap_frames;	/* copies of idle threads' stacks */
	size_t snap_used, snap_cap;
	struct wake_rec *wakes;		/* every thread's gp_trace_wake() records */
	size_t nwakes, capwakes;
	int oom;
};

/* Every thread's header, newest first (push: CAS; walk: acquire). trace.c. */
extern GP_HIDDEN struct tbuf *gp_trace_bufs;

/* The bytes a record with nframes frames and strings bytes of strings takes, padded. */
static inline size_t gp_trace_rec_size(unsigned nframes, size_t strings)
{
	return (sizeof(struct rec) + nframes * sizeof(void *) + strings + 7) & ~(size_t)7;
}

/*
 * Turns the buffers of trace g into c, which the caller zeroed and gave its start times
 * (ctl_lock held, gp_trace_on already 0): waits for each buffer's appender to be out, and
 * the mappings move into c. Returns 0 or -ENOMEM; c is to be freed either way, with
 * gp_trace_merge_free(). Heap guard on.
 */
GP_HIDDEN int gp_trace_merge(struct captured *c, unsigned g, uint64_t end_ns);
GP_HIDDEN void gp_trace_merge_free(struct captured *c);

#endif
