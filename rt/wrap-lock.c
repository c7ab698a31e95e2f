/*
 * Blocking calls, interposed: the block profile (how long threads waited, at the waiter's
 * stack), the mutex profile (how long others waited for a lock, at the stack that released
 * it) and each thread's state for the goroutine profile (what it waits on, since when).
 *
 * DESIGN. Contexts: every wrapper runs on the program's threads; the writer thread reads the
 * buckets (gp_lock_buckets(), collect.c) and the thread states (thread.c).
 *  - mode (one word, read-mostly) says what is wanted: thread states (a database is being
 *    written), block events, mutex events. With mode 0 (no database) every wrapper is one
 *    test and a tail call of the real function.
 *  - Fast path: a free normal mutex (the default kind) is taken and released right here,
 *    with glibc's own protocol (normal_lock(); glibc-mutex.h alone knows it), so that the
 *    wrappers cost nothing beside glibc's functions; so are adaptive, recursive and
 *    error-checking ones, by glibc's rules for each kind. A mutex of another kind whose
 *    lock word reads 0 is free: the real lock is called at once. Other locks are first
 *    tried (trylock, tryjoin, sem_trywait); when that succeeds there was no wait: no
 *    timestamp, no lock of goprof's. unlock reads one global count of sampled waiters and
 *    goes on when it is 0. A mutex of another kind taken by another thread between the
 *    look and the real lock makes a wait that goes unrecorded. The real functions keep
 *    every return value, errno and cancellation point: a wrapper only adds work before
 *    and after the one real call that does the job, and a try is only taken as the answer
 *    when it is one the blocking call would have given too.
 *  - Slow path (the try said busy, or a call that always waits: condvar, barrier, sleep):
 *    the thread's state goes into its registry entry (a sequence counter lets the writer
 *    read it consistently without a lock), a mutex waiter links its entry into the waiter
 *    table under that slot's spin lock, the real call blocks, then the block event, if
 *    sampled, is added to the bucket of (waiter's stack, tid) under prof_lock. Times come
 *    from gp_clock_ns() (clock.c: the TSC where usable) and the block profile's random
 *    draw is made before the wait, so that after the real lock returned, inside the
 *    caller's critical section, there remain one cheap clock read, the state's restore, a
 *    comparison and, for a sampled event, two adds.
 *  - Mutex profile: one contended wait in mutex_fraction, chosen at random when it begins,
 *    links its waiter into the table. A release of an object with such waiters charges
 *    each its time since it began waiting, or since the last charge, to the releaser's
 *    stack and restarts the waiters' clocks, as Go's semrelease does. Like there, a
 *    normal mutex is charged only by a release that wakes a waiter (the waiters' mark in
 *    the lock word), after the release and before the wake, outside the critical section.
 *    Other locks are charged by every unlock, just before it (glibc does not tell whether
 *    it will wake anyone), and by the release inside pthread_cond_wait. Charging at every
 *    unlock made a contended 4-thread loop 1.37x slower with mutex fraction 100: a sampled
 *    waiter sleeps through about 100 of the others' unlocks (bench/lock-bench.sh). Waits
 *    not sampled never touch the table, so that the counters unlock reads stay in every
 *    core's cache.
 *  - goprof's own locking (the writer thread and SQLite, the heap profile's lock, the
 *    thread registry) runs under the heap guard or on unregistered threads: never recorded.
 *    A wait in a signal handler that interrupted this file's own locked sections (the
 *    thread's busy count) is not recorded either, so a thread never waits for itself.
 *  - The real functions are looked up with dlsym(RTLD_NEXT) by the constructor, first
 *    thing; a call made before it (another library's constructor) looks its own up then.
 *  - While an execution trace is on (MODE_TRACE), the slow path also appends a block and
 *    an unblock event to the thread's trace buffer (trace.c), with the call's name; the
 *    wakers record where they may have woken someone (gp_trace_wake()): a normal mutex's
 *    unlock that wakes, and, while trace_waiters counts a traced waiter in the object's
 *    slot, the other unlocks, the condvar signals and sem_post, interposed for this alone.
 *  - fork(): prof_lock is held across fork; the child forgets the waiters of threads it
 *    does not have.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "gp-internal.h"
#include "glibc-mutex.h"
#include "gp-schema.h"
#include "trace.h"

#define MODE_STATE 1			/* thread states for the goroutine profile */
#define MODE_BLOCK 2			/* block profile on */
#define MODE_MUTEX 4			/* mutex profile on */
#define MODE_TRACE 8			/* an execution trace is on (trace.c) */

#define WAIT_SLOTS 1024u		/* waiter table: object address hash -> waiters */
#define BUCKET_SLOTS 4096u		/* stack hash -> bucket chains */

static int mode;			/* MODE_*; atomically */
static int64_t block_rate;		/* ns; atomically */
static int mutex_fraction;		/* atomically */
static uint64_t block_since_ns, mutex_since_ns;	/* first switched on; 0 = never */

/* ---- the real functions --------------------------------------------------------------- */

