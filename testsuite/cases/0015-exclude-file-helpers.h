/*
 * Helpers of 0015-exclude-file.c, excluded by their file name: none of them appears on a
 * stack, the callback they call does.
 */
GP_NOINLINE static void helper_inner(void)
{
	GP_EXPECT_STACK("main>user");
	callback();
	sink++;
}

GP_NOINLINE static void helper_outer(void)
{
	helper_inner();
	GP_EXPECT_STACK("main>user");
	sink++;
}
