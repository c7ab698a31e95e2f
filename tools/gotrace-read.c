/*
 * Go 1.19 execution-trace reader: turns a file that gotrace.c wrote (GOPROF_TRACE,
 * goprof_trace_start(), /debug/pprof/trace) back into a struct gp_trace, so that
 * goprof-export can write it again as trace-event JSON or in Go's format.
 *
 * It reads the subset of the format goprof writes (spec go-trace-format.md): the header,
 * batches of varint events (code-3 bodies included), EvFrequency, EvString, EvStack and
 * UserLog's inline message. Events Go has but goprof never writes (GC, heap, the ...Local
 * forms) are refused: the file comes from a Go program, not from goprof.
 *
 * Two passes over the bytes in memory. The first checks every event's shape and collects
 * the frequency, strings, stacks, GoCreates and who ran each GoUnblock: a goroutine's
 * wake-up may be in a batch after its own. The second follows each P's current goroutine
 * as the Go parser does (spec §5.1) and appends the model's events to the goroutine
 * running there:
 *
 *   ProcStart(tid) + GoStart(g)        START on a new thread (tid kept); UNBLOCK after a
 *                                      block (other = who ran the matching GoUnblock)
 *   GoWaiting(g)                       START blocked at the trace's start
 *   GoBlock*, GoSleep                  BLOCK (why from the type, name from the stack's
 *                                      innermost frame, where goprof puts the call)
 *   GoSysCall + GoSysBlock, GoSysExit  SYSCALL, SYSCALL_END
 *   GoCreate during the trace          CREATE on the creator
 *   GoEnd                              END
 *   UserTask*, UserRegion, UserLog     TASK_*, REGION_*, LOG; the log "goprof" "N events
 *                                      dropped" is LOST again
 *   CPUSample                          CPU_SAMPLE of its goroutine, at its own time value
 *                                      (gotrace.c writes it with delta 0)
 *   GoSched, Gomaxprocs, ProcStop,     nothing (the capture's stop, the P count, a P given
 *   a later ProcStart                  up during a wait and taken back)
 *
 * What the Go file does not keep stays unknown: thread names (a thread is named by its
 * start function), the addresses waited on, the pid (guessed from main's tid) and the
 * program (the file's name stands in). Stack ids and the order of the threads (P i holds
 * thread i) are kept, so that gp_trace_write_go() writes the same file again.
 *
 * Bad input gives a one-line error naming the offset; lengths are checked against what is
 * left of the file before anything is allocated for them. gotrace.c defines every stack
 * and string it uses, so one used but missing means a file cut short: an error too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gotrace.h"
#include "trace-read.h"
#include "util.h"

#define MAX_FILE_BYTES (1ul << 30)
#define MAX_STRING 1000000		/* Go's parser: strings are 1 ... 1e6 bytes */
#define MAX_FRAMES 1000			/* Go's parser: frames per stack */
#define MAX_VALS 5			/* values of a timed event, delta included */
#define NS_PER_SECOND 1000000000ull


/* Go 1.19's event types: name, values after the delta; goprof = gotrace.c writes it. */
static const struct {
	const char *name;
	uint8_t nargs;
	uint8_t goprof;
} types[EV_COUNT] = {
	[1] = { "Batch", 2, 1 },		[2] = { "Frequency", 1, 1 },
	[3] = { "Stack", 0, 1 },		[4] = { "Gomaxprocs", 2, 1 },
	[5] = { "ProcStart", 1, 1 },		[6] = { "ProcStop", 0, 1 },
	[7] = { "GCStart", 2, 0 },		[8] = { "GCDone", 0, 0 },
	[9] = { "GCSTWStart", 1, 0 },		[10] = { "GCSTWDone", 0, 0 },
	[11] = { "GCSweepStart", 1, 0 },	[12] = { "GCSweepDone", 2, 0 },
	[13] = { "GoCreate", 3, 1 },		[14] = { "GoStart", 2, 1 },
	[15] = { "GoEnd", 0, 1 },		[16] = { "GoStop", 1, 0 },
	[17] = { "GoSched", 1, 1 },		[18] = { "GoPreempt", 1, 0 },
	[19] = { "GoSleep", 1, 1 },		[20] = { "GoBlock", 1, 1 },
	[21] = { "GoUnblock", 3, 1 },		[22] = { "GoBlockSend", 1, 1 },
	[23] = { "GoBlockRecv", 1, 1 },		[24] = { "GoBlockSelect", 1, 1 },
	[25] = { "GoBlockSync", 1, 1 },		[26] = { "GoBlockCond", 1, 1 },
	[27] = { "GoBlockNet", 1, 1 },		[28] = { "GoSysCall", 1, 1 },
	[29] = { "GoSysExit", 3, 1 },		[30] = { "GoSysBlock", 0, 1 },
	[31] = { "GoWaiting", 1, 1 },		[32] = { "GoInSyscall", 1, 0 },
	[33] = { "HeapAlloc", 1, 0 },		[34] = { "HeapGoal", 1, 0 },
	[35] = { "TimerGoroutine", 1, 0 },	[36] = { "FutileWakeup", 0, 0 },
	[37] = { "String", 0, 1 },		[38] = { "GoStartLocal", 1, 0 },
	[39] = { "GoUnblockLocal", 2, 0 },	[40] = { "GoSysExitLocal", 2, 0 },
	[41] = { "GoStartLabel", 3, 0 },	[42] = { "GoBlockGC", 1, 0 },
	[43] = { "GCMarkAssistStart", 1, 0 },	[44] = { "GCMarkAssistDone", 0, 0 },
	[45] = { "UserTaskCreate", 4, 1 },	[46] = { "UserTaskEnd", 2, 1 },
	[47] = { "UserRegion", 4, 1 },		[48] = { "UserLog", 3, 1 },
	[49] = { "CPUSample", 4, 1 },
};

