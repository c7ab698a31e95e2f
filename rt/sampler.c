/*
 * CPU sampling.
 *
 * DESIGN. Every thread, however it was created, is registered by thread.c once its shadow
 * stack is set up, and given a ring and a timer here. While CPU sampling is on, each thread
 * gets its own POSIX timer on its own CPU-time clock (CLOCK_THREAD_CPUTIME_ID), delivered
 * to that very thread (SIGEV_THREAD_ID) as a real-time signal (signals.c says why not
 * SIGPROF): one process-wide setitimer() under-counts busy multi-threaded programs, which
 * is why Go 1.18 moved to the same scheme. The signal handler (signal context) copies the
 * interrupted PC, the thread's labels (one pointer, labels.c) and the top of the shadow
 * stack into the thread's own ring (ring.h): no lock, no allocation, errno preserved. The
 * collector thread (writer.c) drains the rings with gp_cpu_drain(), under the registry's
 * lock; an ended thread's ring is freed once drained.
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
#define HEADER_WORDS 6			/* time, pc, nframes | truncated << 32, ticks, labels,
					   return-address candidates */
/* candidates kept per sample: every frame's return address, and as many again of others */
#define MAX_RETURNS(depth) (2 * (uint64_t)(depth) + 64)

static int sampling;			/* set once at init, before any timer exists */
static uint64_t period_ns;
static unsigned ring_order;		/* room for 8 samples of the deepest kind */

/*
 * Signal context: one record of the interrupted PC, the innermost frames and the words of
 * the machine stack that may be their return addresses (the writer finds each caller's
 * call line among them, callsite.c).
 */
static void take_sample(struct gp_thread *t, uintptr_t pc, uintptr_t sp, uint64_t ticks)
{
	const void **base, **top;

	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint64_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;
	uint64_t max = MAX_RETURNS(keep);
	uint64_t at = gp_ring_reserve(t->ring, HEADER_WORDS + keep + max);
	if (at == UINT64_MAX)
		return;
	gp_ring_put(t->ring, at, 0, gp_real_ns());
	gp_ring_put(t->ring, at, 1, pc);
	gp_ring_put(t->ring, at, 2, keep | (depth - keep) << 32);
	gp_ring_put(t->ring, at, 3, ticks);
	gp_ring_put(t->ring, at, 4, (uintptr_t)gp_labels_cur);
	for (uint64_t i = 0; i < keep; i++)
		gp_ring_put(t->ring, at, HEADER_WORDS + i, (uintptr_t)top[-1 - (int64_t)i]);
	uint64_t nret = gp_stack_scan_returns(sp, t->ring, at, HEADER_WORDS + keep, max);
	gp_ring_put(t->ring, at, 5, nret);
	gp_ring_shrink(t->ring, at, HEADER_WORDS + keep + nret);
	gp_ring_commit(t->ring, at, HEADER_WORDS + keep + nret);
}

int gp_sampler_handle(int sig, siginfo_t *si, void *uctx)
{
	struct gp_thread *t = gp_thread_self;
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
		    (uintptr_t)uc->uc_mcontext.gregs[REG_RSP], 1 + (uint64_t)(si->si_overrun > 0 ? si->si_overrun : 0));
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
	     ((uint64_t)1 << ring_order) < 8 * (HEADER_WORDS + 1 + (uint64_t)gp_config.stack_depth +
						MAX_RETURNS(gp_config.stack_depth));
	     ring_order++)
		;
	if (gp_signals_take_sigprof() != 0)
		return -1;
	gp_stack_text_refresh();
	sampling = 1;
	return 0;
}

void gp_sampler_thread_new(struct gp_thread *t)
{
	if (sampling)
		t->ring = gp_ring_new(ring_order);
}

void gp_sampler_thread_arm(struct gp_thread *t)
{
	t->has_timer = 0;
	if (t->ring)
		arm_timer(t);
}

void gp_sampler_thread_disarm(struct gp_thread *t)
{
	if (t->has_timer) {
		timer_delete(t->timer);
		t->has_timer = 0;
	}
}

void gp_sampler_thread_forked(struct gp_thread *t)
{
	if (t->ring) {
		atomic_store(&t->ring->head, atomic_load(&t->ring->tail));
		t->ring->drops_read = atomic_load(&t->ring->drops);
	}
}

static size_t drain_ring(struct gp_thread *t, gp_sample_fn fn, void *ctx)
{
	static uint64_t buf[HEADER_WORDS + GP_MAX_STACK_DEPTH + MAX_RETURNS(GP_MAX_STACK_DEPTH)];
	uint64_t n;
	size_t records = 0;
	struct gp_sample s;

	while ((n = gp_ring_read(t->ring, buf, sizeof(buf) / sizeof(buf[0]))) != 0) {
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
		s.nreturns = buf[5] < n - HEADER_WORDS - s.nframes ? (uint32_t)buf[5] :
			(uint32_t)(n - HEADER_WORDS - s.nframes);
		s.returns = (const uintptr_t *)(buf + HEADER_WORDS + s.nframes);
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

int gp_cpu_pending(void)
{
	struct gp_thread *t = gp_thread_self;

	return t && t->ring &&
	       (atomic_load(&t->ring->head) != atomic_load(&t->ring->tail) ||
		atomic_load(&t->ring->drops) != t->ring->drops_read);
}

size_t gp_cpu_drain(gp_sample_fn fn, void *ctx)
{
	size_t records = 0;
	int how;

	/*
	 * The heap, lock and thread-creation sites scan the machine stack too. Not in a crash
	 * flush or a fork child's exit: dl_iterate_phdr() takes the loader's lock, which the
	 * dying thread, or one that ran at the fork, may hold.
	 */
	if (!gp_writer_careful())
		gp_stack_text_refresh();
	for (struct gp_thread *t = gp_threads_lock(&how); t; t = t->next) {
		if (!t->ring)
			continue;
		records += drain_ring(t, fn, ctx);
		if (t->ended) {
			gp_ring_free(t->ring);
			t->ring = NULL;
		}
	}
	gp_threads_unlock(how);
	return records;
}
