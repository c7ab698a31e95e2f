/*
 * trace-busy: 4 threads for argv[1] seconds (default 10) that fight over one mutex and
 * make short system calls (a byte through a pipe and back) and short sleeps: the most
 * trace events per second a program makes (testsuite/cases/7003, bench/trace-bench.sh).
 * With argv[2] = "rounds", each thread runs a fixed number of rounds (argv[1] thousands)
 * instead, for instruction counts, and argv[3] may ask for fewer threads. Prints a fixed
 * line, and the count and peak RSS on stderr.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long counter;
static double seconds = 10;
static long rounds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void bump(void)
{
	pthread_mutex_lock(&m);
	for (int i = 0; i < 50; i++)
		counter++;
	pthread_mutex_unlock(&m);
}

__attribute__((noinline)) static int ping(int *p)
{
	char c = 'x';

	if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
		return -1;
	return 0;
}

__attribute__((noinline)) static void *worker(void *arg)
{
	int p[2];
	double end = now() + seconds;
	(void)arg;

	if (pipe(p) != 0)
		return NULL;
	for (long n = 0;; n++) {
		if (rounds ? n >= rounds : (n & 63) == 0 && now() >= end)
			break;
		bump();
		if (ping(p) != 0)
			break;
		if ((n & 1023) == 0)
			usleep(50);
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

static long peak_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];

	if (argc > 1)
		seconds = atof(argv[1]);
	if (argc > 2 && !strcmp(argv[2], "rounds"))
		rounds = (long)(seconds * 1000);
	int n = argc > 3 ? atoi(argv[3]) : THREADS;
	if (n < 1 || n > THREADS)
		n = THREADS;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("threads %d done\n", THREADS);
	fprintf(stderr, "counter=%lu peak_kb=%ld\n", counter, peak_kb());
	return 0;
}
