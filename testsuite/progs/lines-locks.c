/*
 * Known waits, releases and thread creations from two lines of one function each, for the
 * line-level block, mutex and threadcreate case. Per round a holder thread takes the mutex
 * four times, each time keeping it 10 ms while the main thread asks for it: three times
 * wait_twice() asks at LINE-LOCK3 and the holder gives it back at LINE-UNLOCK3, once at
 * LINE-LOCK1 and LINE-UNLOCK1. spawn() starts three threads at LINE-CREATE3 and one at
 * LINE-CREATE1. Every count is printed, so that nothing is optimised away.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 20
#define HOLD_MS 10

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t go, held;
static volatile int kind, stop;
static volatile unsigned long taken3, taken1, given3, given1, started;

static void pause_ms(int ms)
{
	struct timespec t = { 0, ms * 1000000L };

	nanosleep(&t, NULL);
}

/* The holder: takes the mutex, says so, keeps it, and gives it back at the kind's line. */
__attribute__((noinline)) static void hold(int three)
{
	pthread_mutex_lock(&mu);
	sem_post(&held);
	pause_ms(HOLD_MS);
	if (three) {
		pthread_mutex_unlock(&mu); /* LINE-UNLOCK3 */
		given3++;
	} else {
		pthread_mutex_unlock(&mu); /* LINE-UNLOCK1 */
		given1 += 2;
	}
}

static void *holder(void *arg)
{
	(void)arg;
	for (;;) {
		sem_wait(&go);
		if (stop)
			break;
		hold(kind);
	}
	return NULL;
}

/* The waiter: the holder has the mutex when each lock is asked for. */
__attribute__((noinline)) static void wait_twice(void)
{
	for (int i = 0; i < 3; i++) {
		kind = 1;
		sem_post(&go);
		sem_wait(&held);
		pthread_mutex_lock(&mu); /* LINE-LOCK3 */
		taken3++;
		pthread_mutex_unlock(&mu);
	}
	kind = 0;
	sem_post(&go);
	sem_wait(&held);
	pthread_mutex_lock(&mu); /* LINE-LOCK1 */
	taken1 += 2;
	pthread_mutex_unlock(&mu);
}

static void *child(void *arg)
{
	__atomic_fetch_add(&started, (unsigned long)arg, __ATOMIC_RELAXED);
	return NULL;
}

__attribute__((noinline)) static int spawn(void)
{
	pthread_t t[4];
	int rc = 0;

	for (int i = 0; i < 3; i++)
		rc |= pthread_create(&t[i], NULL, child, (void *)1); /* LINE-CREATE3 */
	rc |= pthread_create(&t[3], NULL, child, (void *)10); /* LINE-CREATE1 */
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return rc;
}

int main(void)
{
	pthread_t h;

	sem_init(&go, 0, 0);
	sem_init(&held, 0, 0);
	if (pthread_create(&h, NULL, holder, NULL) != 0)
		return 1;
	for (int r = 0; r < ROUNDS; r++)
		wait_twice();
	stop = 1;
	sem_post(&go);
	pthread_join(h, NULL);
	int rc = spawn();
	printf("taken %lu %lu given %lu %lu started %lu\n", taken3, taken1, given3, given1,
	       started);
	return rc;
}