/* One decoded event. */
struct rev {
	size_t off;			/* where it starts in the file */
	uint8_t type;
	uint64_t v[MAX_VALS];		/* timed events: v[0] = the delta */
	size_t nv;
	uint64_t ts;			/* timed events: absolute ticks */
	const uint8_t *str;		/* String's bytes, UserLog's message */
	size_t slen;
	size_t body, body_len;		/* Stack: its code-3 body */
};

struct rstring {
	uint64_t id;
	const uint8_t *p;
	size_t len;
	const char *copy;		/* in the arena */
};

struct rstack {
	uint64_t id;
	size_t body, body_len;		/* the code-3 body: id, n, then n frames */
	uint32_t nframes;
	uint8_t start;			/* a goroutine's start stack */
	size_t frame0;			/* its first frame in owned.frames */
};

struct runblock {
	uint64_t g, seq;
	uint64_t waker;			/* the goroutine running where GoUnblock was, 0 = none */
	uint64_t ts;			/* GoUnblock's time, ticks */
	uint64_t stack;			/* its stack id in the file, 0 = none */
};

/* A P as the second pass follows it. */
struct rproc {
	uint64_t id;
	uint64_t cur_g;			/* the goroutine it runs, 0 = none */
	uint32_t tid;			/* of its last ProcStart */
	uint8_t proc_started, go_started;
	uint64_t sys_ts;		/* the GoSysCall a GoSysBlock completes */
	uint64_t sys_stack;
	uint8_t sys_pending;
};

enum tstate { S_NEW, S_RUNNING, S_RUNNABLE, S_BLOCKED, S_SYSCALL, S_DEAD };

struct rthread {
	uint64_t g;
	uint64_t start_stack;		/* GoCreate's start stack id */
	uint64_t creator;		/* 0: existed at the trace's start */
	size_t order;			/* GoCreate's place in the file */
	size_t off;			/* GoCreate's offset */
	uint64_t p;			/* the P it ran on (index into procs) */
	uint8_t has_p;
	uint8_t state;			/* enum tstate */
	uint32_t tid;
	struct gp_trace_event *ev;
	size_t nev, cap;
};

struct reader {
	const char *path;
	const uint8_t *data;
	size_t len, off;
	char *err;
	size_t errlen;

	uint64_t freq;			/* ticks per second, 0 = none seen */
	uint64_t batch_ts;		/* ticks of the last timed event of the batch */
	size_t cur_p;			/* index into procs of the batch's P */
	int in_batch;
	uint64_t min_ts, max_ts;

	struct rproc *procs;
	size_t nprocs, capprocs;
	uint32_t *pslots;		/* hash of P ids: procs index + 1, 0 = empty */
	size_t npslots;
	struct rstring *strs;
	size_t nstrs, capstrs;
	struct rstack *stacks;
	size_t nstacks, capstacks;
	size_t nframes;			/* in all stacks */
	struct runblock *unblocks;
	size_t nunblocks, capunblocks;
	struct rthread *threads;
	size_t nthreads, capthreads;
	size_t arena_need;		/* bytes for strings and log messages, NULs included */

	char *arena;
	size_t arena_len;
	uint64_t model_stacks;		/* stack ids 1 ... model_stacks are the model's */
	size_t skipped;			/* events that had no goroutine to go to */
	int nomem;			/* an add() failed */
	size_t at;			/* the offset being interpreted */
	const char *missing;		/* "stack", "string": an id used but never defined */
	uint64_t missing_id;
	size_t missing_off;
	uint64_t dropped;
};

/* What gp_trace_read_go() returns: the trace first, then what it owns. */
struct owned {
	struct gp_trace t;
	struct gp_trace_thread *threads;
	struct gp_trace_stack *stacks;
	struct gp_trace_frame *frames;
	char *arena;
};

static __attribute__((format(printf, 3, 4))) int fail(struct reader *r, size_t off,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, r->errlen, "%s: offset %#zx: ", r->path, off);
	if (n < 0 || (size_t)n >= r->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct reader *r)
{
	snprintf(r->err, r->errlen, "%s: out of memory", r->path);
	return -1;
}

#define PUSH(arr, n, cap)                                                   \
	({                                                                     \
		int ok_ = gp_grow(&(arr), &(cap), (n) + 1, sizeof(*(arr))) == 0; \
		if (ok_)                                                       \
			memset(&(arr)[n], 0, sizeof(*(arr)));                  \
		ok_ ? &(arr)[(n)++] : NULL;                                    \
	})

/* An unsigned LEB128 number that must end before end. */
static int uvarint(struct reader *r, size_t end, uint64_t *v)
{
	size_t start = r->off;
	uint64_t x = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t c;

		if (r->off >= end && end == r->len)
			return fail(r, start, "the file ends inside a number");
		if (r->off >= end)
			return fail(r, start, "a number runs past its event's length");
		c = r->data[r->off++];
		if (i == 9 && c > 1)
			return fail(r, start, "a number does not fit in 64 bits");
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (c < 0x80)
			break;
	}
	*v = x;
	return 0;
}

