/*
 * Four threads take turns on one mutex, each holding it HOLD_US microseconds ROUNDS
 * times: about 4 * ROUNDS contention events whose delay the unlockers (in unlock_it)
 * caused, the same workload at every mutex fraction.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#define THREADS 4
#define ROUNDS 500
#define HOLD_US 500

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void hold(void)
{
	struct timespec ts = { 0, HOLD_US * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void unlock_it(void)
{
	pthread_mutex_unlock(&lock);
}

static void *player(void *unused)
{
	(void)unused;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		hold();
		unlock_it();
		sched_yield();
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, player, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("%d threads, %d rounds\n", THREADS, ROUNDS);
	return 0;
}
