/*
 * CPU sampling and the thread registry.
 *
 * DESIGN. Every thread, however it was created (thread.c), registers here once its shadow
 * stack is set up. While CPU sampling is on, each thread gets its own POSIX timer on its
 * own CPU-time clock (CLOCK_THREAD_CPUTIME_ID), delivered to that very thread
 * (SIGEV_THREAD_ID) as a real-time signal (signals.c says why not SIGPROF): one
 * process-wide setitimer() under-counts busy multi-threaded programs, which is why Go 1.18
 * moved to the same scheme. The signal handler (signal context) copies the interrupted
 * PC, the thread's labels (one pointer, labels.c) and the top of the shadow stack into the
 * thread's own ring (ring.h): no lock, no allocation, errno preserved. The collector thread
 * (writer.c) drains the rings with gp_cpu_drain().
 *
 * Locks: reg_lock guards the list and each entry's lifetime; it is taken on thread start
 * and end, by gp_cpu_drain(), gp_threads_foreach() and gp_threads_snapshot(), never in
 * signal context, always under the heap guard so that the lock wrappers never record it.
 * An ended thread's entry stays (the threadcreate profile counts every thread ever made);
 * its ring is freed once drained.
 *
 * Snapshots (the goroutine profile) read other threads' shadow stacks while they run: the
 * entry keeps the address of the thread's stack pointer (its TLS word) and the bounds of
 * its slot array. A thread's array is unmapped only after gp_thread_ended() cleared
 * stack_live under reg_lock, so a reader holding reg_lock never touches unmapped memory; it
 * clamps the racily read pointer into the array, and a slot it copies holds a function
 * record's address or NULL (gp_func_decode refuses NULL).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "gp-internal.h"
#include "ring.h"

#define MIN_RING_ORDER 13		/* 8192 words = 64 KiB per sampled thread */
#define HEADER_WORDS 5			/* time, pc, nframes | truncated << 32, ticks, labels */

struct gp_thread {
	struct gp_thread *next;		/* reg_lock */
	struct gp_thread_info info;	/* reg_lock; tid fixed at start */
	struct gp_ring *ring;		/* NULL when not sampled; freed by the collector */
	timer_t timer;			/* owning thread */
	int has_timer;			/* owning thread */
	int ended;			/* reg_lock */
	int stack_live;			/* reg_lock: stack_base may be read */
	const void **const *sp_addr;	/* the thread's __goprof_sp; fixed */
	const struct gp_labels *const *labels_addr;	/* its gp_labels_cur; fixed */
	const void **stack_base;	/* its slot array, NULL: scratch; fixed */
	size_t stack_cap;		/* slots */
	struct gp_wait wait;		/* wrap-lock.c; see struct gp_wait */
	const void *create_frames[];	/* the creator's stack (info.create_frames) */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gp_thread *threads;
static int sampling;			/* set once at init, before any timer exists */
static uint64_t period_ns;
static unsigned ring_order;		/* room for 8 samples of the deepest kind */

static __thread struct gp_thread *self __attribute__((tls_model("initial-exec")));


/* Signal context: one record of the interrupted PC and the innermost frames. */
static void take_sample(struct gp_thread *t, uintptr_t pc, uint64_t ticks)
{
	const void **base, **top;

	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint64_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;
	uint64_t at = gp_ring_reserve(t->ring, HEADER_WORDS + keep);
	if (at == UINT64_MAX)
		return;
	gp_ring_put(t->ring, at, 0, gp_real_ns());
	gp_ring_put(t->ring, at, 1, pc);
	gp_ring_put(t->ring, at, 2, keep | (depth - keep) << 32);
	gp_ring_put(t->ring, at, 3, ticks);
	gp_ring_put(t->ring, at, 4, (uintptr_t)gp_labels_cur);
	for (uint64_t i = 0; i < keep; i++)
		gp_ring_put(t->ring, at, HEADER_WORDS + i, (uintptr_t)top[-1 - (int64_t)i]);
	gp_ring_commit(t->ring, at, HEADER_WORDS + keep);
}

int gp_sampler_handle(int sig, siginfo_t *si, void *uctx)
{
	struct gp_thread *t = self;
	(void)sig;

	if (si->si_code != SI_TIMER || !t || si->si_value.sival_ptr != t || !t->ring)
		return 0;
	int saved = errno;
	ucontext_t *uc = uctx;
	/*
	 * A timer that expired again before its signal was delivered counts the extra
	 * expiries as overruns instead of queueing more signals: each one is a period of CPU
	 * time this sample stands for too.
	 */
	take_sample(t, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
		    1 + (uint64_t)(si->si_overrun > 0 ? si->si_overrun : 0));
	if (__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED))
		gp_trace_cpu_sample();
	errno = saved;
	return 1;
}