/* Reads the event at r->off; 1 = one read, 0 = end of file, -1 = error. */
static int next_event(struct reader *r, struct rev *e)
{
	uint8_t b, code;
	uint64_t n;

	if (r->off >= r->len)
		return 0;
	memset(e, 0, sizeof(*e));
	e->off = r->off;
	b = r->data[r->off++];
	e->type = b & 0x3f;
	code = b >> 6;
	if (e->type == 0 || e->type >= EV_COUNT)
		return fail(r, e->off, "unknown event type %u", e->type);
	if (!types[e->type].goprof)
		return fail(r, e->off, "event %s, which goprof never writes (a Go program's "
			    "trace?)", types[e->type].name);
	if (e->type == EV_STRING) {
		if (code != 0)
			return fail(r, e->off, "String with the wrong header byte %#x", b);
		if (uvarint(r, r->len, &e->v[0]) || uvarint(r, r->len, &n))
			return -1;
		if (e->v[0] == 0)
			return fail(r, e->off, "String with the invalid id 0");
		if (n == 0 || n > MAX_STRING)
			return fail(r, e->off, "String of %" PRIu64 " bytes (1 to %u)", n,
				    MAX_STRING);
		if (n > r->len - r->off)
			return fail(r, e->off, "the file ends inside a String of %" PRIu64 " bytes",
				    n);
		e->str = r->data + r->off;
		e->slen = (size_t)n;
		r->off += (size_t)n;
		e->nv = 1;
		return 1;
	}
	if (code < 3) {
		e->nv = code + 1u;
		for (size_t i = 0; i < e->nv; i++)
			if (uvarint(r, r->len, &e->v[i]))
				return -1;
	} else {
		size_t end;

		if (uvarint(r, r->len, &n))
			return -1;
		if (n > r->len - r->off)
			return fail(r, e->off, "%s of %" PRIu64 " bytes runs past the end of the "
				    "file", types[e->type].name, n);
		end = r->off + (size_t)n;
		if (e->type == EV_STACK) {
			e->body = r->off;
			e->body_len = (size_t)n;
			r->off = end;
			return 1;
		}
		while (r->off < end) {
			if (e->nv == MAX_VALS)
				return fail(r, e->off, "%s with too many values",
					    types[e->type].name);
			if (uvarint(r, end, &e->v[e->nv++]))
				return -1;
		}
	}
	if (e->type == EV_STACK)
		return fail(r, e->off, "Stack not in the length-prefixed form");
	n = types[e->type].nargs + (e->type != EV_BATCH && e->type != EV_FREQUENCY);
	if (e->nv != n)
		return fail(r, e->off, "%s with %zu values, want %" PRIu64, types[e->type].name,
			    e->nv, n);
	if (e->type == EV_USER_LOG) {
		if (uvarint(r, r->len, &n))
			return -1;
		if (n > r->len - r->off)
			return fail(r, e->off, "the file ends inside a UserLog message of %" PRIu64
				    " bytes", n);
		e->str = r->data + r->off;
		e->slen = (size_t)n;
		r->off += (size_t)n;
	}
	return 1;
}

static size_t slot_of(uint64_t id, size_t nslots)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 20) & (nslots - 1);
}

/* The P with this id, added if new; NULL when out of memory. */
static struct rproc *find_proc(struct reader *r, uint64_t id)
{
	size_t k;
	struct rproc *p;

	if (2 * (r->nprocs + 1) > r->npslots) {
		size_t n = r->npslots ? 2 * r->npslots : 64;
		uint32_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return NULL;
		for (size_t i = 0; i < r->nprocs; i++) {
			for (k = slot_of(r->procs[i].id, n); slots[k]; k = (k + 1) & (n - 1))
				;
			slots[k] = (uint32_t)i + 1;
		}
		free(r->pslots);
		r->pslots = slots;
		r->npslots = n;
	}
	for (k = slot_of(id, r->npslots); r->pslots[k]; k = (k + 1) & (r->npslots - 1))
		if (r->procs[r->pslots[k] - 1].id == id)
			return &r->procs[r->pslots[k] - 1];
	p = PUSH(r->procs, r->nprocs, r->capprocs);
	if (!p)
		return NULL;
	p->id = id;
	r->pslots[k] = (uint32_t)r->nprocs;
	return p;
}

/*
 * Batch and timestamp bookkeeping shared by both passes; 1 if e is a timed event (its ts
 * is set), 0 if not, -1 on error.
 */
static int place_event(struct reader *r, struct rev *e)
{
	struct rproc *p;

	switch (e->type) {
	case EV_BATCH:
		/* newer Go readers take only P ids up to 2^31-1 (spec §11) */
		if (e->v[0] > INT32_MAX)
			return fail(r, e->off, "Batch for P %" PRIu64 " (goprof writes 0 ... N-1)",
				    e->v[0]);
		p = find_proc(r, e->v[0]);
		if (!p)
			return oom(r);
		r->cur_p = (size_t)(p - r->procs);
		r->batch_ts = e->v[1];
		r->in_batch = 1;
		if (e->v[1] < r->min_ts)
			r->min_ts = e->v[1];
		if (e->v[1] > r->max_ts)
			r->max_ts = e->v[1];
		return 0;
	case EV_FREQUENCY:
	case EV_STACK:
	case EV_STRING:
		return 0;
	}
	if (!r->in_batch)
		return fail(r, e->off, "%s before the first Batch", types[e->type].name);
	if (e->v[0] > UINT64_MAX - r->batch_ts)
		return fail(r, e->off, "the timestamp overflows");
	r->batch_ts += e->v[0];
	e->ts = r->batch_ts;
	if (e->ts > r->max_ts)
		r->max_ts = e->ts;
	return 1;
}