#define REAL_DECL(fn) static __typeof__(&fn) real_##fn
#define REAL(fn)                                                                           \
	({                                                                                 \
		if (GP_UNLIKELY(!real_##fn))                                               \
			real_##fn = resolve(#fn, NULL);                                    \
		real_##fn;                                                                 \
	})

static void *resolve(const char *name, const char *version);

/*
 * The functions of the uncontended fast paths are never NULL, so that their wrappers call
 * them without a test (and without a frame): until the constructor looks them up they
 * point at a stub that does. A call before the constructor: dlsym's own locks are
 * glibc-internal (they never come back here), its allocations go to malloc, which forwards
 * to glibc until set up.
 */
#define REAL_EAGER(fn, type)                                                               \
	static int first_##fn(type *p);                                                    \
	static __typeof__(&fn) real_##fn = first_##fn;                                     \
	static int first_##fn(type *p)                                                     \
	{                                                                                  \
		__typeof__(&fn) f = resolve(#fn, NULL);                                    \
		if (!f)                                                                    \
			return EINVAL;                                                     \
		real_##fn = f;                                                             \
		return f(p);                                                               \
	}

REAL_EAGER(pthread_mutex_lock, pthread_mutex_t)
REAL_EAGER(pthread_mutex_unlock, pthread_mutex_t)
REAL_EAGER(pthread_rwlock_rdlock, pthread_rwlock_t)
REAL_EAGER(pthread_rwlock_wrlock, pthread_rwlock_t)
REAL_EAGER(pthread_rwlock_unlock, pthread_rwlock_t)
REAL_EAGER(mtx_lock, mtx_t)
REAL_EAGER(mtx_unlock, mtx_t)
REAL_DECL(pthread_mutex_trylock);
REAL_DECL(pthread_mutex_timedlock);
REAL_DECL(pthread_mutex_clocklock);
REAL_DECL(pthread_rwlock_tryrdlock);
REAL_DECL(pthread_rwlock_trywrlock);
REAL_DECL(pthread_rwlock_timedrdlock);
REAL_DECL(pthread_rwlock_timedwrlock);
REAL_DECL(pthread_rwlock_clockrdlock);
REAL_DECL(pthread_rwlock_clockwrlock);
REAL_DECL(pthread_cond_wait);
REAL_DECL(pthread_cond_timedwait);
REAL_DECL(pthread_cond_clockwait);
REAL_DECL(pthread_cond_signal);
REAL_DECL(pthread_cond_broadcast);
REAL_DECL(sem_post);
REAL_DECL(cnd_signal);
REAL_DECL(cnd_broadcast);
REAL_DECL(sem_wait);
REAL_DECL(sem_trywait);
REAL_DECL(sem_timedwait);
REAL_DECL(sem_clockwait);
REAL_DECL(pthread_barrier_wait);
REAL_DECL(pthread_join);
REAL_DECL(pthread_tryjoin_np);
REAL_DECL(pthread_timedjoin_np);
REAL_DECL(pthread_clockjoin_np);
REAL_DECL(mtx_trylock);
REAL_DECL(mtx_timedlock);
REAL_DECL(cnd_wait);
REAL_DECL(cnd_timedwait);
REAL_DECL(thrd_join);
REAL_DECL(nanosleep);
REAL_DECL(clock_nanosleep);
REAL_DECL(sleep);
REAL_DECL(usleep);

/*
 * The next definition of name after libgoprof. The condition variable functions exist in
 * two versions (the pre-2.3.2 ABI is kept for old binaries): ask for the current one.
 */
static void *resolve(const char *name, const char *version)
{
	if (!version && strncmp(name, "pthread_cond_", 13) == 0)
		version = "GLIBC_2.3.2";
	void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;

	if (!p)
		p = dlsym(RTLD_NEXT, name);
	return p;
}

#define RESOLVE(fn) (real_##fn = resolve(#fn, NULL))
#define RESOLVE_EAGER(fn)                                                                  \
	do {                                                                               \
		void *p_ = resolve(#fn, NULL);                                             \
		if (p_)                                                                    \
			real_##fn = p_;                                                    \
	} while (0)

static void resolve_all(void)
{
	RESOLVE_EAGER(pthread_mutex_lock);
	RESOLVE_EAGER(pthread_mutex_unlock);
	RESOLVE(pthread_mutex_trylock);
	RESOLVE(pthread_mutex_timedlock);
	RESOLVE(pthread_mutex_clocklock);
	RESOLVE_EAGER(pthread_rwlock_rdlock);
	RESOLVE_EAGER(pthread_rwlock_wrlock);
	RESOLVE(pthread_rwlock_tryrdlock);
	RESOLVE(pthread_rwlock_trywrlock);
	RESOLVE(pthread_rwlock_timedrdlock);
	RESOLVE(pthread_rwlock_timedwrlock);
	RESOLVE(pthread_rwlock_clockrdlock);
	RESOLVE(pthread_rwlock_clockwrlock);
	RESOLVE_EAGER(pthread_rwlock_unlock);
	RESOLVE(pthread_cond_wait);
	RESOLVE(pthread_cond_timedwait);
	RESOLVE(pthread_cond_clockwait);
	RESOLVE(pthread_cond_signal);
	RESOLVE(pthread_cond_broadcast);
	RESOLVE(sem_post);
	RESOLVE(cnd_signal);
	RESOLVE(cnd_broadcast);
	RESOLVE(sem_wait);
	RESOLVE(sem_trywait);
	RESOLVE(sem_timedwait);
	RESOLVE(sem_clockwait);
	RESOLVE(pthread_barrier_wait);
	RESOLVE(pthread_join);
	RESOLVE(pthread_tryjoin_np);
	RESOLVE(pthread_timedjoin_np);
	RESOLVE(pthread_clockjoin_np);
	RESOLVE_EAGER(mtx_lock);
	RESOLVE(mtx_trylock);
	RESOLVE(mtx_timedlock);
	RESOLVE_EAGER(mtx_unlock);
	RESOLVE(cnd_wait);
	RESOLVE(cnd_timedwait);
	RESOLVE(thrd_join);
	RESOLVE(nanosleep);
	RESOLVE(clock_nanosleep);
	RESOLVE(sleep);
	RESOLVE(usleep);
}

/* ---- per-thread state ----------------------------------------------------------------- */

struct lock_tls {
	uint64_t rng;			/* xorshift state, 0 = not seeded yet */
	struct gp_lock_bucket *last[2];	/* the thread's last block / mutex bucket */
	int busy;			/* >0: inside a spin lock or prof_lock of ours */
	int tid;			/* gettid(); 0: goprof did not see the thread start */
};

static __thread struct lock_tls tls __attribute__((tls_model("initial-exec")));


static uint64_t rand64(void)
{
	if (!tls.rng)
		tls.rng = gp_mix(gp_real_ns() ^ (uint64_t)gettid() << 32 ^ (uintptr_t)&tls) | 1;
	tls.rng ^= tls.rng << 13;
	tls.rng ^= tls.rng >> 7;
	tls.rng ^= tls.rng << 17;
	return tls.rng;
}

/* An I/O wait shows once a reader has seen it for this long (struct gp_io_now). */
static const uint64_t io_show_ns = 10000000;

static int is_io_state(int state)
{
	return state == GP_STATE_IO || state == GP_STATE_SELECT || state == GP_STATE_SYSCALL;
}

/* The thread keeps since_ns in gp_clock_ns() time; readers get CLOCK_REALTIME. */
void gp_wait_read(const struct gp_wait *w, struct gp_wait_state *out)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned s1 = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
		out->state = __atomic_load_n(&w->cur.state, __ATOMIC_RELAXED);
		out->object = __atomic_load_n(&w->cur.object, __ATOMIC_RELAXED);
		out->since_ns = __atomic_load_n(&w->cur.since_ns, __ATOMIC_RELAXED);
		out->call = __atomic_load_n(&w->cur.call, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(s1 & 1) && s1 == __atomic_load_n(&w->seq, __ATOMIC_RELAXED))
			break;
	}
	/*
	 * An I/O call (struct gp_io_now) shows from the second sighting on: the first one
	 * only notes when it saw it, unless a reader before this one did.
	 */
	const struct gp_io_call *io =
		w->io ? __atomic_load_n(&w->io->call, __ATOMIC_ACQUIRE) : NULL;
	if (io) {
		uint64_t seen = __atomic_load_n(&w->io->seen_ns, __ATOMIC_RELAXED);
		uint64_t mono = gp_clock_ns();

		if (!seen)
			__atomic_compare_exchange_n(&w->io->seen_ns, &seen, mono, 0,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		else if (mono > seen && mono - seen >= io_show_ns)
			*out = (struct gp_wait_state){ io->state, 0, seen, io->name };
	}
	if (out->since_ns) {
		uint64_t mono = gp_clock_ns(), real = gp_real_ns();
		uint64_t waited = mono > out->since_ns ? mono - out->since_ns : 0;

		out->since_ns = real > waited ? real - waited : 1;
		if (is_io_state(out->state) && waited < io_show_ns)
			*out = (struct gp_wait_state){ GP_STATE_RUNNING, 0, 0, NULL };
	}
}

/* ---- mutex waiters ---------------------------------------------------------------------- */

static uint32_t slot_waiters[WAIT_SLOTS];	/* waiters linked in the slot; atomically */
static uint32_t all_waiters;			/* in all slots; atomically */
static int slot_lock[WAIT_SLOTS];		/* spin locks */
static struct gp_wait *slot_head[WAIT_SLOTS];	/* slot_lock */

static inline uint32_t slot_of(const void *obj)
{
	uintptr_t a = (uintptr_t)obj;

	return (uint32_t)((a >> 3) ^ (a >> 13)) & (WAIT_SLOTS - 1);
}



static void waiter_link(struct gp_wait *w, const void *obj, uint64_t t0)
{
	uint32_t s = slot_of(obj);

	w->waiting_on = (uintptr_t)obj;
	w->charge_from_ns = t0;
	tls.busy++;
	gp_spin_lock(&slot_lock[s]);
	w->next = slot_head[s];
	slot_head[s] = w;
	w->linked = 1;
	gp_spin_unlock(&slot_lock[s]);
	tls.busy--;
	__atomic_fetch_add(&slot_waiters[s], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&all_waiters, 1, __ATOMIC_RELAXED);
}

static void waiter_unlink(struct gp_wait *w)
{
	uint32_t s = slot_of((const void *)w->waiting_on);

	int found = 0;

	tls.busy++;
	gp_spin_lock(&slot_lock[s]);
	for (struct gp_wait **p = &slot_head[s]; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			found = 1;
			break;
		}
	}
	w->linked = 0;
	gp_spin_unlock(&slot_lock[s]);
	tls.busy--;
	/* not found: a fork child emptied the table under a wait of a signal handler */
	if (found) {
		__atomic_fetch_sub(&slot_waiters[s], 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&all_waiters, 1, __ATOMIC_RELAXED);
	}
}

void gp_lock_thread_ended(struct gp_wait *w)
{
	if (w->linked)
		waiter_unlink(w);
}

/* ---- buckets -------------------------------------------------------------------------- */

static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;	/* real functions only */
/* prof_lock; not malloc: a wait may end in a signal handler that interrupted malloc */
static struct gp_pool bucket_pool;
static struct gp_lock_bucket *bucket_slots[BUCKET_SLOTS];	/* prof_lock */
static struct gp_lock_bucket *bucket_list;	/* push: prof_lock + release; walk: acquire */

/* prof_lock held: the bucket of (profile, tid, call, the n innermost frames below top). */
static struct gp_lock_bucket *bucket_of(int profile, uint32_t tid, const char *call,
					const void **top, uint32_t n, uint32_t truncated,
					const struct gp_labels *labels)
{
	uint64_t h = gp_mix(n ^ (uint64_t)truncated << 32 ^ (uint64_t)tid << 8 ^ (uint64_t)profile ^
			    (uintptr_t)labels);

	h = gp_frames_hash(gp_mix(h ^ (uintptr_t)call), top, n);
	struct gp_lock_bucket **slot = &bucket_slots[h & (BUCKET_SLOTS - 1)];
	for (struct gp_lock_bucket *b = *slot; b; b = b->chain)
		if (b->hash == h && b->nframes == n && b->truncated == truncated &&
		    b->tid == tid && b->profile == profile && b->call == call &&
		    b->labels == labels && gp_frames_equal(b->frames, top, n))
			return b;
	struct gp_lock_bucket *b =
		gp_pool_take(&bucket_pool, sizeof(*b) + n * sizeof(b->frames[0]));
	if (!b)
		return NULL;
	b->hash = h;
	b->profile = profile;
	b->tid = tid;
	b->call = call;
	b->nframes = n;
	b->truncated = truncated;
	b->labels = labels;
	gp_frames_copy(b->frames, top, n);
	b->chain = *slot;
	*slot = b;
	b->next = bucket_list;
	__atomic_store_n(&bucket_list, b, __ATOMIC_RELEASE);
	return b;
}

/* Is b the bucket of (tid, call, the n innermost frames below top, truncated, labels)? */
static int same_bucket(const struct gp_lock_bucket *b, uint32_t tid, const char *call,
		       const void **top, uint32_t n, uint32_t truncated,
		       const struct gp_labels *labels)
{
	return b && b->tid == tid && b->call == call && b->nframes == n && b->labels == labels &&
	       b->truncated == truncated && gp_frames_equal(b->frames, top, n);
}

/*
 * Adds count_fp (GP_LOCK_COUNT_ONE = 1 event) and delay to the bucket of the calling
 * thread (tid) at its stack, below the interposed call (the stack's leaf, as Go's profiles
 * end in sync.(*Mutex).Lock). A thread that waits at the same place again finds its bucket
 * in its cache, without prof_lock.
 */
static void record(int profile, uint32_t tid, const char *call, uint64_t count_fp,
		   uint64_t delay_ns)
{
	const void **base, **top;
	struct gp_lock_bucket **last = &tls.last[profile == GP_PROFILE_MUTEX];

	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint32_t keep = (uint32_t)(depth < gp_config.stack_depth ? depth : gp_config.stack_depth);
	uint32_t truncated = (uint32_t)(depth - keep);
	struct gp_lock_bucket *b = *last;
	const struct gp_labels *labels = gp_labels_cur;

	if (!same_bucket(b, tid, call, top, keep, truncated, labels)) {
		tls.busy++;
		real_pthread_mutex_lock(&prof_lock);
		b = bucket_of(profile, tid, call, top, keep, truncated, labels);
		real_pthread_mutex_unlock(&prof_lock);
		tls.busy--;
		if (!b)
			return;
		*last = b;
	}
	__atomic_fetch_add(&b->count_fp, count_fp, __ATOMIC_RELAXED);
	__atomic_fetch_add(&b->delay_ns, delay_ns, __ATOMIC_RELAXED);
}

/*
 * A wait of d ns, sampled as Go 1.19's blocksampled/saveblockevent do: a wait of at least
 * the rate always counts once with its duration; a shorter one is kept with probability
 * d / rate and then stands for rate / d waits of rate ns in all, so that the expected
 * totals equal the true ones. draw, uniform in [0, rate), was drawn before the wait
 * (wait_begin): this runs after the lock was taken, inside the caller's critical section.
 */
static void block_event(uint32_t tid, const char *call, uint64_t d, uint64_t draw)
{
	int64_t rate = __atomic_load_n(&block_rate, __ATOMIC_RELAXED);

	if (rate <= 0)
		return;
	if (!d)
		d = 1;
	if ((uint64_t)rate > d) {
		if (draw > d)
			return;
		/* rate / d events; 128 bits and a cap, for absurd rates */
		unsigned __int128 n = (unsigned __int128)rate * GP_LOCK_COUNT_ONE / d;
		record(GP_PROFILE_BLOCK, tid, call, n > (1ull << 50) ? 1ull << 50 : (uint64_t)n,
		       (uint64_t)rate);
	} else {
		record(GP_PROFILE_BLOCK, tid, call, GP_LOCK_COUNT_ONE, d);
	}
}

/*
 * Unlock (or the release in a condvar wait) of obj, whose slot has waiters: charges each
 * (sampled) waiter of obj its time since it began to wait or was last charged to the
 * calling thread's stack, one event each.
 */
static __attribute__((noinline)) void charge_waiters(const void *obj, const char *call)
{
	int saved = errno;
	int fraction = __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);
	struct gp_wait *self;

	if (fraction <= 0 || tls.busy || gp_heap_guarded() || !(self = gp_thread_wait()))
		goto out;
	uint64_t now = gp_clock_ns(), events = 0, delay = 0;
	uint32_t s = slot_of(obj);
	tls.busy++;
	gp_spin_lock(&slot_lock[s]);
	for (struct gp_wait *w = slot_head[s]; w; w = w->next) {
		if (w->waiting_on != (uintptr_t)obj)
			continue;
		delay += now > w->charge_from_ns ? now - w->charge_from_ns : 0;
		w->charge_from_ns = now;
		events++;
	}
	gp_spin_unlock(&slot_lock[s]);
	tls.busy--;
	if (events)
		record(GP_PROFILE_MUTEX, self->tid, call, events * GP_LOCK_COUNT_ONE, delay);
out:
	errno = saved;
}

/* Waiters are linked only while the mutex profile is on: no test of mode needed. */
static inline int any_waiters(void)
{
	return __atomic_load_n(&all_waiters, __ATOMIC_RELAXED) != 0;
}

/* obj was (or is about to be) released by the calling thread, in call */
static inline void charge_released(const void *obj, const char *call)
{
	if (GP_UNLIKELY(any_waiters()) &&
	    __atomic_load_n(&slot_waiters[slot_of(obj)], __ATOMIC_RELAXED))
		charge_waiters(obj, call);
}

/* ---- the slow path shared by every wrapper --------------------------------------------- */

/* Is this contended wait one of the 1 in mutex_fraction the mutex profile records? */
static int mutex_sampled(void)
{
	int fraction = __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);

	return fraction == 1 || (fraction > 1 && rand64() % (uint64_t)fraction == 0);
}

