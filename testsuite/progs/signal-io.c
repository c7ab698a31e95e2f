/*
 * Signal handlers that make wrapped calls while their thread is inside malloc: ROUNDS times
 * (argv[1], 300 by default), a new thread allocates and frees blocks too large for the
 * thread cache in a loop (most of its time inside malloc and free, often holding its arena
 * lock) until main interrupts it with SIGUSR1, whose handler writes a byte to a pipe,
 * reads it back, sleeps 50 us (long enough to be a blocking call in a trace) and posts a
 * semaphore main then waits on. Each thread's handler is that
 * thread's first blocking call, at a stack of its own: what goprof records for it (a block
 * profile bucket, a trace header) is new each time. Prints the bytes echoed and the rounds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static sem_t done;
static volatile sig_atomic_t interrupted;
static volatile unsigned echoed;
static void *volatile sink;

__attribute__((noinline)) static void echo_byte(void)
{
	char c = 'x', back = 0;
	struct timespec pause = { 0, 50000 };

	nanosleep(&pause, NULL);
	if (write(pipefd[1], &c, 1) == 1 && read(pipefd[0], &back, 1) == 1 && back == c)
		echoed++;
}

static void on_usr1(int sig)
{
	(void)sig;
	echo_byte();
	interrupted = 1;
	sem_post(&done);
}

__attribute__((noinline)) static void *allocate_until_interrupted(void *arg)
{
	unsigned i = (unsigned)(size_t)arg;

	while (!interrupted) {
		char *p = malloc(1100 + (i++ * 37) % 7000);
		p[0] = (char)i;
		sink = p;
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	struct sigaction sa = { 0 };

	if (pipe(pipefd) != 0 || sem_init(&done, 0, 0) != 0)
		return 2;
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (int r = 0; r < rounds; r++) {
		pthread_t t;
		struct timespec ts = { 0, 200000 + (r % 7) * 100000 };

		interrupted = 0;
		if (pthread_create(&t, NULL, allocate_until_interrupted, (void *)(size_t)r) != 0)
			return 3;
		nanosleep(&ts, NULL);
		pthread_kill(t, SIGUSR1);
		while (sem_wait(&done) != 0)
			;
		pthread_join(t, NULL);
	}
	printf("%u bytes echoed in %d rounds\n", echoed, rounds);
	return 0;
}
