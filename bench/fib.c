/* fib.c - call-heavy benchmark: naive recursive Fibonacci.
 *
 * Usage: fib [N]   (default 38)
 * Prints fib(N) and the number of calls made, 2*fib(N+1)-1, worked out
 * without touching the recursion.  Build with -O2
 * -fno-optimize-sibling-calls so that GCC keeps both recursive calls. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long fib(unsigned n)
{
	if (n < 2)
		return n;
	return fib(n - 1) + fib(n - 2);
}

static unsigned long fib_iter(unsigned n)
{
	unsigned long a = 0, b = 1;

	while (n--) {
		unsigned long t = a + b;
		a = b;
		b = t;
	}
	return a;
}

int main(int argc, char **argv)
{
	volatile unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 38;
	unsigned long r = fib(n);

	printf("fib(%u) = %lu, calls = %lu\n", n, r, 2 * fib_iter(n + 1) - 1);
	return r == fib_iter(n) ? 0 : 1;
}