#define WAIT_BLOCK 1			/* a block-profile event */
#define WAIT_MUTEX 2			/* a mutex waiter (mutex profile) */
#define WAIT_TRACED 4			/* counted in trace_waiters */

/*
 * While a trace is on: the threads blocked on the objects of each waiter-table slot, so
 * that a release, signal or post records a possible wake-up (gp_trace_wake()) only when
 * someone may be waiting for it. Atomically.
 */
static uint32_t trace_waiters[WAIT_SLOTS];

static inline int tracing(void)
{
	return GP_UNLIKELY(__atomic_load_n(&mode, __ATOMIC_RELAXED) & MODE_TRACE);
}

/* obj is (about to be) released, signalled or posted by call: a waker, if traced waits */
static inline void trace_released(const void *obj, const char *call)
{
	if (tracing() && __atomic_load_n(&trace_waiters[slot_of(obj)], __ATOMIC_RELAXED))
		gp_trace_wake(call, obj);
}

struct wait_ctx {
	struct gp_wait *w;		/* NULL: nothing to do */
	struct gp_wait_state prev;	/* restored at the end (a wait in a signal handler) */
	uint64_t t0;			/* gp_clock_ns() */
	uint64_t draw;			/* block profile: uniform in [0, rate) */
	const char *call;
	const void *obj;
	int how;
};

