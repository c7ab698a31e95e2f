/*
 * Dies of a signal sent to a thread that is busy inside goprof. Four workers loop: an
 * allocation (each one sampled at GOPROF_MEMPROFILE_RATE=1), a wait on a mutex the four
 * share (the mutex and block profiles at rate 1), a short thread created and joined (the
 * thread registry), and a fork() whose child exits at once, not waited for (goprof's locks
 * are held across fork); the worker that gets the signal forks most. After DELAY_MS the
 * main thread keeps BLOCKS blocks in kept_blocks(), says how many bytes ("kept N"), notes
 * the time (CLOCK_REALTIME ns: "sent T") and sends SIG to that worker with pthread_kill,
 * then waits to die. The kept blocks are made less than a commit's interval before the
 * signal: only the crash flush writes them.
 *
 *	crash-flush abort|segv DELAY_MS
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define BLOCKS 8
#define RING 16

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static unsigned long rounds;		/* under shared */
static void *volatile kept[BLOCKS];

#include "crashes.h"

static void say(const char *what, unsigned long long n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "%s %llu\n", what, n);

	if (write(STDOUT_FILENO, line, (size_t)len) != len)
		_exit(2);
}

static void *tiny(void *arg)
{
	return (char *)arg + 1;
}

static void *worker(void *arg)
{
	void *ring[RING] = { 0 };
	uintptr_t seed = (uintptr_t)arg;

	for (unsigned i = 0;; i++) {
		free(ring[i % RING]);
		ring[i % RING] = malloc(64 + ((i * 37 + seed) & 1023));
		pthread_mutex_lock(&shared);
		rounds++;
		pthread_mutex_unlock(&shared);
		if (i % (seed ? 8 : 2) == 0) {
			if (fork() == 0)
				_exit(0);
		} else if (i % 8 == 3) {
			pthread_t t;
			void *r;
			if (pthread_create(&t, NULL, tiny, ring[0]) == 0)
				pthread_join(t, &r);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[WORKERS];
	struct timespec delay, now;
	int sig;

	if (argc != 3 || (strcmp(argv[1], "abort") != 0 && strcmp(argv[1], "segv") != 0)) {
		fprintf(stderr, "usage: crash-flush abort|segv DELAY_MS\n");
		return 2;
	}
	sig = argv[1][0] == 'a' ? SIGABRT : SIGSEGV;
	long ms = atol(argv[2]);
	delay.tv_sec = ms / 1000;
	delay.tv_nsec = ms % 1000 * 1000000;
	signal(SIGCHLD, SIG_IGN);	/* the children reap themselves */
	for (uintptr_t i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	nanosleep(&delay, NULL);
	say("kept", kept_blocks());
	clock_gettime(CLOCK_REALTIME, &now);
	say("sent", (unsigned long long)now.tv_sec * 1000000000u + (unsigned long long)now.tv_nsec);
	pthread_kill(t[0], sig);
	sleep(60);
	return 1;
}
