/* The parent burns 600 ms in parent_work, its forked child 600 ms in child_work. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "burn.h"

__attribute__((noinline)) void parent_work(void)
{
	spin_ms(600);
}

__attribute__((noinline)) void child_work(void)
{
	spin_ms(600);
}

int main(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		child_work();
		return 0;
	}
	parent_work();
	int status;
	waitpid(pid, &status, 0);
	printf("child %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed");
	return 0;
}