static const uint8_t trace_why[] = {
	[GP_STATE_MUTEX] = GP_TB_MUTEX, [GP_STATE_RWLOCK] = GP_TB_MUTEX,
	[GP_STATE_COND] = GP_TB_COND,
	[GP_STATE_SEM] = GP_TB_SYNC, [GP_STATE_BARRIER] = GP_TB_SYNC, [GP_STATE_JOIN] = GP_TB_SYNC,
	[GP_STATE_SLEEP] = GP_TB_SLEEP,
};


static void wait_begin(struct wait_ctx *c, int state, const void *obj, int how, const char *call)
{
	int saved = errno;
	int m = __atomic_load_n(&mode, __ATOMIC_RELAXED);

	c->w = NULL;
	if (!(m & (MODE_STATE | MODE_TRACE)) || tls.busy || gp_heap_guarded())
		goto out;
	c->w = gp_thread_wait();
	if (!c->w)
		goto out;
	c->how = 0;
	if ((how & WAIT_BLOCK) && (m & MODE_BLOCK)) {
		int64_t rate = __atomic_load_n(&block_rate, __ATOMIC_RELAXED);

		c->how |= WAIT_BLOCK;
		c->draw = rate > 0 ? rand64() % (uint64_t)rate : 0;
	}
	c->t0 = gp_clock_ns();
	c->prev = c->w->cur;
	c->call = call;
	struct gp_wait_state s = { state, (uintptr_t)obj, c->t0, call };
	gp_wait_store(c->w, &s);
	/* a thread already linked waits in a signal handler: its outer wait keeps the entry */
	if ((how & WAIT_MUTEX) && (m & MODE_MUTEX) && !c->w->linked && mutex_sampled()) {
		waiter_link(c->w, obj, c->t0);
		c->how |= WAIT_MUTEX;
	}
	/* last, so that the block begins after goprof's own work for it */
	if (m & MODE_TRACE) {
		/* only the wakers that test the count need it: not a normal mutex's, a join's */
		if (state == GP_STATE_COND || state == GP_STATE_SEM || state == GP_STATE_RWLOCK ||
		    (state == GP_STATE_MUTEX && !gp_glibc_mutex_is_normal(obj))) {
			c->obj = obj;
			c->how |= WAIT_TRACED;
			__atomic_fetch_add(&trace_waiters[slot_of(obj)], 1, __ATOMIC_RELAXED);
		}
		gp_trace_block(trace_why[state], call, obj);
	}
out:
	errno = saved;
}

