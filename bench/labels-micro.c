/*
 * Labels micro-benchmark: N "requests", each a small fixed amount of work in an
 * instrumented function, with labels set around each one or not. Prints ns per request.
 *
 *	labels-micro N MODE	MODE: plain (no labels), kind (one push/pop of one of 4 kinds),
 *				nested (two pushes/pops), fresh (a value never pushed before:
 *				the first use, which allocates)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goprof.h"

static volatile unsigned long sink;

__attribute__((noinline)) void handle(unsigned long i)
{
	unsigned long x = i;

	for (int k = 0; k < 16; k++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "search", "upload", "login", "static" };
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
	const char *mode = argc > 2 ? argv[2] : "plain";
	char value[32];
	double t0 = now_ns();

	if (strcmp(mode, "plain") == 0) {
		for (unsigned long i = 0; i < n; i++)
			handle(i);
	} else if (strcmp(mode, "kind") == 0) {
		for (unsigned long i = 0; i < n; i++) {
			goprof_label_push("kind", kinds[i & 3]);
			handle(i);
			goprof_label_pop();
		}
	} else if (strcmp(mode, "nested") == 0) {
		for (unsigned long i = 0; i < n; i++) {
			goprof_label_push("kind", kinds[i & 3]);
			goprof_label_push("tenant", kinds[(i >> 2) & 3]);
			handle(i);
			goprof_label_pop();
			goprof_label_pop();
		}
	} else if (strcmp(mode, "fresh") == 0) {
		for (unsigned long i = 0; i < n; i++) {
			snprintf(value, sizeof(value), "%lu", i);
			goprof_label_push("request", value);
			handle(i);
			goprof_label_pop();
		}
	} else {
		fprintf(stderr, "labels-micro: unknown mode %s\n", mode);
		return 2;
	}
	printf("%.1f\n", (now_ns() - t0) / (double)n);
	return 0;
}
