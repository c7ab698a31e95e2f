/*
 * Threads parked in known places, for the goroutine-profile cases: park(place, name)
 * starts a thread named name that runs place() and then parked_after(), if set.
 */
#ifndef GOPROF_TESTSUITE_PARKED_H
#define GOPROF_TESTSUITE_PARKED_H

#include <pthread.h>
#include <stddef.h>

static void (*parked_after)(void);

static void *parked_run(void *arg)
{
	void (*place)(void) = (void (*)(void))arg;

	place();
	if (parked_after)
		parked_after();
	return NULL;
}

static pthread_t park(void (*place)(void), const char *name)
{
	pthread_t t;

	pthread_create(&t, NULL, parked_run, (void *)place);
	pthread_setname_np(t, name);
	return t;
}

#endif
