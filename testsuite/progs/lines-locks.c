/*
 * Known waits, releases and thread creations from two lines of one function each, for the
 * line-level block, mutex and threadcreate case. Per round a holder thread takes the mutex
 * four times, each time keeping it 10 ms while the main thread asks for it: three times
 * wait_twice() asks at LINE-LOCK3 and the holder gives it back at LINE-UNLOCK3, once at
 * LINE-LOCK1 and LINE-UNLOCK1 (lines-holder.h). spawn() starts three threads at
 * LINE-CREATE3 and one at LINE-CREATE1. Every count is printed, so that nothing is
 * optimised away.
 */
#include <pthread.h>
#include <stdio.h>

#include "lines-holder.h"

#define ROUNDS 20

static volatile unsigned long taken3, taken1, given3, given1;

/* The holder: takes the mutex, says so, keeps it, and gives it back at the kind's line. */
__attribute__((noinline)) static void release(int three)
{
	keep_held();
	if (three) {
		pthread_mutex_unlock(&mu); /* LINE-UNLOCK3 */
		given3++;
	} else {
		pthread_mutex_unlock(&mu); /* LINE-UNLOCK1 */
		given1 += 2;
	}
}

/* The waiter: the holder has the mutex when each lock is asked for. */
__attribute__((noinline)) static void wait_twice(void)
{
	for (int i = 0; i < 3; i++) {
		hand_over(1);
		pthread_mutex_lock(&mu); /* LINE-LOCK3 */
		taken3++;
		pthread_mutex_unlock(&mu);
	}
	hand_over(0);
	pthread_mutex_lock(&mu); /* LINE-LOCK1 */
	taken1 += 2;
	pthread_mutex_unlock(&mu);
}

__attribute__((noinline)) static int spawn(void)
{
	pthread_t t[4];
	int rc = 0;

	for (int i = 0; i < 3; i++)
		rc |= pthread_create(&t[i], NULL, child, (void *)1); /* LINE-CREATE3 */
	rc |= pthread_create(&t[3], NULL, child, (void *)10); /* LINE-CREATE1 */
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return rc;
}

int main(void)
{
	pthread_t h;

	if (holder_start(&h) != 0)
		return 1;
	for (int r = 0; r < ROUNDS; r++)
		wait_twice();
	holder_stop(h);
	int rc = spawn();
	printf("taken %lu %lu given %lu %lu started %lu\n", taken3, taken1, given3, given1,
	       started);
	return rc;
}
