/*
 * Blocking calls, interposed: the block profile (how long threads waited, at the waiter's
 * stack), the mutex profile (how long others waited for a lock, at the stack that released
 * it) and each thread's state for the goroutine profile (what it waits on, since when).
 * This file holds the wrappers and their fast paths; the slow path they share, the
 * profiles' buckets and their control are lock-profile.c's.
 *
 * DESIGN. Contexts: every wrapper runs on the program's threads.
 *  - gp_lock_mode (one word, read-mostly, lock-profile.h) says what is wanted. With mode 0
 *    (no database) every wrapper is one test and a tail call of the real function.
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
 *    SLOW() runs the real call between gp_lock_wait_begin() and gp_lock_wait_end()
 *    (lock-profile.c).
 *  - The real functions are looked up with dlsym(RTLD_NEXT) by the constructor, first
 *    thing; a call made before it (another library's constructor) looks its own up then.
 *  - While an execution trace is on, the wakers record where they may have woken someone
 *    (gp_trace_wake()): a normal mutex's unlock that wakes, and, while
 *    gp_lock_trace_waiters counts a traced waiter in the object's slot, the other unlocks,
 *    the condvar signals and sem_post, interposed for this alone.
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
#include "lock-profile.h"
#include "trace.h"

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

int gp_lock_real_mutex_lock(pthread_mutex_t *m)
{
	return real_pthread_mutex_lock(m);
}

int gp_lock_real_mutex_unlock(pthread_mutex_t *m)
{
	return real_pthread_mutex_unlock(m);
}

int gp_lock_real_mutex_trylock(pthread_mutex_t *m)
{
	return REAL(pthread_mutex_trylock)(m);
}

/* gettid(); 0: goprof did not see the thread start */
static __thread int tid __attribute__((tls_model("initial-exec")));

/* ---- what every wrapper shares ----------------------------------------------------------- */

static inline int on(void)
{
	return GP_UNLIKELY(__atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED) != 0);
}

static inline int tracing(void)
{
	return GP_UNLIKELY(__atomic_load_n(&gp_lock_mode, __ATOMIC_RELAXED) & GP_LOCK_MODE_TRACE);
}

/* Waiters are linked only while the mutex profile is on: no test of mode needed. */
static inline int any_waiters(void)
{
	return __atomic_load_n(&gp_lock_all_waiters, __ATOMIC_RELAXED) != 0;
}

/* obj was (or is about to be) released by the calling thread, in call made at site */
static inline void charge_released(const void *obj, const char *call, uintptr_t site)
{
	if (GP_UNLIKELY(any_waiters()) &&
	    __atomic_load_n(&gp_lock_slot_waiters[gp_lock_slot_of(obj)], __ATOMIC_RELAXED))
		gp_lock_charge_waiters(obj, call, site);
}

/* obj is (about to be) released, signalled or posted by call: a waker, if traced waits */
static inline void trace_released(const void *obj, const char *call)
{
	if (tracing() &&
	    __atomic_load_n(&gp_lock_trace_waiters[gp_lock_slot_of(obj)], __ATOMIC_RELAXED))
		gp_trace_wake(call, obj);
}

/*
 * Runs call with the calling thread's state set; the call's result is kept. site: the
 * program's call of the wrapper (GP_CALL_SITE() in the wrapper itself, passed down to the
 * helpers it tail-calls), the line of the event's innermost frame.
 */
#define SLOW(state, obj, how, name, site, call)                                            \
	({                                                                                 \
		struct gp_lock_wait c_;                                                    \
		gp_lock_wait_begin(&c_, (state), (obj), (how), (name), (site));            \
		__typeof__(call) rc_ = (call);                                             \
		if (c_.w)                                                                  \
			gp_lock_wait_end(&c_);                                             \
		rc_;                                                                       \
	})

