/*
 * The hand-over the line-level lock cases share (progs/lines-locks.c, lines-callers.c): a
 * holder thread, asked by hand_over(kind), takes mu, says so, keeps it HOLD_MS and gives it
 * back through the including program's release(kind), so that whoever asks for mu next
 * finds it held. child() is what their thread creations start; it adds its argument to
 * started.
 */
#ifndef LINES_HOLDER_H
#define LINES_HOLDER_H

#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#define HOLD_MS 10

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t go, held;
static volatile int kind, stop;
static volatile unsigned long started;

/* Gives mu back, at the line kind says (the including program's). */
static void release(int three);

/* The holder's half: mu taken and kept HOLD_MS, the asker told it is held. */
static inline void keep_held(void)
{
	struct timespec t = { 0, HOLD_MS * 1000000L };

	pthread_mutex_lock(&mu);
	sem_post(&held);
	nanosleep(&t, NULL);
}

static void *holder(void *arg)
{
	(void)arg;
	for (;;) {
		sem_wait(&go);
		if (stop)
			break;
		release(kind);
	}
	return NULL;
}

/* Has the holder take mu for a release of kind k; returns once it holds it. */
static inline void hand_over(int k)
{
	kind = k;
	sem_post(&go);
	sem_wait(&held);
}

static inline int holder_start(pthread_t *h)
{
	sem_init(&go, 0, 0);
	sem_init(&held, 0, 0);
	return pthread_create(h, NULL, holder, NULL);
}

static inline void holder_stop(pthread_t h)
{
	stop = 1;
	sem_post(&go);
	pthread_join(h, NULL);
}

static inline void *child(void *arg)
{
	__atomic_fetch_add(&started, (unsigned long)arg, __ATOMIC_RELAXED);
	return NULL;
}

#endif
