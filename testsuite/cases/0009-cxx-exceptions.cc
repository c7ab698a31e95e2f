/*
 * C++ exceptions thrown through instrumented frames: destructors run during unwinding see
 * the frame they belong to on top of the stack, and after the catch (and a rethrow) the
 * catching function's stack is exact again. Names are demangled with their parameters.
 *
 * goprof-opts: -O0 -O2
 */
#include <cstdio>
#include <stdexcept>
#include "gp-test.h"

static volatile int sink;
static const char *volatile root;	/* the stack down to outer(), set by each catcher */

struct guard {
	const char *rest;	/* what the destructor must see above root */
	GP_NOINLINE explicit guard(const char *r) : rest(r)
	{
		sink++;
	}
	GP_NOINLINE ~guard()
	{
		char want[512];
		snprintf(want, sizeof(want), "%s>%s", root, rest);
		GP_EXPECT_STACK(want);
		sink++;
	}
};

GP_NOINLINE static void thrower(int x)
{
	guard g("outer(int)>middle(int)>thrower(int)>guard::~guard()");
	if (x > 0)
		throw std::runtime_error("boom");
	sink++;
}

GP_NOINLINE static void middle(int x)
{
	guard g("outer(int)>middle(int)>guard::~guard()");
	thrower(x);
	sink++;
}

/* No object to destroy here: the unwinder passes this frame without stopping. */
GP_NOINLINE static void outer(int x)
{
	middle(x);
	sink++;
}

GP_NOINLINE static void after()
{
	GP_EXPECT_STACK("main>catcher(int)>after()");
}

GP_NOINLINE static int catcher(int x)
{
	int caught = 0;

	root = "main>catcher(int)";
	try {
		outer(x);
	} catch (const std::exception &e) {
		GP_EXPECT_STACK("main>catcher(int)");
		after();
		caught++;
	}
	GP_EXPECT_STACK("main>catcher(int)");
	after();
	return caught;
}

GP_NOINLINE static void rethrower(int x)
{
	root = "main>recatcher(int)>rethrower(int)";
	try {
		outer(x);
	} catch (...) {
		GP_EXPECT_STACK("main>recatcher(int)>rethrower(int)");
		throw;
	}
}

GP_NOINLINE static int recatcher(int x)
{
	try {
		rethrower(x);
	} catch (const std::runtime_error &e) {
		GP_EXPECT_STACK("main>recatcher(int)");
		return 1;
	}
	return 0;
}

int main()
{
	volatile int x = 1;
	int n = catcher(x);
	GP_EXPECT_STACK("main");
	n += recatcher(x);
	GP_EXPECT_STACK("main");
	x = 0;
	root = "main";
	outer(x);	/* no throw: the destructors run on the normal path */
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	std::printf("caught %d\n", n);
	return gp_status();
}
