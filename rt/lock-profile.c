/*
 * The block and mutex profiles and the threads' wait states, behind the blocking calls
 * wrap-lock.c interposes: the slow path every wrapper shares (the thread's state, the mutex
 * profile's waiter table, the block event), the buckets of both profiles and their control.
 *
 * DESIGN. Contexts: the slow path runs on the program's threads, inside the wrappers; the
 * writer thread reads the buckets (gp_lock_buckets(), collect.c) and the thread states
 * (thread.c).
 *  - gp_lock_mode (one word, read-mostly) says what is wanted: thread states (a database is
 *    being written), block events, mutex events, an execution trace.
 *  - Slow path (the try said busy, or a call that always waits: condvar, barrier, sleep):
 *    the thread's state goes into its registry entry (a sequence counter lets the writer
 *    read it consistently without a lock), a mutex waiter links its entry into the waiter
 *    table under that slot's spin lock, the real call blocks, then the block event, if
 *    sampled, is added to the bucket of (waiter's stack, tid) under prof_lock; the
 *    stack includes the machine stack's return-address candidates (gp_stack_scan_site(),
 *    on a recorded event only), from which the writer takes each caller's line. Times come
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
 *  - Ended threads: the buckets are per tid, as the database's rows are, and a program
 *    that makes a thread per request would otherwise keep a bucket per thread and site
 *    for as long as it runs. A thread links the buckets it makes (its list, tls.mine); when
 *    it ends they leave the hash (a thread that later gets its tid makes new ones) and
 *    wait on the list, RETIRED. The writer, once it has written their last counts, adds
 *    each to the bucket of its stack with tid 0 (the ended threads', never written as
 *    rows: their counts are in the database already, a fork child's copy writes them),
 *    takes it off the list and keeps its memory for the next bucket of its size
 *    (bucket.h's free lists), all under prof_lock: the buckets are those of the threads
 *    alive and of the stacks seen, and of the threads that ended since the writer's last
 *    round. Only the owner points at a bucket from its cache (tls.last), and it clears
 *    the cache as it retires them.
 *  - goprof's own locking (the writer thread and SQLite, the heap profile's lock, the
 *    thread registry) runs under the heap guard or on unregistered threads: never recorded.
 *    A wait in a signal handler that interrupted this file's own locked sections (the
 *    thread's busy count) is not recorded either, so a thread never waits for itself.
 *  - While an execution trace is on (GP_LOCK_MODE_TRACE), the slow path also appends a
 *    block and an unblock event to the thread's trace buffer (trace.c), with the call's
 *    name; gp_lock_trace_waiters counts the traced waiters of each slot for the wakers
 *    (wrap-lock.c).
 *  - fork(): prof_lock is held across fork; the child forgets the waiters of threads it
 *    does not have.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp-internal.h"
#include "bucket.h"
#include "glibc-mutex.h"
#include "gp-schema.h"
#include "lock-profile.h"
#include "trace.h"

#define BUCKET_SLOTS 4096u		/* stack hash -> bucket chains */

int gp_lock_mode;
static int64_t block_rate;		/* ns; atomically */
static int mutex_fraction;		/* atomically */
static uint64_t block_since_ns, mutex_since_ns;	/* first switched on; 0 = never */

/* ---- per-thread state ----------------------------------------------------------------- */

struct lock_tls {
	uint64_t rng;			/* xorshift state, 0 = not seeded yet */
	struct gp_lock_bucket *last[2];	/* the thread's last block / mutex bucket */
	struct gp_lock_bucket *mine;	/* the buckets it made, linked by mine; prof_lock */
	int busy;			/* >0: inside a spin lock or prof_lock of ours */
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
		out->site = __atomic_load_n(&w->cur.site, __ATOMIC_RELAXED);
		out->frame = __atomic_load_n(&w->cur.frame, __ATOMIC_RELAXED);
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
			*out = (struct gp_wait_state){ .state = io->state, .since_ns = seen,
							.call = io->name };
	}
	if (out->since_ns) {
		uint64_t mono = gp_clock_ns(), real = gp_real_ns();
		uint64_t waited = mono > out->since_ns ? mono - out->since_ns : 0;

		out->since_ns = real > waited ? real - waited : 1;
		if (is_io_state(out->state) && waited < io_show_ns)
			*out = (struct gp_wait_state){ .state = GP_STATE_RUNNING };
	}
}

