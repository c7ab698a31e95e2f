/*
 * Thread churn: N short-lived threads (argv[1], 100000 by default), half created one after
 * another, each joined before the next starts, half in bursts of BURST created together and
 * then joined; each returns a value of its argument, summed and printed. Then three threads
 * park for good in park_forever() and main exits with them alive. On stderr (not part of the
 * compared output), the peak RSS in KiB at four marks: "hwm serial-early|serial|burst-early|
 * burst KIB", the early marks after a tenth of each half; and per half, what one
 * pthread_create call took: "create serial|burst MEAN_NS MAX_NS FIRST_TENTH_NS
 * LAST_TENTH_NS" (the mean over the first and the last tenth of the calls: a cost that
 * grows with the threads seen shows as a last tenth slower than the first).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn.h"

#define BURST 1000

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int parked;

struct latency {
	uint64_t sum, max, first, last;	/* ns */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* pthread_create, its time added to l as call i of n */
static void create_timed(pthread_t *t, void *(*fn)(void *), uintptr_t arg, struct latency *l,
			 long i, long n)
{
	uint64_t t0 = now_ns();

	if (pthread_create(t, NULL, fn, (void *)arg) != 0) {
		perror("pthread_create");
		exit(2);
	}
	uint64_t d = now_ns() - t0;
	l->sum += d;
	if (d > l->max)
		l->max = d;
	if (i < n / 10)
		l->first += d;
	else if (i >= n - n / 10)
		l->last += d;
}

static void report(const char *what, const struct latency *l, long n)
{
	long tenth = n / 10 ? n / 10 : 1;

	fprintf(stderr, "create %s %llu %llu %llu %llu\n", what,
		(unsigned long long)(n ? l->sum / (uint64_t)n : 0), (unsigned long long)l->max,
		(unsigned long long)(l->first / (uint64_t)tenth),
		(unsigned long long)(l->last / (uint64_t)tenth));
}

static void *serial_work(void *arg)
{
	return (void *)mix((uintptr_t)arg);
}

static void *burst_work(void *arg)
{
	return (void *)(mix((uintptr_t)arg) + 1);
}

__attribute__((noinline)) static uintptr_t run_serial(long n)
{
	struct latency l = { 0 };
	uintptr_t sum = 0;

	for (long i = 0; i < n; i++) {
		pthread_t t;
		void *r;
		create_timed(&t, serial_work, (uintptr_t)i, &l, i, n);
		pthread_join(t, &r);
		sum += (uintptr_t)r;
		if (i + 1 == n / 10)
			hwm("serial-early");
	}
	report("serial", &l, n);
	return sum;
}

__attribute__((noinline)) static uintptr_t run_bursts(long n)
{
	static pthread_t t[BURST];
	struct latency l = { 0 };
	uintptr_t sum = 0;
	long bursts = n / BURST;

	for (long b = 0; b < bursts; b++) {
		for (int i = 0; i < BURST; i++)
			create_timed(&t[i], burst_work, (uintptr_t)(b * BURST + i), &l,
				     b * BURST + i, bursts * BURST);
		sum += join_sum(t, BURST);
		/* a tenth, rounded up: there is an early mark from the first burst on */
		if (b + 1 == (bursts + 9) / 10)
			hwm("burst-early");
	}
	report("burst", &l, bursts * BURST);
	return sum;
}

__attribute__((noinline)) static void park_forever(void)
{
	pthread_mutex_lock(&park_lock);
	parked++;
	pthread_cond_broadcast(&park_cond);
	for (;;)
		pthread_cond_wait(&park_cond, &park_lock);
}

static void *park_run(void *arg)
{
	(void)arg;
	park_forever();
	return NULL;
}

__attribute__((noinline)) static void park_three(void)
{
	pthread_t t;

	for (int i = 0; i < 3; i++)
		pthread_create(&t, NULL, park_run, NULL);
	pthread_mutex_lock(&park_lock);
	while (parked < 3)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	uintptr_t a = run_serial(n / 2);

	hwm("serial");
	uintptr_t b = run_bursts(n - n / 2);
	hwm("burst");
	park_three();
	printf("%ld threads: %lx %lx\n", n, (unsigned long)a, (unsigned long)b);
	fflush(stdout);
	return 0;
}
