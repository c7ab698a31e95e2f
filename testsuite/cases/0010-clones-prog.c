/*
 * The program of 0010-clones.sh, built at -O2: scale() is always called with k = 3 (IPA-CP
 * clones it), check() has a cheap early exit before a big cold body (ipa-split cuts the
 * body off and inlines the header into run).
 */
#include <stdio.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static void in_scale(void)
{
	GP_EXPECT_STACK("main>run>scale>in_scale");
	sink++;
}

/* noinline but not noclone: IPA-CP may specialise it. */
__attribute__((noinline)) static int scale(int x, int k)
{
	GP_EXPECT_STACK("main>run>scale");
	in_scale();
	for (int i = 0; i < k; i++)
		x = x * k + sink;
	return x;
}

GP_NOINLINE static void cold_work(int x)
{
	GP_EXPECT_STACK("main>run>check>cold_work");
	sink += x;
}

/* Global, so an out-of-line copy stays for check_ptr. */
int check(int x);

int check(int x)
{
	if (__builtin_expect(x < 1000, 1))
		return x;
	for (int i = 0; i < 4; i++) {
		sink += i * x;
		if (sink == 12345)
			printf("unlikely %d\n", i);
		if (sink == 12346)
			printf("unlikelier %d\n", i);
		cold_work(i);
	}
	GP_EXPECT_STACK("main>run>check");
	cold_work(x);
	return x + 1;
}

static int (*volatile check_ptr)(int) = check;

GP_NOINLINE static int run(int n)
{
	int r = scale(n, 3);

	r += scale(n + 1, 3);
	for (int i = 0; i < n; i += 500)
		r += check(i);		/* the header inlined here calls check.part.0 */
	GP_EXPECT_STACK("main>run");
	r += check_ptr(2000);		/* out of line: check calls check.part.0 */
	GP_EXPECT_STACK("main>run");
	sink++;
	return r;
}

int main(void)
{
	volatile int n = 1001;

	printf("%d\n", run(n));
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	return gp_status();
}
