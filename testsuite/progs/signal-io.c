/*
 * Signal handlers that make wrapped calls while their thread is inside malloc: ROUNDS times
 * (argv[1], 300 by default), a new thread allocates and frees blocks too large for the
 * thread cache in a loop (most of its time inside malloc and free, often holding its arena
 * lock) until main interrupts it with SIGUSR1, whose handler writes a byte to a pipe,
 * reads it back, sleeps 50 us (long enough to be a blocking call in a trace) and posts a
 * semaphore main then waits on. Each thread's handler is that
 * thread's first blocking call, at a stack of its own: what goprof records for it (a block
 * profile bucket, a trace header) is new each time. Prints the bytes echoed and the rounds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "interrupts.h"

__attribute__((noinline)) static void *allocate_until_interrupted(void *arg)
{
	unsigned i = (unsigned)(size_t)arg;

	while (!interrupted) {
		char *p = malloc(1100 + (i++ * 37) % 7000);
		p[0] = (char)i;
		sink = p;
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	int rc;

	echo_pause_ns = 50000;
	if ((rc = interrupts_setup()) != 0 ||
	    (rc = interrupt_rounds(rounds, allocate_until_interrupted)) != 0)
		return rc;
	printf("%u bytes echoed in %d rounds\n", echoed, rounds);
	return 0;
}
