/*
 * Two threads and one mutex: holder keeps it 100 ms, ten times, while waiter waits for it,
 * so the block profile gets about 1 s at waiter_lock and the mutex profile about 1 s at
 * hold (the unlocker). Then the API: the profiles are switched off and a second round at
 * other functions must not be recorded. Prints the API's answers.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>
#include <goprof.h>

#define ROUNDS 10

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t start, done;
static volatile int sink;

__attribute__((noinline)) static void hold(useconds_t us)
{
	pthread_mutex_lock(&m);
	sem_post(&start);
	usleep(us);
	pthread_mutex_unlock(&m);
	sink++;
}

__attribute__((noinline)) static void waiter_lock(void)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	sink++;
}

__attribute__((noinline)) static void waiter_ready(void)
{
	sem_wait(&start);
	sink++;
}

__attribute__((noinline)) static void *waiter(void *arg)
{
	long rounds = (long)arg;

	for (long i = 0; i < rounds; i++) {
		waiter_ready();
		usleep(2000);	/* holder is asleep holding m by now */
		waiter_lock();
		sem_post(&done);
	}
	return NULL;
}

__attribute__((noinline)) static void holder_next(void)
{
	sem_wait(&done);
	sink++;
}

__attribute__((noinline)) static void rounds(long n, useconds_t us)
{
	pthread_t t;

	pthread_create(&t, NULL, waiter, (void *)n);
	for (long i = 0; i < n; i++) {
		hold(us);
		holder_next();
	}
	pthread_join(t, NULL);
}

__attribute__((noinline)) static void unrecorded_hold(void)
{
	rounds(3, 20000);
}

int main(void)
{
	rounds(ROUNDS, 100000);
	printf("block rate %lld\n", (long long)goprof_block_rate_get());
	printf("mutex fraction %d\n", goprof_mutex_fraction_get());
	printf("mutex fraction read %d\n", goprof_mutex_fraction_set(-1));
	printf("mutex fraction was %d\n", goprof_mutex_fraction_set(0));
	printf("block rate was %lld\n", (long long)goprof_block_rate_set(0));
	printf("now %lld %d\n", (long long)goprof_block_rate_get(), goprof_mutex_fraction_get());
	unrecorded_hold();
	return 0;
}
