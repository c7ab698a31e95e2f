/*
 * Dies while glibc's malloc holds its arena lock. Two threads run and end first (the
 * second, "last", just before the crash, so that only the crash flush can write its end),
 * then, as argv[1] says:
 *  - abort: a double free of a block too large for the thread cache; glibc finds it
 *    inside free with the arena locked and calls abort() there;
 *  - segv: a timer signal whose handler writes through a null pointer, while the main
 *    thread allocates and frees in a loop (most of its time inside malloc and free).
 * Run with MALLOC_ARENA_MAX=1, every thread, goprof's writer included, uses the arena the
 * dying thread may hold.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static void *volatile sink;

#include "crashes.h"

static int *volatile nowhere;

static void *work(void *arg)
{
	return (char *)arg + 1;
}

__attribute__((noinline)) static void spawn(const char *name)
{
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, work, (void *)name);
	pthread_setname_np(t, name);
	pthread_join(t, &r);
	sink = r;
}

static void on_alarm(int sig)
{
	(void)sig;
	*nowhere = 1;
}

__attribute__((noinline)) static void fault_in_malloc_loop(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 3000 } };

	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	for (unsigned i = 0;; i++) {
		char *p = malloc(2000 + (i & 4095));
		p[0] = (char)i;
		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	spawn("first");
	printf("started\n");
	fflush(stdout);
	spawn("last");
	if (argc > 1 && strcmp(argv[1], "abort") == 0)
		double_free();
	fault_in_malloc_loop();
	return 0;
}