/*
 * The program's call of the wrapper, read in a helper that the wrapper reaches only by
 * tail calls: the helper's own return address is then that call. The fast paths of the
 * mutex wrappers keep no frame, and reading the wrapper's return address there would cost
 * one (3 to 4 instructions a lock or unlock). Should a compiler not make those calls tail
 * calls, the address lies in libgoprof and the writer does not take it for the innermost
 * frame's line (gp_intern_site_stack(): not in that frame's function); the frame's call is
 * then looked for among the machine stack's candidates, as a caller's is.
 */
#define TAIL_CALL_SITE() GP_CALL_SITE()

/* ---- mutexes -------------------------------------------------------------------------- */

#define LOCKING (GP_WAIT_BLOCK | GP_WAIT_MUTEX)

static __attribute__((noinline)) int mutex_lock_slow(pthread_mutex_t *m, uintptr_t site)
{
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "pthread_mutex_lock", site,
		    real_pthread_mutex_lock(m));
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
	return gp_glibc_mutex_lock(m, tid);
}

/*
 * m was released and a waiter said so (lock word 2): charge the waiters the mutex profile
 * follows, then wake one, as glibc's unlock does (the charge first: the waiter it wakes
 * is then still linked). 0, for the caller.
 */
static __attribute__((noinline)) int normal_wake(pthread_mutex_t *m, const char *call)
{
	int saved = errno;

	charge_released(m, call, TAIL_CALL_SITE());
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
	return gp_glibc_mutex_held(m, tid);
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
	uintptr_t site = TAIL_CALL_SITE();
	int rc = REAL(pthread_mutex_trylock)(m);
	if (GP_LIKELY(rc != EBUSY))
		return rc;
	return mutex_lock_slow(m, site);
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
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "pthread_mutex_timedlock", GP_CALL_SITE(),
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
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "pthread_mutex_clocklock", GP_CALL_SITE(),
		    REAL(pthread_mutex_clocklock)(m, clock, abstime));
}

/*
 * Charges obj's waiters, then releases it with the real function: after the release a
 * woken waiter could unlink itself before it was charged.
 */
#define UNLOCK_CHARGING(fn, obj, site)                                                     \
	({                                                                                 \
		charge_released(obj, #fn, site);                                           \
		trace_released(obj, #fn);                                                  \
		real_##fn(obj);                                                            \
	})

static __attribute__((noinline)) int mutex_unlock_charging(pthread_mutex_t *m)
{
	return UNLOCK_CHARGING(pthread_mutex_unlock, m, TAIL_CALL_SITE());
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

static __attribute__((noinline)) int rwlock_rdlock_on(pthread_rwlock_t *l, uintptr_t site)
{
	int rc = REAL(pthread_rwlock_tryrdlock)(l);
	if (GP_LIKELY(rc != EBUSY))
		return rc;
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_rdlock", site,
		    real_pthread_rwlock_rdlock(l));
}

GOPROF_API int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (GP_LIKELY(!on()))
		return real_pthread_rwlock_rdlock(l);
	return rwlock_rdlock_on(l, GP_CALL_SITE());
}

static __attribute__((noinline)) int rwlock_wrlock_on(pthread_rwlock_t *l, uintptr_t site)
{
	int rc = REAL(pthread_rwlock_trywrlock)(l);
	if (GP_LIKELY(rc != EBUSY))
		return rc;
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_wrlock", site,
		    real_pthread_rwlock_wrlock(l));
}

GOPROF_API int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (GP_LIKELY(!on()))
		return real_pthread_rwlock_wrlock(l);
	return rwlock_wrlock_on(l, GP_CALL_SITE());
}

GOPROF_API int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_timedrdlock)(l, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_timedrdlock", GP_CALL_SITE(),
		    REAL(pthread_rwlock_timedrdlock)(l, t));
}

GOPROF_API int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_timedwrlock)(l, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_timedwrlock", GP_CALL_SITE(),
		    REAL(pthread_rwlock_timedwrlock)(l, t));
}

