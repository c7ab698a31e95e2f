/*
 * Waits of known length in three blocking calls: wait_cond() waits 200 ms on a condition
 * variable that a worker signals, join_worker() waits 300 ms for the worker to end, and
 * many_short_waits() waits SHORT times SHORT_MS on a semaphore (for the block rate's
 * sampling), while long_waits() waits LONG times LONG_MS. The times really waited go to
 * stderr as "name_ms=N".
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wait-clock.h"

#define SHORT 1000
#define SHORT_MS 1
#define LONG 5
#define LONG_MS 100

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int signalled;
static sem_t tick;
static int ticker_ms, ticker_n;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *worker(void *unused)
{
	(void)unused;
	sleep_ms(200);
	pthread_mutex_lock(&lock);
	signalled = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	sleep_ms(300);
	return NULL;
}

__attribute__((noinline)) void wait_cond(void)
{
	pthread_mutex_lock(&lock);
	while (!signalled)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) void join_worker(pthread_t t)
{
	pthread_join(t, NULL);
}

static void *ticker(void *unused)
{
	(void)unused;
	for (int i = 0; i < ticker_n; i++) {
		sleep_ms(ticker_ms);
		sem_post(&tick);
	}
	return NULL;
}

static __attribute__((noinline)) uint64_t run_ticker(int n, int ms, void (*wait)(void))
{
	pthread_t t;
	uint64_t waited = 0;

	ticker_n = n;
	ticker_ms = ms;
	pthread_create(&t, NULL, ticker, NULL);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = mono_ns();
		wait();
		waited += mono_ns() - t0;
	}
	pthread_join(t, NULL);
	return waited;
}

__attribute__((noinline)) void short_wait(void)
{
	sem_wait(&tick);
}

__attribute__((noinline)) void long_wait(void)
{
	sem_wait(&tick);
}

/* Not tail calls: these two stay on the stack under run_ticker. */
__attribute__((noinline)) uint64_t many_short_waits(void)
{
	uint64_t ns = run_ticker(SHORT, SHORT_MS, short_wait);
	__asm__ volatile("" ::: "memory");
	return ns;
}

__attribute__((noinline)) uint64_t long_waits(void)
{
	uint64_t ns = run_ticker(LONG, LONG_MS, long_wait);
	__asm__ volatile("" ::: "memory");
	return ns;
}

int main(int argc, char **argv)
{
	pthread_t t;

	sem_init(&tick, 0, 0);
	if (argc > 1 && argv[1][0] == 's') {
		uint64_t s = many_short_waits(), l = long_waits();
		printf("%d short and %d long waits\n", SHORT, LONG);
		fprintf(stderr, "short_ms=%llu\nlong_ms=%llu\n", (unsigned long long)(s / 1000000),
			(unsigned long long)(l / 1000000));
		return 0;
	}
	pthread_create(&t, NULL, worker, NULL);
	uint64_t t0 = mono_ns();
	wait_cond();
	uint64_t t1 = mono_ns();
	join_worker(t);
	uint64_t t2 = mono_ns();
	printf("waited on a condition and a join\n");
	fprintf(stderr, "cond_ms=%llu\njoin_ms=%llu\n", (unsigned long long)((t1 - t0) / 1000000),
		(unsigned long long)((t2 - t1) / 1000000));
	return 0;
}
