/*
 * Four threads take turns on one mutex, each holding it HOLD_US microseconds ROUNDS
 * times: about 4 * ROUNDS contention events whose delay the unlockers (in unlock_it)
 * caused, the same workload at every mutex fraction.
 *
 * The delay depends on how long the machine lets a holder keep the lock (a loaded machine
 * stretches the 500 us sleeps several times over), so the program measures it itself:
 * the unlocker notes the time of its release under the lock, and a thread that finds, once
 * it holds the lock, a release later than the moment it asked for the lock waited from
 * that moment to that release, which is what the mutex profile charges the unlockers. The
 * total is printed as "waited NS ns in N contended locks".
 *
 * An unlocker does not take the lock again before a waiter it woke has it: the profile
 * charges a waiter only up to the releases that wake one (as Go does), and a release made
 * by a thread that took the lock first, while the woken waiter was still being scheduled,
 * wakes nobody; the waiter's wait then ended at a release the profile never saw. On a
 * loaded machine under AddressSanitizer that left three quarters of the program's measure
 * out of the profile.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define THREADS 4
#define ROUNDS 500
#define HOLD_US 500

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t released_ns;		/* the last release; under lock */
static uint64_t waited_ns, contended;	/* atomically */
static uint64_t acquired;		/* acquisitions; atomically */
static int asking;			/* threads between asking and holding; atomically */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void hold(void)
{
	struct timespec ts = { 0, HOLD_US * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void unlock_it(void)
{
	released_ns = now_ns();
	pthread_mutex_unlock(&lock);
}

static void *player(void *unused)
{
	uint64_t waited = 0, n = 0;

	(void)unused;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t asked = now_ns();

		__atomic_add_fetch(&asking, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&lock);
		__atomic_sub_fetch(&asking, 1, __ATOMIC_SEQ_CST);
		uint64_t mine = __atomic_add_fetch(&acquired, 1, __ATOMIC_SEQ_CST);
		if (released_ns > asked) {
			waited += released_ns - asked;
			n++;
		}
		hold();
		unlock_it();
		/* hand over: wait until another thread holds it, while one is asking */
		while (__atomic_load_n(&acquired, __ATOMIC_SEQ_CST) == mine &&
		       __atomic_load_n(&asking, __ATOMIC_SEQ_CST) > 0)
			sched_yield();
	}
	__atomic_add_fetch(&waited_ns, waited, __ATOMIC_RELAXED);
	__atomic_add_fetch(&contended, n, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, player, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("%d threads, %d rounds\n", THREADS, ROUNDS);
	printf("waited %llu ns in %llu contended locks\n", (unsigned long long)waited_ns,
	       (unsigned long long)contended);
	return 0;
}