GOPROF_API int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
					  const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_clockrdlock)(l, clock, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_clockrdlock", GP_CALL_SITE(),
		    REAL(pthread_rwlock_clockrdlock)(l, clock, t));
}

GOPROF_API int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
					  const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_rwlock_clockwrlock)(l, clock, t);
	return SLOW(GP_STATE_RWLOCK, l, LOCKING, "pthread_rwlock_clockwrlock", GP_CALL_SITE(),
		    REAL(pthread_rwlock_clockwrlock)(l, clock, t));
}

static __attribute__((noinline)) int rwlock_unlock_charging(pthread_rwlock_t *l, uintptr_t site)
{
	return UNLOCK_CHARGING(pthread_rwlock_unlock, l, site);
}

GOPROF_API int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (GP_UNLIKELY(any_waiters() || tracing()))
		return rwlock_unlock_charging(l, GP_CALL_SITE());
	return real_pthread_rwlock_unlock(l);
}

/* ---- condition variables: the mutex is released inside, by the waiter ---------------- */

GOPROF_API int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_cond_wait)(c, m);
	charge_released(m, "pthread_cond_wait", GP_CALL_SITE());
	trace_released(m, "pthread_cond_wait");
	return SLOW(GP_STATE_COND, c, GP_WAIT_BLOCK, "pthread_cond_wait", GP_CALL_SITE(),
		    REAL(pthread_cond_wait)(c, m));
}

GOPROF_API int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				      const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_cond_timedwait)(c, m, t);
	charge_released(m, "pthread_cond_timedwait", GP_CALL_SITE());
	trace_released(m, "pthread_cond_timedwait");
	return SLOW(GP_STATE_COND, c, GP_WAIT_BLOCK, "pthread_cond_timedwait", GP_CALL_SITE(),
		    REAL(pthread_cond_timedwait)(c, m, t));
}

GOPROF_API int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				      const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_cond_clockwait)(c, m, clock, t);
	charge_released(m, "pthread_cond_clockwait", GP_CALL_SITE());
	trace_released(m, "pthread_cond_clockwait");
	return SLOW(GP_STATE_COND, c, GP_WAIT_BLOCK, "pthread_cond_clockwait", GP_CALL_SITE(),
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
	return SLOW(GP_STATE_SEM, s, GP_WAIT_BLOCK, "sem_wait", GP_CALL_SITE(), REAL(sem_wait)(s));
}

GOPROF_API int sem_timedwait(sem_t *s, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(sem_timedwait)(s, t);
	/* glibc checks the deadline before it tries: EINVAL even when a token is there */
	if (t->tv_nsec >= 0 && t->tv_nsec < 1000000000L && sem_took(s))
		return 0;
	return SLOW(GP_STATE_SEM, s, GP_WAIT_BLOCK, "sem_timedwait",
		    GP_CALL_SITE(), REAL(sem_timedwait)(s, t));
}

GOPROF_API int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *t)
{
	if (GP_LIKELY(!on()))
		return REAL(sem_clockwait)(s, clock, t);
	return SLOW(GP_STATE_SEM, s, GP_WAIT_BLOCK, "sem_clockwait", GP_CALL_SITE(),
		    REAL(sem_clockwait)(s, clock, t));
}

/* ---- barriers and joins --------------------------------------------------------------- */

GOPROF_API int pthread_barrier_wait(pthread_barrier_t *b)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_barrier_wait)(b);
	return SLOW(GP_STATE_BARRIER, b, GP_WAIT_BLOCK, "pthread_barrier_wait", GP_CALL_SITE(),
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
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, GP_WAIT_BLOCK, "pthread_join",
		    GP_CALL_SITE(), REAL(pthread_join)(t, ret));
}

