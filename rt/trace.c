/*
 * The execution trace: while a trace is on, every thread appends what it does (blocks and
 * wakes, system calls, thread creation and exit, CPU samples, the program's own tasks,
 * regions and logs) with a CLOCK_MONOTONIC time (gp_clock_ns(), the TSC where usable) and
 * its exact shadow stack to a buffer of its own (trace-buf.h); at the stop the buffers
 * become a struct gp_trace (lib/trace.h; the merge is trace-merge.c's), which
 * lib/gotrace.c writes in Go's format and lib/chrome.c as trace-event JSON. This file is
 * the capture (the hooks, the buffers) and the start and stop.
 *
 * DESIGN. Contexts: the hooks run on the program's threads (wrap-lock.c, wrap-io.c,
 * thread.c, the API below) and in the CPU sampling signal handler (sampler.c); start and
 * stop run on whichever thread asks (the constructor and destructor for GOPROF_TRACE, the
 * program through goprof.h, the HTTP server through gp_trace_capture()).
 *  - gp_trace_on is the one word every wrapper tests; 0 while no trace is on.
 *  - Each thread owns a header (struct tbuf), found through its TLS pointer; headers are
 *    never freed (a header whose thread ended goes to a free list at the next stop and is
 *    taken by a new thread). New headers come from a pool of mappings (pool.c), never from
 *    malloc: a thread's first event may be a wrapped call in a signal handler that
 *    interrupted malloc. free_lock is never awaited by a handler whose own thread holds it
 *    (tls.in_free_lock): that claim simply records nothing. A trace's records go to a private mapping of at most
 *    trace_cap bytes (GOPROF_TRACE_BUFFER) per thread, mapped at the thread's first event
 *    of that trace; pages are touched only as far as they are used. A full buffer counts
 *    the drop (GP_TEV_LOST at the stop); the last record's worth is kept for the thread's
 *    exit, so that an END is never lost.
 *  - No lock on the hot path. The owner sets its header's writing flag, then (after a full
 *    fence) checks that the same trace is still on; the stopper clears gp_trace_on, fences,
 *    and waits for every writing flag to drop before it reads or unmaps a buffer. One of the
 *    two sees the other's store, so no thread writes into a buffer the stopper took. The
 *    signal handler appends only when its thread was not appending already (else the sample
 *    counts as dropped), and never maps.
 *  - ctl_lock (taken under the heap guard, so that the lock wrappers never see it) makes
 *    start and stop one at a time and holds the one session there may be: a second start
 *    fails with Go's text, "tracing is already enabled".
 *  - goprof's own threads (the database writer, the heap-guarded work) are never traced.
 *  - Wakers: a thread that may have woken another (wrap-lock.c: an unlock that found
 *    waiters, a signal or post on an object a traced thread waits on; its own exit) adds a
 *    record that is never an event. At the stop each wake-up takes the last such record of
 *    another thread on what it waited for, during the wait (trace-merge.c): its waker, with
 *    that thread's stack and time, as Go's GoUnblock has them.
 *  - With a database, each finished trace is also handed to the writer whole, in Go's
 *    format, for the traces table (keep_in_db).
 *  - fork(): the child has no trace; buffers of the parent's threads are unmapped there.
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

#define SYSCALL_MIN_NS 10000u		/* a system call this long or longer "blocked" */

int gp_trace_on;
uint64_t gp_trace_syscall_ticks = SYSCALL_MIN_NS;

static unsigned cur_gen;		/* the trace on now, or the last one; atomically */
static size_t trace_cap = GP_TRACE_BUFFER_DEFAULT;
static uint64_t trace_start_ns, trace_start_real_ns;
static uint64_t next_token = 1;		/* creation tokens; atomically */
static uint64_t next_task = 1;		/* task ids; atomically */

struct tbuf *gp_trace_bufs;		/* push: CAS; walk: acquire */
static struct tbuf *free_bufs;		/* free_lock */
static struct gp_pool header_pool;	/* free_lock */
static int free_lock;			/* spin lock */

struct thread_tls {
	struct tbuf *b;			/* NULL until the first event of a trace */
	int gone;			/* the thread ended: nothing more is recorded */
	unsigned token_gen;		/* token belongs to this trace */
	uint64_t token;
	uintptr_t start_fn;
	int in_free_lock;		/* this thread holds free_lock */
};

