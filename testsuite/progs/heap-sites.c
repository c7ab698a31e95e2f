/*
 * Known allocations from three call sites: keep_small 100 x 100 B (malloc), drop_mid
 * 50 x 4000 B (calloc, all freed again), keep_big 10 x 100000 B (posix_memalign).
 */
#include <stdio.h>
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) void *keep_small(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) void *drop_mid(volatile size_t n)
{
	void *p = calloc(1, n);
	sink = p;
	return p;
}

__attribute__((noinline)) void *keep_big(volatile size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, n) != 0)
		abort();
	sink = p;
	return p;
}

int main(void)
{
	static void *small[100], *mid[50], *big[10];

	for (int i = 0; i < 100; i++)
		small[i] = keep_small(100);
	for (int i = 0; i < 50; i++)
		mid[i] = drop_mid(4000);
	for (int i = 0; i < 10; i++)
		big[i] = keep_big(100000);
	for (int i = 0; i < 50; i++)
		free(mid[i]);
	printf("%d\n", small[99] && big[9]);
	return 0;
}
