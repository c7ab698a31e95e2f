/*
 * The frame the signal cases share (signal-io.c, signal-slowpaths.c): ROUNDS times a new
 * thread works until main interrupts it with SIGUSR1, whose handler on_usr1() writes a
 * byte to a pipe and reads it back (echo_byte(), after a pause of echo_pause_ns if set),
 * then calls on_usr1_also() if set, and posts a semaphore main then waits on.
 */
#ifndef GOPROF_TESTSUITE_INTERRUPTS_H
#define GOPROF_TESTSUITE_INTERRUPTS_H

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static sem_t done;
static volatile sig_atomic_t interrupted;
static volatile unsigned echoed;
static void *volatile sink;
static long echo_pause_ns;		/* slept before each echo; 0: none */
static void (*on_usr1_also)(void);	/* called by the handler after the echo */

__attribute__((noinline)) static void echo_byte(void)
{
	char c = 'x', back = 0;
	struct timespec pause = { 0, echo_pause_ns };

	if (echo_pause_ns)
		nanosleep(&pause, NULL);
	if (write(pipefd[1], &c, 1) == 1 && read(pipefd[0], &back, 1) == 1 && back == c)
		echoed++;
}

static void on_usr1(int sig)
{
	(void)sig;
	echo_byte();
	if (on_usr1_also)
		on_usr1_also();
	interrupted = 1;
	sem_post(&done);
}

/* The pipe, the semaphore and the handler: 0, or 2 when one cannot be had. */
static int interrupts_setup(void)
{
	struct sigaction sa = { 0 };

	if (pipe(pipefd) != 0 || sem_init(&done, 0, 0) != 0)
		return 2;
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) != 0 ? 2 : 0;
}

/*
 * rounds times: a new thread runs work(round number as a pointer) until the handler, sent
 * 0.2 to 0.8 ms after its start, sets interrupted. 0, or 3 when a thread cannot be had.
 */
static int interrupt_rounds(int rounds, void *(*work)(void *))
{
	for (int r = 0; r < rounds; r++) {
		pthread_t t;
		struct timespec ts = { 0, 200000 + (r % 7) * 100000 };

		interrupted = 0;
		if (pthread_create(&t, NULL, work, (void *)(size_t)r) != 0)
			return 3;
		nanosleep(&ts, NULL);
		pthread_kill(t, SIGUSR1);
		while (sem_wait(&done) != 0)
			;
		pthread_join(t, NULL);
	}
	return 0;
}

#endif