/* ---- mutex waiters ---------------------------------------------------------------------- */

uint32_t gp_lock_slot_waiters[GP_LOCK_WAIT_SLOTS];
uint32_t gp_lock_all_waiters;
static int slot_lock[GP_LOCK_WAIT_SLOTS];		/* spin locks */
static struct gp_wait *slot_head[GP_LOCK_WAIT_SLOTS];	/* slot_lock */

static void waiter_link(struct gp_wait *w, const void *obj, uint64_t t0)
{
	uint32_t s = gp_lock_slot_of(obj);

	w->waiting_on = (uintptr_t)obj;
	w->charge_from_ns = t0;
	tls.busy++;
	gp_spin_lock(&slot_lock[s]);
	w->next = slot_head[s];
	slot_head[s] = w;
	w->linked = 1;
	gp_spin_unlock(&slot_lock[s]);
	tls.busy--;
	__atomic_fetch_add(&gp_lock_slot_waiters[s], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&gp_lock_all_waiters, 1, __ATOMIC_RELAXED);
}

static void waiter_unlink(struct gp_wait *w)
{
	uint32_t s = gp_lock_slot_of((const void *)w->waiting_on);

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
		__atomic_fetch_sub(&gp_lock_slot_waiters[s], 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&gp_lock_all_waiters, 1, __ATOMIC_RELAXED);
	}
}

/* ---- buckets -------------------------------------------------------------------------- */

static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;	/* real functions only */
static struct gp_bucket *bucket_slots[BUCKET_SLOTS];	/* prof_lock */
GP_BUCKET_LAYOUT(struct gp_lock_bucket);
_Static_assert(offsetof(struct gp_lock_bucket, call) == sizeof(struct gp_bucket),
	       "the lock buckets' own key follows struct gp_bucket");
#define KEY_BYTES (offsetof(struct gp_lock_bucket, count_fp) - sizeof(struct gp_bucket))
/* prof_lock; not malloc: a wait may end in a signal handler that interrupted malloc */
static struct gp_pool bucket_pool;
static struct gp_bucket *bucket_free[GP_BUCKET_FREE_BINS];	/* prof_lock */
/* prof_lock to push, and to unlink (the writer's work: no other walker then) */
static struct gp_bucket *bucket_list;
static const struct gp_bucket_table buckets = {
	.pool = &bucket_pool,
	.list = &bucket_list,
	.slots = bucket_slots,
	.nslots = BUCKET_SLOTS,
	.frames_offset = offsetof(struct gp_lock_bucket, frames),
	.spare = bucket_free,
};
static size_t nretired;		/* RETIRED buckets on the list; prof_lock, read atomically */

/*
 * prof_lock held: the bucket of (profile, tid, call made at site, the n innermost frames
 * below top, the machine stack's return-address candidates).
 */
static struct gp_lock_bucket *bucket_of(int profile, uint32_t tid, const char *call,
					uintptr_t site, const void **top, uint32_t n,
					uint32_t truncated, const struct gp_labels *labels,
					const uintptr_t *returns, uint32_t nreturns)
{
	struct gp_lock_bucket key = { .call = call, .tid = tid, .profile = profile, .site = site };
	uint64_t key_hash = gp_mix((uintptr_t)call) ^ (uint64_t)tid << 8 ^ (uint64_t)profile ^
			    gp_mix(site);

	return (struct gp_lock_bucket *)gp_bucket_get(&buckets, &key.call, KEY_BYTES, key_hash,
						      top, n, truncated, labels, returns,
						      nreturns);
}

/* Is b the bucket of (tid, call at site, the n innermost frames below top, truncated, labels,
 * returns)? */