static void wait_end(struct wait_ctx *c)
{
	int saved = errno;

	if (__atomic_load_n(&mode, __ATOMIC_RELAXED) & MODE_TRACE)
		gp_trace_unblock();
	if (c->how & WAIT_TRACED)
		__atomic_fetch_sub(&trace_waiters[slot_of(c->obj)], 1, __ATOMIC_RELAXED);
	if (c->how & WAIT_MUTEX)
		waiter_unlink(c->w);
	gp_wait_store(c->w, &c->prev);
	if (c->how & WAIT_BLOCK) {
		uint64_t t1 = gp_clock_ns();
		block_event(c->w->tid, c->call, t1 > c->t0 ? t1 - c->t0 : 0, c->draw);
	}
	errno = saved;
}

/* Runs call with the calling thread's state set; the call's result is kept. */
#define SLOW(state, obj, how, name, call)                                                  \
	({                                                                                 \
		struct wait_ctx c_;                                                        \
		wait_begin(&c_, (state), (obj), (how), (name));                            \
		__typeof__(call) rc_ = (call);                                             \
		if (c_.w)                                                                  \
			wait_end(&c_);                                                     \
		rc_;                                                                       \
	})

static inline int on(void)
{
	return GP_UNLIKELY(__atomic_load_n(&mode, __ATOMIC_RELAXED) != 0);
}

/* ---- mutexes -------------------------------------------------------------------------- */

#define LOCKING (WAIT_BLOCK | WAIT_MUTEX)

static __attribute__((noinline)) int mutex_lock_slow(pthread_mutex_t *m)
{
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "pthread_mutex_lock", real_pthread_mutex_lock(m));
}

/*
 * The normal mutex (glibc-mutex.h) is taken and released here, without calling glibc, as
 * glibc itself does it. A wrapper that only tested and then called on cost 8 instructions
 * a lock/unlock pair, 1.12x of glibc's own (bench/lock-bench.sh); this way the pair costs
 * fewer than glibc's. An adaptive mutex is the same but for glibc's spinning when it is
 * taken; recursive and error-checking ones follow glibc's rules for them; a mutex already
 * taken, and any other kind (robust, priority, process-shared, elision), goes to glibc.
 * The owner's tid is the thread's own, set when it starts (gp_lock_thread_start()); a
 * thread goprof did not see start has none and leaves its mutexes to glibc.
 */
static inline int looks_free(const void *m)
{
	return gp_glibc_mutex_looks_free(m);
}

static inline int is_normal(const void *m)
{
	return gp_glibc_mutex_is_normal(m);
}

/* 1 when m is taken here, 0 for glibc. */
static inline int normal_lock(pthread_mutex_t *m)
{
	return gp_glibc_mutex_lock(m, tls.tid);
}

/*
 * m was released and a waiter said so (lock word 2): charge the waiters the mutex profile
 * follows, then wake one, as glibc's unlock does (the charge first: the waiter it wakes
 * is then still linked). 0, for the caller.
 */
static __attribute__((noinline)) int normal_wake(pthread_mutex_t *m, const char *call)
{
	int saved = errno;

	charge_released(m, call);
	if (tracing())
		gp_trace_wake(call, m);
	gp_glibc_mutex_wake(m);
	errno = saved;
	return 0;
}

/*
 * For an m that is_normal(), or one held_here() (a recursive one whose count went to 0);
 * 0, pthread_mutex_unlock's and mtx_unlock's success.
 */