static __thread struct thread_tls tls __attribute__((tls_model("initial-exec")));

/* The one trace there may be. ctl_lock. */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int active;			/* a trace is on (or being written by its stopper) */
	int capture;			/* started by gp_trace_capture() */
	int from_env;			/* GOPROF_TRACE */
	int json;
	/*
	 * goprof_trace_start()'s file, a descriptor until the stop writes it through stdio: a
	 * fork child forgets it with close(2) alone (gp_trace_atfork_child). -1: none.
	 */
	int out;
} ses = { .out = -1 };

uint64_t gp_trace_now(void)
{
	return gp_clock_ns();
}

static void take_free_lock(void)
{
	tls.in_free_lock = 1;
	gp_spin_lock(&free_lock);
}

static void drop_free_lock(void)
{
	gp_spin_unlock(&free_lock);
	tls.in_free_lock = 0;
}

/*
 * A header for the calling thread: one whose thread ended, or a new one; NULL when there is
 * none to be had (a signal handler interrupted its own thread holding free_lock, or mmap
 * failed). No malloc: safe in a signal handler.
 */
static struct tbuf *claim_header(void)
{
	struct tbuf *b;

	if (tls.in_free_lock)
		return NULL;
	take_free_lock();
	b = free_bufs;
	if (b)
		free_bufs = b->free_next;
	else
		b = gp_pool_take(&header_pool, sizeof(*b));
	drop_free_lock();
	if (!b)
		return NULL;
	if (b->tid) {
		/* a header of an ended thread: on gp_trace_bufs already */
		b->free_next = NULL;
		b->gen = 0;
		b->tid = (uint32_t)gettid();
		__atomic_store_n(&b->owner_gone, 0, __ATOMIC_RELEASE);
		return b;
	}
	b->tid = (uint32_t)gettid();
	b->next = __atomic_load_n(&gp_trace_bufs, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&gp_trace_bufs, &b->next, b, 1, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
	return b;
}

/*
 * Appends one record; owner under writing. keep: how many plain records' worth of room to
 * leave (for the end of an open wait and for END). Returns 0, or -1 when the buffer is full
 * (the drop is counted).
 */
static int put(struct tbuf *b, const struct rec *r, const void *const *top, const char *name,
	       const char *msg, unsigned keep)
{
	size_t sz = gp_trace_rec_size(r->nframes, (size_t)r->name_len + r->msg_len);
	size_t room = keep * gp_trace_rec_size(0, 0);

	if (b->len + sz + room > b->cap) {
		if (!b->dropped++)
			b->first_drop_ns = r->ts_ns;
		return -1;
	}
	char *p = b->data + b->len;
	memcpy(p, r, sizeof(*r));
	const void **frames = (const void **)(p + sizeof(*r));
	gp_frames_copy(frames, top, r->nframes);
	char *s = (char *)(frames + r->nframes);
	if (r->name_len) {
		memcpy(s, name, r->name_len - 1u);
		s[r->name_len - 1] = '\0';
		s += r->name_len;
	}
	if (r->msg_len) {
		memcpy(s, msg, r->msg_len - 1u);
		s[r->msg_len - 1] = '\0';
	}
	__atomic_store_n(&b->len, b->len + sz, __ATOMIC_RELEASE);
	return 0;
}

/* Maps b's buffer for trace g and records the thread's START; owner under writing. */
static int init_for_gen(struct tbuf *b, unsigned g, int blocked)
{
	char *map = mmap(NULL, trace_cap, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (map == MAP_FAILED)
		return -1;
	b->data = map;
	b->cap = trace_cap;
	__atomic_store_n(&b->len, 0, __ATOMIC_RELAXED);
	b->dropped = 0;
	b->first_drop_ns = 0;
	b->ended = 0;
	b->open = blocked;
	b->name[0] = '\0';
	b->token = tls.token_gen == g ? tls.token : 0;
	b->start_fn = tls.start_fn;
	b->gen = g;

	/* a thread created during the trace starts now; any other was there at its start */
	struct rec r = { .ts_ns = b->token ? gp_trace_now() : trace_start_ns,
			 .kind = GP_TEV_START, .object = (uint64_t)blocked };
	put(b, &r, NULL, NULL, NULL, 2);
	return 0;
}

/* What an event carries besides its kind; see struct gp_trace_event. */
struct ev {
	uint64_t ts_ns;			/* 0: now */
	uint8_t kind, why;
	uint32_t other;
	uint64_t object;
	const char *name;		/* static: stored as a pointer */
	const char *copy_name;		/* the caller's: copied */
	const char *msg;		/* copied */
	int stack;			/* record the shadow stack */
	int in_signal;			/* from the sampling signal handler */
};

static uint16_t str_room(const char *s)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, 4095);
	return (uint16_t)(n + 1);
}

