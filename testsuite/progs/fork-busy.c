/*
 * Forks while other threads allocate: WORKERS threads loop over malloc and free (small
 * blocks and blocks big enough to be mapped on their own) and over short threads that
 * allocate too (a thread's end frees its records: under AddressSanitizer after its own
 * allocator cache is gone, under the allocator's global lock), so that the allocator's
 * locks are held often; the main thread forks CHILDREN children, each of which
 * calls _exit(CHILD_STATUS) at once, as POSIX lets the child of a multi-threaded program;
 * with "alloc", each child first allocates CHILD_BLOCKS blocks of CHILD_BYTES in
 * child_work() and keeps them, then calls exit(CHILD_STATUS), which runs the exit handlers.
 * Every child must end by itself: the program then reaps them all, and those still alive
 * WAIT_S seconds after the last fork are counted as hung, killed and reaped.
 * Prints "forked N exited E status S hung H" (S: how many exited with CHILD_STATUS).
 *
 *	fork-busy CHILDREN [alloc]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reap.h"

#define WORKERS 3
#define MAX_CHILDREN 4096
#define CHILD_STATUS 7
#define WAIT_S 20
#define CHILD_BLOCKS 4
#define CHILD_BYTES 3000

static volatile int stop;
static void *volatile sink;

__attribute__((noinline)) static void *brief(void *arg)
{
	void *p = malloc(32 + (size_t)arg % 512);

	sink = p;
	free(p);
	return NULL;
}

__attribute__((noinline)) static void *churn(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg;

	while (!stop) {
		pthread_t t;
		if (pthread_create(&t, NULL, brief, (void *)(size_t)seed) == 0)
			pthread_join(t, NULL);
		seed = seed * 1103515245u + 12345u;
		/* one in 16 is mapped on its own (256 KiB), the others come from size classes */
		size_t n = (seed >> 8) % 16 == 0 ? 256u << 10 : 16 + (seed >> 12) % 2048;
		char *p = malloc(n);
		if (p)
			p[n - 1] = 1;
		sink = p;
		free(p);
	}
	return NULL;
}

/* blocks small enough to come from the thread's own cache of the allocator, kept to the end */
__attribute__((noinline)) static void child_work(void)
{
	static void *volatile keep[CHILD_BLOCKS];

	for (int i = 0; i < CHILD_BLOCKS; i++) {
		char *p = malloc(CHILD_BYTES);
		if (p)
			p[CHILD_BYTES - 1] = 1;
		keep[i] = p;
	}
}

int main(int argc, char **argv)
{
	static pid_t kids[MAX_CHILDREN];
	pthread_t t[WORKERS];
	int n = argc >= 2 && argc <= 3 ? atoi(argv[1]) : 0;
	int alloc = argc == 3 && strcmp(argv[2], "alloc") == 0;
	int forked = 0;

	if (n <= 0 || n > MAX_CHILDREN || (argc == 3 && !alloc)) {
		fprintf(stderr, "usage: fork-busy CHILDREN (1..%d) [alloc]\n", MAX_CHILDREN);
		return 2;
	}
	for (size_t i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, churn, (void *)(i + 1)) != 0) {
			fprintf(stderr, "fork-busy: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0 && alloc) {
			child_work();
			exit(CHILD_STATUS);
		}
		if (pid == 0)
			_exit(CHILD_STATUS);
		if (pid < 0) {
			fprintf(stderr, "fork-busy: fork: %s\n", strerror(errno));
			break;
		}
		kids[forked++] = pid;
		/* a little time between forks for the workers to take the allocator's locks */
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
	stop = 1;
	for (size_t i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);

	struct reaped r = reap(kids, forked, CHILD_STATUS, WAIT_S);

	printf("forked %d exited %d status %d hung %d\n", forked, r.exited, r.status, r.hung);
	return 0;
}