static int stack_body(struct reader *r, struct rev *e)
{
	size_t end = e->body + e->body_len, save = r->off;
	struct rstack *s;
	uint64_t id, n, v;

	r->off = e->body;
	if (uvarint(r, end, &id) || uvarint(r, end, &n))
		return -1;
	if (id == 0)
		return fail(r, e->off, "Stack with the invalid id 0");
	if (n > MAX_FRAMES)
		return fail(r, e->off, "Stack of %" PRIu64 " frames (at most %u)", n, MAX_FRAMES);
	for (uint64_t i = 0; i < 4 * n; i++)
		if (uvarint(r, end, &v))
			return fail(r, e->off, "Stack with fewer values than its %" PRIu64
				    " frames need", n);
	if (r->off != end)
		return fail(r, e->off, "Stack with more values than its %" PRIu64 " frames", n);
	r->off = save;
	s = PUSH(r->stacks, r->nstacks, r->capstacks);
	if (!s)
		return oom(r);
	s->id = id;
	s->body = e->body;
	s->body_len = e->body_len;
	s->nframes = (uint32_t)n;
	r->nframes += (size_t)n;
	return 0;
}

/* The first pass: shapes, strings, stacks, GoCreates and the wakers of GoUnblocks. */
static int scan(struct reader *r)
{
	struct rev e;
	int rc;

	r->min_ts = UINT64_MAX;
	while ((rc = next_event(r, &e)) > 0) {
		struct rproc *p;

		if (place_event(r, &e) < 0)
			return -1;
		p = r->in_batch ? &r->procs[r->cur_p] : NULL;
		switch (e.type) {
		case EV_FREQUENCY:
			if (r->freq)
				return fail(r, e.off, "a second Frequency");
			if (!e.v[0])
				return fail(r, e.off, "Frequency 0");
			r->freq = e.v[0];
			break;
		case EV_STRING: {
			struct rstring *s = PUSH(r->strs, r->nstrs, r->capstrs);

			if (!s)
				return oom(r);
			s->id = e.v[0];
			s->p = e.str;
			s->len = e.slen;
			r->arena_need += e.slen + 1;
			break;
		}
		case EV_STACK:
			if (stack_body(r, &e))
				return -1;
			break;
		case EV_GO_CREATE: {
			struct rthread *t;

			if (e.v[1] == 0 || e.v[1] > UINT32_MAX)
				return fail(r, e.off, "GoCreate of goroutine %" PRIu64
					    " (goprof numbers threads 1 ... 2^32-1)", e.v[1]);
			t = PUSH(r->threads, r->nthreads, r->capthreads);
			if (!t)
				return oom(r);
			t->g = e.v[1];
			t->start_stack = e.v[2];
			t->creator = p->cur_g;
			t->order = r->nthreads;
			t->off = e.off;
			break;
		}
		case EV_GO_START:
			p->cur_g = e.v[1];
			break;
		case EV_GO_END:
		case EV_GO_SCHED:
		case EV_GO_SLEEP:
		case EV_GO_BLOCK:
		case EV_GO_BLOCK_SEND ... EV_GO_BLOCK_NET:
		case EV_GO_SYS_BLOCK:
			p->cur_g = 0;
			break;
		case EV_GO_UNBLOCK: {
			struct runblock *u = PUSH(r->unblocks, r->nunblocks, r->capunblocks);

			if (!u)
				return oom(r);
			u->g = e.v[1];
			u->seq = e.v[2];
			u->waker = p->cur_g;
			u->ts = e.ts;
			u->stack = e.v[3];
			break;
		}
		case EV_USER_LOG:
			r->arena_need += e.slen + 1;
			break;
		}
	}
	if (rc < 0)
		return -1;
	if (!r->in_batch)
		return fail(r, r->off, "no Batch in the file");
	if (!r->freq)
		return fail(r, r->off, "no Frequency event (a trace cut short?)");
	return 0;
}