static inline int normal_unlock(pthread_mutex_t *m, const char *call)
{
	if (GP_UNLIKELY(gp_glibc_mutex_release(m)))
		return normal_wake(m, call);
	return 0;
}

/* A recursive or error-checking mutex the calling thread holds? */
static inline int held_here(const pthread_mutex_t *m)
{
	return gp_glibc_mutex_held(m, tls.tid);
}

/* For an m that held_here(): a recursive one counts down; released at 0 and otherwise. */
static __attribute__((noinline)) int other_unlock(pthread_mutex_t *m, const char *call)
{
	if (!gp_glibc_mutex_count_down(m))
		return 0;
	return normal_unlock(m, call);
}

/*
 * The mutex looked taken. trylock fails with EBUSY exactly when lock would have to wait
 * (or, for an error-checking mutex the caller holds, would fail with EDEADLK, which the
 * real lock then returns); any other result, EOWNERDEAD included, is lock's own.
 */
static __attribute__((noinline)) int mutex_lock_on(pthread_mutex_t *m)
{
	int rc = REAL(pthread_mutex_trylock)(m);
	if (GP_LIKELY(rc != EBUSY))
		return rc;
	return mutex_lock_slow(m);
}

/* The ways out are tail calls: no frame, nothing kept across the call. */
GOPROF_API int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (GP_LIKELY(normal_lock(m)))
		return 0;
	if (GP_LIKELY(looks_free(m) || !on()))
		return real_pthread_mutex_lock(m);
	return mutex_lock_on(m);
}

GOPROF_API int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_mutex_timedlock)(m, abstime);
	int rc = REAL(pthread_mutex_trylock)(m);
	if (rc != EBUSY)
		return rc;
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "pthread_mutex_timedlock",
		    REAL(pthread_mutex_timedlock)(m, abstime));
}

GOPROF_API int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
				       const struct timespec *abstime)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_mutex_clocklock)(m, clock, abstime);
	/* an unsupported clock is EINVAL even when the mutex is free: the real call says so */
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return REAL(pthread_mutex_clocklock)(m, clock, abstime);
	int rc = REAL(pthread_mutex_trylock)(m);
	if (rc != EBUSY)
		return rc;
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "pthread_mutex_clocklock",
		    REAL(pthread_mutex_clocklock)(m, clock, abstime));
}

/*
 * Charges obj's waiters, then releases it with the real function: after the release a
 * woken waiter could unlink itself before it was charged.
 */
#define UNLOCK_CHARGING(fn, obj)                                                           \
	({                                                                                 \
		charge_released(obj, #fn);                                                 \
		trace_released(obj, #fn);                                                  \
		real_##fn(obj);                                                            \
	})

static __attribute__((noinline)) int mutex_unlock_charging(pthread_mutex_t *m)
{
	return UNLOCK_CHARGING(pthread_mutex_unlock, m);
}

/* Every call in the wrapper is a tail call: it needs no frame of its own. */
GOPROF_API int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (GP_LIKELY(is_normal(m)))
		return normal_unlock(m, "pthread_mutex_unlock");
	if (GP_UNLIKELY(any_waiters() || tracing()))
		return mutex_unlock_charging(m);
	if (held_here(m))
		return other_unlock(m, "pthread_mutex_unlock");
	return real_pthread_mutex_unlock(m);
}

/* ---- read-write locks ----------------------------------------------------------------- */

static __attribute__((noinline)) int rwlock_rdlock_on(pthread_rwlock_t *l)
{
	int rc = REAL(pthread_rwlock_tryrdlock)(l);
	if (GP_LIKELY(rc != EBUSY))
		return rc;
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_rdlock",
		    real_pthread_rwlock_rdlock(l));
}

GOPROF_API int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (GP_LIKELY(!on()))
		return real_pthread_rwlock_rdlock(l);
	return rwlock_rdlock_on(l);
}

static __attribute__((noinline)) int rwlock_wrlock_on(pthread_rwlock_t *l)
{
	int rc = REAL(pthread_rwlock_trywrlock)(l);
	if (GP_LIKELY(rc != EBUSY))
		return rc;
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_wrlock",
		    real_pthread_rwlock_wrlock(l));
}

GOPROF_API int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (GP_LIKELY(!on()))
		return real_pthread_rwlock_wrlock(l);
	return rwlock_wrlock_on(l);
}

GOPROF_API int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_timedrdlock)(l, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_timedrdlock",
		    REAL(pthread_rwlock_timedrdlock)(l, t));
}

GOPROF_API int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_timedwrlock)(l, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_timedwrlock",
		    REAL(pthread_rwlock_timedwrlock)(l, t));
}

GOPROF_API int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
					  const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_clockrdlock)(l, clock, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_clockrdlock",
		    REAL(pthread_rwlock_clockrdlock)(l, clock, t));
}

GOPROF_API int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
					  const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_clockwrlock)(l, clock, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_clockwrlock",
		    REAL(pthread_rwlock_clockwrlock)(l, clock, t));
}

static __attribute__((noinline)) int rwlock_unlock_charging(pthread_rwlock_t *l)
{
	return UNLOCK_CHARGING(pthread_rwlock_unlock, l);
}

GOPROF_API int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (GP_UNLIKELY(any_waiters() || tracing()))
		return rwlock_unlock_charging(l);
	return real_pthread_rwlock_unlock(l);
}

/* ---- condition variables: the mutex is released inside, by the waiter ---------------- */

GOPROF_API int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_cond_wait)(c, m);
	charge_released(m, "pthread_cond_wait");
	trace_released(m, "pthread_cond_wait");
	return SLOW(GP_STATE_COND, c, WAIT_BLOCK, "pthread_cond_wait",
		    REAL(pthread_cond_wait)(c, m));
}

GOPROF_API int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				      const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_cond_timedwait)(c, m, t);
	charge_released(m, "pthread_cond_timedwait");
	trace_released(m, "pthread_cond_timedwait");
	return SLOW(GP_STATE_COND, c, WAIT_BLOCK, "pthread_cond_timedwait",
		    REAL(pthread_cond_timedwait)(c, m, t));
}

