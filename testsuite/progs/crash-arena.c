/*
 * Children that die inside glibc's malloc while goprof's writer is busy allocating. The
 * parent forks CHILDREN children one after another and waits for each. A child runs two
 * threads besides its main one: a churner that allocates and frees blocks too large for the
 * thread cache (each call takes the arena lock; run with MALLOC_ARENA_MAX=1, the one arena
 * every thread, the writer included, shares) and a stacker that allocates from ever new
 * call stacks (at GOPROF_MEMPROFILE_RATE=1 each is a new record, so the writer interns and
 * allocates all the time). After a delay that differs from child to child, the main thread
 * keeps BLOCKS blocks in kept_blocks(), says "child PID kept N", and asks the churner to
 * free a block twice: glibc finds the double free inside free() with the arena locked and
 * aborts there, so the child dies of SIGABRT holding the lock the writer may be waiting for.
 *
 *	crash-arena CHILDREN
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCKS 8
#define LEVELS 14

static void *volatile sink;
static void *volatile kept[BLOCKS];

#include "crashes.h"

static volatile int die;

static void say(const char *line)
{
	size_t len = strlen(line);

	if (write(STDOUT_FILENO, line, len) != (ssize_t)len)
		_exit(2);
}

static void *churn(void *unused)
{
	(void)unused;
	for (unsigned i = 0; !die; i++) {
		char *p = malloc(2000 + (i * 97 & 4095));
		p[0] = (char)i;
		sink = p;
		free(p);
	}
	double_free();
	return NULL;
}

/* one allocation at the end of a path of LEVELS calls, two functions per level: 2^LEVELS
   stacks; the work after each call keeps it off a tail call */
__attribute__((noinline)) static unsigned walk_b(unsigned path, int level);
__attribute__((noinline)) static unsigned walk_a(unsigned path, int level)
{
	if (level == LEVELS) {
		char *p = malloc(32 + (path & 255));
		p[0] = (char)path;
		sink = p;
		free(p);
		return 1;
	}
	unsigned r = (path >> level & 1) ? walk_b(path, level + 1) : walk_a(path, level + 1);
	return r + (unsigned)level;
}

__attribute__((noinline)) static unsigned walk_b(unsigned path, int level)
{
	if (level == LEVELS) {
		char *p = malloc(48 + (path & 255));
		p[1] = (char)path;
		sink = p;
		free(p);
		return 2;
	}
	unsigned r = (path >> level & 1) ? walk_b(path, level + 1) : walk_a(path, level + 1);
	return r * 3 + (unsigned)level;
}

static void *stack_maker(void *arg)
{
	unsigned path = (unsigned)(uintptr_t)arg * 7919;
	volatile unsigned total = 0;
	struct timespec pause = { 0, 200000 };

	/* a pause now and then: the writer's last round, under a loaded machine, stays short */
	for (;; path++) {
		total += walk_a(path, 0);
		if (path % 16 == 0)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

static void child(int i)
{
	pthread_t t;
	char line[80];
	long ms = 80 + i * 53 % 240;
	struct timespec delay = { 0, ms * 1000000 }, forever = { 60, 0 };

	pthread_create(&t, NULL, churn, NULL);
	pthread_create(&t, NULL, stack_maker, (void *)(uintptr_t)i);
	nanosleep(&delay, NULL);
	unsigned long long bytes = kept_blocks();
	snprintf(line, sizeof(line), "child %d kept %llu\n", (int)getpid(), bytes);
	say(line);
	die = 1;
	nanosleep(&forever, NULL);
	_exit(1);
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 0;
	char line[80];

	if (children <= 0) {
		fprintf(stderr, "usage: crash-arena CHILDREN\n");
		return 2;
	}
	for (int i = 0; i < children; i++) {
		pid_t pid = fork();
		if (pid == 0)
			child(i);
		int status = 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		snprintf(line, sizeof(line), "child %d status %d ms %lld\n", (int)pid,
			 WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status),
			 (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
		say(line);
	}
	return 0;
}
