/*
 * The execution trace's stop, the merge: every thread's buffer of the trace (trace.c) read
 * once its appender is out, its records turned into events with interned stacks, the
 * threads that recorded nothing added from the registry as idle, and each wake-up matched
 * with its waker (match_wakes), into one struct gp_trace in time order. Runs on the
 * stopping thread, under ctl_lock and the heap guard, never on a hot path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gp-internal.h"
#include "gp-schema.h"
#include "trace-buf.h"
#include "gotrace.h"

#define QUIESCE_NS 2000000000u		/* the longest the stopper waits for one appender */

static int keys_equal(const struct stack_key *a, const struct stack_key *b)
{
	return a->hash == b->hash && a->leaf == b->leaf && a->nframes == b->nframes &&
	       !memcmp(a->frames, b->frames, a->nframes * sizeof(void *));
}

static int slots_grow(struct captured *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < c->nkeys; i++) {
		size_t j = c->keys[i].hash & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(c->slots);
	c->slots = s;
	c->nslots = n;
	return 0;
}

/* The stack id (index + 1) of (leaf, frames), 0 for none or when out of memory. */
static uint32_t intern(struct captured *c, const char *leaf, const void *const *frames,
		       uint32_t n)
{
	struct stack_key k = { leaf, frames, n, gp_mix((uintptr_t)leaf ^ n) };

	if (!leaf && !n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		k.hash = gp_mix(k.hash ^ (uintptr_t)frames[i]);
	if ((c->nkeys + 1) * 2 > c->nslots && slots_grow(c) != 0)
		goto oom;
	size_t j = k.hash & (c->nslots - 1);
	for (; c->slots[j]; j = (j + 1) & (c->nslots - 1))
		if (keys_equal(&c->keys[c->slots[j] - 1], &k))
			return c->slots[j];
	if (c->nkeys == c->keys_cap) {
		size_t cap = c->keys_cap ? c->keys_cap * 2 : 256;
		struct stack_key *nk = realloc(c->keys, cap * sizeof(*nk));
		if (!nk)
			goto oom;
		c->keys = nk;
		c->keys_cap = cap;
	}
	c->keys[c->nkeys++] = k;
	c->slots[j] = (uint32_t)c->nkeys;
	return (uint32_t)c->nkeys;
oom:
	c->oom = 1;
	return 0;
}

static int build_stacks(struct captured *c)
{
	c->stacks = calloc(c->nkeys ? c->nkeys : 1, sizeof(*c->stacks));
	c->frames = calloc(c->nkeys ? c->nkeys : 1, sizeof(*c->frames));
	if (!c->stacks || !c->frames)
		return -ENOMEM;
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct stack_key *k = &c->keys[i];
		uint32_t n = k->nframes + (k->leaf ? 1 : 0), at = 0;
		struct gp_trace_frame *f = calloc(n, sizeof(*f));
		if (!f)
			return -ENOMEM;
		if (k->leaf)
			f[at++] = (struct gp_trace_frame){ (uintptr_t)k->leaf, k->leaf, "", 0 };
		for (uint32_t j = 0; j < k->nframes; j++) {
			struct gp_func fn;
			/* the record's address, a GOT offset's too, as the frame's PC */
			uintptr_t rec = (uintptr_t)gp_record_of(k->frames[j]);
			if (gp_func_decode(k->frames[j], &fn) == 0)
				f[at++] = (struct gp_trace_frame){ rec, fn.name, fn.file, fn.line };
			else
				f[at++] = (struct gp_trace_frame){ rec, "[unknown]", "", 0 };
		}
		c->frames[i] = f;
		c->stacks[i] = (struct gp_trace_stack){ f, n };
	}
	c->t.stacks = c->stacks;
	c->t.nstacks = c->nkeys;
	return 0;
}

/* Time order, keeping the append order of equal times (a CPU sample can land inside a call). */
static void sort_events(struct gp_trace_event *ev, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (ev[i].ts_ns >= ev[i - 1].ts_ns)
			continue;
		struct gp_trace_event x = ev[i];
		size_t j = i;
		while (j > 0 && ev[j - 1].ts_ns > x.ts_ns) {
			ev[j] = ev[j - 1];
			j--;
		}
		ev[j] = x;
	}
}

/* The name of a function at pc, from the symbol tables; NULL if unknown. */
static const char *symbol_at(uintptr_t pc)
{
	struct gp_pc_info info;

	if (!pc || gp_pc_lookup(pc, &info) != 0)
		return NULL;
	return info.function;
}

