/*
 * A thread that is running, not waiting, when the goroutine profile is taken: runner()
 * spins in spin(), a leaf (never instrumented), until main() has slept 1.5 s and exits
 * with the thread still spinning.
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

int main(void)
{
	pthread_t t;
	struct timespec ts = { 1, 500000000 };

	if (pthread_create(&t, NULL, runner, NULL) != 0)
		return 1;
	nanosleep(&ts, NULL);
	puts("done");
	exit(0);
}
