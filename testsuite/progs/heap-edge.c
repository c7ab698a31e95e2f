/*
 * The malloc family's contracts hold under the interposer: realloc in place and moving,
 * calloc and reallocarray overflow, alignment, usable size. Prints "ok" or the first
 * broken contract and exits 1. The final block of grower (realloc'd twice) is in use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			printf("broken: %s (line %d)\n", #c, __LINE__);                    \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

void *volatile sink;

__attribute__((noinline)) char *grower(void)
{
	char *p = malloc(1000), *q;

	CHECK(p);
	memset(p, 'x', 1000);
	/* shrinking keeps the block where it is */
	q = realloc(p, 500);
	CHECK(q == p);
	/* growing past the top of the heap moves it (mmap-sized) and keeps the contents */
	p = realloc(q, 8 << 20);
	CHECK(p && p[0] == 'x' && p[499] == 'x');
	sink = p;
	return p;
}

int main(void)
{
	void *p;
	volatile size_t huge = SIZE_MAX / 2 + 2;

	char *g = grower();
	CHECK(g);

	errno = 0;
	CHECK(calloc(huge, 4) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(reallocarray(NULL, huge, 4) == NULL && errno == ENOMEM);

	for (size_t a = sizeof(void *); a <= 65536; a *= 2) {
		CHECK(posix_memalign(&p, a, 100) == 0 && ((uintptr_t)p & (a - 1)) == 0);
		free(p);
		p = aligned_alloc(a, 3 * a);
		CHECK(p && ((uintptr_t)p & (a - 1)) == 0);
		free(p);
		p = memalign(a, 10);
		CHECK(p && ((uintptr_t)p & (a - 1)) == 0);
		free(p);
	}
	CHECK(posix_memalign(&p, 3, 100) == EINVAL);
	p = valloc(10);
	CHECK(p && ((uintptr_t)p & 4095) == 0);
	free(p);
	p = pvalloc(10);
	CHECK(p && ((uintptr_t)p & 4095) == 0);
	free(p);

	p = malloc(100);
	CHECK(p && malloc_usable_size(p) >= 100);
	free(p);
	p = calloc(10, 10);
	CHECK(p && ((char *)p)[99] == 0);
	free(p);
	free(NULL);
	CHECK(realloc(NULL, 10) != NULL);
	puts("ok");
	return 0;
}
