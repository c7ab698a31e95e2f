/*
 * Known allocations from three call sites, and nothing else the heap profile would see
 * (no stdio: its buffer is an allocation too): keep_small 100 x 100 B (malloc, kept),
 * drop_mid 50 x 4000 B (calloc, all freed), half_big 10 x 100000 B (malloc, 5 freed).
 */
#include <stdlib.h>
#include <unistd.h>

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

__attribute__((noinline)) void *half_big(volatile size_t n)
{
	void *p = malloc(n);
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
		big[i] = half_big(100000);
	for (int i = 0; i < 50; i++)
		free(mid[i]);
	for (int i = 0; i < 5; i++)
		free(big[i]);
	if (!small[99] || !big[9])
		return 1;
	return write(1, "done\n", 5) == 5 ? 0 : 1;
}
