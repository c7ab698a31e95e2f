/*
 * Lock-profiling micro benchmark.
 *	lock-micro uncontended N	N lock/unlock pairs of one mutex from one thread
 *	lock-micro contended N		4 threads, N pairs each, on one mutex, a little work
 *					inside and outside the critical section
 *	lock-micro recursive N [thread]	the uncontended loop on a recursive mutex; also
 *					errorcheck and adaptive
 *	lock-micro uncontended N thread	the same after a thread came and went: glibc's
 *					locks skip their atomic instructions while a process
 *					has never had a second thread, and goprof's writer
 *					is one
 * Prints nanoseconds per pair (CLOCK_MONOTONIC, the whole loop or all threads) and the
 * counter, which must be exact.
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 4

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static volatile unsigned long spin_sink;

__attribute__((noinline)) static void spin(unsigned n)
{
	unsigned long x = 0;

	for (unsigned i = 0; i < n; i++)
		x += i ^ (x >> 3);
	spin_sink = x;
}

__attribute__((noinline)) static void uncontended(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		counter++;
		pthread_mutex_unlock(&m);
	}
}

__attribute__((noinline)) static void *contender(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		counter++;
		spin(20);
		pthread_mutex_unlock(&m);
		spin(60);
	}
	return NULL;
}

static void *idle(void *arg)
{
	return arg;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 10000000;
	int contended = argc > 1 && strcmp(argv[1], "contended") == 0;
	pthread_t t;

	static const struct {
		const char *mode;
		int type;
	} kinds[] = { { "recursive", PTHREAD_MUTEX_RECURSIVE },
		      { "errorcheck", PTHREAD_MUTEX_ERRORCHECK },
		      { "adaptive", PTHREAD_MUTEX_ADAPTIVE_NP } };
	for (size_t k = 0; argc > 1 && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strcmp(argv[1], kinds[k].mode) != 0)
			continue;
		pthread_mutexattr_t a;
		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, kinds[k].type);
		pthread_mutex_init(&m, &a);
	}

	if (argc > 3 && pthread_create(&t, NULL, idle, NULL) == 0)
		pthread_join(t, NULL);
	double t0 = now();
	if (contended) {
		pthread_t ts[THREADS];
		for (int i = 0; i < THREADS; i++)
			pthread_create(&ts[i], NULL, contender, (void *)n);
		for (int i = 0; i < THREADS; i++)
			pthread_join(ts[i], NULL);
		n *= THREADS;
	} else {
		uncontended(n);
	}
	printf("%.2f %ld\n", (now() - t0) / (double)n, counter);
	return 0;
}