/* Records e for the calling thread if a trace is on; see DESIGN. Never fails visibly. */
static void append(const struct ev *e)
{
	struct tbuf *b;
	unsigned g;

	if (tls.gone || gp_heap_guarded())
		return;
	g = __atomic_load_n(&cur_gen, __ATOMIC_ACQUIRE);
	b = tls.b;
	if (!b) {
		if (e->in_signal || !(b = claim_header()))
			return;
		tls.b = b;
	}
	if (b->writing) {
		/* a signal handler that interrupted its own thread's append */
		return;
	}
	__atomic_store_n(&b->writing, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&cur_gen, __ATOMIC_RELAXED) != g)
		goto out;
	if (b->gen != g || !b->data) {
		if (e->in_signal || b->ended)
			goto out;
		if (init_for_gen(b, g, e->kind == GP_TEV_UNBLOCK) != 0)
			goto out;
		if (e->kind == GP_TEV_START)
			goto out;
	} else if (e->kind == GP_TEV_START || b->ended) {
		goto out;
	}

	struct rec r = {
		.ts_ns = e->ts_ns ? e->ts_ns : gp_trace_now(),
		.object = e->object,
		.name = e->name,
		.other = e->other,
		.kind = e->kind,
		.why = e->why,
		.name_len = str_room(e->copy_name),
		.msg_len = str_room(e->msg),
	};
	const void **base = NULL, **top = NULL;
	if (e->stack) {
		gp_stack_bounds(&base, &top);
		size_t depth = (size_t)(top - base);
		r.nframes = (uint16_t)(depth < GP_TRACE_MAX_FRAMES ? depth : GP_TRACE_MAX_FRAMES);
	}
	if (e->kind == GP_TEV_END) {
		pthread_getname_np(pthread_self(), b->name, sizeof(b->name));
		b->ended = 1;
	}
	/*
	 * A full buffer keeps room for the end of a wait it holds the start of, and for END:
	 * the thread's last events then leave it running, and a wait whose start was dropped
	 * leaves no end without a start.
	 */
	switch (e->kind) {
	case GP_TEV_END:
		put(b, &r, top, NULL, NULL, 0);
		break;
	case GP_TEV_UNBLOCK:
	case GP_TEV_SYSCALL_END:
		if (!b->open)
			break;	/* its start was dropped, and counted */
		put(b, &r, top, NULL, NULL, 1);
		b->open = 0;
		break;
	case GP_TEV_BLOCK:
	case GP_TEV_SYSCALL:
		if (put(b, &r, top, e->copy_name, e->msg, 2) == 0)
			b->open = 1;
		break;
	default:
		put(b, &r, top, e->copy_name, e->msg, 2);
	}
out:
	__atomic_store_n(&b->writing, 0, __ATOMIC_RELEASE);
}

/* ---- hooks ------------------------------------------------------------------------------ */

void gp_trace_block(int why, const char *call, const void *obj)
{
	struct ev e = { .kind = GP_TEV_BLOCK, .why = (uint8_t)why, .name = call,
			.object = (uintptr_t)obj, .stack = 1 };
	int saved = errno;

	append(&e);
	errno = saved;
}

void gp_trace_unblock(void)
{
	struct ev e = { .kind = GP_TEV_UNBLOCK };
	int saved = errno;

	append(&e);
	errno = saved;
}

void gp_trace_wake(const char *call, const void *obj)
{
	struct ev e = { .kind = GP_TRACE_REC_WAKE, .name = call, .object = (uintptr_t)obj,
			.stack = 1 };
	int saved = errno;

	append(&e);
	errno = saved;
}

