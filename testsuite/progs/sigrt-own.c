/*
 * A program that uses goprof's own sampling signal (SIGRTMAX - 2) for itself: it installs a
 * handler, queues five of those signals to itself, and counts them, while burning CPU.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "burn.h"

static volatile sig_atomic_t got;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_QUEUE && si->si_value.sival_int == 42)
		got++;
}

__attribute__((noinline)) void work(void)
{
	spin_ms(1000);
}

int main(void)
{
	struct sigaction sa;
	union sigval v = { .sival_int = 42 };

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMAX - 2, &sa, NULL);
	for (int i = 0; i < 5; i++)
		sigqueue(getpid(), SIGRTMAX - 2, v);
	work();
	printf("own signals %d\n", (int)got);
	return 0;
}
