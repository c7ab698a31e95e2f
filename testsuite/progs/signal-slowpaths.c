/*
 * Signal handlers that make wrapped calls while their thread is inside goprof's slow paths:
 * ROUNDS times (argv[1], 300 by default), a new thread loops on an allocation too large
 * for the thread cache (glibc's arena lock held; sampled, every one at
 * GOPROF_MEMPROFILE_RATE=1: goprof records it under its heap lock) and a
 * mutex it shares with a partner thread that holds it in turn (contended: goprof's lock
 * slow path, its waiter table, its buckets) until main interrupts it with SIGUSR1, whose
 * handler writes a byte to a pipe and reads it back, locks and unlocks a mutex nobody else
 * uses, and posts a semaphore main then waits on. Prints the bytes echoed and the rounds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "interrupts.h"

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;	/* victim and partner */
static pthread_mutex_t quiet = PTHREAD_MUTEX_INITIALIZER;	/* the handler's alone */
static volatile sig_atomic_t finished;
static volatile unsigned turns;

__attribute__((noinline)) static void count_quietly(void)
{
	pthread_mutex_lock(&quiet);
	turns++;
	pthread_mutex_unlock(&quiet);
}

/* holds the shared mutex in turn with the victims, until main is done */
static void *partner(void *unused)
{
	struct timespec hold = { 0, 20000 };

	(void)unused;
	while (!finished) {
		pthread_mutex_lock(&shared);
		nanosleep(&hold, NULL);
		pthread_mutex_unlock(&shared);
	}
	return NULL;
}

__attribute__((noinline)) static void *work_until_interrupted(void *arg)
{
	unsigned i = (unsigned)(size_t)arg;

	while (!interrupted) {
		char *p = malloc(1100 + (i++ * 37) % 7000);
		p[0] = (char)i;
		sink = p;
		pthread_mutex_lock(&shared);
		sink = p + 1;
		pthread_mutex_unlock(&shared);
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	pthread_t other;
	int rc;

	on_usr1_also = count_quietly;
	if ((rc = interrupts_setup()) != 0)
		return rc;
	if (pthread_create(&other, NULL, partner, NULL) != 0)
		return 3;
	if ((rc = interrupt_rounds(rounds, work_until_interrupted)) != 0)
		return rc;
	finished = 1;
	pthread_join(other, NULL);
	printf("%u bytes echoed, %u quiet turns in %d rounds\n", echoed, turns, rounds);
	return 0;
}
