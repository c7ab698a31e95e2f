/*
 * Six threads parked in known places for PARK_MS: in_mutex() waits for a mutex main
 * holds, in_cond() on a condition variable, in_sleep() in nanosleep, in_busy() spins,
 * in_join() joins the sleeping thread, in_barrier() waits at a barrier the main thread
 * reaches last. Each thread is named after its place. Then main releases them all.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "parked.h"

#define PARK_MS 1600

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static volatile int released;
static pthread_t sleeper;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

__attribute__((noinline)) void in_mutex(void)
{
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) void in_cond(void)
{
	pthread_mutex_lock(&cond_lock);
	while (!released)
		pthread_cond_wait(&cond, &cond_lock);
	pthread_mutex_unlock(&cond_lock);
}

__attribute__((noinline)) void in_sleep(void)
{
	sleep_ms(PARK_MS + 200);
}

__attribute__((noinline)) void step(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void in_busy(void)
{
	while (!released)
		step();
}

__attribute__((noinline)) void in_join(void)
{
	pthread_join(sleeper, NULL);
}

__attribute__((noinline)) void in_barrier(void)
{
	pthread_barrier_wait(&barrier);
}

int main(void)
{
	pthread_t t[5];

	pthread_barrier_init(&barrier, NULL, 2);
	pthread_mutex_lock(&lock);
	sleeper = park(in_sleep, "sleeper");
	t[0] = park(in_mutex, "mutex-waiter");
	t[1] = park(in_cond, "cond-waiter");
	t[2] = park(in_busy, "busy");
	t[3] = park(in_join, "joiner");
	t[4] = park(in_barrier, "barrier-waiter");
	sleep_ms(PARK_MS);

	pthread_mutex_unlock(&lock);
	pthread_mutex_lock(&cond_lock);
	released = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&cond_lock);
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	printf("six threads parked and released\n");
	return 0;
}
