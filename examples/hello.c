/* The bundled example: a small program with a few hot functions and threads. */
#include <pthread.h>
#include <stdio.h>
#include <goprof.h>

__attribute__((noinline)) static void show(void)
{
	struct goprof_frame f[16];
	int n = goprof_callers(f, 16);

	for (int i = 0; i < n; i++)
		printf("  #%d %s (%s:%d)\n", i, f[i].function, f[i].file, f[i].line);
}

__attribute__((noinline)) static void inner(void)
{
	show();
}

__attribute__((noinline)) static void outer(void)
{
	inner();
	puts("");
}

int main(void)
{
	puts("shadow stack of inner():");
	outer();
	return 0;
}
