/*
 * glibc's private mutex protocol, the one place that knows it (as plugin/gcc-compat.h alone
 * knows GCC's versions): the layout of pthread_mutex_t's internals (struct
 * __pthread_mutex_s: lock word, owner, count, kind, user count) and how glibc takes and
 * releases a free mutex of the kinds wrap-lock.c takes itself. The lock word is 0 free, 1
 * taken, 2 taken with waiters; the owner's tid and a user count sit beside it; a recursive
 * mutex counts its owner's locks. Locks taken here and released in glibc, or the other way
 * round, agree: this is the protocol every glibc process shares with others through
 * process-shared mutexes, and the one glibc's own pthread_cond_wait uses. Like glibc, a
 * process that never had a second thread needs no atomic instruction.
 *
 * The functions are inline: they are the lock wrappers' fast path. With another C library,
 * or a glibc older than 2.32, GP_GLIBC_MUTEX is 0 and every function says "leave it to the
 * real call". glibc's C11 mtx_t is a pthread_mutex_t.
 */
#ifndef GOPROF_RT_GLIBC_MUTEX_H
#define GOPROF_RT_GLIBC_MUTEX_H

#include <pthread.h>

#include "gp-internal.h"

#if defined(__linux__) && defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
#define GP_GLIBC_MUTEX 1
#include <sys/single_threaded.h>
#else
#define GP_GLIBC_MUTEX 0
#endif

/*
 * 0 in the lock word: the mutex is free (any kind; a robust mutex whose owner died or a
 * priority-protected one has bits set there).
 */
static inline int gp_glibc_mutex_looks_free(const void *m)
{
	return __atomic_load_n(&((const pthread_mutex_t *)m)->__data.__lock, __ATOMIC_RELAXED) == 0;
}

/* The normal kind (0: PTHREAD_MUTEX_DEFAULT, private, no elision) or the adaptive one. */
static inline int gp_glibc_mutex_normal_kind(int kind)
{
	/* glibc takes and releases an adaptive mutex as a normal one; it only spins when taken */
	return kind == 0 || kind == PTHREAD_MUTEX_ADAPTIVE_NP;
}

/* Is m of a kind gp_glibc_mutex_lock() takes without asking its owner? */
static inline int gp_glibc_mutex_is_normal(const void *m)
{
	return GP_GLIBC_MUTEX &&
	       gp_glibc_mutex_normal_kind(__atomic_load_n(
		       &((const pthread_mutex_t *)m)->__data.__kind, __ATOMIC_RELAXED));
}

/*
 * Is the lock elision glibc may be asked for (GLIBC_TUNABLES) on? Then taking mutexes
 * outside glibc is off. Reads the environment: call it once, at start.
 */
GP_HIDDEN int gp_glibc_mutex_elision(void);

#if GP_GLIBC_MUTEX
/* A free lock word taken, as glibc's first try does; 0 when it was not free. */
static inline int gp_glibc_mutex_take_word(int *word)
{
	int free = 0;

	if (__libc_single_threaded) {
		if (*word)
			return 0;
		*word = 1;
		return 1;
	}
	return __atomic_compare_exchange_n(word, &free, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* The two other private kinds glibc takes like the normal one when they are free. */
static inline int gp_glibc_mutex_other_kind(int kind)
{
	return kind == PTHREAD_MUTEX_RECURSIVE_NP || kind == PTHREAD_MUTEX_ERRORCHECK_NP;
}

/*
 * Those kinds by glibc's rules for each: the owner of a recursive mutex counts up; the
 * owner of an error-checking one is told EDEADLK (by glibc). Anyone else takes a free word
 * and becomes the owner, a recursive mutex with a count of 1. 0 to leave it to glibc:
 * another kind, a mutex taken, the caller's own error-checking one, a count that would
 * overflow (EAGAIN). tid: the caller's, non-zero. Defined here rather than in glibc-mutex.c:
 * out of line, but in the wrapper's own file, the call keeps the mutex pointer in its
 * register (3 instructions a lock/unlock pair fewer, callgrind).
 */
static __attribute__((noinline, unused)) int
gp_glibc_mutex_other_lock(pthread_mutex_t *m, int kind, int tid)
{
	if (kind == PTHREAD_MUTEX_RECURSIVE_NP && m->__data.__owner == tid) {
		if (m->__data.__count + 1 == 0)
			return 0;
		++m->__data.__count;
		return 1;
	}
	if (!gp_glibc_mutex_other_kind(kind) || m->__data.__owner == tid ||
	    !gp_glibc_mutex_take_word(&m->__data.__lock))
		return 0;
	if (kind == PTHREAD_MUTEX_RECURSIVE_NP)
		m->__data.__count = 1;
	m->__data.__owner = tid;
	++m->__data.__nusers;
	return 1;
}

/*
 * Takes m for the thread tid as glibc would: 1 when taken (normal, or another kind
 * gp_glibc_mutex_other_lock() takes), 0 to leave it to glibc (taken already, another kind,
 * or tid 0: a thread that does not take mutexes itself).
 */
static inline int gp_glibc_mutex_lock(pthread_mutex_t *m, int tid)
{
	int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);

	if (GP_UNLIKELY(!gp_glibc_mutex_normal_kind(kind)) || !tid)
		return kind && tid ? gp_glibc_mutex_other_lock(m, kind, tid) : 0;
	if (!gp_glibc_mutex_take_word(&m->__data.__lock))
		return 0;
	m->__data.__owner = tid;
	++m->__data.__nusers;
	return 1;
}

/*
 * Releases an m that gp_glibc_mutex_is_normal(), or one gp_glibc_mutex_count_down() let go.
 * 1 when a waiter said it waits (lock word 2): the caller wakes one with
 * gp_glibc_mutex_wake(), as glibc's unlock does.
 */
static inline int gp_glibc_mutex_release(pthread_mutex_t *m)
{
	int *word = &m->__data.__lock;

	m->__data.__owner = 0;
	--m->__data.__nusers;
	if (__libc_single_threaded)
		*word = 0;
	else if (GP_UNLIKELY(__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) > 1))
		return 1;
	return 0;
}

/* Wakes one waiter of a released m (a futex wake). errno may change. */
GP_HIDDEN void gp_glibc_mutex_wake(pthread_mutex_t *m);

/* A mutex of another private kind that thread tid holds (glibc's owner test on unlock)? */
static inline int gp_glibc_mutex_held(const pthread_mutex_t *m, int tid)
{
	return gp_glibc_mutex_other_kind(__atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED)) &&
	       tid && m->__data.__owner == tid;
}

/*
 * For an m that gp_glibc_mutex_held(): a recursive one counts down. 1 when it is to be
 * released now (gp_glibc_mutex_release()), 0 while its owner still holds it.
 */
static inline int gp_glibc_mutex_count_down(pthread_mutex_t *m)
{
	return m->__data.__kind != PTHREAD_MUTEX_RECURSIVE_NP || --m->__data.__count == 0;
}
#else
static inline int gp_glibc_mutex_lock(pthread_mutex_t *m, int tid)
{
	(void)m;
	(void)tid;
	return 0;
}
static inline int gp_glibc_mutex_release(pthread_mutex_t *m) { (void)m; return 0; }
static inline void gp_glibc_mutex_wake(pthread_mutex_t *m) { (void)m; }
static inline int gp_glibc_mutex_held(const pthread_mutex_t *m, int tid)
{
	(void)m;
	(void)tid;
	return 0;
}
static inline int gp_glibc_mutex_count_down(pthread_mutex_t *m) { (void)m; return 0; }
#endif

#endif
