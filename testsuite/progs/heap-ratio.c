/*
 * 200 MB from two call sites in a 3:1 ratio (three_parts 150 MB, one_part 50 MB) in 2 MiB
 * blocks, every other block freed again. Blocks of 4x the default sampling rate are
 * sampled with probability 1 - e^-4 = 98 %, so the unsampled totals land well within 10 %
 * of the truth on every run; blocks much smaller than the rate would need gigabytes for
 * that (the relative error of a sampled total is about 1 / sqrt(samples)).
 */
#include <stdio.h>
#include <stdlib.h>

#define BLOCK (2u << 20)

void *volatile sink;

__attribute__((noinline)) void *three_parts(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) void *one_part(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

int main(void)
{
	static void *a[75], *b[25];

	for (int i = 0; i < 75; i++) {
		a[i] = three_parts(BLOCK);
		if (i % 3 == 0)
			b[i / 3] = one_part(BLOCK);
	}
	for (int i = 0; i < 75; i += 2)
		free(a[i]);
	for (int i = 0; i < 25; i += 2)
		free(b[i]);
	puts("done");
	return 0;
}
