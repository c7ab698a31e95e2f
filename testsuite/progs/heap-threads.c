/*
 * 8 threads allocate blocks and hand them to each other through a shared queue: most
 * blocks are freed by another thread than the one that made them. At the end each thread
 * keeps exactly KEEP blocks from producer, the rest is freed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define ROUNDS 20000
#define KEEP 10
#define QCAP 1024

static void *queue[QCAP];
static int qn;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) void *producer(volatile size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	((volatile char *)p)[0] = 1;
	return p;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg;
	void **kept = malloc(KEEP * sizeof(*kept));

	for (int i = 0; i < ROUNDS; i++) {
		void *p = producer(16 + rand_r(&seed) % 2000), *q = NULL;
		pthread_mutex_lock(&lock);
		if (qn < QCAP)
			queue[qn++] = p, p = NULL;
		if (qn > QCAP / 2)
			q = queue[--qn];
		pthread_mutex_unlock(&lock);
		free(p);
		free(q);
	}
	for (int i = 0; i < KEEP; i++)
		kept[i] = producer(100);
	return kept;
}

int main(void)
{
	pthread_t t[THREADS];
	void *kept[THREADS];

	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(i + 1)) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], &kept[i]);
	for (int i = 0; i < qn; i++)
		free(queue[i]);
	printf("%d threads done\n", THREADS);
	return 0;
}
