/*
 * A statically linked program for 9301: main and a second thread each burn in a function
 * of their own, main keeps 64 blocks of 64 KiB (4 MiB) and frees 32 others, and two threads
 * contend for a mutex its holder keeps for 20 ms, 10 times. Prints what it computed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEPT 64
#define BLOCK 65536

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void *kept[KEPT];
static volatile unsigned long sink;

__attribute__((noinline)) static unsigned long burn_main(volatile unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += (i * i) ^ (s >> 3);
	return s;
}

__attribute__((noinline)) static unsigned long burn_thread(volatile unsigned long n)
{
	unsigned long s = 1;

	for (unsigned long i = 0; i < n; i++)
		s += (i * 7) ^ (s >> 5);
	return s;
}

__attribute__((noinline)) static void *keep_block(volatile size_t n)
{
	char *p = malloc(n);

	memset(p, (int)(n & 0x7f), n);
	return p;
}

__attribute__((noinline)) static void drop_block(volatile size_t n)
{
	char *p = malloc(n);

	memset(p, 3, n);
	sink += (unsigned char)p[n / 2];
	free(p);
}

__attribute__((noinline)) static void hold_lock(void)
{
	struct timespec ts = { 0, 20000000 };

	pthread_mutex_lock(&m);
	nanosleep(&ts, NULL);
	pthread_mutex_unlock(&m);
	sink++;
}

static void *worker(void *arg)
{
	for (int i = 0; i < 10; i++)
		hold_lock();
	sink += burn_thread(400000000UL);
	return arg;
}

int main(void)
{
	pthread_t t;
	unsigned long sum = 0;

	for (int i = 0; i < KEPT; i++)
		kept[i] = keep_block(BLOCK);
	for (int i = 0; i < 32; i++)
		drop_block(BLOCK);
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	for (int i = 0; i < 10; i++)
		hold_lock();
	sum = burn_main(400000000UL);
	pthread_join(t, NULL);
	for (int i = 0; i < KEPT; i++)
		sum += ((unsigned char *)kept[i])[i];
	printf("sum %lu, %d blocks kept, %lu\n", sum % 1000, KEPT, sink != 0);
	return 0;
}
