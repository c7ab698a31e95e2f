/*
 * An instrumented signal handler sees the interrupted thread's stack with itself on top,
 * also when nested in another handler or on an alternate signal stack, and the interrupted
 * code finds its own stack intact once the handler returns.
 *
 * goprof-opts: -O0 -O2
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "gp-test.h"

static volatile int sink;
static volatile sig_atomic_t usr1_seen, usr2_seen, alarms;

GP_NOINLINE static void in_handler(void)
{
	GP_EXPECT_STACK("main>work>inner>on_usr1>in_handler");
}

GP_NOINLINE static void on_usr2(int sig)
{
	(void)sig;
	GP_EXPECT_STACK("main>work>inner>on_usr1>on_usr2");
	usr2_seen++;
}

GP_NOINLINE static void on_usr1(int sig)
{
	(void)sig;
	GP_EXPECT_STACK("main>work>inner>on_usr1");
	in_handler();
	raise(SIGUSR2);
	GP_EXPECT_STACK("main>work>inner>on_usr1");
	usr1_seen++;
}

GP_NOINLINE static void inner(void)
{
	GP_EXPECT_STACK("main>work>inner");
	raise(SIGUSR1);
	GP_EXPECT_STACK("main>work>inner");
	sink++;
}

GP_NOINLINE static void work(void)
{
	inner();
	GP_EXPECT_STACK("main>work");
	sink++;
}

/*
 * The timer interrupts spin's loop anywhere: in spin itself or in step (a push or pop of
 * step may be half done, so both shapes are right).
 */
GP_NOINLINE static void on_alarm(int sig)
{
	(void)sig;
	GP_EXPECT_STACK("main>spin>on_alarm|main>spin>step>on_alarm");
	alarms++;
}

GP_NOINLINE static unsigned step(unsigned x)
{
	return x * 7u + (unsigned)sink;
}

GP_NOINLINE static void spin(void)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	volatile unsigned acc = 0;

	setitimer(ITIMER_REAL, &it, NULL);
	for (long i = 0; alarms < 200; i++) {
		acc += step((unsigned)i);
		if ((i & 255) == 0)
			GP_EXPECT_STACK("main>spin");
	}
	setitimer(ITIMER_REAL, &off, NULL);
	GP_EXPECT_STACK("main>spin");
}

int main(void)
{
	struct sigaction sa;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);

	ss.ss_sp = malloc(1 << 16);
	ss.ss_size = 1 << 16;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);

	work();
	GP_EXPECT_STACK("main");
	spin();
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("usr1 %d usr2 %d alarms %s\n", (int)usr1_seen, (int)usr2_seen,
	       alarms >= 200 ? "enough" : "too few");
	return gp_status();
}
