/*
 * Known allocations, waits, releases and thread creations made by helpers, each helper
 * called from two lines of one function 3:1, for the case that checks the callers' lines in
 * the heap, block, mutex and threadcreate profiles:
 *  - allocate() calls grab() (which mallocs BLOCK bytes and keeps the block) three times at
 *    LINE-HEAP3 and once at LINE-HEAP1, per round, after a recursion of its own that has
 *    returned and left its return addresses in the stack below (stale, into allocate);
 *  - wait_callers() calls take() (which locks the mutex the holder keeps HOLD_MS,
 *    lines-holder.h) three times at LINE-WAIT3 and once at LINE-WAIT1, per round;
 *  - the holder's release() calls give() (which unlocks it) three times at LINE-GIVE3 and
 *    once at LINE-GIVE1;
 *  - spawn() calls start() (which calls pthread_create) three times at LINE-SPAWN3 and once
 *    at LINE-SPAWN1.
 * Every count is printed, so that nothing is optimised away.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines-holder.h"

#define ROUNDS 20
#define BLOCK 1000

static volatile unsigned long taken, given, depth_sum;
static void *blocks[ROUNDS * 4];
static int nblocks;

/* Mallocs a block and keeps it (in use at exit); a frame with room left unwritten. */
__attribute__((noinline)) static void grab(int tag)
{
	volatile char pad[512];
	char *p = malloc(BLOCK);

	if (!p)
		exit(1);
	memset(p, tag, BLOCK);
	pad[0] = (char)tag;
	blocks[nblocks++] = p;
	depth_sum += (unsigned char)p[BLOCK / 2] + pad[0];
}

/* Recurses n levels and returns: its own return addresses stay below its caller's frame. */
__attribute__((noinline)) static int allocate(int n)
{
	if (n > 0) {
		int d = allocate(n - 1);
		depth_sum += d;
		if (n < 2)
			return d + 1;
	} else {
		return 1;
	}
	for (int i = 0; i < 3; i++)
		grab(3); /* LINE-HEAP3 */
	grab(1); /* LINE-HEAP1 */
	return 0;
}

__attribute__((noinline)) static void give(void)
{
	pthread_mutex_unlock(&mu);
	given++;
}

/* The holder: takes the mutex, says so, keeps it, and gives it back at the kind's line. */
__attribute__((noinline)) static void release(int three)
{
	keep_held();
	if (three) {
		give(); /* LINE-GIVE3 */
		given += 2;
	} else {
		give(); /* LINE-GIVE1 */
		given += 4;
	}
}

__attribute__((noinline)) static void take(void)
{
	pthread_mutex_lock(&mu);
	taken++;
	pthread_mutex_unlock(&mu);
}

/* The waiter: the holder has the mutex when each take() asks for it. */
__attribute__((noinline)) static void wait_callers(void)
{
	for (int i = 0; i < 3; i++) {
		hand_over(1);
		take(); /* LINE-WAIT3 */
		taken += 2;
	}
	hand_over(0);
	take(); /* LINE-WAIT1 */
	taken += 4;
}

__attribute__((noinline)) static int start(pthread_t *t, unsigned long n)
{
	int rc = pthread_create(t, NULL, child, (void *)n);

	started += 100;
	return rc;
}

__attribute__((noinline)) static int spawn(void)
{
	pthread_t t[4];
	int rc = 0;

	for (int i = 0; i < 3; i++)
		rc |= start(&t[i], 1); /* LINE-SPAWN3 */
	rc |= start(&t[3], 10); /* LINE-SPAWN1 */
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return rc;
}

int main(void)
{
	pthread_t h;

	for (int r = 0; r < ROUNDS; r++)
		allocate(2);
	if (holder_start(&h) != 0)
		return 1;
	for (int r = 0; r < ROUNDS; r++)
		wait_callers();
	holder_stop(h);
	int rc = spawn();
	printf("blocks %d taken %lu given %lu started %lu\n", nblocks, taken, given, started);
	return rc;
}
