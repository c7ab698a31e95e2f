/* Most CPU time goes to libc's memcpy, called from the instrumented function copier. */
#include <stdio.h>
#include <string.h>

static char a[1 << 20], b[1 << 20];
static char *volatile pa = a, *volatile pb = b;

__attribute__((noinline)) void copier(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		memcpy(pa, pb, sizeof(a));
}

int main(void)
{
	volatile unsigned n = 40000;
	copier(n);
	puts("done");
	return 0;
}
