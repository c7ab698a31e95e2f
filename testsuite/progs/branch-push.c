/*
 * A function whose common path makes no call and whose calls sit in two branches, which the
 * plugin pushes per branch: dispatch() burns CPU itself on its call-free path, calls spin()
 * on one branch and malloc() on the other. run() burns a little between the calls, so that
 * a missed pop would show as a stale dispatch frame under its own samples.
 *   main -> run -> dispatch (self)  |  dispatch -> spin  |  dispatch -> malloc
 * Prints how many bytes the kept blocks hold; the test knows: 200 blocks of 4096 bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include "burn.h"

#define BLOCKS 200
#define BLOCK_BYTES 4096

static void *kept[BLOCKS];
static unsigned nkept;
static volatile unsigned long sink;

__attribute__((noinline)) unsigned long dispatch(unsigned k, volatile unsigned long n)
{
	unsigned long x = 0;

	if (__builtin_expect(k == 1, 0))
		return spin(n) + 1;
	if (__builtin_expect(k == 2, 0)) {
		char *p = malloc(BLOCK_BYTES);
		if (p && nkept < BLOCKS) {
			p[0] = (char)n;
			kept[nkept++] = p;
		} else {
			free(p);
		}
		return nkept;
	}
	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	return x;
}

__attribute__((noinline)) unsigned long run(unsigned rounds, unsigned long n)
{
	unsigned long acc = 0;

	for (unsigned r = 0; r < rounds; r++) {
		/* per round: the same work in dispatch's own loop and in spin, one allocation */
		acc += dispatch(0, n);
		acc += dispatch(1, n);
		acc += dispatch(r < BLOCKS ? 2 : 3, 1);
		for (unsigned long i = 0; i < n / 8; i++)
			acc += i ^ (acc >> 5);
	}
	return acc;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 600;

	sink = run(rounds, 1000000);
	printf("kept %u blocks, %u bytes\n", nkept, nkept * BLOCK_BYTES);
	return 0;
}