GOPROF_API int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				      const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_cond_clockwait)(c, m, clock, t);
	charge_released(m, "pthread_cond_clockwait");
	trace_released(m, "pthread_cond_clockwait");
	return SLOW(GP_STATE_COND, c, WAIT_BLOCK, "pthread_cond_clockwait",
		    REAL(pthread_cond_clockwait)(c, m, clock, t));
}

/*
 * The wakers, interposed for the execution trace only (it names who woke each waiter):
 * without a trace each is one test and the real call.
 */
#define WAKER(fn, type)                                                                    \
	GOPROF_API int fn(type *obj)                                                       \
	{                                                                                  \
		trace_released(obj, #fn);                                                  \
		return REAL(fn)(obj);                                                      \
	}

WAKER(pthread_cond_signal, pthread_cond_t)
WAKER(pthread_cond_broadcast, pthread_cond_t)

/* ---- semaphores ----------------------------------------------------------------------- */

WAKER(sem_post, sem_t)

/* sem_trywait without a trace: 1 when it took the semaphore, errno as it was. */
static int sem_took(sem_t *s)
{
	int saved = errno;

	if (REAL(sem_trywait)(s) == 0)
		return 1;
	errno = saved;
	return 0;
}

GOPROF_API int sem_wait(sem_t *s)
{
	if (GP_LIKELY(!on()))
		return REAL(sem_wait)(s);
	if (sem_took(s))
		return 0;
	return SLOW(GP_STATE_SEM, s, WAIT_BLOCK, "sem_wait", REAL(sem_wait)(s));
}

GOPROF_API int sem_timedwait(sem_t *s, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(sem_timedwait)(s, t);
	/* glibc checks the deadline before it tries: EINVAL even when a token is there */
	if (t->tv_nsec >= 0 && t->tv_nsec < 1000000000L && sem_took(s))
		return 0;
	return SLOW(GP_STATE_SEM, s, WAIT_BLOCK, "sem_timedwait", REAL(sem_timedwait)(s, t));
}

GOPROF_API int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(sem_clockwait)(s, clock, t);
	return SLOW(GP_STATE_SEM, s, WAIT_BLOCK, "sem_clockwait",
		    REAL(sem_clockwait)(s, clock, t));
}

/* ---- barriers and joins --------------------------------------------------------------- */

GOPROF_API int pthread_barrier_wait(pthread_barrier_t *b)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_barrier_wait)(b);
	return SLOW(GP_STATE_BARRIER, b, WAIT_BLOCK, "pthread_barrier_wait",
		    REAL(pthread_barrier_wait)(b));
}

/*
 * The thread's handle is the object waited on. tryjoin succeeds exactly when join would
 * return at once with 0; any other result is left to the real join to give.
 */
GOPROF_API int pthread_join(pthread_t t, void **ret)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_join)(t, ret);
	if (!pthread_equal(t, pthread_self()) && REAL(pthread_tryjoin_np)(t, ret) == 0)
		return 0;
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, WAIT_BLOCK, "pthread_join",
		    REAL(pthread_join)(t, ret));
}

GOPROF_API int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_timedjoin_np)(t, ret, abstime);
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, WAIT_BLOCK, "pthread_timedjoin_np",
		    REAL(pthread_timedjoin_np)(t, ret, abstime));
}

GOPROF_API int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
				    const struct timespec *abstime)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_clockjoin_np)(t, ret, clock, abstime);
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, WAIT_BLOCK, "pthread_clockjoin_np",
		    REAL(pthread_clockjoin_np)(t, ret, clock, abstime));
}

/* ---- C11: glibc calls its pthread functions directly, so these are wrapped too -------- */

static __attribute__((noinline)) int mtx_lock_on(mtx_t *m)
{
	int rc = REAL(mtx_trylock)(m);
	if (GP_LIKELY(rc != thrd_busy))
		return rc;
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "mtx_lock", real_mtx_lock(m));
}

GOPROF_API int mtx_lock(mtx_t *m)
{
	if (GP_LIKELY(normal_lock((pthread_mutex_t *)m)))
		return thrd_success;
	if (GP_LIKELY(looks_free(m) || !on()))
		return real_mtx_lock(m);
	return mtx_lock_on(m);
}

GOPROF_API int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict t)
{
	if (GP_LIKELY(!on()))
		return REAL(mtx_timedlock)(m, t);
	int rc = REAL(mtx_trylock)(m);
	if (rc != thrd_busy)
		return rc;
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "mtx_timedlock", REAL(mtx_timedlock)(m, t));
}

static __attribute__((noinline)) int mtx_unlock_charging(mtx_t *m)
{
	return UNLOCK_CHARGING(mtx_unlock, m);
}

GOPROF_API int mtx_unlock(mtx_t *m)
{
	if (GP_LIKELY(is_normal(m)))
		return normal_unlock((pthread_mutex_t *)m, "mtx_unlock");
	if (GP_UNLIKELY(any_waiters() || tracing()))
		return mtx_unlock_charging(m);
	if (held_here((pthread_mutex_t *)m))
		return other_unlock((pthread_mutex_t *)m, "mtx_unlock");
	return real_mtx_unlock(m);
}

GOPROF_API int cnd_wait(cnd_t *c, mtx_t *m)
{
	if (GP_LIKELY(!on()))
		return REAL(cnd_wait)(c, m);
	charge_released(m, "cnd_wait");
	trace_released(m, "cnd_wait");
	return SLOW(GP_STATE_COND, c, WAIT_BLOCK, "cnd_wait", REAL(cnd_wait)(c, m));
}

GOPROF_API int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
			     const struct timespec *restrict t)
{
	if (GP_LIKELY(!on()))
		return REAL(cnd_timedwait)(c, m, t);
	charge_released(m, "cnd_timedwait");
	trace_released(m, "cnd_timedwait");
	return SLOW(GP_STATE_COND, c, WAIT_BLOCK, "cnd_timedwait", REAL(cnd_timedwait)(c, m, t));
}

WAKER(cnd_signal, cnd_t)
WAKER(cnd_broadcast, cnd_t)