/* Arms the calling thread's CPU timer; cold path, the thread itself. */
static void arm_timer(struct gp_thread *t)
{
	struct sigevent sev;
	struct itimerspec its;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = gp_prof_signal;
	sev.sigev_value.sival_ptr = t;
	sev._sigev_un._tid = (pid_t)t->info.tid;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t->timer) != 0) {
		int err = errno;
		/* EAGAIN: each timer holds a queued signal, counted against RLIMIT_SIGPENDING */
		gp_warn_once("cannot create a CPU timer for thread %u: %s; threads without one "
			     "get no CPU samples%s", t->info.tid, strerror(err),
			     err == EAGAIN ? " (queued-signal limit, ulimit -i)" : "");
		return;
	}
	t->has_timer = 1;
	its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
	its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
	its.it_value = its.it_interval;
	timer_settime(t->timer, 0, &its, NULL);
}

int gp_sampler_init(void)
{
	if (!gp_config.cpu_hz || !gp_config.db_pattern)
		return 0;
	period_ns = 1000000000u / gp_config.cpu_hz;
	for (ring_order = MIN_RING_ORDER;
	     ((uint64_t)1 << ring_order) < 8 * (HEADER_WORDS + 1 + (uint64_t)gp_config.stack_depth);
	     ring_order++)
		;
	if (gp_signals_take_sigprof() != 0)
		return -1;
	sampling = 1;
	return 0;
}

void gp_thread_started(const struct gp_thread_origin *origin)
{
	uint32_t n = origin ? origin->nframes : 0;
	struct gp_thread *t = calloc(1, sizeof(*t) + n * sizeof(t->create_frames[0]));

	if (!t)
		return;
	t->info.tid = (uint32_t)gettid();
	t->wait.tid = t->info.tid;
	t->wait.io = gp_io_now_self();
	t->info.start_ns = gp_real_ns();
	pthread_getname_np(pthread_self(), t->info.name, sizeof(t->info.name));
	if (origin) {
		t->info.creator_tid = origin->creator_tid;
		t->info.create_call = origin->call;
		t->info.create_labels = origin->labels;
		t->info.create_nframes = n;
		t->info.create_truncated = origin->truncated;
		memcpy(t->create_frames, origin->frames, n * sizeof(t->create_frames[0]));
	}
	t->info.create_frames = t->create_frames;
	t->sp_addr = (const void **const *)&__goprof_sp;
	t->labels_addr = &gp_labels_cur;
	gp_stack_region(&t->stack_base, &t->stack_cap);
	t->stack_live = 1;
	if (sampling)
		t->ring = gp_ring_new(ring_order);

	pthread_mutex_lock(&reg_lock);
	t->next = threads;
	threads = t;
	pthread_mutex_unlock(&reg_lock);

	self = t;
	if (t->ring)
		arm_timer(t);
}

void gp_thread_ended(int keep_stack)
{
	struct gp_thread *t = self;

	if (!t)
		return;
	gp_heap_guard(1);
	if (t->has_timer) {
		timer_delete(t->timer);
		t->has_timer = 0;
	}
	gp_lock_thread_ended(&t->wait);
	self = NULL;
	pthread_mutex_lock(&reg_lock);
	t->ended = 1;
	t->stack_live = keep_stack;
	t->wait.io = NULL;
	t->info.end_ns = gp_real_ns();
	pthread_mutex_unlock(&reg_lock);
	gp_heap_guard(0);
}

struct gp_wait *gp_thread_wait(void)
{
	return self ? &self->wait : NULL;
}

/* Reads a live thread's current name (threads often name themselves after they start). */
static void refresh_name(struct gp_thread *t)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%u/comm", t->info.tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(t->info.name, sizeof(t->info.name), f))
		t->info.name[strcspn(t->info.name, "\n")] = '\0';
	fclose(f);
}

void gp_threads_foreach(void (*fn)(const struct gp_thread_info *t, void *ctx), void *ctx)
{
	gp_heap_guard(1);
	pthread_mutex_lock(&reg_lock);
	for (struct gp_thread *t = threads; t; t = t->next) {
		if (!t->ended)
			refresh_name(t);
		fn(&t->info, ctx);
	}
	pthread_mutex_unlock(&reg_lock);
	gp_heap_guard(0);
}

