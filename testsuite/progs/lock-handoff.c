/*
 * One thread holds a mutex for 100 ms, ten times, while another waits for it each time:
 * the waiter is blocked about 1 s in all (in wait_for_lock) and the holder's unlocks (in
 * release_lock) made it wait that long. A semaphore tells the waiter when the holder has
 * the lock, so that every one of its locks is contended. The time the waiter really spent
 * in wait_for_lock goes to stderr as "waited_ms=N".
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#include "wait-clock.h"

#define ROUNDS 10
#define HOLD_MS 100

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t held, done;
static uint64_t waited_ns;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

__attribute__((noinline)) void release_lock(void)
{
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) void wait_for_lock(void)
{
	pthread_mutex_lock(&lock);
}

static void *waiter(void *unused)
{
	(void)unused;
	for (int i = 0; i < ROUNDS; i++) {
		sem_wait(&held);
		uint64_t t0 = mono_ns();
		wait_for_lock();
		waited_ns += mono_ns() - t0;
		pthread_mutex_unlock(&lock);
		sem_post(&done);
	}
	return NULL;
}

__attribute__((noinline)) void holder(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		sem_post(&held);
		sleep_ms(HOLD_MS);
		release_lock();
		sem_wait(&done);
	}
}

int main(void)
{
	pthread_t t;

	sem_init(&held, 0, 0);
	sem_init(&done, 0, 0);
	pthread_create(&t, NULL, waiter, NULL);
	holder();
	pthread_join(t, NULL);
	printf("%d hand-offs of %d ms\n", ROUNDS, HOLD_MS);
	fprintf(stderr, "waited_ms=%llu\n", (unsigned long long)(waited_ns / 1000000));
	return 0;
}
