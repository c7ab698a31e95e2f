/*
 * The uninstrumented library of 0008-dlopen-callback.sh: a few frames of its own between
 * the program's call and each callback.
 */
#include <stdlib.h>

int prog_hook(int x);
__attribute__((visibility("default"))) int lib_apply(int (*fn)(int), int x);

static volatile int sink;

__attribute__((noinline)) static int deeper(int (*fn)(int), int x)
{
	int r = fn(x);		/* a callback through a pointer */
	r += prog_hook(x);	/* a symbol of the program */
	sink++;
	return r;
}

int lib_apply(int (*fn)(int), int x)
{
	int r = deeper(fn, x);
	sink++;
	return r;
}
