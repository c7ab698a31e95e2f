/*
 * What the crash cases' programs (crash-flush.c, crash-arena.c, crash-in-malloc.c) share.
 * For kept_blocks() the includer defines BLOCKS and kept[BLOCKS].
 */
#ifndef GOPROF_TESTSUITE_CRASHES_H
#define GOPROF_TESTSUITE_CRASHES_H

#include <stdlib.h>
#include <string.h>

static void *volatile crash_sink __attribute__((unused));	/* stores the compiler keeps */

/* glibc aborts inside free(), with its arena's lock held: a 5000-byte block freed twice */
__attribute__((noinline, unused)) static void double_free(void)
{
	char *volatile p = malloc(5000);
	char *q = malloc(5000);

	crash_sink = q;
	p[0] = 1;
	free(p);
	crash_sink = p;
	free(p);
}

#ifdef BLOCKS
/* BLOCKS blocks of sizes 1000, 1016, ... kept in kept[]: the bytes kept */
__attribute__((noinline)) static unsigned long long kept_blocks(void)
{
	unsigned long long bytes = 0;

	for (int i = 0; i < BLOCKS; i++) {
		size_t n = 1000 + 16 * (size_t)i;
		kept[i] = malloc(n);
		memset(kept[i], i, n);
		bytes += n;
	}
	return bytes;
}
#endif

#endif
