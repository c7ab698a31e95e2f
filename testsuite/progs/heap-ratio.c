/*
 * 300 MiB from two call sites in a 3:1 ratio (three_parts 225 MiB, one_part 75 MiB) in
 * 3 MiB blocks, every other block freed again. Blocks of 6x the default sampling rate are
 * sampled with probability 1 - e^-6 = 99.75 %, so the unsampled totals land within 10 % of
 * the truth on all but about one run in 2,000 (two of one_part's 12 blocks in use missed;
 * with 2 MiB blocks, 98 %, one run in 30 failed so); blocks much smaller than the rate
 * would need gigabytes for that (the relative error of a sampled total is about
 * 1 / sqrt(samples)).
 */
#include <stdio.h>
#include <stdlib.h>

#define BLOCK (3u << 20)

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