static int same_bucket(const struct gp_lock_bucket *b, uint32_t tid, const char *call,
		       uintptr_t site, const void **top, uint32_t n, uint32_t truncated,
		       const struct gp_labels *labels, const uintptr_t *returns,
		       uint32_t nreturns)
{
	return b && b->tid == tid && b->call == call && b->site == site && b->nframes == n &&
	       b->labels == labels && b->nreturns == nreturns &&
	       b->truncated == truncated && gp_frames_equal(b->frames, top, n) &&
	       memcmp(b->frames + n, returns, nreturns * sizeof(*returns)) == 0;
}

/*
 * Adds count_fp (GP_LOCK_COUNT_ONE = 1 event) and delay to the bucket of the calling
 * thread (tid) at its stack, below the interposed call (the stack's leaf, as Go's profiles
 * end in sync.(*Mutex).Lock), and at each caller's call line (the machine stack's
 * candidates, matched by the writer). A thread that waits at the same place again finds
 * its bucket in its cache, without prof_lock.
 */
static void record(int profile, uint32_t tid, const char *call, uintptr_t site,
		   uint64_t count_fp, uint64_t delay_ns)
{
	const void **base, **top;
	uintptr_t returns[GP_SITE_RETURNS_MAX];
	struct gp_lock_bucket **last = &tls.last[profile == GP_PROFILE_MUTEX];

	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint32_t keep = (uint32_t)(depth < gp_config.stack_depth ? depth : gp_config.stack_depth);
	uint32_t truncated = (uint32_t)(depth - keep);
	uint32_t nreturns = gp_stack_scan_site((uintptr_t)__builtin_frame_address(0), returns,
					       GP_SITE_RETURNS(keep));
	struct gp_lock_bucket *b = *last;
	const struct gp_labels *labels = gp_labels_cur;

	if (!same_bucket(b, tid, call, site, top, keep, truncated, labels, returns, nreturns)) {
		tls.busy++;
		gp_lock_real_mutex_lock(&prof_lock);
		b = bucket_of(profile, tid, call, site, top, keep, truncated, labels, returns,
			      nreturns);
		/* made now: the thread's own, retired when it ends */
		if (b && b->state == GP_LOCK_BUCKET_NEW) {
			b->state = GP_LOCK_BUCKET_OWNED;
			b->mine = tls.mine;
			tls.mine = b;
		}
		gp_lock_real_mutex_unlock(&prof_lock);
		tls.busy--;
		if (!b)
			return;
		*last = b;
	}
	__atomic_fetch_add(&b->count_fp, count_fp, __ATOMIC_RELAXED);
	__atomic_fetch_add(&b->delay_ns, delay_ns, __ATOMIC_RELAXED);
}

/*
 * The calling thread ends: its buckets leave the hash, so that a thread that gets its tid
 * makes its own, and wait on the list, RETIRED, until the writer has written their last
 * counts (gp_lock_fold_ended()). Nothing of the thread points at them any more: a wait
 * recorded after this (in a signal handler) makes a new bucket, kept for good.
 */
static void retire_own(void)
{
	if (!tls.mine)
		return;
	tls.busy++;
	gp_lock_real_mutex_lock(&prof_lock);
	size_t n = 0;
	for (struct gp_lock_bucket *b = tls.mine; b; b = b->mine, n++) {
		gp_bucket_unhash(&buckets, (struct gp_bucket *)b);
		b->state = GP_LOCK_BUCKET_RETIRED;
	}
	tls.mine = NULL;
	tls.last[0] = tls.last[1] = NULL;
	__atomic_store_n(&nretired, nretired + n, __ATOMIC_RELAXED);
	gp_lock_real_mutex_unlock(&prof_lock);
	tls.busy--;
}

void gp_lock_thread_ended(struct gp_wait *w)
{
	if (w->linked)
		waiter_unlink(w);
	retire_own();
}

/* Are b's counts all in the database (the writer's rounded ones)? Writer's work. */
static int written(const struct gp_lock_bucket *b)
{
	return gp_lock_count(__atomic_load_n(&b->count_fp, __ATOMIC_RELAXED)) == b->written.count &&
	       __atomic_load_n(&b->delay_ns, __ATOMIC_RELAXED) == b->written.delay_ns;
}

