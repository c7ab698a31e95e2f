/*
 * A 16-thread server in miniature for the retention benchmark: each thread takes
 * "requests" (a few handlers of different depths, each allocating, parsing and answering),
 * sleeps between them as a server waits for its clients (about half its time), and shares
 * a mutex-guarded counter table. Runs for the given number of seconds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;
static double seconds = 60;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long table[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static unsigned long parse(const char *buf, size_t n, unsigned rounds)
{
	unsigned long h = 1469598103934665603ul;

	for (unsigned r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ul;
	return h;
}

__attribute__((noinline)) static void count(unsigned long key)
{
	pthread_mutex_lock(&table_lock);
	table[key % 64]++;
	pthread_mutex_unlock(&table_lock);
}

/* one request: a buffer of size bytes parsed rounds times, counted, freed */
__attribute__((noinline)) static void serve(size_t size, unsigned rounds, unsigned long salt)
{
	char *buf = malloc(size);

	memset(buf, (int)salt, size);
	unsigned long h = parse(buf, size, rounds);
	count(h);
	sink += h;
	free(buf);
}

__attribute__((noinline)) static void handle_get(unsigned long salt)
{
	serve(2048, 20, salt);
	sink++;
}

__attribute__((noinline)) static void handle_post(unsigned long salt)
{
	serve(16384, 8, salt);
	sink += 2;
}

__attribute__((noinline)) static void handle_search(unsigned long salt)
{
	handle_get(salt);
	serve(65536, 3, salt);
	sink += 3;
}

__attribute__((noinline)) static void handle_report(unsigned long salt)
{
	handle_search(salt);
	handle_post(salt);
	sink += 4;
}

static void *worker(void *arg)
{
	unsigned long x = (unsigned long)arg * 7919;
	double end = now() + seconds;
	struct timespec idle = { 0, 0 };

	while (now() < end) {
		double t0 = now();
		switch (x++ % 8) {
		case 0: case 1: case 2: case 3: handle_get(x); break;
		case 4: case 5: handle_post(x); break;
		case 6: handle_search(x); break;
		default: handle_report(x); break;
		}
		/* as long again waiting for the next client */
		idle.tv_nsec = (long)((now() - t0) * 1e9);
		nanosleep(&idle, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[16];

	if (argc > 1)
		seconds = atof(argv[1]);
	for (long i = 0; i < 16; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	printf("%lu\n", sink & 1);
	return 0;
}
