/*
 * A program that profiles itself the old way: its own SIGPROF handler driven by
 * setitimer(ITIMER_PROF). It must keep receiving its ticks while goprof samples too.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "burn.h"

static volatile sig_atomic_t ticks;

static void on_prof(int sig)
{
	(void)sig;
	ticks++;
}

__attribute__((noinline)) void work(void)
{
	spin_ms(500);
}

int main(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prof;
	sigaction(SIGPROF, &sa, NULL);
	setitimer(ITIMER_PROF, &it, NULL);
	work();
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_PROF, &it, NULL);
	/* 500 ms of CPU at one tick per 20 ms: 25 ticks, give or take the edges. */
	printf("own ticks %s\n", ticks >= 22 ? "ok" : "missing");
	return 0;
}