void gp_threads_snapshot(void (*fn)(const struct gp_thread_snap *s, void *ctx), void *ctx)
{
	static const void *frames[GP_MAX_STACK_DEPTH];	/* the writer thread's alone */
	struct gp_thread_snap s;

	gp_heap_guard(1);
	pthread_mutex_lock(&reg_lock);
	for (struct gp_thread *t = threads; t; t = t->next) {
		if (!t->stack_live)
			continue;
		memset(&s, 0, sizeof(s));
		s.tid = t->info.tid;
		s.start_ns = t->info.start_ns;
		gp_wait_read(&t->wait, &s.wait);
		s.labels = __atomic_load_n(t->labels_addr, __ATOMIC_ACQUIRE);
		if (t->stack_base) {
			const void **sp = __atomic_load_n(t->sp_addr, __ATOMIC_RELAXED);
			if (sp < t->stack_base || sp > t->stack_base + t->stack_cap)
				sp = t->stack_base;
			size_t depth = (size_t)(sp - t->stack_base);
			size_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;
			for (size_t i = 0; i < keep; i++)
				frames[i] = __atomic_load_n(&sp[-1 - (ptrdiff_t)i],
							    __ATOMIC_RELAXED);
			s.nframes = (uint32_t)keep;
			s.truncated = (uint32_t)(depth - keep);
			s.frames = frames;
		}
		fn(&s, ctx);
	}
	pthread_mutex_unlock(&reg_lock);
	gp_heap_guard(0);
}

static size_t drain_ring(struct gp_thread *t, gp_sample_fn fn, void *ctx)
{
	uint64_t buf[HEADER_WORDS + GP_MAX_STACK_DEPTH];
	uint64_t n;
	size_t records = 0;
	struct gp_sample s;

	while ((n = gp_ring_read(t->ring, buf, HEADER_WORDS + GP_MAX_STACK_DEPTH)) != 0) {
		if (n < HEADER_WORDS)
			continue;
		memset(&s, 0, sizeof(s));
		s.time_ns = buf[0];
		s.pc = (uintptr_t)buf[1];
		s.count = buf[3];
		s.labels = (const struct gp_labels *)(uintptr_t)buf[4];
		s.tid = t->info.tid;
		s.nframes = (uint32_t)(buf[2] & 0xffffffffu);
		if (s.nframes > n - HEADER_WORDS)
			s.nframes = (uint32_t)(n - HEADER_WORDS);
		s.truncated = (uint32_t)(buf[2] >> 32);
		s.frames = (const void *const *)(buf + HEADER_WORDS);
		fn(&s, ctx);
		records++;
	}
	uint64_t drops = atomic_load_explicit(&t->ring->drops, memory_order_relaxed);
	if (drops != t->ring->drops_read) {
		memset(&s, 0, sizeof(s));
		s.time_ns = gp_real_ns();
		s.count = drops - t->ring->drops_read;
		s.tid = t->info.tid;
		s.lost = 1;
		t->ring->drops_read = drops;
		fn(&s, ctx);
		records++;
	}
	return records;
}

size_t gp_cpu_drain(gp_sample_fn fn, void *ctx)
{
	size_t records = 0;

	gp_heap_guard(1);
	pthread_mutex_lock(&reg_lock);
	for (struct gp_thread *t = threads; t; t = t->next) {
		if (!t->ring)
			continue;
		records += drain_ring(t, fn, ctx);
		if (t->ended) {
			gp_ring_free(t->ring);
			t->ring = NULL;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	gp_heap_guard(0);
	return records;
}

void gp_sampler_atfork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
}

void gp_sampler_atfork_parent(void)
{
	pthread_mutex_unlock(&reg_lock);
}

/*
 * In the child only the forking thread exists: every other entry has ended, their rings
 * hold the parent's samples (dropped, the parent reports them), and the timer, which
 * fork() does not inherit, is armed again.
 */
void gp_sampler_atfork_child(void)
{
	uint64_t now = gp_real_ns();

	for (struct gp_thread *t = threads; t; t = t->next) {
		if (t->ring) {
			atomic_store(&t->ring->head, atomic_load(&t->ring->tail));
			t->ring->drops_read = atomic_load(&t->ring->drops);
		}
		if (t != self && !t->ended) {
			t->ended = 1;
			t->stack_live = 0;
			t->wait.io = NULL;
			t->info.end_ns = now;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	if (self) {
		self->info.tid = (uint32_t)gettid();
		self->wait.tid = self->info.tid;
		self->has_timer = 0;
		if (self->ring)
			arm_timer(self);
	}
}