struct thread_src {
	struct tbuf *b;			/* NULL: an idle thread from the registry */
	const char *data;		/* its records */
	uint64_t start_key;		/* sort: main, threads there at the start, the created */
	const struct gp_thread_snap *snap;
	uint32_t tid;
	uint64_t token;
	struct gp_wait_state wait;
	uint32_t snap_stack;		/* idle threads: their stack at the stop */
};

/* Converts one thread's buffer into events; the buffer stays mapped (strings live there). */
static int convert_buffer(struct captured *c, struct tbuf *b, const char *data,
			  struct gp_trace_thread *th, struct gp_trace_event **out)
{
	size_t len = __atomic_load_n(&b->len, __ATOMIC_ACQUIRE), n = 0, off;
	const char *root = NULL;

	for (off = 0; off + sizeof(struct rec) <= len; n++) {
		const struct rec *r = (const struct rec *)(data + off);
		off += gp_trace_rec_size(r->nframes, (size_t)r->name_len + r->msg_len);
	}
	struct gp_trace_event *ev = calloc(n + 1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	n = 0;
	for (off = 0; off + sizeof(struct rec) <= len;) {
		const struct rec *r = (const struct rec *)(data + off);
		const void *const *frames = (const void *const *)(r + 1);
		const char *s = (const char *)(frames + r->nframes);

		off += gp_trace_rec_size(r->nframes, (size_t)r->name_len + r->msg_len);
		if (r->kind == GP_TRACE_REC_WAKE) {
			if (gp_grow(&c->wakes, &c->capwakes, c->nwakes + 1, sizeof(*c->wakes))) {
				free(ev);
				return -ENOMEM;
			}
			c->wakes[c->nwakes++] = (struct wake_rec){
				r->object, r->ts_ns, th->number,
				intern(c, r->name, frames, r->nframes) };
			continue;
		}
		struct gp_trace_event *e = &ev[n++];
		e->ts_ns = r->ts_ns;
		e->kind = r->kind;
		e->why = r->why;
		e->other = r->other;
		e->object = r->object;
		e->name = r->name;
		if (r->name_len)
			e->name = s;
		if (r->msg_len)
			e->message = s + r->name_len;
		const char *leaf = r->kind == GP_TEV_BLOCK || r->kind == GP_TEV_SYSCALL ||
					   r->kind == GP_TEV_CREATE ? r->name : NULL;
		e->stack = intern(c, leaf, frames, r->nframes);
		if (!root && r->nframes) {
			struct gp_func fn;
			if (gp_func_decode(frames[r->nframes - 1], &fn) == 0)
				root = fn.name;
		}
	}
	if (b->dropped)
		ev[n++] = (struct gp_trace_event){ .ts_ns = b->first_drop_ns,
						   .kind = GP_TEV_LOST, .object = b->dropped };
	sort_events(ev, n);
	c->t.dropped += b->dropped;
	th->events = ev;
	th->nevents = n;
	const char *fn = symbol_at(b->start_fn);
	/*
	 * thrd_create's threads start in goprof's trampoline, and in a program built with
	 * -fsanitize=address every thread starts in ASan's (a C++ function, demangled with
	 * its arguments), whose pthread_create runs before goprof's: their own frames say
	 * more, and tell the threads apart by name, not by the trampoline's address
	 */
	uintptr_t pc = b->start_fn;
	if (!fn || !strcmp(fn, "thrd_trampoline") ||
	    !strncmp(fn, "asan_thread_start", strlen("asan_thread_start"))) {
		fn = root;
		pc = 0;
	}
	th->start_function = fn ? fn : (b->tid == (uint32_t)getpid() ? "main" : "thread");
	th->start_pc = pc ? pc : (uintptr_t)th->start_function;
	*out = ev;
	return 0;
}

static int wake_cmp(const void *a, const void *b)
{
	const struct wake_rec *x = a, *y = b;

	if (x->object != y->object)
		return x->object < y->object ? -1 : 1;
	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

/*
 * Names the waker of each wake-up: the last other thread that, while the waiter was
 * blocked, called gp_trace_wake() on what it waited on (the unlock, signal, post or exit
 * that let it go). The UNBLOCK then carries that thread's number and its stack there.
 */
static void match_wakes(struct captured *c)
{
	if (!c->nwakes)
		return;	/* and wakes may be NULL, which qsort may not be given */
	qsort(c->wakes, c->nwakes, sizeof(*c->wakes), wake_cmp);
	for (size_t i = 0; i < c->nthreads; i++) {
		struct gp_trace_thread *th = &c->threads[i];
		uint64_t obj = 0, since = 0;

		for (size_t k = 0; k < th->nevents; k++) {
			struct gp_trace_event *e = &c->events[i][k];

			if (e->kind == GP_TEV_BLOCK) {
				obj = e->object;
				since = e->ts_ns;
				continue;
			}
			if (e->kind != GP_TEV_UNBLOCK || !obj || e->other)
				continue;
			/* the first record past (obj, e->ts_ns), then back to another thread's */
			size_t lo = 0, hi = c->nwakes;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				const struct wake_rec *w = &c->wakes[mid];
				if (w->object < obj || (w->object == obj && w->ts_ns <= e->ts_ns))
					lo = mid + 1;
				else
					hi = mid;
			}
			while (lo > 0 && c->wakes[lo - 1].object == obj &&
			       c->wakes[lo - 1].ts_ns >= since &&
			       c->wakes[lo - 1].thread == th->number)
				lo--;
			if (lo > 0 && c->wakes[lo - 1].object == obj &&
			    c->wakes[lo - 1].ts_ns >= since) {
				e->other = c->wakes[lo - 1].thread;
				e->stack = c->wakes[lo - 1].stack;
				e->waker_ns = c->wakes[lo - 1].ts_ns;
			}
			obj = 0;
		}
	}
}

static int src_cmp(const void *a, const void *b)
{
	const struct thread_src *x = a, *y = b;

	return x->start_key < y->start_key ? -1 : x->start_key > y->start_key;
}

/* Gathers the threads the registry knows that recorded nothing: idle all along. */
struct idle_ctx {
	struct captured *c;
	struct thread_src *src;
	size_t n, cap;
};

static void idle_thread(const struct gp_thread_snap *s, void *ctx)
{
	struct idle_ctx *ic = ctx;
	struct captured *c = ic->c;

	for (size_t i = 0; i < ic->n; i++)
		if (ic->src[i].tid == s->tid)
			return;
	if (ic->n == ic->cap) {
		size_t cap = ic->cap ? ic->cap * 2 : 16;
		struct thread_src *p = realloc(ic->src, cap * sizeof(*p));
		if (!p)
			return;
		ic->src = p;
		ic->cap = cap;
	}
	uint32_t n = s->nframes < GP_TRACE_MAX_FRAMES ? s->nframes : GP_TRACE_MAX_FRAMES;
	if (c->snap_used + n > c->snap_cap) {
		/* the keys point into this array: it is sized once, never moved */
		return;
	}
	memcpy(c->snap_frames + c->snap_used, s->frames, n * sizeof(void *));
	struct thread_src *t = &ic->src[ic->n++];
	memset(t, 0, sizeof(*t));
	t->tid = s->tid;
	t->start_key = s->tid == (uint32_t)getpid() ? 0 : s->start_ns;
	t->wait = s->wait;
	t->snap_stack = intern(c, NULL, c->snap_frames + c->snap_used, n);
	c->snap_used += n;
}

static void read_comm(uint32_t tid, char name[16])
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(name, 16, f))
		name[strcspn(name, "\n")] = '\0';
	fclose(f);
}

