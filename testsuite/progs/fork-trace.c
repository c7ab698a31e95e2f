/*
 * fork-trace: an execution trace started by the parent, and CHILDREN children forked while
 * it runs and another thread of the parent waits and wakes. Each child finds no trace to
 * stop (the running one is the parent's: goprof_trace_stop() says -EINVAL), starts its own
 * into DIR/child-PID.trace, logs "child PID" in a task there, stops it and calls exit()
 * without having made a thread. The parent stops its trace once every child has ended.
 * Prints "children N ok K hung H parent stop RC" (K: children that saw what they should
 * and exited with status 7; H: those still alive WAIT_S seconds after the last fork).
 *
 *	fork-trace DIR CHILDREN
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <goprof.h>

#include "reap.h"

#define MAX_CHILDREN 256
#define WAIT_S 20

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int stop;

/* a parent thread that waits for each tick: the parent's trace has its waits and wakes */
__attribute__((noinline)) static void *waiter(void *arg)
{
	pthread_mutex_lock(&m);
	while (!stop)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	return arg;
}

__attribute__((noinline)) static int child(const char *dir)
{
	char path[4096], msg[64];
	int stopped = goprof_trace_stop();

	snprintf(path, sizeof(path), "%s/child-%d.trace", dir, (int)getpid());
	int started = goprof_trace_start(path, GOPROF_TRACE_GO);
	uint64_t task = goprof_task_create(0, "child");
	snprintf(msg, sizeof(msg), "child %d", (int)getpid());
	goprof_trace_log(task, "fork-trace", msg);
	goprof_task_end(task);
	int own = goprof_trace_stop();
	return stopped == -EINVAL && started == 0 && own == 0 ? 7 : 1;
}

int main(int argc, char **argv)
{
	static pid_t kids[MAX_CHILDREN];
	char path[4096];
	pthread_t t;
	int n = argc == 3 ? atoi(argv[2]) : 0, forked = 0;

	if (n <= 0 || n > MAX_CHILDREN) {
		fprintf(stderr, "usage: fork-trace DIR CHILDREN (1..%d)\n", MAX_CHILDREN);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/parent.trace", argv[1]);
	if (goprof_trace_start(path, GOPROF_TRACE_GO) != 0 ||
	    pthread_create(&t, NULL, waiter, NULL) != 0) {
		fprintf(stderr, "fork-trace: cannot start\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		pthread_cond_signal(&c);
		pthread_mutex_unlock(&m);
		pid_t pid = fork();
		if (pid == 0)
			exit(child(argv[1]));
		if (pid < 0)
			break;
		kids[forked++] = pid;
	}
	struct reaped r = reap(kids, forked, 7, WAIT_S);

	pthread_mutex_lock(&m);
	stop = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	pthread_join(t, NULL);
	printf("children %d ok %d hung %d parent stop %d\n", forked, r.status, r.hung,
	       goprof_trace_stop());
	return 0;
}
