/*
 * The HTTP benchmark's program (bench/http-bench.sh).
 *
 *	http-micro stacks STOPFILE	makes 10000 allocations, each from a call path of its own
 *					(14 levels of left()/right() chosen by the bits of
 *					its number), keeps them, and waits for STOPFILE
 *	http-micro work N		N rounds of arithmetic and small allocations; prints
 *					the seconds they took and the CPU seconds the whole
 *					process used (its goprof threads included)
 */
#define _GNU_SOURCE 1
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define LEVELS 14
#define STACKS 10000	/* of the 16384 paths */

static void *kept[1 << LEVELS];

__attribute__((noinline)) void leaf(unsigned i)
{
	kept[i] = malloc(64 + (i & 63));
	if (!kept[i])
		abort();
}

void left(unsigned i, int level);
void right(unsigned i, int level);

__attribute__((noinline)) void left(unsigned i, int level)
{
	if (level == LEVELS)
		leaf(i);
	else if (i >> level & 1)
		right(i, level + 1);
	else
		left(i, level + 1);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void right(unsigned i, int level)
{
	if (level == LEVELS)
		leaf(i);
	else if (i >> level & 1)
		right(i, level + 1);
	else
		left(i, level + 1);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) unsigned long work_round(unsigned long x)
{
	char *p = malloc(32 + (x & 255));
	if (!p)
		abort();
	for (int k = 0; k < 2000; k++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	p[0] = (char)x;
	free(p);
	return x;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc == 3 && argv[1][0] == 's') {
		for (unsigned i = 0; i < STACKS; i++)
			left(i, 0);
		while (access(argv[2], F_OK) != 0)
			usleep(100000);
		return 0;
	}
	if (argc == 3 && argv[1][0] == 'w') {
		long n = atol(argv[2]);
		/* the worker on CPU 0; goprof's threads, started before main, keep every CPU */
		cpu_set_t cpu0;
		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		if (getenv("HTTP_MICRO_PIN"))
			sched_setaffinity(0, sizeof(cpu0), &cpu0);
		unsigned long x = 1;
		double t0 = now_s();
		for (long i = 0; i < n; i++)
			x = work_round(x);
		double wall = now_s() - t0;
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		printf("%.4f %.4f %lu\n", wall,
		       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, x & 1);
		return 0;
	}
	fprintf(stderr, "usage: http-micro stacks STOPFILE | work N\n");
	return 2;
}
