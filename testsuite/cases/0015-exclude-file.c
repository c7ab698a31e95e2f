/*
 * -fplugin-arg-goprof-exclude-file=SUBSTR,... leaves out every function defined in a file
 * whose path contains one of the substrings (here a header of helpers), and only those.
 *
 * goprof-opts: -O0 -O2
 * goprof-plugin-args: exclude-file=no-such-file,0015-exclude-file-helpers
 */
#include <stdio.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static void callback(void)
{
	GP_EXPECT_STACK("main>user>callback");
	sink++;
}

#include "0015-exclude-file-helpers.h"

GP_NOINLINE static void user(void)
{
	helper_outer();
	GP_EXPECT_STACK("main>user");
	sink++;
}

int main(void)
{
	user();
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("sink = %d\n", sink);
	return gp_status();
}