/* prof_lock; writer's work: b's frames root first, for a lookup (gp_bucket_get()'s top) */
static const void *fold_frames[GP_MAX_STACK_DEPTH];

/*
 * prof_lock held, writer's work: adds retired b, written, to the bucket of its stack with
 * tid 0 (the ended threads'), which is written by then as well: its counts grow by what is
 * in the database already. 0, or -1 when out of memory (or that bucket is not written yet).
 */
static int fold(struct gp_lock_bucket *b)
{
	for (uint32_t i = 0; i < b->nframes; i++)
		fold_frames[b->nframes - 1 - i] = b->frames[i];
	struct gp_lock_bucket *z =
		bucket_of(b->profile, 0, b->call, b->site, fold_frames + b->nframes, b->nframes,
			  b->truncated, b->labels, (const uintptr_t *)(b->frames + b->nframes),
			  b->nreturns);

	if (!z || !written(z))
		return -1;
	uint64_t fp = __atomic_add_fetch(&z->count_fp, b->count_fp, __ATOMIC_RELAXED);
	z->written.count = gp_lock_count(fp);
	z->written.delay_ns = __atomic_add_fetch(&z->delay_ns, b->delay_ns, __ATOMIC_RELAXED);
	if (!z->written.labelled) {
		z->written.stack = b->written.stack;
		z->written.leaf = b->written.leaf;
		z->written.labelled = b->written.labelled;
	}
	return 0;
}

size_t gp_lock_fold_ended(void)
{
	size_t folded = 0;

	/* never waits: a thread that crashed holding prof_lock keeps it */
	if (!__atomic_load_n(&nretired, __ATOMIC_RELAXED))
		return 0;
	tls.busy++;
	if (gp_lock_real_mutex_trylock(&prof_lock) != 0) {
		tls.busy--;
		return 0;
	}
	struct gp_bucket **p = &bucket_list;
	for (struct gp_lock_bucket *b; (b = (struct gp_lock_bucket *)*p) != NULL;) {
		if (b->state != GP_LOCK_BUCKET_RETIRED || !written(b) || fold(b) != 0) {
			p = &(*p)->next;
			continue;
		}
		/* the fold may have pushed the bucket of tid 0 in front of b */
		while (*p != (struct gp_bucket *)b)
			p = &(*p)->next;
		__atomic_store_n(p, (struct gp_bucket *)b->next, __ATOMIC_RELEASE);
		gp_bucket_recycle(&buckets, (struct gp_bucket *)b);
		folded++;
	}
	__atomic_store_n(&nretired, nretired - folded, __ATOMIC_RELAXED);
	gp_lock_real_mutex_unlock(&prof_lock);
	tls.busy--;
	return folded;
}

/*
 * A wait of d ns, sampled as Go 1.19's blocksampled/saveblockevent do: a wait of at least
 * the rate always counts once with its duration; a shorter one is kept with probability
 * d / rate and then stands for rate / d waits of rate ns in all, so that the expected
 * totals equal the true ones. draw, uniform in [0, rate), was drawn before the wait
 * (wait_begin): this runs after the lock was taken, inside the caller's critical section.
 */
static void block_event(uint32_t tid, const char *call, uintptr_t site, uint64_t d,
			uint64_t draw)
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
		record(GP_PROFILE_BLOCK, tid, call, site,
		       n > (1ull << 50) ? 1ull << 50 : (uint64_t)n, (uint64_t)rate);
	} else {
		record(GP_PROFILE_BLOCK, tid, call, site, GP_LOCK_COUNT_ONE, d);
	}
}

/*
 * Unlock (or the release in a condvar wait) of obj, whose slot has waiters: charges each
 * (sampled) waiter of obj its time since it began to wait or was last charged to the
 * calling thread's stack, one event each.
 */
void gp_lock_charge_waiters(const void *obj, const char *call, uintptr_t site)
{
	int saved = errno;
	int fraction = __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);
	struct gp_wait *self;

	if (fraction <= 0 || tls.busy || gp_heap_guarded() || !(self = gp_thread_wait()))
		goto out;
	uint64_t now = gp_clock_ns(), events = 0, delay = 0;
	uint32_t s = gp_lock_slot_of(obj);
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
		record(GP_PROFILE_MUTEX, self->tid, call, site, events * GP_LOCK_COUNT_ONE, delay);
