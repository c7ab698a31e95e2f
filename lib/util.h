/*
 * The small helpers the runtime, the exporter and the server share, each written once: the
 * clock reads, a spin lock, a hash mixer, array growth and a blocked thread's stack pointer. All are safe in any thread; the
 * clock reads and the mixer are also async-signal-safe.
 */
#ifndef GOPROF_LIB_UTIL_H
#define GOPROF_LIB_UTIL_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds (the runtime's hot paths use gp_clock_ns(), the TSC). */
static inline uint64_t gp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME in nanoseconds since the epoch: the times a database and a profile hold. */
static inline uint64_t gp_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A lock held for a few instructions (0 = free). A waiter spins briefly, then yields, so
 * that a holder that lost its CPU gets it back. Not for signal handlers.
 */
static inline void gp_spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		for (unsigned spins = 0; __atomic_load_n(l, __ATOMIC_RELAXED); spins++) {
			if (spins >= 100)
				sched_yield();
#if defined(__x86_64__) || defined(__i386__)
			else
				__builtin_ia32_pause();
#endif
		}
}

static inline void gp_spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* A 64-bit mixer (the first rounds of MurmurHash3's finalizer): hash table slots. */
static inline uint64_t gp_mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/*
 * Makes room for need elements of size bytes in *arr (capacity *cap, doubling from 16).
 * Returns 0, or -ENOMEM with *arr and *cap untouched. Not async-signal-safe (realloc).
 */
int gp_grow(void *arr, size_t *cap, size_t need, size_t size);

/*
 * Where thread tid of this process, blocked in a system call, made it: its user stack
 * pointer, the eighth field of /proc/self/task/TID/syscall ("NR ARG1 ... ARG6 SP PC").
 * Returns 0 when the thread is in none (the file says "running", or "-1 SP PC" for a thread
 * blocked outside a system call) or the file cannot be read. Any thread; open/read/close,
 * no allocation.
 */
uintptr_t gp_syscall_sp(uint32_t tid);

#endif