static int string_cmp(const void *a, const void *b)
{
	const struct rstring *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int stack_cmp(const void *a, const void *b)
{
	const struct rstack *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int thread_cmp(const void *a, const void *b)
{
	const struct rthread *x = a, *y = b;

	return x->g < y->g ? -1 : x->g > y->g;
}

static int unblock_cmp(const void *a, const void *b)
{
	const struct runblock *x = a, *y = b;

	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A use of an id the file never defines: a file cut short, most likely. */
static void missing(struct reader *r, const char *what, uint64_t id)
{
	if (r->missing)
		return;
	r->missing = what;
	r->missing_id = id;
	r->missing_off = r->at;
}

static const char *string_at(struct reader *r, uint64_t id)
{
	struct rstring key = { .id = id };
	const struct rstring *s;

	if (!id)
		return NULL;
	s = r->nstrs ? bsearch(&key, r->strs, r->nstrs, sizeof(key), string_cmp) : NULL;
	if (!s)
		missing(r, "String", id);
	return s ? s->copy : NULL;
}

static const struct rstack *stack_at(const struct reader *r, uint64_t id)
{
	struct rstack key = { .id = id };

	return id && r->nstacks ? bsearch(&key, r->stacks, r->nstacks, sizeof(key), stack_cmp) :
				  NULL;
}

static struct rthread *thread_of(const struct reader *r, uint64_t g)
{
	struct rthread key = { .g = g };

	return g && r->nthreads ?
		       bsearch(&key, r->threads, r->nthreads, sizeof(key), thread_cmp) : NULL;
}

static char *arena_copy(struct reader *r, const uint8_t *p, size_t len)
{
	char *s = r->arena + r->arena_len;

	memcpy(s, p, len);
	s[len] = '\0';
	r->arena_len += len + 1;
	return s;
}

/* Sorts the tables, refuses duplicate ids, copies the strings out. */
static int index_tables(struct reader *r)
{
	r->arena = malloc(r->arena_need + 1);
	if (!r->arena)
		return oom(r);
	if (r->nstrs)
		qsort(r->strs, r->nstrs, sizeof(*r->strs), string_cmp);
	for (size_t i = 0; i < r->nstrs; i++) {
		if (i && r->strs[i].id == r->strs[i - 1].id)
			return fail(r, (size_t)(r->strs[i].p - r->data), "String id %" PRIu64
				    " defined twice", r->strs[i].id);
		r->strs[i].copy = arena_copy(r, r->strs[i].p, r->strs[i].len);
	}
	if (r->nstacks)
		qsort(r->stacks, r->nstacks, sizeof(*r->stacks), stack_cmp);
	for (size_t i = 1; i < r->nstacks; i++)
		if (r->stacks[i].id == r->stacks[i - 1].id)
			return fail(r, r->stacks[i].body, "Stack id %" PRIu64 " defined twice",
				    r->stacks[i].id);
	if (r->nthreads)
		qsort(r->threads, r->nthreads, sizeof(*r->threads), thread_cmp);
	for (size_t i = 1; i < r->nthreads; i++)
		if (r->threads[i].g == r->threads[i - 1].g)
			return fail(r, r->threads[i].off, "goroutine %" PRIu64 " created twice",
				    r->threads[i].g);
	if (r->nunblocks)
		qsort(r->unblocks, r->nunblocks, sizeof(*r->unblocks), unblock_cmp);
	return 0;
}

/*
 * The model's stack table keeps the file's ids, so that writing the trace again gives the
 * same ids. The goroutines' start stacks are not part of it: the Go writer numbers them
 * nstacks + 1, + 2... after the others, so the table ends just before the first (stacks
 * without frames were left out of the file, but kept their ids).
 */
static int model_stack_ids(struct reader *r)
{
	uint64_t max = 0, first_start = UINT64_MAX;
	size_t n = 0;

	for (size_t i = 0; i < r->nthreads; i++) {
		struct rstack *s = (struct rstack *)stack_at(r, r->threads[i].start_stack);

		if (s)
			s->start = 1;
		if (s && s->id < first_start)
			first_start = s->id;
	}
	for (size_t i = 0; i < r->nstacks; i++) {
		if (r->stacks[i].start)
			continue;
		n++;
		if (r->stacks[i].id > max)
			max = r->stacks[i].id;
	}
	if (first_start != UINT64_MAX && first_start - 1 > max)
		max = first_start - 1;
	/* goprof's ids are dense; sparse ones would make a table out of nothing */
	if (max > 2 * (uint64_t)n + 1024)
		return fail(r, 0, "stack id %" PRIu64 " among %zu stacks (goprof numbers them "
			    "1, 2, 3...)", max, n);
	r->model_stacks = max;
	return 0;
}

static uint32_t model_stack(struct reader *r, uint64_t id)
{
	const struct rstack *s;

	if (!id)
		return 0;
	s = stack_at(r, id);
	if (!s) {
		missing(r, "Stack", id);
		return 0;
	}
	return id <= r->model_stacks && s->nframes ? (uint32_t)id : 0;
}

static uint64_t to_ns(const struct reader *r, uint64_t ticks)
{
	unsigned __int128 ns;

	if (r->freq == NS_PER_SECOND)
		return ticks;
	ns = (unsigned __int128)ticks * NS_PER_SECOND / r->freq;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* Appends an event to t at ticks ts, kept in time order within the thread. */
static struct gp_trace_event *add(struct reader *r, struct rthread *t, uint8_t kind,
				  uint64_t ts)
{
	struct gp_trace_event *e = PUSH(t->ev, t->nev, t->cap);
	uint64_t ns = to_ns(r, ts);

	if (!e) {
		r->nomem = 1;
		return NULL;
	}
	if (t->nev > 1 && ns < e[-1].ts_ns)
		ns = e[-1].ts_ns;
	e->ts_ns = ns;
	e->kind = kind;
	return e;
}

/* The call a thread blocked in: goprof makes it the innermost frame of the stack. */
static const char *call_name(uint32_t stack, const struct owned *o)
{
	return stack ? o->stacks[stack - 1].frames[0].function : NULL;
}

static uint8_t block_why(uint8_t type, const char *call)
{
	switch (type) {
	case EV_GO_BLOCK_SYNC:
		/* the Go writer maps both to GoBlockSync; the call tells them apart */
		if (call && (!strncmp(call, "sem_", 4) || strstr(call, "barrier") ||
			     strstr(call, "join")))
			return GP_TB_SYNC;
		return GP_TB_MUTEX;
	case EV_GO_BLOCK_COND:
		return GP_TB_COND;
	case EV_GO_SLEEP:
		return GP_TB_SLEEP;
	case EV_GO_BLOCK_RECV:
		return GP_TB_RECV;
	case EV_GO_BLOCK_SEND:
		return GP_TB_SEND;
	case EV_GO_BLOCK_SELECT:
		return GP_TB_SELECT;
	case EV_GO_BLOCK_NET:
		return GP_TB_NET;
	}
	return 0;
}

/* "N events dropped" as gotrace.c writes a LOST: N, or 0 if msg is something else. */
static uint64_t dropped_count(const char *key, const char *msg)
{
	uint64_t n = 0;
	const char *s = msg;

	if (!key || strcmp(key, "goprof") != 0 || !msg)
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return 0;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	return s != msg && !strcmp(s, " events dropped") ? n : 0;
}

/* The goroutine the batch's P runs, or NULL (the event is then skipped). */
static struct rthread *running(struct reader *r)
{
	struct rthread *t = thread_of(r, r->procs[r->cur_p].cur_g);

	if (!t || t->state == S_DEAD)
		r->skipped++;
	return t && t->state != S_DEAD ? t : NULL;
}

static const struct runblock *unblock_of(const struct reader *r, uint64_t g, uint64_t seq)
{
	struct runblock key = { .g = g, .seq = seq };

	if (!r->nunblocks)
		return NULL;
	return bsearch(&key, r->unblocks, r->nunblocks, sizeof(key), unblock_cmp);
}

static int go_start(struct reader *r, struct rproc *p, const struct rev *e)
{
	struct rthread *t = thread_of(r, e->v[1]);
	struct gp_trace_event *ev;

	if (!t)
		return fail(r, e->off, "GoStart of goroutine %" PRIu64 ", which no GoCreate made",
			    e->v[1]);
	p->cur_g = t->g;
	p->go_started = 1;
	if (!t->has_p) {
		t->has_p = 1;
		t->p = (uint64_t)(p - r->procs);
		t->tid = p->tid;
	}
	switch (t->state) {
	case S_NEW:
		add(r, t, GP_TEV_START, e->ts);
		break;
	case S_BLOCKED:
		ev = add(r, t, GP_TEV_UNBLOCK, e->ts);
		if (ev) {
			const struct runblock *u = unblock_of(r, t->g, e->v[2] - 1);
			uint64_t w = u ? u->waker : 0;

			ev->other = w != t->g && w <= UINT32_MAX ? (uint32_t)w : 0;
			/* the waker's time and stack, as goprof wrote them */
			if (ev->other && u->stack) {
				ev->waker_ns = to_ns(r, u->ts);
				ev->stack = model_stack(r, u->stack);
			}
		}
		break;
	case S_SYSCALL:
		/* no GoSysExit: the call ended when the thread ran again */
		add(r, t, GP_TEV_SYSCALL_END, e->ts);
		break;
	}
	if (t->state != S_DEAD)
		t->state = S_RUNNING;
	return r->nomem ? oom(r) : 0;
}

/* The events of the goroutine running on P, or that name their goroutine. */
static int build_event(struct reader *r, struct owned *o, const struct rev *e)
{
	struct rproc *p = &r->procs[r->cur_p];
	struct rthread *t = NULL;
	struct gp_trace_event *ev;
	uint32_t stack;

	r->at = e->off;
	switch (e->type) {
	case EV_PROC_START:
		p->tid = e->v[1] <= UINT32_MAX ? (uint32_t)e->v[1] : 0;
		p->proc_started = 1;
		break;
	case EV_GO_START:
		return go_start(r, p, e);
	case EV_GO_WAITING:
		t = thread_of(r, e->v[1]);
		if (!t || t->state != S_NEW) {
			r->skipped++;
			break;
		}
		ev = add(r, t, GP_TEV_START, e->ts);
		if (ev)
			ev->object = 1;
		t->state = S_BLOCKED;
		break;
	case EV_GO_CREATE:
		if (e->v[2] && !stack_at(r, e->v[2]))
			missing(r, "Stack", e->v[2]);
		/* the initial state's GoCreates come with no goroutine running */
		if (!p->cur_g)
			break;
		t = running(r);
		if (!t)
			break;
		ev = add(r, t, GP_TEV_CREATE, e->ts);
		if (ev) {
			ev->other = (uint32_t)e->v[1];
			ev->stack = model_stack(r, e->v[3]);
		}
		break;
	case EV_GO_BLOCK:
	case EV_GO_BLOCK_SEND ... EV_GO_BLOCK_NET:
	case EV_GO_SLEEP:
		t = running(r);
		p->cur_g = 0;
		if (!t)
			break;
		stack = model_stack(r, e->v[1]);
		/* gotrace.c: a created thread blocked from its start is GoStart + GoBlock */
		if (e->type == EV_GO_BLOCK && !stack && t->creator && t->nev == 1 &&
		    t->ev[0].kind == GP_TEV_START && t->ev[0].ts_ns == to_ns(r, e->ts)) {
			t->ev[0].object = 1;
			t->state = S_BLOCKED;
			break;
		}
		ev = add(r, t, GP_TEV_BLOCK, e->ts);
		if (ev) {
			ev->stack = stack;
			ev->name = call_name(stack, o);
			ev->why = block_why(e->type, ev->name);
		}
		t->state = S_BLOCKED;
		break;
	case EV_GO_SYS_CALL:
		p->sys_ts = e->ts;
		p->sys_stack = e->v[1];
		p->sys_pending = 1;
		break;
	case EV_GO_SYS_BLOCK:
		t = running(r);
		p->cur_g = 0;
		if (!t)
			break;
		ev = add(r, t, GP_TEV_SYSCALL, p->sys_pending ? p->sys_ts : e->ts);
		if (ev) {
			ev->stack = p->sys_pending ? model_stack(r, p->sys_stack) : 0;
			ev->name = call_name(ev->stack, o);
		}
		p->sys_pending = 0;
		t->state = S_SYSCALL;
		break;
	case EV_GO_SYS_EXIT:
		t = thread_of(r, e->v[1]);
		if (!t || t->state != S_SYSCALL) {
			r->skipped++;
			break;
		}
		add(r, t, GP_TEV_SYSCALL_END, e->v[3] ? e->v[3] : e->ts);
		t->state = S_RUNNABLE;
		break;
	case EV_GO_END:
		t = running(r);
		p->cur_g = 0;
		if (!t)
			break;
		add(r, t, GP_TEV_END, e->ts);
		t->state = S_DEAD;
		break;
	case EV_GO_SCHED:
		/* gotrace.c ends the threads running when the capture stops with one */
		t = running(r);
		p->cur_g = 0;
		if (t)
			t->state = S_RUNNABLE;
		break;
	case EV_USER_TASK_CREATE:
		t = running(r);
		if (!t)
			break;
		ev = add(r, t, GP_TEV_TASK_BEGIN, e->ts);
		if (ev) {
			ev->object = e->v[1];
			ev->other = e->v[2] <= UINT32_MAX ? (uint32_t)e->v[2] : 0;
			ev->name = string_at(r, e->v[3]);
			ev->stack = model_stack(r, e->v[4]);
		}
		break;
	case EV_USER_TASK_END:
		t = running(r);
		if (!t)
			break;
		ev = add(r, t, GP_TEV_TASK_END, e->ts);
		if (ev) {
			ev->object = e->v[1];
			ev->stack = model_stack(r, e->v[2]);
		}
		break;
	case EV_USER_REGION:
		if (e->v[2] > 1)
			return fail(r, e->off, "UserRegion mode %" PRIu64 " (0 or 1)", e->v[2]);
		t = running(r);
		if (!t)
			break;
		ev = add(r, t, e->v[2] ? GP_TEV_REGION_END : GP_TEV_REGION_BEGIN, e->ts);
		if (ev) {
			ev->object = e->v[1];
			ev->name = string_at(r, e->v[3]);
			/* a region without stack got its thread's start stack: not in the table */
			ev->stack = model_stack(r, e->v[4]);
		}
		break;
	case EV_USER_LOG: {
		const char *key = string_at(r, e->v[2]);
		const char *msg = arena_copy(r, e->str, e->slen);
		uint64_t lost = e->v[1] ? 0 : dropped_count(key, msg);

		t = running(r);
		if (!t)
			break;
		ev = add(r, t, lost ? GP_TEV_LOST : GP_TEV_LOG, e->ts);
		if (ev && lost) {
			ev->object = lost;
			r->dropped += lost;
		} else if (ev) {
			ev->object = e->v[1];
			ev->name = key;
			ev->message = msg;
			ev->stack = model_stack(r, e->v[3]);
		}
		break;
	}
	case EV_CPU_SAMPLE:
		t = thread_of(r, e->v[3]);
		if (!t) {
			r->skipped++;
			break;
		}
		/* its own time, not the batch's clock: gotrace.c writes it with delta 0 */
		ev = add(r, t, GP_TEV_CPU_SAMPLE, e->v[1]);
		if (ev)
			ev->stack = model_stack(r, e->v[4]);
		break;
	}
	return r->nomem ? oom(r) : 0;
}

static int fill_stacks(struct reader *r, struct owned *o)
{
	struct gp_trace_frame *f;

	o->stacks = calloc(r->model_stacks ? r->model_stacks : 1, sizeof(*o->stacks));
	o->frames = calloc(r->nframes ? r->nframes : 1, sizeof(*o->frames));
	if (!o->stacks || !o->frames)
		return oom(r);
	f = o->frames;
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct rstack *s = &r->stacks[i];
		uint64_t v;

		r->off = s->body;
		r->at = s->body;
		uvarint(r, s->body + s->body_len, &v);
		uvarint(r, s->body + s->body_len, &v);
		for (uint32_t k = 0; k < s->nframes; k++) {
			uint64_t pc, fn, file, line;

			uvarint(r, s->body + s->body_len, &pc);
			uvarint(r, s->body + s->body_len, &fn);
			uvarint(r, s->body + s->body_len, &file);
			uvarint(r, s->body + s->body_len, &line);
			f[k] = (struct gp_trace_frame){
				.pc = pc,
				.function = string_at(r, fn),
				.file = file ? string_at(r, file) : "",
				.line = line <= UINT32_MAX ? (uint32_t)line : 0,
			};
			if (!f[k].file)
				f[k].file = "";
		}
		if (s->id <= r->model_stacks)
			o->stacks[s->id - 1] = (struct gp_trace_stack){ f, s->nframes };
		r->stacks[i].frame0 = (size_t)(f - o->frames);
		f += s->nframes;
	}
	return 0;
}

/* The second pass. */
static int build(struct reader *r, struct owned *o)
{
	struct rev e;
	int rc;

	for (size_t i = 0; i < r->nprocs; i++)
		r->procs[i].cur_g = 0;
	r->in_batch = 0;
	r->off = 16;
	while ((rc = next_event(r, &e)) > 0)
		if (place_event(r, &e) > 0 && build_event(r, o, &e))
			return -1;
	if (!rc && r->missing)
		return fail(r, r->missing_off, "%s %" PRIu64 " is used but not in the file (a file "
			    "cut short?)", r->missing, r->missing_id);
	return rc;
}

static int order_cmp(const void *a, const void *b)
{
	const struct rthread *x = a, *y = b;

	if (x->has_p != y->has_p)
		return x->has_p ? -1 : 1;
	if (x->has_p && x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct idle_proc {
	uint64_t id;
	size_t index;
};

static int idle_cmp(const void *a, const void *b)
{
	const struct idle_proc *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The threads in their original order: gotrace.c gives thread i the P i. A thread blocked
 * from the start to the end never runs a GoStart; its P is then one that never had one,
 * and holds its tid in a ProcStart.
 */
static int order_threads(struct reader *r)
{
	struct idle_proc *idle = calloc(r->nprocs ? r->nprocs : 1, sizeof(*idle));
	size_t nidle = 0, k = 0;

	if (!idle)
		return oom(r);
	for (size_t i = 0; i < r->nprocs; i++)
		if (!r->procs[i].go_started)
			idle[nidle++] = (struct idle_proc){ r->procs[i].id, i };
	if (!r->nthreads) {
		free(idle);
		return 0;
	}
	qsort(idle, nidle, sizeof(*idle), idle_cmp);
	qsort(r->threads, r->nthreads, sizeof(*r->threads), order_cmp);
	for (size_t i = 0; i < r->nthreads && k < nidle; i++) {
		struct rthread *t = &r->threads[i];

		if (t->has_p)
			continue;
		t->has_p = 1;
		t->p = idle[k].index;
		t->tid = r->procs[idle[k++].index].tid;
	}
	for (size_t i = 0; i < r->nthreads; i++)
		r->threads[i].p = r->procs[r->threads[i].p].id;
	qsort(r->threads, r->nthreads, sizeof(*r->threads), order_cmp);
	free(idle);
	return 0;
}

static int finish(struct reader *r, struct owned *o)
{
	struct gp_trace *t = &o->t;
	const char *base = strrchr(r->path, '/');

	o->threads = calloc(r->nthreads ? r->nthreads : 1, sizeof(*o->threads));
	if (!o->threads)
		return oom(r);
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *rt = &r->threads[i];
		struct gp_trace_thread *th = &o->threads[i];
		const struct rstack *s = stack_at(r, rt->start_stack);

		th->number = (uint32_t)rt->g;
		th->tid = rt->tid;
		th->name = "";
		if (s && s->nframes) {
			th->start_function = o->frames[s->frame0].function;
			th->start_pc = o->frames[s->frame0].pc;
		}
		th->events = rt->ev;
		th->nevents = rt->nev;
		rt->ev = NULL;
		if (th->start_function && !strcmp(th->start_function, "main") && th->tid)
			t->pid = (int)th->tid;
	}
	t->threads = o->threads;
	t->nthreads = r->nthreads;
	t->stacks = o->stacks;
	t->nstacks = r->model_stacks;
	t->start_ns = to_ns(r, r->min_ts);
	t->end_ns = to_ns(r, r->max_ts);
	t->dropped = r->dropped;
	t->program = base ? base + 1 : r->path;
	return 0;
}

static int read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 0, n = 0;
	uint8_t *p = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0)
		goto out_errno;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out_errno;
	}
	for (;;) {
		ssize_t got;

		if (n == cap) {
			uint8_t *q;

			if (cap >= MAX_FILE_BYTES) {
				snprintf(err, errlen, "%s: larger than %lu MiB, too large for a "
					 "trace", path, MAX_FILE_BYTES >> 20);
				goto out_free;
			}
			cap = cap ? cap * 2 : 1 << 16;
			q = realloc(p, cap + 1);
			if (!q) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out_free;
			}
			p = q;
		}
		got = read(fd, p + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto out_errno;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*data = p;
	*len = n;
	return 0;
out_errno:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
out_free:
	if (fd >= 0)
		close(fd);
	free(p);
	return -1;
}

static int check_header(struct reader *r)
{
	static const char go119[16] = "go 1.19 trace";

	/* (a database never gets here: goprof-export takes its traces from the table) */
	if (r->len == 0)
		return snprintf(r->err, r->errlen, "%s: empty file, not a trace", r->path), -1;
	if (r->len < 16 || memcmp(r->data, "go 1.", 5) != 0)
		return snprintf(r->err, r->errlen, "%s: not a Go execution trace (no "
				"\"go 1.19 trace\" header)", r->path), -1;
	if (memcmp(r->data, go119, 16) != 0)
		return snprintf(r->err, r->errlen, "%s: a trace of another Go version (%.13s); "
				"goprof reads the 1.19 format it writes", r->path,
				(const char *)r->data), -1;
	r->off = 16;
	return 0;
}

/*
 * Reads the Go 1.19 execution trace at path (see the top of this file). Returns the trace,
 * which the caller frees with gp_trace_free(), or NULL with a one-line message in err
 * (not a trace, truncated, bad values, events goprof does not write, out of memory).
 * Events that had no running thread to go to are counted in one line on stderr.
 */
struct gp_trace *gp_trace_read_go(const char *path, char *err, size_t errlen)
{
	uint8_t *data;
	size_t len;

	if (read_file(path, &data, &len, err, errlen))
		return NULL;
	return gp_trace_parse_go(path, data, len, err, errlen);
}

struct gp_trace *gp_trace_parse_go(const char *name, uint8_t *data, size_t len, char *err,
				   size_t errlen)
{
	struct reader r = { .path = name, .err = err, .errlen = errlen };
	struct owned *o = NULL;
	const char *path = name;
	int rc = -1;

	r.data = data;
	r.len = len;
	o = calloc(1, sizeof(*o));
	if (!o) {
		oom(&r);
		goto out;
	}
	if (check_header(&r) || scan(&r) || index_tables(&r) || model_stack_ids(&r) ||
	    fill_stacks(&r, o) || build(&r, o) || order_threads(&r) || finish(&r, o))
		goto out;
	o->arena = r.arena;
	r.arena = NULL;
	rc = 0;
	if (r.skipped)
		fprintf(stderr, "goprof-export: %s: %zu events outside a running thread skipped\n",
			path, r.skipped);
out:
	for (size_t i = 0; i < r.nthreads; i++)
		free(r.threads[i].ev);
	free(r.threads);
	free(r.procs);
	free(r.pslots);
	free(r.strs);
	free(r.stacks);
	free(r.unblocks);
	free(r.arena);
	free(data);
	if (rc) {
		gp_trace_free(o ? &o->t : NULL);
		return NULL;
	}
	return &o->t;
}

/* Frees a trace from gp_trace_read_go(); NULL is fine. */
void gp_trace_free(struct gp_trace *t)
{
	struct owned *o = (struct owned *)t;

	if (!o)
		return;
	for (size_t i = 0; o->threads && i < o->t.nthreads; i++)
		free((void *)o->threads[i].events);
	free(o->threads);
	free(o->stacks);
	free(o->frames);
	free(o->arena);
	free(o);
}
