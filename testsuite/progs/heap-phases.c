/*
 * Two phases 3 s apart: early() allocates 10 blocks of 1000 B; after the pause they are
 * freed and late() allocates 10 blocks of 2000 B, which stay. The end of the first phase
 * is printed as "early done at NS" (CLOCK_REALTIME), so that a test can choose a second
 * of the profile between the phases however slowly the program started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void *volatile sink;

__attribute__((noinline)) void *early(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) void *late(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

int main(void)
{
	static void *a[10], *b[10];
	struct timespec pause = { 3, 0 }, now;

	for (int i = 0; i < 10; i++)
		a[i] = early(1000);
	clock_gettime(CLOCK_REALTIME, &now);
	printf("early done at %lld%09ld\n", (long long)now.tv_sec, now.tv_nsec);
	nanosleep(&pause, NULL);
	for (int i = 0; i < 10; i++) {
		free(a[i]);
		b[i] = late(2000);
	}
	puts(b[9] ? "done" : "none");
	return 0;
}
