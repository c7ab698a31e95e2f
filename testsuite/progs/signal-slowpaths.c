/*
 * Signal handlers that make wrapped calls while their thread is inside goprof's slow paths:
 * ROUNDS times (argv[1], 300 by default), a new thread loops on an allocation too large
 * for the thread cache (glibc's arena lock held; sampled, every one at
 * GOPROF_MEMPROFILE_RATE=1: goprof records it under its heap lock) and a
 * mutex it shares with a partner thread that holds it in turn (contended: goprof's lock
 * slow path, its waiter table, its buckets) until main interrupts it with SIGUSR1, whose
 * handler writes a byte to a pipe and reads it back, locks and unlocks a mutex nobody else
 * uses, and posts a semaphore main then waits on. Prints the bytes echoed and the rounds.
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
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;	/* victim and partner */
static pthread_mutex_t quiet = PTHREAD_MUTEX_INITIALIZER;	/* the handler's alone */
static volatile sig_atomic_t interrupted, finished;
static volatile unsigned echoed, turns;
static void *volatile sink;

__attribute__((noinline)) static void echo_byte(void)
{
	char c = 'x', back = 0;

	if (write(pipefd[1], &c, 1) == 1 && read(pipefd[0], &back, 1) == 1 && back == c)
		echoed++;
}

__attribute__((noinline)) static void count_quietly(void)
{
	pthread_mutex_lock(&quiet);
	turns++;
	pthread_mutex_unlock(&quiet);
}

static void on_usr1(int sig)
{
	(void)sig;
	echo_byte();
	count_quietly();
	interrupted = 1;
	sem_post(&done);
}

/* holds the shared mutex in turn with the victims, until main is done */
static void *partner(void *unused)
{
	struct timespec hold = { 0, 20000 };

	(void)unused;
	while (!finished) {
		pthread_mutex_lock(&shared);
		nanosleep(&hold, NULL);
		pthread_mutex_unlock(&shared);
	}
	return NULL;
}

__attribute__((noinline)) static void *work_until_interrupted(void *arg)
{
	unsigned i = (unsigned)(size_t)arg;

	while (!interrupted) {
		char *p = malloc(1100 + (i++ * 37) % 7000);
		p[0] = (char)i;
		sink = p;
		pthread_mutex_lock(&shared);
		sink = p + 1;
		pthread_mutex_unlock(&shared);
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	struct sigaction sa = { 0 };
	pthread_t other;

	if (pipe(pipefd) != 0 || sem_init(&done, 0, 0) != 0)
		return 2;
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&other, NULL, partner, NULL) != 0)
		return 3;
	for (int r = 0; r < rounds; r++) {
		pthread_t t;
		struct timespec ts = { 0, 200000 + (r % 7) * 100000 };

		interrupted = 0;
		if (pthread_create(&t, NULL, work_until_interrupted, (void *)(size_t)r) != 0)
			return 3;
		nanosleep(&ts, NULL);
		pthread_kill(t, SIGUSR1);
		while (sem_wait(&done) != 0)
			;
		pthread_join(t, NULL);
	}
	finished = 1;
	pthread_join(other, NULL);
	printf("%u bytes echoed, %u quiet turns in %d rounds\n", echoed, turns, rounds);
	return 0;
}
