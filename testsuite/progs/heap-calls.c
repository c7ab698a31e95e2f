/*
 * The heap profile's call counters for realloc: with argument K, K rounds of
 * realloc(NULL, n) (an allocation), realloc(p, m) (a free and an allocation), realloc(q, 0)
 * (a free) and free(NULL) (neither); with 0, none. Each round's sizes differ, so that the
 * second realloc moves or resizes a real block. Prints the sum of the bytes it wrote, so
 * that no call can be dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile hole;

__attribute__((noinline)) static unsigned long round_trip(long i)
{
	char *p = realloc(NULL, 24 + (size_t)(i & 63));
	unsigned long sum = 0;

	if (!p)
		exit(2);
	memset(p, (int)(i & 127), 24);
	char *q = realloc(p, 200 + (size_t)(i & 511));
	if (!q)
		exit(2);
	sum += (unsigned char)q[3];
	/* glibc: realloc(q, 0) frees q and returns NULL */
	hole = realloc(q, 0);
	free(hole);
	free(NULL);
	return sum;
}

int main(int argc, char **argv)
{
	long k = argc > 1 ? atol(argv[1]) : 0;
	unsigned long sum = 0;

	for (long i = 0; i < k; i++)
		sum += round_trip(i);
	printf("%lu\n", sum);
	return 0;
}
