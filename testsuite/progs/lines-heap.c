/*
 * Known allocations from three lines of one function, for the line-level heap case:
 * fill() mallocs 300 x 3000 B at LINE-BIG, 100 x 1000 B at LINE-SMALL and callocs
 * 100 x 500 B at LINE-CALLOC, keeping all of them.
 */
#include <stdio.h>
#include <stdlib.h>

static void *keep[500];

__attribute__((noinline)) void fill(volatile size_t big, volatile size_t small)
{
	int k = 0;

	for (int i = 0; i < 300; i++)
		keep[k++] = malloc(big); /* LINE-BIG */
	for (int i = 0; i < 100; i++)
		keep[k++] = malloc(small); /* LINE-SMALL */
	for (int i = 0; i < 100; i++)
		keep[k++] = calloc(1, small / 2); /* LINE-CALLOC */
	printf("%d blocks\n", k);
}

int main(void)
{
	fill(3000, 1000);
	return keep[0] && keep[499] ? 0 : 1;
}
