/*
 * Between the blocking-call wrappers (wrap-lock.c) and the block and mutex profiles behind
 * them (lock-profile.c): what the wrappers' fast paths read inline, and the slow path they
 * share. Never included elsewhere.
 */
#ifndef GOPROF_RT_LOCK_PROFILE_H
#define GOPROF_RT_LOCK_PROFILE_H

#include <pthread.h>
#include <stdint.h>

#include "gp-internal.h"

#define GP_LOCK_MODE_STATE 1		/* thread states for the goroutine profile */
#define GP_LOCK_MODE_BLOCK 2		/* block profile on */
#define GP_LOCK_MODE_MUTEX 4		/* mutex profile on */
#define GP_LOCK_MODE_TRACE 8		/* an execution trace is on (trace.c) */

/* What is wanted, GP_LOCK_MODE_*; 0: every wrapper is one test and the real call. Atomically. */
extern GP_HIDDEN int gp_lock_mode;

#define GP_LOCK_WAIT_SLOTS 1024u	/* waiter table: object address hash -> waiters */

static inline uint32_t gp_lock_slot_of(const void *obj)
{
	uintptr_t a = (uintptr_t)obj;

	return (uint32_t)((a >> 3) ^ (a >> 13)) & (GP_LOCK_WAIT_SLOTS - 1);
}

/* The mutex profile's waiters linked in each slot, and in all slots. Atomically. */
extern GP_HIDDEN uint32_t gp_lock_slot_waiters[GP_LOCK_WAIT_SLOTS];
extern GP_HIDDEN uint32_t gp_lock_all_waiters;

/*
 * While a trace is on: the threads blocked on the objects of each waiter-table slot, so
 * that a release, signal or post records a possible wake-up (gp_trace_wake()) only when
 * someone may be waiting for it. Atomically.
 */
extern GP_HIDDEN uint32_t gp_lock_trace_waiters[GP_LOCK_WAIT_SLOTS];

/*
 * A release of obj, whose slot has waiters: charges them to the caller's stack, its
 * innermost frame at site (the program's call of the releasing function, 0: unknown).
 */
GP_HIDDEN void gp_lock_charge_waiters(const void *obj, const char *call, uintptr_t site);

#define GP_WAIT_BLOCK 1			/* a block-profile event */
#define GP_WAIT_MUTEX 2			/* a mutex waiter (mutex profile) */
#define GP_WAIT_TRACED 4		/* counted in gp_lock_trace_waiters */

/* One wait of the slow path, on the waiting thread's stack. */
struct gp_lock_wait {
	struct gp_wait *w;		/* NULL: nothing to do */
	struct gp_wait_state prev;	/* restored at the end (a wait in a signal handler) */
	uint64_t t0;			/* gp_clock_ns() */
	uint64_t draw;			/* block profile: uniform in [0, rate) */
	const char *call;
	uintptr_t site;			/* the program's call of the wrapper, 0: unknown */
	const void *obj;
	int how;
};

/*
 * Before the real call that waits on obj (how: GP_WAIT_BLOCK, GP_WAIT_MUTEX): sets the
 * calling thread's state and, as configured, draws the block event, links a mutex waiter,
 * begins the trace's block. c->w NULL: nothing to undo. Then, after the call and only when
 * c->w is set, gp_lock_wait_end() restores the state and records the event. errno kept.
 */
GP_HIDDEN void gp_lock_wait_begin(struct gp_lock_wait *c, int state, const void *obj, int how,
				  const char *call, uintptr_t site);
GP_HIDDEN void gp_lock_wait_end(struct gp_lock_wait *c);

/* glibc's pthread_mutex_lock, _unlock and _trylock (wrap-lock.c), for the profiles' own lock. */
GP_HIDDEN int gp_lock_real_mutex_lock(pthread_mutex_t *m);
GP_HIDDEN int gp_lock_real_mutex_unlock(pthread_mutex_t *m);
GP_HIDDEN int gp_lock_real_mutex_trylock(pthread_mutex_t *m);

#endif
