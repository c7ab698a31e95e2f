/*
 * For test programs that must not go on before another thread has begun the wait they
 * profile, however late that thread gets a CPU on a loaded machine: a fixed sleep proves
 * nothing when the other thread only arrives after it. They poll with sched_yield(), not a
 * sleep: goprof's execution trace records every sleep as a blocking event.
 */
#ifndef GOPROF_TESTSUITE_WAITING_H
#define GOPROF_TESTSUITE_WAITING_H

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

/*
 * Returns once another thread sleeps waiting for m, which the caller holds: glibc's lock
 * word is 2 from the moment a waiter goes to sleep on it until the release (goprof's
 * wrappers keep glibc's protocol).
 */
static inline void wait_for_waiter(pthread_mutex_t *m)
{
	while (__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

/* Whether thread tid of this process sleeps in system call nr now. */
static inline int in_syscall(int tid, long nr)
{
	char path[64];
	long now = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &now) != 1)	/* "running" */
		now = -1;
	fclose(f);
	return now == nr;
}

/* Returns once thread tid of this process sleeps in system call nr. */
static inline void wait_for_syscall(int tid, long nr)
{
	while (!in_syscall(tid, nr))
		sched_yield();
}

#endif
