/*
 * Burns 1200 ms of CPU in doomed(), then dies by the signal its argument names: abort
 * (SIGABRT), segv (a write through a null pointer), fpe (an integer division by zero).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "burn.h"

static int *volatile nowhere;
static volatile int zero;

__attribute__((noinline)) void doomed(const char *how)
{
	spin_ms(1200);
	if (strcmp(how, "abort") == 0)
		abort();
	if (strcmp(how, "segv") == 0)
		*nowhere = 1;
	if (strcmp(how, "fpe") == 0)
		printf("%d\n", 100 / zero);
}

int main(int argc, char **argv)
{
	doomed(argc > 1 ? argv[1] : "abort");
	puts("survived");
	return 0;
}