GOPROF_API int thrd_join(thrd_t t, int *res)
{
	if (GP_LIKELY(!on()))
		return REAL(thrd_join)(t, res);
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, WAIT_BLOCK, "thrd_join",
		    REAL(thrd_join)(t, res));
}

/* ---- sleeps: a state, never a block event (Go's block profile has no sleeps either) ----- */

GOPROF_API int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (GP_LIKELY(!on()))
		return REAL(nanosleep)(req, rem);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "nanosleep", REAL(nanosleep)(req, rem));
}

GOPROF_API int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
			       struct timespec *rem)
{
	if (GP_LIKELY(!on()))
		return REAL(clock_nanosleep)(clock, flags, req, rem);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "clock_nanosleep",
		    REAL(clock_nanosleep)(clock, flags, req, rem));
}

GOPROF_API unsigned int sleep(unsigned int seconds)
{
	if (GP_LIKELY(!on()))
		return REAL(sleep)(seconds);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "sleep", REAL(sleep)(seconds));
}

GOPROF_API int usleep(useconds_t usec)
{
	if (GP_LIKELY(!on()))
		return REAL(usleep)(usec);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "usleep", REAL(usleep)(usec));
}

/* ---- I/O calls (wrap-io.c): a block event only with GOPROF_BLOCK_IO=1 ----------------- */

/* Go's block profile has no network waits (they park in the netpoller): only when asked. */
void gp_io_block_begin(struct gp_io_wait *c)
{
	int saved = errno;
	int64_t rate = __atomic_load_n(&block_rate, __ATOMIC_RELAXED);

	if ((__atomic_load_n(&mode, __ATOMIC_RELAXED) & MODE_BLOCK) && rate > 0 && !tls.busy &&
	    !gp_heap_guarded()) {
		c->block = 1;
		c->draw = rand64() % (uint64_t)rate;
		c->t0 = gp_clock_ns();
	}
	errno = saved;
}

void gp_io_block_end(struct gp_io_wait *c)
{
	int saved = errno;
	uint64_t t1 = gp_clock_ns();

	block_event(c->w->tid, c->call, t1 > c->t0 ? t1 - c->t0 : 0, c->draw);
	errno = saved;
}

/* ---- control ---------------------------------------------------------------------------- */

static void set_mode_bit(int bit, int set)
{
	if (set)
		__atomic_fetch_or(&mode, bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&mode, ~bit, __ATOMIC_RELAXED);
}

void gp_lock_trace(int on)
{
	set_mode_bit(MODE_TRACE, on);
}

/* with glibc's lock elision on, the fast path is off: no thread gets a tid */
static int normal_fast_off;

void gp_lock_resolve(void)
{
	normal_fast_off = gp_glibc_mutex_elision();
	resolve_all();
	gp_lock_thread_start();
}

void gp_lock_thread_start(void)
{
	tls.tid = normal_fast_off ? 0 : (int)gettid();
}

void gp_lock_init(int database)
{
	if (!database)
		return;
	block_rate = gp_config.block_rate_ns;
	mutex_fraction = (int)gp_config.mutex_fraction;
	uint64_t now = gp_real_ns();
	if (block_rate)
		block_since_ns = now;
	if (mutex_fraction)
		mutex_since_ns = now;
	__atomic_store_n(&mode, MODE_STATE | (block_rate ? MODE_BLOCK : 0) |
			 (mutex_fraction ? MODE_MUTEX : 0), __ATOMIC_RELEASE);
}

int64_t goprof_block_rate_set(int64_t ns)
{
	if (!(__atomic_load_n(&mode, __ATOMIC_RELAXED) & MODE_STATE))
		return 0;
	if (ns < 0)
		ns = 0;
	int64_t old = __atomic_exchange_n(&block_rate, ns, __ATOMIC_RELAXED);
	if (ns)
		__atomic_compare_exchange_n(&block_since_ns, &(uint64_t){ 0 }, gp_real_ns(), 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	set_mode_bit(MODE_BLOCK, ns != 0);
	return old;
}

int64_t goprof_block_rate_get(void)
{
	return __atomic_load_n(&block_rate, __ATOMIC_RELAXED);
}

int goprof_mutex_fraction_set(int n)
{
	if (!(__atomic_load_n(&mode, __ATOMIC_RELAXED) & MODE_STATE))
		return 0;
	if (n < 0)
		return __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);
	int old = __atomic_exchange_n(&mutex_fraction, n, __ATOMIC_RELAXED);
	if (n)
		__atomic_compare_exchange_n(&mutex_since_ns, &(uint64_t){ 0 }, gp_real_ns(), 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	set_mode_bit(MODE_MUTEX, n != 0);
	return old;
}

int goprof_mutex_fraction_get(void)
{
	return __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);
}

void gp_lock_profiles(struct gp_lock_profiles *out)
{
	out->block_rate_ns = __atomic_load_n(&block_rate, __ATOMIC_RELAXED);
	out->block_since_ns = __atomic_load_n(&block_since_ns, __ATOMIC_RELAXED);
	out->mutex_fraction = __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);
	out->mutex_since_ns = __atomic_load_n(&mutex_since_ns, __ATOMIC_RELAXED);
}

struct gp_lock_bucket *gp_lock_buckets(void)
{
	return __atomic_load_n(&bucket_list, __ATOMIC_ACQUIRE);
}

void gp_lock_atfork_prepare(void)
{
	real_pthread_mutex_lock(&prof_lock);
}

void gp_lock_atfork_parent(void)
{
	real_pthread_mutex_unlock(&prof_lock);
}

/* Only the forking thread goes on: the other threads' waits are gone with them. */
void gp_lock_atfork_child(void)
{
	memset(slot_waiters, 0, sizeof(slot_waiters));
	memset(slot_lock, 0, sizeof(slot_lock));
	memset(slot_head, 0, sizeof(slot_head));
	for (struct gp_lock_bucket *b = bucket_list; b; b = b->next)
		memset(&b->written, 0, sizeof(b->written));
	/* buckets are per tid, and the child's thread has a new one */
	tls.last[0] = tls.last[1] = NULL;
	gp_lock_thread_start();
	real_pthread_mutex_unlock(&prof_lock);
}
