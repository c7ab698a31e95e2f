/*
 * Fork children that must end by themselves: reap() waits up to wait_s seconds for the n
 * children in kids (entries of 0 are skipped and each reaped one becomes 0), then kills
 * and reaps those still alive, and counts what it saw.
 */
#ifndef GOPROF_TESTSUITE_REAP_H
#define GOPROF_TESTSUITE_REAP_H

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

struct reaped {
	int exited;			/* ended by themselves */
	int status;			/* of those, exited with the status asked for */
	int hung;			/* still alive after wait_s seconds: killed */
};

static inline struct reaped reap(pid_t *kids, int n, int status, int wait_s)
{
	struct reaped r = { 0, 0, 0 };
	time_t until = time(NULL) + wait_s;
	int left = 0;

	for (int i = 0; i < n; i++)
		left += kids[i] > 0;
	while (left > 0 && time(NULL) < until) {
		for (int i = 0; i < n; i++) {
			int st;
			if (kids[i] <= 0 || waitpid(kids[i], &st, WNOHANG) != kids[i])
				continue;
			kids[i] = 0;
			left--;
			r.exited++;
			r.status += WIFEXITED(st) && WEXITSTATUS(st) == status;
		}
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < n; i++) {
		if (kids[i] <= 0)
			continue;
		r.hung++;
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return r;
}

#endif
