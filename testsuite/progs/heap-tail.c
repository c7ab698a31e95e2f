/*
 * Allocations whose malloc is a tail call: alloc_tail() ends with `return malloc(n)` and
 * dup_tail() with `return strdup(s)`. Each makes COUNT blocks of known size, all kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT 100

__attribute__((noinline)) void *alloc_tail(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) char *dup_tail(const char *s)
{
	return strdup(s);
}

static void *kept[2 * COUNT];

int main(void)
{
	for (int i = 0; i < COUNT; i++) {
		kept[i] = alloc_tail(1000);
		kept[COUNT + i] = dup_tail("0123456789012345678901234567890123456789");
		if (!kept[i] || !kept[COUNT + i])
			abort();
	}
	printf("%d + %d blocks\n", COUNT, COUNT);
	return 0;
}
