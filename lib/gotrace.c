/*
 * Go 1.19 execution-trace writer: turns a struct gp_trace into the binary format that
 * `go tool trace` reads (header "go 1.19 trace", varint events in per-P batches, then the
 * frequency, the strings and the stacks).
 *
 * MAPPING. Each C thread is one goroutine and has a P of its own:
 *
 *   goroutine id   = the thread number (1, 2, 3...)
 *   P id           = the thread's index among the valid threads (0 ... N-1), so that no two
 *                    threads ever share a P and the viewer shows one "Proc" row per thread
 *   ProcStart      = the kernel tid; every thread's events go in one batch of its own P
 *
 * P 0's batch opens with the state at the trace's start: GoCreate (with a one-frame start
 * stack naming start_function) for each thread that existed already, GoWaiting for those
 * blocked then, and one Gomaxprocs = N. A thread created during the trace gets its GoCreate
 * in its creator's batch. Then, in the thread's own batch:
 *
 *   START                    ProcStart(tid), GoStart(g, seq); blocked at the trace's
 *                            start: ProcStart(tid), ProcStop
 *   BLOCK why=...            GoBlockSync (MUTEX, SYNC), GoBlockCond, GoSleep, GoBlockRecv,
 *                            GoBlockSend, GoBlockSelect, GoBlockNet, GoBlock (unknown);
 *                            then ProcStop
 *   UNBLOCK other=W          ProcStart(tid), GoStart(g, seq); GoUnblock(g, seq) in W's batch
 *                            when W is running at that time (the viewer then draws an arrow
 *                            from W), else written by the thread itself between its
 *                            ProcStart and GoStart (a P that runs nothing may unblock, §7)
 *   SYSCALL                  GoSysCall(stack), GoSysBlock, ProcStop
 *   SYSCALL_END              ProcStart(tid), GoSysExit(g, seq, 0), GoStart(g, seq)
 *   CREATE other=X           GoCreate(X, X's start stack, stack)
 *   END                      GoEnd, ProcStop
 *   TASK_*, REGION_*, LOG    UserTaskCreate/End, UserRegion (mode 0/1), UserLog
 *   CPU_SAMPLE               CPUSample(ts, P, g, stack), its own delta 0
 *   LOST                     UserLog category "goprof", message "N events dropped"
 *
 * The Proc events are the runtime's own discipline (releasep() writes ProcStop when a
 * goroutine's wait leaves its P with nothing to run, acquirep() ProcStart when it gets one
 * back): with one P per thread, a waiting thread's P is idle. Go >= 1.23 converts old
 * traces to its new model and needs that pair around a blocking system call: without it the
 * P keeps an "in syscall" mark, the slices before and in the call are not drawn and a later
 * ProcStop makes its viewer panic (spec §11; testsuite/unit/check-trace-go.go replays it). The
 * P of a thread that starts after the trace's start is stopped at the start, else that
 * converter would count it running from there.
 *
 * A thread still running when the capture stops gets a GoSched there, as Go's StopTrace
 * does: the viewer needs an end for every running slice. Sequence numbers follow the
 * runtime's rule (one counter per goroutine, bumped before each GoWaiting, GoStart,
 * GoUnblock and GoSysExit), timestamps are CLOCK_MONOTONIC nanoseconds with a frequency of
 * 1e9, and every code-3 body stays under 2048 bytes (stacks are cut to fit) for the
 * readers of newer Go versions.
 *
 * Odd input never yields a file the parser rejects: each thread's events go through the
 * state machine the parser applies (trace-walk.c, which the JSON writer walks too: not
 * started, running, blocked, in a syscall, dead);
 * what does not fit is skipped (an UNBLOCK without BLOCK, a region end without a begin, a
 * second START, anything after END) or repaired (a missing START is added, a thread that
 * ends while blocked is woken first, a creator that is not in the trace or whose CREATE
 * comes after the thread ran makes the thread one that existed at the start). The number
 * of such events is reported once on stderr.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "strtab.h"
#include "gotrace.h"
#include "trace-walk.h"
#include "trace.h"
#include "util.h"


#define MAX_BODY 2048		/* largest code-3 body newer readers accept */
#define MAX_FRAMES 100
#define MAX_STRING 1024		/* Go keeps the last 1024 bytes of a name */
#define TICKS_PER_SECOND 1000000000
#define FAKE_PC_BASE 0x10000000	/* PCs for frames that came without one: below any mapping */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

