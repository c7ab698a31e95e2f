/*
 * longjmp and siglongjmp out of three or more instrumented frames leave the shadow stack
 * of the function that called setjmp exact where the jump lands, and for every call after.
 *
 * goprof-opts: -O0 -O1 -O2
 */
#include <setjmp.h>
#include <stdio.h>
#include "gp-test.h"

static jmp_buf jb;
static sigjmp_buf sjb;
static volatile int sink;
static volatile int use_sig;

GP_NOINLINE static void jump(int depth)
{
	if (depth > 0) {
		jump(depth - 1);
		sink++;		/* not a tail call: every level keeps its frame */
		return;
	}
	if (use_sig)
		siglongjmp(sjb, 1);
	longjmp(jb, 1);
}

GP_NOINLINE static void three_deep(void)
{
	GP_EXPECT_STACK("main>catcher>three_deep");
	jump(3);
	sink++;
}

GP_NOINLINE static void later(void)
{
	GP_EXPECT_STACK("main>catcher>later");
}

/* setjmp in the function that catches, in a loop: it is landed on several times. */
GP_NOINLINE static int catcher(int rounds)
{
	volatile int landed = 0;

	for (volatile int i = 0; i < rounds; i++) {
		int jumped = use_sig ? sigsetjmp(sjb, 1) : setjmp(jb);
		if (jumped) {
			landed++;
			GP_EXPECT_STACK("main>catcher");
			later();
			GP_EXPECT_STACK("main>catcher");
			continue;
		}
		GP_EXPECT_STACK("main>catcher");
		three_deep();
		sink++;
	}
	GP_EXPECT_STACK("main>catcher");
	return landed;
}

GP_NOINLINE static void after(void)
{
	GP_EXPECT_STACK("main>after");
}

int main(void)
{
	volatile int rounds = 4;
	int landed;

	landed = catcher(rounds);
	GP_EXPECT_STACK("main");
	after();
	GP_CHECK(goprof_depth() == 1);

	use_sig = 1;
	landed += catcher(rounds);
	GP_EXPECT_STACK("main");
	after();
	GP_CHECK(goprof_depth() == 1);

	/* Jump straight into main: its own frame is the one re-synced. */
	if (setjmp(jb) == 0) {
		use_sig = 0;
		jump(5);
	}
	GP_EXPECT_STACK("main");
	after();
	GP_CHECK(goprof_depth() == 1);
	printf("landed %d times\n", landed);
	return gp_status();
}
