/* calls.c - microbenchmark for the cost of instrumentation per call.
 *
 * Usage: calls leaf|nonleaf N
 *   leaf     calls leaf() N times; leaf() makes no calls
 *   nonleaf  calls nonleaf() N times; nonleaf() calls leaf() once
 * Running each mode with two values of N under callgrind, the difference
 * of instruction counts divided by the difference of N is the cost of one
 * loop iteration, free of start-up and exit costs; subtracting the plain
 * build's figure leaves the instrumentation's cost per leaf call, and per
 * non-leaf call plus its leaf call.  noipa keeps GCC from inlining,
 * cloning or reasoning about the callees; volatile keeps every call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile int input = 1;
volatile int sink;

__attribute__((noipa)) int leaf(int x)
{
	return x * 3 + 1;
}

__attribute__((noipa)) int nonleaf(int x)
{
	return leaf(x) + 1;
}

int main(int argc, char **argv)
{
	long n, i;

	if (argc != 3 || (strcmp(argv[1], "leaf") && strcmp(argv[1], "nonleaf"))) {
		fprintf(stderr, "usage: calls leaf|nonleaf N\n");
		return 2;
	}
	n = atol(argv[2]);
	if (!strcmp(argv[1], "leaf"))
		for (i = 0; i < n; i++)
			sink = leaf(input);
	else
		for (i = 0; i < n; i++)
			sink = nonleaf(input);
	return 0;
}