/* What a thread does at one step, once checked against its state. */
enum act {
	A_SKIP,			/* dropped later (a CREATE that cannot be honoured) */
	A_START,		/* ProcStart, GoStart */
	A_START_BLOCKED,	/* ProcStart, [GoStart + GoBlock,] ProcStop */
	A_BLOCK,		/* GoBlock..., ProcStop */
	A_UNBLOCK,		/* ProcStart, [GoUnblock], GoStart */
	A_SYSCALL,		/* GoSysCall, GoSysBlock, ProcStop */
	A_SYSEXIT,		/* ProcStart, GoSysExit, GoStart */
	A_END,			/* GoEnd, ProcStop */
	A_STOP,			/* GoSched when the capture stops */
	A_CREATE,
	A_TASK_BEGIN,
	A_TASK_END,
	A_REGION_BEGIN,
	A_REGION_END,
	A_LOG,
	A_CPU,
	A_LOST,
};

struct step {
	uint64_t ts;			/* clamped: >= trace start, never decreasing */
	const struct gp_trace_event *ev;	/* NULL for a repair */
	uint64_t seq;			/* GoStart / GoWaiting; GoUnblock / GoSysExit use seq - 1 */
	uint64_t task;			/* region task, lost count */
	uint32_t name;			/* region name string id */
	uint32_t stack;			/* stack id */
	uint8_t act;			/* enum act */
	uint8_t self_wake;		/* A_UNBLOCK: the thread writes its own GoUnblock */
};

struct region {
	uint64_t task;
	uint32_t name;
	uint32_t stack;
};

struct gthread {
	const struct gp_trace_thread *th;
	uint32_t p;			/* P id */
	int creator;			/* index of the creating thread, -1: existed at the start */
	size_t create_step;		/* the creator's A_CREATE step */
	uint32_t start_stack;		/* stack id of the one-frame start stack */
	struct step *steps;
	size_t nsteps, capsteps;
	struct region *regions;		/* open regions, innermost last */
	size_t nregions, capregions;
};

/* A GoUnblock written in the waker's batch. */
struct wake {
	uint32_t waker;			/* thread index */
	uint64_t ts;
	uint64_t g, seq;
	uint32_t stack;			/* the waker's stack id, 0 = none */
};

struct writer {
	const struct gp_trace *t;
	struct gp_strtab strs;
	struct gthread *th;		/* valid threads, in input order */
	size_t nth;
	uint32_t *by_number;		/* indices into th sorted by thread number */
	uint64_t *tasks;		/* ids of the tasks begun in the trace, sorted */
	uint8_t *task_begun;
	size_t ntasks;
	struct wake *wakes;
	size_t nwakes, capwakes;
	size_t repaired;		/* odd events skipped or repaired */
	int oom;
};

static void buf_put(struct buf *b, const void *s, size_t n)
{
	if (gp_grow(&b->p, &b->cap, b->len + n, 1)) {
		b->oom = 1;
		return;
	}
	if (n)	/* an empty string may come with no pointer at all */
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void buf_byte(struct buf *b, uint8_t c)
{
	buf_put(b, &c, 1);
}

static void buf_uvarint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	buf_put(b, tmp, n);
}

static size_t uvarint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* One batch being written: a P's events with timestamps as deltas. */
struct enc {
	struct buf b;
	uint64_t last_ts;
};

/*
 * A timed event: type, then the delta and nargs values. Events with 3 or more values
 * after the delta use the length-prefixed form, as Go's writer does.
 */
static void emit(struct enc *e, uint8_t type, uint64_t ts, size_t nargs, const uint64_t *args)
{
	uint64_t delta = ts >= e->last_ts ? ts - e->last_ts : 0;

	if (ts > e->last_ts)
		e->last_ts = ts;
	if (nargs < 3) {
		buf_byte(&e->b, (uint8_t)(type | nargs << 6));
		buf_uvarint(&e->b, delta);
		for (size_t i = 0; i < nargs; i++)
			buf_uvarint(&e->b, args[i]);
		return;
	}
	size_t len = uvarint_len(delta);
	for (size_t i = 0; i < nargs; i++)
		len += uvarint_len(args[i]);
	buf_byte(&e->b, (uint8_t)(type | 3 << 6));
	buf_uvarint(&e->b, len);
	buf_uvarint(&e->b, delta);
	for (size_t i = 0; i < nargs; i++)
		buf_uvarint(&e->b, args[i]);
}

