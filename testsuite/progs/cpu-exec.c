/*
 * Burns 600 ms in before_exec_work, then executes itself again with the argument "after"
 * (by the function its first argument names), and the new image burns 600 ms in
 * after_exec_work.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "burn.h"

__attribute__((noinline)) void before_exec_work(void)
{
	spin_ms(600);
}

__attribute__((noinline)) void after_exec_work(void)
{
	spin_ms(600);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after") == 0) {
		after_exec_work();
		puts("after exec");
		return 0;
	}
	before_exec_work();
	fflush(stdout);
	const char *how = argc > 1 ? argv[1] : "execv";
	char *args[] = { argv[0], "after", NULL };
	if (strcmp(how, "execl") == 0)
		execl("/proc/self/exe", argv[0], "after", (char *)NULL);
	else if (strcmp(how, "execvp") == 0)
		execvp(argv[0], args);
	else
		execv("/proc/self/exe", args);
	perror("exec");
	return 1;
}
