/*
 * A long-running program for the HTTP tests: it keeps 4 MiB allocated in keep_memory(),
 * burns CPU in burn_cpu() and has two threads contend for a mutex in contend(), until the
 * file named by its argument exists (or ten minutes pass: a net for a case that died; the
 * cases stop it when they end, and under the sanitizers on a loaded machine two minutes
 * were too few for 4001's requests).
 *
 * With HTTP_APP_TRIM=FILE in its environment, the program gives glibc's free memory back to
 * the system (malloc_trim) whenever FILE appears, then removes it: a case that measures its
 * resident memory then counts what is held, not what the allocator keeps free for reuse.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "burn.h"

#define BLOCKS 64
#define BLOCK_BYTES 65536

static const char *stop_file;
static void *kept[BLOCKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int stopped(void)
{
	static time_t start;

	if (!start)
		start = time(NULL);
	return access(stop_file, F_OK) == 0 || time(NULL) - start > 600;
}

__attribute__((noinline)) void keep_memory(void)
{
	for (int i = 0; i < BLOCKS; i++) {
		kept[i] = malloc(BLOCK_BYTES);
		if (!kept[i])
			abort();
		((volatile char *)kept[i])[0] = 1;
	}
}

__attribute__((noinline)) void burn_cpu(void)
{
	spin_ms(50);
}

__attribute__((noinline)) void hold_lock(void)
{
	struct timespec ts = { 0, 10 * 1000000 };

	pthread_mutex_lock(&lock);
	nanosleep(&ts, NULL);
	pthread_mutex_unlock(&lock);
}

static void *contend(void *unused)
{
	(void)unused;
	while (!stopped())
		hold_lock();
	return NULL;
}

static void trim_when_asked(const char *file)
{
	if (file && access(file, F_OK) == 0) {
		malloc_trim(0);
		unlink(file);
	}
}

int main(int argc, char **argv)
{
	const char *trim_file = getenv("HTTP_APP_TRIM");
	pthread_t t[2];

	if (argc != 2)
		return 2;
	stop_file = argv[1];
	stopped();
	keep_memory();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, contend, NULL);
	while (!stopped()) {
		burn_cpu();
		trim_when_asked(trim_file);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < BLOCKS; i++)
		free(kept[i]);
	printf("done\n");
	return 0;
}