void gp_trace_syscall(int why, const char *call, int fd, uint64_t t0, uint64_t t1)
{
	int saved = errno;
	struct ev e = { .ts_ns = gp_clock_ticks_ns(t0), .kind = GP_TEV_SYSCALL,
			.why = (uint8_t)why, .name = call, .object = (uint64_t)(int64_t)fd,
			.stack = 1 };
	struct ev x = { .ts_ns = gp_clock_ticks_ns(t1), .kind = GP_TEV_SYSCALL_END };

	append(&e);
	append(&x);
	errno = saved;
}

uint64_t gp_trace_thread_create(void)
{
	if (!__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED))
		return 0;
	uint64_t token = __atomic_fetch_add(&next_token, 1, __ATOMIC_RELAXED);
	struct ev e = { .kind = GP_TEV_CREATE, .name = "pthread_create", .object = token,
			.stack = 1 };
	append(&e);
	return token;
}

void gp_trace_thread_start(uint64_t token, void *(*fn)(void *))
{
	tls.token = token;
	tls.token_gen = __atomic_load_n(&cur_gen, __ATOMIC_RELAXED);
	tls.start_fn = (uintptr_t)fn;
	if (token && __atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED)) {
		struct ev e = { .kind = GP_TEV_START };
		append(&e);
	}
}

void gp_trace_thread_end(void)
{
	struct tbuf *b = tls.b;

	if (__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED)) {
		struct ev e = { .kind = GP_TEV_END };
		/* a thread joining this one wakes now */
		gp_trace_wake("pthread_exit", (void *)pthread_self());
		append(&e);
	}
	tls.gone = 1;
	tls.b = NULL;
	if (b)
		__atomic_store_n(&b->owner_gone, 1, __ATOMIC_RELEASE);
}

void gp_trace_cpu_sample(void)
{
	struct ev e = { .kind = GP_TEV_CPU_SAMPLE, .stack = 1, .in_signal = 1 };

	append(&e);
}

/* ---- the public annotations (goprof.h) ---------------------------------------------------- */

static int traced(void)
{
	return GP_UNLIKELY(__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED) != 0);
}

uint64_t goprof_task_create(uint64_t parent, const char *name)
{
	uint64_t id = __atomic_fetch_add(&next_task, 1, __ATOMIC_RELAXED);

	if (traced()) {
		struct ev e = { .kind = GP_TEV_TASK_BEGIN, .object = id, .other = (uint32_t)parent,
				.copy_name = name ? name : "", .stack = 1 };
		int saved = errno;
		append(&e);
		errno = saved;
	}
	return id;
}

void goprof_task_end(uint64_t task)
{
	if (traced() && task) {
		struct ev e = { .kind = GP_TEV_TASK_END, .object = task, .stack = 1 };
		int saved = errno;
		append(&e);
		errno = saved;
	}
}

void goprof_region_begin(uint64_t task, const char *name)
{
	if (traced()) {
		struct ev e = { .kind = GP_TEV_REGION_BEGIN, .object = task,
				.copy_name = name ? name : "", .stack = 1 };
		int saved = errno;
		append(&e);
		errno = saved;
	}
}

void goprof_region_end(uint64_t task, const char *name)
{
	if (traced()) {
		struct ev e = { .kind = GP_TEV_REGION_END, .object = task,
				.copy_name = name ? name : "", .stack = 1 };
		int saved = errno;
		append(&e);
		errno = saved;
	}
}

void goprof_trace_log(uint64_t task, const char *category, const char *message)
{
	if (traced()) {
		struct ev e = { .kind = GP_TEV_LOG, .object = task, .copy_name = category,
				.msg = message ? message : "", .stack = 1 };
		int saved = errno;
		append(&e);
		errno = saved;
	}
}

int goprof_trace_enabled(void)
{
	return traced();
}

/* ---- start and stop ---------------------------------------------------------------------- */