/*
 * Turns the buffers of trace g into c (ctl_lock held, gp_trace_on already 0 and every
 * appender quiet); the mappings move into c. Returns 0 or -ENOMEM.
 */
int gp_trace_merge(struct captured *c, unsigned g, uint64_t end_ns)
{
	struct idle_ctx ic = { .c = c };
	size_t nbufs = 0;
	int rc = -ENOMEM;

	for (struct tbuf *b = __atomic_load_n(&gp_trace_bufs, __ATOMIC_ACQUIRE); b; b = b->next)
		nbufs++;
	c->maps = calloc(nbufs + 1, sizeof(*c->maps));
	c->map_bytes = calloc(nbufs + 1, sizeof(*c->map_bytes));
	c->snap_cap = 64 * 1024;
	c->snap_frames = calloc(c->snap_cap, sizeof(void *));
	if (!c->maps || !c->map_bytes || !c->snap_frames)
		return -ENOMEM;

	/* the buffers of this trace, after each one's appender is out */
	for (struct tbuf *b = __atomic_load_n(&gp_trace_bufs, __ATOMIC_ACQUIRE); b; b = b->next) {
		uint64_t t0 = gp_trace_now();
		while (__atomic_load_n(&b->writing, __ATOMIC_ACQUIRE)) {
			if (gp_trace_now() - t0 > QUIESCE_NS)
				break;
			sched_yield();
		}
		if (__atomic_load_n(&b->writing, __ATOMIC_ACQUIRE)) {
			gp_warn("a thread stayed inside a trace append; its events are left out");
			continue;
		}
		if (b->gen != g || !b->data)
			continue;
		c->maps[c->nmaps] = b->data;
		c->map_bytes[c->nmaps++] = b->cap;
		b->data = NULL;
		if (ic.n == ic.cap) {
			size_t cap = ic.cap ? ic.cap * 2 : 16;
			struct thread_src *p = realloc(ic.src, cap * sizeof(*p));
			if (!p)
				goto out;
			ic.src = p;
			ic.cap = cap;
		}
		struct thread_src *t = &ic.src[ic.n++];
		memset(t, 0, sizeof(*t));
		t->b = b;
		t->data = c->maps[c->nmaps - 1];
		t->tid = b->tid;
		t->token = b->token;
		const struct rec *first = (const struct rec *)c->maps[c->nmaps - 1];
		/* numbered as Go numbers goroutines: main, those there already, then by creation */
		t->start_key = b->tid == (uint32_t)getpid() ? 0
			       : b->token ? (1ull << 62) + b->token : first->ts_ns;
		if (!b->ended)
			read_comm(b->tid, b->name);
	}
	/* threads that ran through the whole trace without an event still show */
	gp_threads_snapshot(idle_thread, &ic);
	qsort(ic.src, ic.n, sizeof(*ic.src), src_cmp);

	c->threads = calloc(ic.n + 1, sizeof(*c->threads));
	c->events = calloc(ic.n + 1, sizeof(*c->events));
	c->names = calloc(ic.n + 1, sizeof(*c->names));
	if (!c->threads || !c->events || !c->names)
		goto out;
	for (size_t i = 0; i < ic.n; i++) {
		struct thread_src *s = &ic.src[i];
		struct gp_trace_thread *th = &c->threads[i];

		th->number = (uint32_t)i + 1;
		th->tid = s->tid;
		th->name = c->names[i];
		if (s->b) {
			memcpy(c->names[i], s->b->name, 16);
			c->names[i][15] = '\0';
			if (convert_buffer(c, s->b, s->data, th, &c->events[i]) != 0)
				goto out;
			continue;
		}
		read_comm(s->tid, c->names[i]);
		struct gp_trace_event *ev = calloc(1, sizeof(*ev));
		if (!ev)
			goto out;
		ev->ts_ns = c->t.start_ns;
		ev->kind = GP_TEV_START;
		ev->object = s->wait.state != GP_STATE_RUNNING && s->wait.since_ns &&
			     s->wait.since_ns <= c->t.start_realtime_ns;
		c->events[i] = ev;
		th->events = ev;
		th->nevents = 1;
		const struct stack_key *k = s->snap_stack ? &c->keys[s->snap_stack - 1] : NULL;
		struct gp_func fn;
		if (k && k->nframes && gp_func_decode(k->frames[k->nframes - 1], &fn) == 0)
			th->start_function = fn.name;
		else
			th->start_function = s->tid == (uint32_t)getpid() ? "main" : "thread";
		th->start_pc = (uintptr_t)th->start_function;
	}
	/* a thread nobody named has the program's name: the writers then use its function */
	for (size_t i = 0; i < ic.n; i++)
		if (ic.src[i].tid != (uint32_t)getpid() &&
		    !strncmp(c->names[i], program_invocation_short_name, 15))
			c->names[i][0] = '\0';
	c->nthreads = ic.n;
	/* CREATE names the new thread by its token: make that its number */
	for (size_t i = 0; i < ic.n; i++) {
		struct gp_trace_thread *th = &c->threads[i];
		for (size_t j = 0; j < th->nevents; j++) {
			struct gp_trace_event *e = &c->events[i][j];
			if (e->kind != GP_TEV_CREATE)
				continue;
			e->other = 0;
			for (size_t k = 0; k < ic.n && e->object; k++)
				if (ic.src[k].token == e->object)
					e->other = c->threads[k].number;
			e->object = 0;
		}
	}
	match_wakes(c);
	if (c->oom || build_stacks(c) != 0)
		goto out;
	c->t.end_ns = end_ns;
	c->t.pid = (int)getpid();
	c->t.program = program_invocation_short_name;
	c->t.threads = c->threads;
	c->t.nthreads = c->nthreads;
	rc = 0;
out:
	free(ic.src);
	return rc;
}

void gp_trace_merge_free(struct captured *c)
{
	for (size_t i = 0; i < c->nkeys && c->frames; i++)
		free(c->frames[i]);
	for (size_t i = 0; i < c->nthreads; i++)
		free(c->events[i]);
	for (size_t i = 0; i < c->nmaps; i++)
		munmap(c->maps[i], c->map_bytes[i]);
	free(c->frames);
	free(c->stacks);
	free(c->keys);
	free(c->slots);
	free(c->threads);
	free(c->events);
	free(c->names);
	free(c->maps);
	free(c->map_bytes);
	free((void *)c->snap_frames);
	free(c->wakes);
	memset(c, 0, sizeof(*c));
}

