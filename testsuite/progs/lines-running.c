/*
 * A thread that is running, not waiting, when the goroutine profile is taken: runner()
 * spins in spin(), a leaf (never instrumented), until main() has slept 1.5 s and exits
 * with the thread still spinning. And one that waits: parker() calls park() at LINE-PARK,
 * which asks at LINE-LOCK for the mutex main() holds to the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;
volatile int stop;

__attribute__((noinline)) void spin(void)
{
	while (!stop)
		sink += 3; /* LINE-SPIN */
}

__attribute__((noinline)) void *runner(void *arg)
{
	spin(); /* LINE-RUNNER */
	sink++;
	return arg;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) void park(void)
{
	pthread_mutex_lock(&held); /* LINE-LOCK */
	sink++;
	pthread_mutex_unlock(&held);
}

__attribute__((noinline)) void *parker(void *arg)
{
	sink += 2;
	park(); /* LINE-PARK */
	sink++;
	return arg;
}

int main(void)
{
	pthread_t t, p;
	struct timespec ts = { 1, 500000000 };

	pthread_mutex_lock(&held);
	if (pthread_create(&t, NULL, runner, NULL) != 0 ||
	    pthread_create(&p, NULL, parker, NULL) != 0)
		return 1;
	nanosleep(&ts, NULL);
	puts("done");
	exit(0);
}