GOPROF_API int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_timedjoin_np)(t, ret, abstime);
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, GP_WAIT_BLOCK, "pthread_timedjoin_np",
		    GP_CALL_SITE(), REAL(pthread_timedjoin_np)(t, ret, abstime));
}

GOPROF_API int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
				    const struct timespec *abstime)
{
	if (GP_LIKELY(!on()))
		return REAL(pthread_clockjoin_np)(t, ret, clock, abstime);
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, GP_WAIT_BLOCK, "pthread_clockjoin_np",
		    GP_CALL_SITE(), REAL(pthread_clockjoin_np)(t, ret, clock, abstime));
}

/* ---- C11: glibc calls its pthread functions directly, so these are wrapped too -------- */

static __attribute__((noinline)) int mtx_lock_on(mtx_t *m)
{
	uintptr_t site = TAIL_CALL_SITE();
	int rc = REAL(mtx_trylock)(m);
	if (GP_LIKELY(rc != thrd_busy))
		return rc;
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "mtx_lock", site, real_mtx_lock(m));
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
	return SLOW(GP_STATE_MUTEX, m, LOCKING, "mtx_timedlock",
		    GP_CALL_SITE(), REAL(mtx_timedlock)(m, t));
}

static __attribute__((noinline)) int mtx_unlock_charging(mtx_t *m)
{
	return UNLOCK_CHARGING(mtx_unlock, m, TAIL_CALL_SITE());
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
	charge_released(m, "cnd_wait", GP_CALL_SITE());
	trace_released(m, "cnd_wait");
	return SLOW(GP_STATE_COND, c, GP_WAIT_BLOCK, "cnd_wait",
		    GP_CALL_SITE(), REAL(cnd_wait)(c, m));
}

GOPROF_API int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
			     const struct timespec *restrict t)
{
	if (GP_LIKELY(!on()))
		return REAL(cnd_timedwait)(c, m, t);
	charge_released(m, "cnd_timedwait", GP_CALL_SITE());
	trace_released(m, "cnd_timedwait");
	return SLOW(GP_STATE_COND, c, GP_WAIT_BLOCK, "cnd_timedwait",
		    GP_CALL_SITE(), REAL(cnd_timedwait)(c, m, t));
}

WAKER(cnd_signal, cnd_t)
WAKER(cnd_broadcast, cnd_t)

GOPROF_API int thrd_join(thrd_t t, int *res)
{
	if (GP_LIKELY(!on()))
		return REAL(thrd_join)(t, res);
	return SLOW(GP_STATE_JOIN, (void *)(uintptr_t)t, GP_WAIT_BLOCK, "thrd_join", GP_CALL_SITE(),
		    REAL(thrd_join)(t, res));
}

/* ---- sleeps: a state, never a block event (Go's block profile has no sleeps either) ----- */

GOPROF_API int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (GP_LIKELY(!on()))
		return REAL(nanosleep)(req, rem);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "nanosleep",
		    GP_CALL_SITE(), REAL(nanosleep)(req, rem));
}

GOPROF_API int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
			       struct timespec *rem)
{
	if (GP_LIKELY(!on()))
		return REAL(clock_nanosleep)(clock, flags, req, rem);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "clock_nanosleep", GP_CALL_SITE(),
		    REAL(clock_nanosleep)(clock, flags, req, rem));
}

GOPROF_API unsigned int sleep(unsigned int seconds)
{
	if (GP_LIKELY(!on()))
		return REAL(sleep)(seconds);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "sleep", GP_CALL_SITE(), REAL(sleep)(seconds));
}

GOPROF_API int usleep(useconds_t usec)
{
	if (GP_LIKELY(!on()))
		return REAL(usleep)(usec);
	return SLOW(GP_STATE_SLEEP, NULL, 0, "usleep", GP_CALL_SITE(), REAL(usleep)(usec));
}

/* ---- set-up ------------------------------------------------------------------------------ */

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
	tid = normal_fast_off ? 0 : (int)gettid();
}
