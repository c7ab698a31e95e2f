/*
 * Four threads busy for the given number of seconds in a call-dense workload whose stacks
 * keep changing (recursion of varying depth through a few functions): the database-growth
 * benchmark's subject.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;
static double seconds = 30;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static unsigned long work(unsigned long x)
{
	for (int i = 0; i < 200; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

__attribute__((noinline)) static unsigned long descend_a(unsigned depth, unsigned long x);

__attribute__((noinline)) static unsigned long descend_b(unsigned depth, unsigned long x)
{
	return depth ? descend_a(depth - 1, x ^ depth) + 1 : work(x);
}

__attribute__((noinline)) static unsigned long descend_a(unsigned depth, unsigned long x)
{
	return depth ? ((x & 1) ? descend_b(depth - 1, x >> 1) : descend_a(depth - 1, x >> 1)) + 1
		     : work(x);
}

static void *worker(void *arg)
{
	unsigned long x = (unsigned long)arg * 7919;
	double end = now() + seconds;

	while (now() < end)
		for (int i = 0; i < 1000; i++)
			sink += descend_a((unsigned)(x++ % 24), x);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];

	if (argc > 1)
		seconds = atof(argv[1]);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%lu\n", sink & 1);
	return 0;
}
