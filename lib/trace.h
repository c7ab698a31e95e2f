/*
 * An execution trace as goprof captures it, and the two writers that turn it into files:
 * Go 1.19's execution-trace format for `go tool trace` (gotrace.c) and the trace-event JSON
 * of Perfetto and chrome://tracing (chrome.c). The reader of the Go files goprof wrote is
 * goprof-export's own (tools/trace-read.h).
 *
 * The model is the C program's own: threads, each with a time-ordered list of what it did
 * (blocked in a call on an object and woke, entered and left a system call, created a
 * thread, opened a region...). The writers map it onto Go's goroutines and Ps (one P per
 * thread, spec go-trace-format.md §7) or onto JSON rows; the capture (rt/) fills it.
 */
#ifndef GOPROF_LIB_TRACE_H
#define GOPROF_LIB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What happened; each event is on the thread that did it, at ts_ns. */
enum gp_trace_kind {
	/*
	 * The thread starts running (its first event; ts = its start, or the trace's start
	 * for a thread that existed already). object = 1 if it was blocked at the trace's
	 * start (then an UNBLOCK follows when it wakes), else 0.
	 */
	GP_TEV_START = 1,
	GP_TEV_END,		/* the thread exits (its last event) */
	/*
	 * The thread blocks in a call: why = enum gp_trace_block, object = the address of
	 * what it waits on (0 if none), stack = where. UNBLOCK follows when it runs again.
	 */
	GP_TEV_BLOCK,
	/*
	 * It runs again after BLOCK; other = the thread number that woke it, 0 if unknown;
	 * then waker_ns = when, and stack = where that thread was ("pthread_mutex_unlock").
	 */
	GP_TEV_UNBLOCK,
	GP_TEV_SYSCALL,		/* a blocking system call begins (stack); SYSCALL_END follows */
	GP_TEV_SYSCALL_END,
	GP_TEV_CREATE,		/* it created thread number other (stack = where) */
	GP_TEV_TASK_BEGIN,	/* task id (object), parent task (other), name, stack */
	GP_TEV_TASK_END,	/* task id (object), stack */
	GP_TEV_REGION_BEGIN,	/* region name in task object (0: none), stack */
	GP_TEV_REGION_END,	/* the innermost open region of the thread ends (same name) */
	GP_TEV_LOG,		/* task object, name = category, message, stack */
	GP_TEV_CPU_SAMPLE,	/* a CPU profile sample of this thread (stack) */
	GP_TEV_LOST,		/* object = events dropped here because the buffer was full */
};

/* Why a thread blocked (GP_TEV_BLOCK.why). */
enum gp_trace_block {
	GP_TB_MUTEX = 1,	/* pthread_mutex_lock, rwlocks, mtx_lock */
	GP_TB_COND,		/* pthread_cond_wait, cnd_wait */
	GP_TB_SYNC,		/* semaphores, barriers, joins */
	GP_TB_SLEEP,		/* nanosleep, sleep, usleep */
	GP_TB_RECV,		/* read, recv* */
	GP_TB_SEND,		/* write, send* */
	GP_TB_SELECT,		/* poll, select, epoll_wait */
	GP_TB_NET,		/* accept, connect */
};

struct gp_trace_event {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC; never decreases within a thread */
	uint8_t kind;			/* enum gp_trace_kind */
	uint8_t why;			/* BLOCK: enum gp_trace_block */
	uint32_t stack;			/* gp_trace.stacks index + 1, 0 = none */
	uint32_t other;			/* a thread number (CREATE, UNBLOCK) or parent task */
	uint64_t object;		/* address waited on, task id, lost count */
	uint64_t waker_ns;		/* UNBLOCK with a waker: when it woke this thread */
	const char *name;		/* call name (BLOCK, SYSCALL: "pthread_mutex_lock"),
					   task/region name, log category; NULL = none */
	const char *message;		/* LOG only */
};

struct gp_trace_frame {
	uint64_t pc;			/* any non-zero number naming the function */
	const char *function;
	const char *file;
	uint32_t line;
};

struct gp_trace_stack {
	const struct gp_trace_frame *frames;	/* innermost first */
	uint32_t nframes;
};

struct gp_trace_thread {
	uint32_t number;		/* 1, 2, 3...: Go's goroutine id */
	uint32_t tid;			/* kernel thread id */
	const char *name;		/* thread name, "" if none */
	const char *start_function;	/* the function it runs (names it in the UI) */
	uint64_t start_pc;		/* non-zero identity of start_function */
	const struct gp_trace_event *events;	/* time order */
	size_t nevents;
};

struct gp_trace {
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC bounds of the capture */
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME at start_ns */
	int pid;
	const char *program;		/* for the JSON process name */
	const struct gp_trace_thread *threads;
	size_t nthreads;
	const struct gp_trace_stack *stacks;
	size_t nstacks;
	uint64_t dropped;		/* events lost in all (buffers full) */
};

/*
 * Writes t in Go 1.19's trace format; 0, or -errno on a write error. Events that did not
 * fit the model were skipped or repaired: their number goes to *odd (NULL: not wanted).
 */
int gp_trace_write_go(const struct gp_trace *t, FILE *out, size_t *odd);

/* Writes t as trace-event JSON (Perfetto, chrome://tracing); 0, or -errno; *odd likewise. */
int gp_trace_write_json(const struct gp_trace *t, FILE *out, size_t *odd);

#endif
