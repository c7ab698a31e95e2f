/*
 * Two threads and one mutex: holder keeps it 100 ms after waiter has begun waiting for it,
 * ten times, so the block profile gets about 1 s at waiter_lock and the mutex profile about
 * 1 s at hold (the unlocker). Prints "waited BLOCK MUTEX": the ns waiter measured from each
 * lock call to its return, and from each lock call to holder's release (what each profile
 * should show, whatever the machine's load added). Then the API: the profiles are switched
 * off and a second round at other functions must not be recorded. Prints the API's answers.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>
#include <goprof.h>

#include "waiting.h"
#include "wait-clock.h"

#define ROUNDS 10

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t start, done;
static volatile int sink;
static uint64_t wait_from;		/* when waiter called lock; under m */
static uint64_t block_ns, mutex_ns;	/* measured for the recorded round */

__attribute__((noinline)) static void hold(useconds_t us)
{
	pthread_mutex_lock(&m);
	sem_post(&start);
	wait_for_waiter(&m);
	usleep(us);
	mutex_ns += mono_ns() - __atomic_load_n(&wait_from, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&m);
	sink++;
}

__attribute__((noinline)) static void waiter_lock(void)
{
	uint64_t t0 = mono_ns();

	__atomic_store_n(&wait_from, t0, __ATOMIC_RELEASE);
	pthread_mutex_lock(&m);
	block_ns += mono_ns() - t0;
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
	printf("waited %llu %llu\n", (unsigned long long)block_ns, (unsigned long long)mutex_ns);
	printf("block rate %lld\n", (long long)goprof_block_rate_get());
	printf("mutex fraction %d\n", goprof_mutex_fraction_get());
	printf("mutex fraction read %d\n", goprof_mutex_fraction_set(-1));
	printf("mutex fraction was %d\n", goprof_mutex_fraction_set(0));
	printf("block rate was %lld\n", (long long)goprof_block_rate_set(0));
	printf("now %lld %d\n", (long long)goprof_block_rate_get(), goprof_mutex_fraction_get());
	unrecorded_hold();
	return 0;
}
