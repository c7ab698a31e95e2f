/*
 * Functions pushed per branch whose branches throw, catch or clean up: an exception that
 * leaves a branch through a destructor, one caught inside the branch, and one that passes
 * through without a handler all leave the stack exact (each callee checks its own, each
 * call in main is followed by a depth check).
 *
 * goprof-opts: -O0 -O1 -O2 -O3
 */
#include <cstdio>
#include <stdexcept>
#include "gp-test.h"

#define CALL(expr) GP_CALL(expr)

static volatile int sink;

GP_NOINLINE static int thrower(int x)
{
	GP_EXPECT_STACK("main>by_case(int, int)>thrower(int)|"
			"main>rare_calls(int, int)>thrower(int)|main>caller(int)>passes(int)>thrower(int)");
	if (x % 3 == 0)
		throw std::runtime_error("three");
	sink++;
	return x + 1;
}

GP_NOINLINE static int other(int x)
{
	GP_EXPECT_STACK("main>rare_calls(int, int)>other(int)|main>caller(int)>passes(int)>other(int)");
	sink += x;
	return x * 2;
}

struct guard {
	int v;
	~guard()
	{
		sink += v;
	}
};

/* Two cases call; one throws out through a destructor, one catches. */
GP_NOINLINE static int by_case(int k, int x)
{
	switch (k % 4) {
	case 0:
		return x + 1;
	case 1: {
		guard g{ x };
		return thrower(x) + 1;
	}
	case 2:
		try {
			return thrower(x) * 2;
		} catch (const std::exception &) {
			return -1;
		}
	default:
		return x * 3;
	}
}

/* Two rare branches, one catching everything its call throws. */
GP_NOINLINE static int rare_calls(int k, int x)
{
	if (__builtin_expect(k % 5 == 1, 0)) {
		try {
			x = thrower(x);
		} catch (...) {
			x = -x;
		}
	}
	if (__builtin_expect(k % 5 == 3, 0))
		x = other(x);
	return x - 1;
}

/* No handler: an exception from either branch passes through to its caller's catch. */
GP_NOINLINE static int passes(int k)
{
	if (__builtin_expect(k % 4 == 1, 0))
		return thrower(k) + 2;
	if (__builtin_expect(k % 4 == 2, 0))
		return other(k) + 3;
	return k;
}

GP_NOINLINE static int caller(int k)
{
	try {
		return passes(k) + 1;
	} catch (const std::exception &) {
		GP_EXPECT_STACK("main>caller(int)");
		return 0;
	}
}

int main()
{
	long total = 0;

	for (int i = 0; i < 3000; i++) {
		try {
			total += CALL(by_case(i, i));
		} catch (const std::exception &) {
			total--;
		}
		total += CALL(rare_calls(i, i));
		total += CALL(caller(i));
		GP_EXPECT_STACK("main");
	}
	printf("total %ld\n", total);
	GP_CHECK(goprof_depth() == 1);
	return gp_status();
}
