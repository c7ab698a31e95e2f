/*
 * fork() while another thread allocates and frees without pause (the heap lock is taken
 * across fork): 10 times a child makes 10 blocks of 1000 B in child_site and exits;
 * the parent keeps 5 blocks of 3000 B from parent_site. Prints "ok" when every child
 * exited 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile sink;
static volatile int stop;

__attribute__((noinline)) void *parent_site(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) void *child_site(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) void *churn_site(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

static void *churn(void *arg)
{
	while (!stop)
		free(churn_site(64));
	return arg;
}

int main(void)
{
	pthread_t t;
	int bad = 0;

	if (pthread_create(&t, NULL, churn, NULL) != 0)
		return 1;
	for (int i = 0; i < 5; i++)
		parent_site(3000);
	for (int k = 0; k < 10; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 10; i++)
				child_site(1000);
			exit(0);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad++;
	}
	stop = 1;
	pthread_join(t, NULL);
	puts(bad ? "child failed" : "ok");
	return 0;
}
