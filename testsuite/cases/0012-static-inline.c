/*
 * static inline helpers are a frame of their own where the compiler keeps them out of
 * line (-O0, or when their address is taken) and no frame where it inlines them; an
 * always_inline helper is never a frame.
 *
 * goprof-opts: -O0 -O1 -O2 -O3
 */
#include <stdio.h>
#include "gp-test.h"

#ifdef __NO_INLINE__
#define INLINED(out_of_line, inlined) out_of_line
#else
#define INLINED(out_of_line, inlined) inlined
#endif

static volatile int sink;

static inline int small(int x)
{
	GP_EXPECT_STACK(INLINED("main>caller>small", "main>caller"));
	return x + 1;
}

static inline __attribute__((always_inline)) int forced(int x)
{
	GP_EXPECT_STACK("main>caller");
	return x * 2;
}

static inline int by_pointer(int x)
{
	GP_EXPECT_STACK("main>caller>by_pointer");
	return x - 1;
}

static int (*volatile fp)(int) = by_pointer;

GP_NOINLINE static int caller(int x)
{
	int r = small(x);

	GP_EXPECT_STACK("main>caller");
	r += forced(x);
	GP_EXPECT_STACK("main>caller");
	r += fp(x);
	GP_EXPECT_STACK("main>caller");
	sink++;
	return r;
}

int main(void)
{
	volatile int x = 5;
	int r = caller(x);

	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("r = %d\n", r);
	return gp_status();
}