#define EMIT(e, type, ts, ...) \
	emit(e, type, ts, sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), \
	     (uint64_t[]){ __VA_ARGS__ })

static void batch(struct enc *e, uint32_t p, uint64_t base)
{
	buf_byte(&e->b, EV_BATCH | 1 << 6);
	buf_uvarint(&e->b, p);
	buf_uvarint(&e->b, base);
	e->last_ts = base;
}

static uint32_t intern(struct writer *w, const char *s)
{
	size_t len;
	int64_t id;

	if (!s || !*s)
		return 0;
	len = strlen(s);
	if (len > MAX_STRING)
		s += len - MAX_STRING, len = MAX_STRING;
	id = gp_strtab_add_len(&w->strs, s, len);
	if (id < 0) {
		w->oom = 1;
		return 0;
	}
	return (uint32_t)id;
}

static int find_thread(const struct writer *w, uint32_t number)
{
	size_t lo = 0, hi = w->nth;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t n = w->th[w->by_number[mid]].th->number;

		if (n == number)
			return (int)w->by_number[mid];
		if (n < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The stack id of an event's stack (gp_trace.stacks index + 1), 0 if there is none. */
static uint32_t stack_id(const struct writer *w, uint32_t stack)
{
	if (!stack || stack > w->t->nstacks || !w->t->stacks[stack - 1].nframes ||
	    !w->t->stacks[stack - 1].frames)
		return 0;
	return stack;
}

static struct step *add_step(struct writer *w, struct gthread *g, uint8_t act, uint64_t ts,
			     const struct gp_trace_event *ev)
{
	struct step *s;

	if (gp_grow(&g->steps, &g->capsteps, g->nsteps + 1, sizeof(*s))) {
		w->oom = 1;
		return NULL;
	}
	s = &g->steps[g->nsteps++];
	memset(s, 0, sizeof(*s));
	s->act = act;
	s->ts = ts;
	s->ev = ev;
	s->stack = ev ? stack_id(w, ev->stack) : 0;
	return s;
}

static int task_index(const struct writer *w, uint64_t id)
{
	size_t lo = 0, hi = w->ntasks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (w->tasks[mid] == id)
			return (int)mid;
		if (w->tasks[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Checks one thread's events against the states the parser tracks and records what will
 * be written, with sequence numbers. Nothing here depends on other threads, so CREATE and
 * UNBLOCK are settled afterwards (settle_creates, settle_wakes).
 */
static void plan_thread(struct writer *w, struct gthread *g)
{
	const struct gp_trace_event *ev;
	struct gp_trace_walk walk;
	uint64_t seq = 0, ts, lost = 0;
	struct step *s;

	gp_trace_walk_init(&walk, w->t, g->th, &w->repaired);
	while (!w->oom && (ev = gp_trace_walk_next(&walk))) {
		enum gp_trace_state st = walk.state;

		ts = walk.ts;
		switch (ev->kind) {
		case GP_TEV_START:
			add_step(w, g, st == GP_TS_BLOCKED ? A_START_BLOCKED : A_START, ts, NULL);
			seq = 1;
			continue;
		case GP_TEV_END:
			if (walk.from == GP_TS_BLOCKED || walk.from == GP_TS_SYSCALL) {
				uint8_t act = walk.from == GP_TS_BLOCKED ? A_UNBLOCK : A_SYSEXIT;

				s = add_step(w, g, act, ts, NULL);
				if (s) {
					s->seq = seq + 2;
					s->self_wake = 1;
				}
				seq += 2;
				w->repaired++;
			}
			/* a full buffer keeps the END: drops seen while blocked show here */
			if (lost) {
				s = add_step(w, g, A_LOST, ts, NULL);
				if (s)
					s->task = lost;
				lost = 0;
			}
			add_step(w, g, A_END, ts, ev);
			break;
		case GP_TEV_BLOCK:
		case GP_TEV_SYSCALL:
			add_step(w, g, ev->kind == GP_TEV_BLOCK ? A_BLOCK : A_SYSCALL, ts, ev);
			break;
		case GP_TEV_UNBLOCK:
		case GP_TEV_SYSCALL_END:
			s = add_step(w, g, ev->kind == GP_TEV_UNBLOCK ? A_UNBLOCK : A_SYSEXIT, ts,
				     ev);
			seq += 2;
			if (s) {
				s->seq = seq;
				s->self_wake = 1;
			}
			break;
		case GP_TEV_CREATE:
			if (st != GP_TS_RUNNING)
				goto skip;
			add_step(w, g, A_CREATE, ts, ev);
			break;
		case GP_TEV_TASK_BEGIN: {
			int k = task_index(w, ev->object);

			if (st != GP_TS_RUNNING || k < 0 || w->task_begun[k])
				goto skip;
			w->task_begun[k] = 1;
			add_step(w, g, A_TASK_BEGIN, ts, ev);
			break;
		}
		case GP_TEV_TASK_END:
			if (st != GP_TS_RUNNING || task_index(w, ev->object) < 0)
				goto skip;
			add_step(w, g, A_TASK_END, ts, ev);
			break;
		case GP_TEV_REGION_BEGIN: {
			struct region *r;

			if (gp_grow(&g->regions, &g->capregions, g->nregions + 1, sizeof(*r))) {
				w->oom = 1;
				break;
			}
			r = &g->regions[g->nregions++];
			r->task = ev->object;
			r->name = intern(w, ev->name ? ev->name : "region");
			/* the UI's region pages index the start stack's first frame */
			r->stack = stack_id(w, ev->stack) ? ev->stack : g->start_stack;
			s = add_step(w, g, A_REGION_BEGIN, ts, ev);
			if (s) {
				s->task = r->task;
				s->name = r->name;
				s->stack = r->stack;
			}
			break;
		}
		case GP_TEV_REGION_END:
			if (!g->nregions)
				goto skip;
			g->nregions--;
			s = add_step(w, g, A_REGION_END, ts, ev);
			if (s) {
				s->task = g->regions[g->nregions].task;
				s->name = g->regions[g->nregions].name;
				if (!s->stack)
					s->stack = g->regions[g->nregions].stack;
			}
			break;
		case GP_TEV_LOG:
			if (st != GP_TS_RUNNING)
				goto skip;
			add_step(w, g, A_LOG, ts, ev);
			break;
		case GP_TEV_CPU_SAMPLE:
			add_step(w, g, A_CPU, ts, ev);
			break;
		case GP_TEV_LOST:
			lost += ev->object;
			break;
		default:
skip:
			w->repaired++;
			break;
		}
		/* a UserLog needs a running goroutine: drops seen while blocked wait for one */
		if (lost && st == GP_TS_RUNNING) {
			s = add_step(w, g, A_LOST, ts, NULL);
			if (s)
				s->task = lost;
			lost = 0;
		}
	}
	if (walk.state == GP_TS_RUNNING) {
		uint64_t end = w->t->end_ns > walk.ts ? w->t->end_ns : walk.ts;

		add_step(w, g, A_STOP, end, NULL);
	}
	if (lost)
		w->repaired++;
}

/*
 * A CREATE is written only if its thread is in the trace, was created once, and had not
 * run before; creation cycles (possible only with equal timestamps) are broken. A thread
 * left without creator gets its GoCreate at the trace's start.
 */
static void settle_creates(struct writer *w)
{
	for (size_t i = 0; i < w->nth; i++) {
		struct gthread *g = &w->th[i];

		for (size_t k = 0; k < g->nsteps; k++) {
			struct step *s = &g->steps[k];
			int x;

			if (s->act != A_CREATE)
				continue;
			x = find_thread(w, s->ev->other);
			if (x < 0 || (size_t)x == i || w->th[x].creator >= 0 || !w->th[x].nsteps ||
			    w->th[x].steps[0].ts < s->ts) {
				s->act = A_SKIP;
				w->repaired++;
				continue;
			}
			w->th[x].creator = (int)i;
			w->th[x].create_step = k;
		}
	}
	for (size_t i = 0; i < w->nth; i++) {
		int c = w->th[i].creator;

		for (size_t n = 0; c >= 0 && n < w->nth; n++) {
			if ((size_t)c == i) {
				struct gthread *g = &w->th[i];

				w->th[g->creator].steps[g->create_step].act = A_SKIP;
				g->creator = -1;
				w->repaired++;
				break;
			}
			c = w->th[c].creator;
		}
	}
}

/* Is thread g running once all its steps stamped at or before ts are done? */
static int running_after(const struct gthread *g, uint64_t ts)
{
	int running = 0;

	for (size_t k = 0; k < g->nsteps && g->steps[k].ts <= ts; k++) {
		switch (g->steps[k].act) {
		case A_START:
		case A_UNBLOCK:
		case A_SYSEXIT:
			running = 1;
			break;
		case A_START_BLOCKED:
		case A_BLOCK:
		case A_SYSCALL:
		case A_END:
		case A_STOP:
			running = 0;
			break;
		}
	}
	return running;
}

static int wake_cmp(const void *a, const void *b)
{
	const struct wake *x = a, *y = b;

	if (x->waker != y->waker)
		return x->waker < y->waker ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Moves each GoUnblock to the waker's batch when the waker is running then. */
static void settle_wakes(struct writer *w)
{
	for (size_t i = 0; i < w->nth && !w->oom; i++) {
		struct gthread *g = &w->th[i];

		for (size_t k = 0; k < g->nsteps; k++) {
			struct step *s = &g->steps[k];
			int x;

			if (s->act != A_UNBLOCK || !s->ev || !s->ev->other)
				continue;
			/* when the waker woke it: within the wait, else when it ran again */
			uint64_t ts = s->ev->waker_ns;
			if (!ts || ts > s->ts)
				ts = s->ts;
			if (k > 0 && ts < g->steps[k - 1].ts)
				ts = g->steps[k - 1].ts;
			x = find_thread(w, s->ev->other);
			if (x < 0 || (size_t)x == i || !running_after(&w->th[x], ts))
				continue;
			if (gp_grow(&w->wakes, &w->capwakes, w->nwakes + 1, sizeof(*w->wakes))) {
				w->oom = 1;
				return;
			}
			w->wakes[w->nwakes++] = (struct wake){
				.waker = (uint32_t)x,
				.ts = ts,
				.g = g->th->number,
				.seq = s->seq - 1,
				.stack = s->ev->waker_ns ? s->stack : 0,
			};
			s->self_wake = 0;
		}
	}
	if (w->nwakes)
		qsort(w->wakes, w->nwakes, sizeof(*w->wakes), wake_cmp);
}

static uint8_t block_type(uint8_t why)
{
	switch (why) {
	case GP_TB_MUTEX:
	case GP_TB_SYNC:
		return EV_GO_BLOCK_SYNC;
	case GP_TB_COND:
		return EV_GO_BLOCK_COND;
	case GP_TB_SLEEP:
		return EV_GO_SLEEP;
	case GP_TB_RECV:
		return EV_GO_BLOCK_RECV;
	case GP_TB_SEND:
		return EV_GO_BLOCK_SEND;
	case GP_TB_SELECT:
		return EV_GO_BLOCK_SELECT;
	case GP_TB_NET:
		return EV_GO_BLOCK_NET;
	}
	return EV_GO_BLOCK;
}

static void emit_start(struct enc *e, const struct gthread *g, const struct step *s)
{
	uint64_t n = g->th->number;

	EMIT(e, EV_PROC_START, s->ts, g->th->tid);
	if (s->act == A_START) {
		EMIT(e, EV_GO_START, s->ts, n, 1);
		return;
	}
	if (g->creator >= 0) {
		/* created in the trace, then blocked at once: GoWaiting is for the start only */
		EMIT(e, EV_GO_START, s->ts, n, 1);
		EMIT(e, EV_GO_BLOCK, s->ts, 0);
	}
	emit(e, EV_PROC_STOP, s->ts, 0, NULL);
}

/* The thread gets its P back: ProcStart, as the runtime's acquirep() writes it. */
static void proc_start(struct enc *e, const struct gthread *g, uint64_t ts)
{
	EMIT(e, EV_PROC_START, ts, g->th->tid);
}

static void emit_log(struct writer *w, struct enc *e, uint64_t ts, uint64_t task,
		     const char *key, uint32_t stack, const char *msg)
{
	size_t len = msg ? strlen(msg) : 0;

	if (len > 0xffff)
		len = 0xffff;
	EMIT(e, EV_USER_LOG, ts, task, intern(w, key), stack);
	buf_uvarint(&e->b, len);
	buf_put(&e->b, msg, len);
}

static void emit_step(struct writer *w, struct enc *e, const struct gthread *g,
		      const struct step *s)
{
	const struct gp_trace_event *ev = s->ev;
	uint64_t n = g->th->number;
	char msg[64];

	switch (s->act) {
	case A_START:
	case A_START_BLOCKED:
		emit_start(e, g, s);
		break;
	case A_BLOCK:
		EMIT(e, block_type(ev->why), s->ts, s->stack);
		emit(e, EV_PROC_STOP, s->ts, 0, NULL);
		break;
	case A_UNBLOCK:
		proc_start(e, g, s->ts);
		if (s->self_wake)
			EMIT(e, EV_GO_UNBLOCK, s->ts, n, s->seq - 1, 0);
		EMIT(e, EV_GO_START, s->ts, n, s->seq);
		break;
	case A_SYSCALL:
		EMIT(e, EV_GO_SYS_CALL, s->ts, s->stack);
		emit(e, EV_GO_SYS_BLOCK, s->ts, 0, NULL);
		emit(e, EV_PROC_STOP, s->ts, 0, NULL);
		break;
	case A_SYSEXIT:
		proc_start(e, g, s->ts);
		EMIT(e, EV_GO_SYS_EXIT, s->ts, n, s->seq - 1, 0);
		EMIT(e, EV_GO_START, s->ts, n, s->seq);
		break;
	case A_END:
		emit(e, EV_GO_END, s->ts, 0, NULL);
		emit(e, EV_PROC_STOP, s->ts, 0, NULL);
		break;
	case A_STOP:
		EMIT(e, EV_GO_SCHED, s->ts, 0);
		break;
	case A_CREATE: {
		const struct gthread *x = &w->th[find_thread(w, ev->other)];

		EMIT(e, EV_GO_CREATE, s->ts, x->th->number, x->start_stack, s->stack);
		break;
	}
	case A_TASK_BEGIN:
		EMIT(e, EV_USER_TASK_CREATE, s->ts, ev->object, ev->other,
		     intern(w, ev->name ? ev->name : "task"), s->stack);
		break;
	case A_TASK_END:
		EMIT(e, EV_USER_TASK_END, s->ts, ev->object, s->stack);
		break;
	case A_REGION_BEGIN:
	case A_REGION_END:
		EMIT(e, EV_USER_REGION, s->ts, s->task, s->act == A_REGION_END, s->name, s->stack);
		break;
	case A_LOG:
		emit_log(w, e, s->ts, ev->object, ev->name, s->stack, ev->message);
		break;
	case A_CPU:
		/*
		 * The sample's time is its first value; its delta is 0, so the batch's clock stays
		 * where it was: Go >= 1.23 skips CPUSample events when it adds up a batch's deltas
		 * (Go's runtime writes them in a batch of their own), Go 1.19 does not.
		 */
		EMIT(e, EV_CPU_SAMPLE, e->last_ts, s->ts, g->p, n, s->stack);
		break;
	case A_LOST:
		snprintf(msg, sizeof(msg), "%" PRIu64 " events dropped", s->task);
		emit_log(w, e, s->ts, 0, "goprof", 0, msg);
		break;
	}
}

/* The state at the trace's start, at the head of P 0's batch (as Go writes it). */
static void emit_initial(struct writer *w, struct enc *e)
{
	uint64_t ts = w->t->start_ns;

	for (size_t i = 0; i < w->nth; i++) {
		const struct gthread *g = &w->th[i];

		if (g->creator >= 0)
			continue;
		EMIT(e, EV_GO_CREATE, ts, g->th->number, g->start_stack, 0);
		if (g->nsteps && g->steps[0].act == A_START_BLOCKED)
			EMIT(e, EV_GO_WAITING, ts, g->th->number);
	}
	EMIT(e, EV_GOMAXPROCS, ts, w->nth ? w->nth : 1, 0);
}

static void emit_thread(struct writer *w, struct enc *e, size_t i, size_t *wake)
{
	const struct gthread *g = &w->th[i];

	/*
	 * A P first seen after the trace's start is shown running from the start by Go >= 1.23
	 * (its first ProcStart becomes a status): the P of a thread that starts later is
	 * stopped at the start.
	 */
	if (g->nsteps && g->steps[0].ts > w->t->start_ns) {
		proc_start(e, g, w->t->start_ns);
		emit(e, EV_PROC_STOP, w->t->start_ns, 0, NULL);
	}
	for (size_t k = 0; k < g->nsteps; k++) {
		const struct step *s = &g->steps[k];

		/* the waker's GoUnblock goes after all its steps stamped at or before it */
		while (*wake < w->nwakes && w->wakes[*wake].waker == i &&
		       w->wakes[*wake].ts < s->ts) {
			const struct wake *wk = &w->wakes[(*wake)++];

			EMIT(e, EV_GO_UNBLOCK, wk->ts, wk->g, wk->seq, wk->stack);
		}
		emit_step(w, e, g, s);
	}
	while (*wake < w->nwakes && w->wakes[*wake].waker == i) {
		const struct wake *wk = &w->wakes[(*wake)++];

		EMIT(e, EV_GO_UNBLOCK, wk->ts, wk->g, wk->seq, wk->stack);
	}
}

static uint64_t frame_pc(uint64_t pc, uint32_t fn)
{
	return pc ? pc : FAKE_PC_BASE + (uint64_t)fn * 16 + 1;
}

/* EvStack: id, n, then pc, function, file, line per frame, cut to fit MAX_BODY. */
static void emit_stack(struct writer *w, struct buf *out, uint64_t id,
		       const struct gp_trace_frame *frames, uint32_t nframes)
{
	struct buf body = { 0 };
	uint32_t n = 0;

	for (; n < nframes && n < MAX_FRAMES; n++) {
		const struct gp_trace_frame *f = &frames[n];
		uint32_t fn = intern(w, f->function ? f->function : "?");
		uint64_t pc = frame_pc(f->pc, fn);
		uint32_t file = intern(w, f->file);
		size_t len = uvarint_len(pc) + uvarint_len(fn) + uvarint_len(file) +
			     uvarint_len(f->line);

		if (body.len + len + uvarint_len(id) + uvarint_len(n + 1) > MAX_BODY)
			break;
		buf_uvarint(&body, pc);
		buf_uvarint(&body, fn);
		buf_uvarint(&body, file);
		buf_uvarint(&body, f->line);
	}
	buf_byte(out, EV_STACK | 3 << 6);
	buf_uvarint(out, uvarint_len(id) + uvarint_len(n) + body.len);
	buf_uvarint(out, id);
	buf_uvarint(out, n);
	buf_put(out, body.p, body.len);
	if (body.oom)
		out->oom = 1;
	free(body.p);
}

static int write_all(FILE *out, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, out) != n)
		return errno ? -errno : -EIO;
	return 0;
}

/* Valid threads (non-zero, unique numbers) with their P ids and start stacks. */
static int setup_threads(struct writer *w)
{
	const struct gp_trace *t = w->t;
	size_t n = 0;

	w->th = calloc(t->nthreads ? t->nthreads : 1, sizeof(*w->th));
	w->by_number = calloc(t->nthreads ? t->nthreads : 1, sizeof(*w->by_number));
	if (!w->th || !w->by_number)
		return -ENOMEM;
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct gp_trace_thread *th = &t->threads[i];

		if (!th->number || find_thread(w, th->number) >= 0) {
			w->repaired += th->nevents + 1;
			continue;
		}
		w->th[n].th = th;
		w->th[n].p = (uint32_t)n;
		w->th[n].creator = -1;
		w->th[n].start_stack = (uint32_t)(t->nstacks + 1 + n);
		/* keep by_number sorted: insertion, thread lists are short */
		size_t k = n;
		while (k && w->th[w->by_number[k - 1]].th->number > th->number) {
			w->by_number[k] = w->by_number[k - 1];
			k--;
		}
		w->by_number[k] = (uint32_t)n;
		w->nth = ++n;
	}
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int setup_tasks(struct writer *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nth; i++)
		for (size_t k = 0; k < w->th[i].th->nevents; k++)
			n += w->th[i].th->events[k].kind == GP_TEV_TASK_BEGIN;
	w->tasks = calloc(n ? n : 1, sizeof(*w->tasks));
	w->task_begun = calloc(n ? n : 1, 1);
	if (!w->tasks || !w->task_begun)
		return -ENOMEM;
	for (size_t i = 0; i < w->nth; i++)
		for (size_t k = 0; k < w->th[i].th->nevents; k++) {
			const struct gp_trace_event *ev = &w->th[i].th->events[k];

			if (ev->kind == GP_TEV_TASK_BEGIN && ev->object)
				w->tasks[w->ntasks++] = ev->object;
		}
	qsort(w->tasks, w->ntasks, sizeof(*w->tasks), u64_cmp);
	n = 0;
	for (size_t i = 0; i < w->ntasks; i++)
		if (!n || w->tasks[n - 1] != w->tasks[i])
			w->tasks[n++] = w->tasks[i];
	w->ntasks = n;
	return 0;
}

static int write_file(struct writer *w, FILE *out)
{
	static const char header[16] = "go 1.19 trace";
	struct enc e = { 0 };
	struct buf stacks = { 0 };
	size_t wake = 0;
	uint64_t last = w->t->start_ns;
	int rc;

	rc = write_all(out, header, sizeof(header));
	for (size_t i = 0; i < w->nth || (i == 0 && !w->nth); i++) {
		if (rc)
			break;
		e.b.len = 0;
		batch(&e, (uint32_t)i, w->t->start_ns);
		if (i == 0)
			emit_initial(w, &e);
		if (i < w->nth)
			emit_thread(w, &e, i, &wake);
		if (e.last_ts > last)
			last = e.last_ts;
		if (e.b.oom)
			rc = -ENOMEM;
		else
			rc = write_all(out, e.b.p, e.b.len);
	}
	/* the footer: frequency, then a batch holding the strings and stacks */
	e.b.len = 0;
	buf_byte(&e.b, EV_FREQUENCY);
	buf_uvarint(&e.b, TICKS_PER_SECOND);
	batch(&e, 0, last);
	for (size_t s = 0; s < w->t->nstacks; s++)
		if (stack_id(w, (uint32_t)s + 1))
			emit_stack(w, &stacks, s + 1, w->t->stacks[s].frames,
				   w->t->stacks[s].nframes);
	for (size_t i = 0; i < w->nth; i++) {
		const struct gp_trace_thread *th = w->th[i].th;
		struct gp_trace_frame f = {
			.pc = th->start_pc,
			.function = th->start_function && *th->start_function ? th->start_function :
				    th->name && *th->name ? th->name : "thread",
		};

		emit_stack(w, &stacks, w->th[i].start_stack, &f, 1);
	}
	for (size_t id = 1; id < w->strs.n; id++) {
		size_t len = strlen(w->strs.strs[id]);

		buf_byte(&e.b, EV_STRING);
		buf_uvarint(&e.b, id);
		buf_uvarint(&e.b, len);
		buf_put(&e.b, w->strs.strs[id], len);
	}
	buf_put(&e.b, stacks.p, stacks.len);
	if (!rc)
		rc = e.b.oom || stacks.oom || w->oom ? -ENOMEM : write_all(out, e.b.p, e.b.len);
	free(e.b.p);
	free(stacks.p);
	return rc;
}

/*
 * Writes t in Go 1.19's trace format to out (see the top of this file). Returns 0, -ENOMEM,
 * or -errno of a failed write; out is not flushed. Odd events that had to be skipped or
 * repaired are counted in *odd (when not NULL) for the caller to report.
 */
int gp_trace_write_go(const struct gp_trace *t, FILE *out, size_t *odd)
{
	struct writer w = { .t = t };
	int rc;

	if (gp_strtab_init(&w.strs))
		return -ENOMEM;
	rc = setup_threads(&w);
	if (!rc)
		rc = setup_tasks(&w);
	for (size_t i = 0; !rc && i < w.nth; i++)
		plan_thread(&w, &w.th[i]);
	if (!rc && !w.oom) {
		settle_creates(&w);
		settle_wakes(&w);
	}
	if (!rc && w.oom)
		rc = -ENOMEM;
	if (!rc)
		rc = write_file(&w, out);
	if (odd)
		*odd = rc ? 0 : w.repaired;
	for (size_t i = 0; i < w.nth; i++) {
		free(w.th[i].steps);
		free(w.th[i].regions);
	}
	free(w.th);
	free(w.by_number);
	free(w.tasks);
	free(w.task_begun);
	free(w.wakes);
	gp_strtab_destroy(&w.strs);
	return rc;
}
