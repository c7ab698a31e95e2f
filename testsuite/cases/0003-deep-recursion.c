/*
 * Recursion 100,000 frames deep neither crashes nor corrupts the shadow stack: at the
 * bottom goprof_callers() reports the innermost frames and one "[truncated]" frame, and
 * once the recursion unwinds every frame below it reads exactly as before. The program is
 * never built with AddressSanitizer (--enable-sanitizers; the runtime it links still is):
 * ASan's larger frames would overflow the machine stack before the depth is reached.
 *
 * goprof-opts: -O0 -O2
 * goprof-cflags: -fno-sanitize=address
 */
#include <pthread.h>
#include <stdio.h>
#include "gp-test.h"

#define DEPTH 100000
#define MAX_FRAMES 256

static volatile int sink;

GP_NOINLINE static void at_bottom(void)
{
#ifdef GP_INSTRUMENTED
	struct goprof_frame f[MAX_FRAMES];
	int n = goprof_callers(f, MAX_FRAMES);

	GP_CHECK(goprof_depth() >= DEPTH);
	GP_CHECK(n == MAX_FRAMES);
	GP_CHECK(strcmp(f[0].function, "at_bottom") == 0);
	for (int i = 1; i < n - 1; i++)
		GP_CHECK(strcmp(f[i].function, "rec") == 0);
	GP_CHECK(strcmp(f[n - 1].function, "[truncated]") == 0);
#endif
	sink++;
}

/* Not a tail call and no accumulator: the volatile sink keeps every frame. */
GP_NOINLINE static int rec(int n)
{
	if (n == 0) {
		at_bottom();
		return 0;
	}
	int r = rec(n - 1);
	sink += r;
	return r + 1;
}

GP_NOINLINE static void after(void)
{
	GP_EXPECT_STACK("deep>after");
}

GP_NOINLINE static void *deep(void *arg)
{
	volatile int n = *(int *)arg;

	GP_EXPECT_STACK("deep");
	int r = rec(n);
	GP_EXPECT_STACK("deep");
	GP_CHECK(goprof_depth() == 1);
	after();
	printf("rec = %d\n", r);
	return NULL;
}

GP_NOINLINE static void check_main(void)
{
	GP_EXPECT_STACK("main>check_main");
}

int main(void)
{
	/* At -O0 a frame may take 64 bytes or more: run on a thread with room for them. */
	pthread_attr_t attr;
	pthread_t t;
	int n = DEPTH;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64u << 20);
	if (pthread_create(&t, &attr, deep, &n) != 0) {
		perror("pthread_create");
		return 99;
	}
	pthread_join(t, NULL);
	check_main();
	GP_EXPECT_STACK("main");
	return gp_status();
}
