/*
 * Burns 1200 ms of CPU in doomed(), then dies by the signal its argument names: abort
 * (SIGABRT), segv (a write to a page mapped without access), fpe (an integer division by
 * zero in the processor). The faults are the hardware's, not undefined behaviour in C, so
 * that UndefinedBehaviorSanitizer (--enable-sanitizers) lets the program reach them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "burn.h"

static volatile int zero;

__attribute__((noinline)) void doomed(const char *how)
{
	spin_ms(1200);
	if (strcmp(how, "abort") == 0)
		abort();
	if (strcmp(how, "segv") == 0) {
		int *guarded = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (guarded == MAP_FAILED) {
			perror("mmap");
			exit(3);
		}
		*(volatile int *)guarded = 1;
	}
	if (strcmp(how, "fpe") == 0) {
		int n = 100, d = zero;

#if defined(__x86_64__) || defined(__i386__)
		asm volatile("cltd\n\tidivl %1" : "+a"(n) : "r"(d) : "edx", "cc");
#else
		raise(SIGFPE);
#endif
		printf("%d\n", n);
	}
}

int main(int argc, char **argv)
{
	doomed(argc > 1 ? argv[1] : "abort");
	puts("survived");
	return 0;
}