out:
	errno = saved;
}

/* ---- the slow path shared by every wrapper --------------------------------------------- */

/* Is this contended wait one of the 1 in mutex_fraction the mutex profile records? */
static int mutex_sampled(void)
{
	int fraction = __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);

	return fraction == 1 || (fraction > 1 && rand64() % (uint64_t)fraction == 0);
}

uint32_t gp_lock_trace_waiters[GP_LOCK_WAIT_SLOTS];

static const uint8_t trace_why[] = {
	[GP_STATE_MUTEX] = GP_TB_MUTEX, [GP_STATE_RWLOCK] = GP_TB_MUTEX,
	[GP_STATE_COND] = GP_TB_COND,
	[GP_STATE_SEM] = GP_TB_SYNC, [GP_STATE_BARRIER] = GP_TB_SYNC, [GP_STATE_JOIN] = GP_TB_SYNC,
	[GP_STATE_SLEEP] = GP_TB_SLEEP,
};

void gp_lock_wait_begin(struct gp_lock_wait *c, int state, const void *obj, int how,
			const char *call, uintptr_t site)
{
	int saved = errno;
	int m = __atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED);

	c->w = NULL;
	if (!(m & (GP_LOCK_MODE_STATE | GP_LOCK_MODE_TRACE)) || tls.busy || gp_heap_guarded())
		goto out;
	c->w = gp_thread_wait();
	if (!c->w)
		goto out;
	c->how = 0;
	if ((how & GP_WAIT_BLOCK) && (m & GP_LOCK_MODE_BLOCK)) {
		int64_t rate = __atomic_load_n(&block_rate, __ATOMIC_RELAXED);

		c->how |= GP_WAIT_BLOCK;
		c->draw = rate > 0 ? rand64() % (uint64_t)rate : 0;
	}
	c->t0 = gp_clock_ns();
	c->prev = c->w->cur;
	c->call = call;
	c->site = site;
	/* c lies in the wrapper's frame: the snapshot reads the callers' words above it */
	struct gp_wait_state s = { state, (uintptr_t)obj, c->t0, call, site, (uintptr_t)c };
	gp_wait_store(c->w, &s);
	/* a thread already linked waits in a signal handler: its outer wait keeps the entry */
	if ((how & GP_WAIT_MUTEX) && (m & GP_LOCK_MODE_MUTEX) && !c->w->linked &&
	    mutex_sampled()) {
		waiter_link(c->w, obj, c->t0);
		c->how |= GP_WAIT_MUTEX;
	}
	/* last, so that the block begins after goprof's own work for it */
	if (m & GP_LOCK_MODE_TRACE) {
		/* only the wakers that test the count need it: not a normal mutex's, a join's */
		if (state == GP_STATE_COND || state == GP_STATE_SEM || state == GP_STATE_RWLOCK ||
		    (state == GP_STATE_MUTEX && !gp_glibc_mutex_is_normal(obj))) {
			c->obj = obj;
			c->how |= GP_WAIT_TRACED;
			__atomic_fetch_add(&gp_lock_trace_waiters[gp_lock_slot_of(obj)], 1,
					   __ATOMIC_RELAXED);
		}
		gp_trace_block(trace_why[state], call, obj);
	}
out:
	errno = saved;
}

void gp_lock_wait_end(struct gp_lock_wait *c)
{
	int saved = errno;

	if (__atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED) & GP_LOCK_MODE_TRACE)
		gp_trace_unblock();
	if (c->how & GP_WAIT_TRACED)
		__atomic_fetch_sub(&gp_lock_trace_waiters[gp_lock_slot_of(c->obj)], 1,
				   __ATOMIC_RELAXED);
	if (c->how & GP_WAIT_MUTEX)
		waiter_unlink(c->w);
	gp_wait_store(c->w, &c->prev);
	if (c->how & GP_WAIT_BLOCK) {
		uint64_t t1 = gp_clock_ns();
		block_event(c->w->tid, c->call, c->site, t1 > c->t0 ? t1 - c->t0 : 0, c->draw);
	}
	errno = saved;
}

