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
 * cloning or reasoning about the callees; volatile keeps every call.
 *
 * Built with -DCALL_SITE_STORE (and the plugin), nonleaf() also makes the
 * store a plugin recording call sites would put before each call: the
 * address of a per-call-site record into the caller's own shadow-stack
 * slot.  It measures that design without writing it (bench/lines-bench.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile int input = 1;
volatile int sink;

__attribute__((noipa)) int leaf(int x)
{
	return x * 3 + 1;
}

#ifdef CALL_SITE_STORE
extern __thread const void **volatile __goprof_sp __attribute__((tls_model("local-exec")));
static const char call_site_record[16] __attribute__((aligned(4)));
#endif

__attribute__((noipa)) int nonleaf(int x)
{
#ifdef CALL_SITE_STORE
	__goprof_sp[-1] = call_site_record;
#endif
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
