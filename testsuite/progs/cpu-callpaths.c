/*
 * A call-dense program with recursion whose call graph is fixed and known: the test checks
 * that every sampled stack is a path of this graph (no stale or torn frames).
 *   main -> run;  run -> walk | mix | pure;  walk -> walk | leafy;  mix -> leafy | twice;
 *   twice -> leafy;  pure -> pure
 * pure is a recursion GCC finds const by itself: it must still show as one frame a level.
 */
#include <stdio.h>

static volatile unsigned sink;

__attribute__((noinline)) unsigned leafy(unsigned x)
{
	for (unsigned i = 0; i < 40; i++)
		x = x * 2654435761u + i;
	sink += x;
	return x;
}

__attribute__((noinline)) unsigned twice(unsigned x)
{
	return leafy(x) + leafy(x + 1) + 1;
}

__attribute__((noinline)) unsigned walk(unsigned depth, unsigned x)
{
	if (depth == 0)
		return leafy(x);
	return walk(depth - 1, x + depth) + (x & 1);
}

__attribute__((noinline)) unsigned mix(unsigned x)
{
	return (x & 1) ? leafy(x) + 1 : twice(x) + 2;
}

__attribute__((noinline)) unsigned long pure(unsigned n)
{
	return n < 2 ? n : pure(n - 1) + pure(n - 2);
}

__attribute__((noinline)) unsigned run(unsigned rounds)
{
	unsigned acc = 0;
	for (unsigned r = 0; r < rounds; r++)
		acc += walk(r % 37, r) + mix(r) + (r % 64 ? 0 : (unsigned)pure(16));
	return acc;
}

int main(void)
{
	volatile unsigned rounds = 3000000;
	printf("%u\n", run(rounds) != 1 ? 1u : 0u);
	return 0;
}
