/*
 * A program with its own SIGPROF handler, driven both by setitimer(ITIMER_PROF) and by
 * SIGPROFs it raises itself while it burns CPU. The raised ones are delivered before raise()
 * returns, so the program knows exactly how many it must count: all 200.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "burn.h"

static volatile sig_atomic_t raised, ticks;

static void on_prof(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_TKILL || si->si_code == SI_USER)
		raised++;
	else
		ticks++;
}

__attribute__((noinline)) void work(void)
{
	for (int i = 0; i < 200; i++) {
		spin_ms(5);
		raise(SIGPROF);
	}
}

int main(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_prof;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGPROF, &sa, NULL);
	setitimer(ITIMER_PROF, &it, NULL);
	work();
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_PROF, &it, NULL);
	printf("raised %d\n", (int)raised);
	return 0;
}