/* ctl_lock held, heap guard on: a new trace. */
static void begin(void)
{
	gp_clock_calibrate();
	gp_trace_syscall_ticks = gp_clock_ns_ticks(SYSCALL_MIN_NS);
	trace_start_ns = gp_trace_now();
	trace_start_real_ns = gp_real_ns();
	__atomic_fetch_add(&cur_gen, 1, __ATOMIC_RELEASE);
	ses.active = 1;
	__atomic_store_n(&gp_trace_on, 1, __ATOMIC_RELEASE);
	gp_lock_trace(1);
}

/*
 * ctl_lock held, heap guard on: stops the trace and collects it into c (also on error, c
 * is to be freed). Headers of ended threads go to the free list.
 */
static int end(struct captured *c)
{
	unsigned g = __atomic_load_n(&cur_gen, __ATOMIC_RELAXED);

	gp_lock_trace(0);
	__atomic_store_n(&gp_trace_on, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint64_t end_ns = gp_trace_now();

	memset(c, 0, sizeof(*c));
	c->t.start_ns = trace_start_ns;
	c->t.start_realtime_ns = trace_start_real_ns;
	int rc = gp_trace_merge(c, g, end_ns);

	take_free_lock();
	for (struct tbuf *b = __atomic_load_n(&gp_trace_bufs, __ATOMIC_ACQUIRE); b; b = b->next) {
		if (!__atomic_load_n(&b->owner_gone, __ATOMIC_ACQUIRE) || b->free_next ||
		    b == free_bufs || b->writing)
			continue;
		if (b->data) {
			munmap(b->data, b->cap);
			b->data = NULL;
		}
		b->free_next = free_bufs;
		free_bufs = b;
	}
	drop_free_lock();
	ses.active = 0;
	return rc;
}

static int write_captured(struct captured *c, FILE *f, int json)
{
	size_t odd = 0;
	int rc = json ? gp_trace_write_json(&c->t, f, &odd) : gp_trace_write_go(&c->t, f, &odd);

	if (!rc && odd)
		gp_warn_once("trace: %zu odd events skipped or repaired", odd);

	if (fflush(f) != 0 && !rc)
		rc = -errno;
	return rc;
}

/*
 * A copy of a captured trace, in Go's format, for the database's traces table when a
 * database is written (whatever format the trace went out in). Heap guard on.
 */
static void keep_in_db(const struct captured *c, const char *source)
{
	char *buf = NULL;
	size_t len = 0;

	if (!gp_writer_wants_traces())
		return;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	int rc = gp_trace_write_go(&c->t, f, NULL);
	if (fclose(f) != 0 || rc) {
		free(buf);
		return;
	}
	uint64_t span = c->t.end_ns > c->t.start_ns ? c->t.end_ns - c->t.start_ns : 0;
	gp_writer_add_trace(c->t.start_realtime_ns, c->t.start_realtime_ns + span, source, buf,
			    len);
}

int goprof_trace_start(const char *path, int format)
{
	int rc = 0;

	if (!path || (format != GOPROF_TRACE_GO && format != GOPROF_TRACE_JSON))
		return -EINVAL;
	gp_heap_guard(1);
	pthread_mutex_lock(&ctl_lock);
	if (ses.active) {
		rc = -EBUSY;
		goto out;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	ses.out = fd;
	ses.json = format == GOPROF_TRACE_JSON;
	ses.capture = 0;
	ses.from_env = 0;
	begin();
out:
	pthread_mutex_unlock(&ctl_lock);
	gp_heap_guard(0);
	return rc;
}

int goprof_trace_stop(void)
{
	struct captured c;
	int rc;

	gp_heap_guard(1);
	pthread_mutex_lock(&ctl_lock);
	if (!ses.active || ses.capture) {
		rc = ses.active ? -EBUSY : -EINVAL;
		pthread_mutex_unlock(&ctl_lock);
		gp_heap_guard(0);
		return rc;
	}
	int fd = ses.out;
	int json = ses.json;
	const char *source = ses.from_env ? "GOPROF_TRACE" : "api";
	ses.out = -1;
	rc = end(&c);
	pthread_mutex_unlock(&ctl_lock);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		rc = rc ? rc : -errno;
		close(fd);
	} else {
		if (!rc) {
			keep_in_db(&c, source);
			rc = write_captured(&c, f, json);
		}
		if (fclose(f) != 0 && !rc)
			rc = -errno;
	}
	gp_trace_merge_free(&c);
	gp_heap_guard(0);
	return rc;
}

int gp_trace_capture(double seconds, int json, int fd, int (*cancelled)(void *ctx), void *ctx,
		     char *err, size_t errlen)
{
	struct captured c;
	int rc;

	if (errlen)
		err[0] = '\0';
	gp_heap_guard(1);
	pthread_mutex_lock(&ctl_lock);
	if (ses.active) {
		pthread_mutex_unlock(&ctl_lock);
		gp_heap_guard(0);
		if (errlen)
			snprintf(err, errlen, "tracing is already enabled");
		return -EBUSY;
	}
	ses.capture = 1;
	ses.out = -1;
	begin();
	pthread_mutex_unlock(&ctl_lock);

	uint64_t until = gp_trace_now() + (uint64_t)(seconds > 0 ? seconds * 1e9 : 0);
	for (;;) {
		uint64_t now = gp_trace_now();
		if (now >= until || (cancelled && cancelled(ctx)))
			break;
		uint64_t d = until - now < 100000000u ? until - now : 100000000u;
		struct timespec ts = { (time_t)(d / 1000000000u), (long)(d % 1000000000u) };
		nanosleep(&ts, NULL);
	}

	pthread_mutex_lock(&ctl_lock);
	rc = end(&c);
	pthread_mutex_unlock(&ctl_lock);
	if (rc) {
		if (errlen)
			snprintf(err, errlen, "could not collect the trace: %s", strerror(-rc));
		goto out;
	}
	keep_in_db(&c, "http");
	int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	FILE *f = dupfd >= 0 ? fdopen(dupfd, "w") : NULL;
	if (!f) {
		rc = -errno;
		if (dupfd >= 0)
			close(dupfd);
	} else {
		rc = write_captured(&c, f, json);
		if (fclose(f) != 0 && !rc)
			rc = -errno;
	}
	if (rc && errlen)
		snprintf(err, errlen, "could not write the trace: %s", strerror(-rc));
out:
	gp_trace_merge_free(&c);
	gp_heap_guard(0);
	return rc;
}

/* GOPROF_TRACE's file, named once: the program may rewrite its environment later */
static char env_file[4096];

void gp_trace_init(void)
{
	const char *path = gp_config.trace_path;

	trace_cap = gp_config.trace_buffer;
	if (!path)
		return;
	int rc = gp_path_expand(path, env_file, sizeof(env_file));
	if (!rc)
		rc = goprof_trace_start(env_file, gp_config.trace_json ? GOPROF_TRACE_JSON :
					GOPROF_TRACE_GO);
	if (rc) {
		gp_warn("GOPROF_TRACE=%s: cannot trace: %s", path, strerror(-rc));
		return;
	}
	ses.from_env = 1;
}

void gp_trace_fini(void)
{
	if (!__atomic_load_n(&ses.from_env, __ATOMIC_RELAXED))
		return;
	int rc = goprof_trace_stop();
	if (rc && rc != -EINVAL)
		gp_warn("GOPROF_TRACE %s: writing the trace failed: %s", env_file, strerror(-rc));
}

/*
 * The child of fork() has no trace: the parent writes it. Only this thread exists here.
 * The parent's file goes with close(2) alone: fclose() would take stdio's lock and free
 * through malloc, which another thread of the parent may have held at the fork (for ever
 * under AddressSanitizer, whose allocator keeps its locks in the child); no stream exists
 * before the stop (ses.out), so nothing of it is left to flush either.
 */
void gp_trace_atfork_child(void)
{
	__atomic_store_n(&gp_trace_on, 0, __ATOMIC_RELAXED);
	for (struct tbuf *b = gp_trace_bufs; b; b = b->next) {
		if (b->data)
			munmap(b->data, b->cap);
		b->data = NULL;
		b->gen = 0;
		b->writing = 0;
		if (b != tls.b)
			b->owner_gone = 1;
		else
			b->tid = (uint32_t)gettid();
	}
	if (ses.out >= 0)
		close(ses.out);
	memset(&ses, 0, sizeof(ses));
	ses.out = -1;
	pthread_mutex_init(&ctl_lock, NULL);
	free_lock = 0;
}