/* ---- I/O calls (wrap-io.c): a block event only with GOPROF_BLOCK_IO=1 ----------------- */

/* Go's block profile has no network waits (they park in the netpoller): only when asked. */
void gp_io_block_begin(struct gp_io_wait *c)
{
	int saved = errno;
	int64_t rate = __atomic_load_n(&block_rate, __ATOMIC_RELAXED);

	if ((__atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED) & GP_LOCK_MODE_BLOCK) && rate > 0 &&
	    !tls.busy && !gp_heap_guarded()) {
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

	block_event(c->w->tid, c->call, 0, t1 > c->t0 ? t1 - c->t0 : 0, c->draw);
	errno = saved;
}

/* ---- control ---------------------------------------------------------------------------- */

static void set_mode_bit(int bit, int set)
{
	if (set)
		__atomic_fetch_or(&gp_lock_mode, bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&gp_lock_mode, ~bit, __ATOMIC_RELAXED);
}

void gp_lock_trace(int on)
{
	set_mode_bit(GP_LOCK_MODE_TRACE, on);
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
	__atomic_store_n(&gp_lock_mode, GP_LOCK_MODE_STATE | (block_rate ? GP_LOCK_MODE_BLOCK : 0) |
			 (mutex_fraction ? GP_LOCK_MODE_MUTEX : 0), __ATOMIC_RELEASE);
}

int64_t goprof_block_rate_set(int64_t ns)
{
	if (!(__atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED) & GP_LOCK_MODE_STATE))
		return 0;
	if (ns < 0)
		ns = 0;
	int64_t old = __atomic_exchange_n(&block_rate, ns, __ATOMIC_RELAXED);
	if (ns)
		__atomic_compare_exchange_n(&block_since_ns, &(uint64_t){ 0 }, gp_real_ns(), 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	set_mode_bit(GP_LOCK_MODE_BLOCK, ns != 0);
	return old;
}

int64_t goprof_block_rate_get(void)
{
	return __atomic_load_n(&block_rate, __ATOMIC_RELAXED);
}

int goprof_mutex_fraction_set(int n)
{
	if (!(__atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED) & GP_LOCK_MODE_STATE))
		return 0;
	if (n < 0)
		return __atomic_load_n(&mutex_fraction, __ATOMIC_RELAXED);
	int old = __atomic_exchange_n(&mutex_fraction, n, __ATOMIC_RELAXED);
	if (n)
		__atomic_compare_exchange_n(&mutex_since_ns, &(uint64_t){ 0 }, gp_real_ns(), 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	set_mode_bit(GP_LOCK_MODE_MUTEX, n != 0);
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
	return (struct gp_lock_bucket *)__atomic_load_n(&bucket_list, __ATOMIC_ACQUIRE);
}

void gp_lock_atfork_prepare(void)
{
	gp_lock_real_mutex_lock(&prof_lock);
}

void gp_lock_atfork_parent(void)
{
	gp_lock_real_mutex_unlock(&prof_lock);
}

/* Only the forking thread goes on: the other threads' waits are gone with them. */
void gp_lock_atfork_child(void)
{
	memset(gp_lock_slot_waiters, 0, sizeof(gp_lock_slot_waiters));
	memset(slot_lock, 0, sizeof(slot_lock));
	memset(slot_head, 0, sizeof(slot_head));
	for (struct gp_lock_bucket *b = (struct gp_lock_bucket *)bucket_list; b; b = b->next)
		memset(&b->written, 0, sizeof(b->written));
	/*
	 * buckets are per tid, and the child's thread has a new one; the parent threads'
	 * buckets stay OWNED by threads the child does not have, kept for good: a thread of
	 * the child that gets one of their tids may find them, and is never told
	 */
	tls.last[0] = tls.last[1] = NULL;
	tls.mine = NULL;
	gp_lock_thread_start();
	gp_lock_real_mutex_unlock(&prof_lock);
}
