/*
 * io-wait-snap.c - what the goroutine snapshot pays, per thread it shows waiting, to give
 * the thread's callers their lines (issue 15). THREADS threads (argv[1], default 8) block
 * in read() on pipes; ROUNDS times (argv[2], default 2000) each is read as the snapshot
 * reads a waiting thread:
 *  - a lock wait: its wrapper published a word of its frame, so one process_vm_readv of
 *    the machine stack from there up (at most 16 KiB);
 *  - an I/O wait: its wrapper publishes nothing, so first the stack pointer of its system
 *    call from /proc/self/task/TID/syscall (open, read, close), then the same copy.
 * Prints a Markdown table: the median over rounds of the time per thread, each way.
 * No goprof in it: these are the system calls rt/thread.c makes, the /proc read by the same
 * function (lib/util.c, which lines-bench.sh builds in).
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util.h"

#define SCAN_BYTES (16u << 10)

struct waiter {
	pthread_t th;
	int fds[2];
	pid_t tid;
	uintptr_t top;		/* the machine stack's outer end */
	volatile int ready;
};

static void *blocked(void *p)
{
	struct waiter *w = p;
	pthread_attr_t a;
	void *addr;
	size_t size;
	char c;

	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	w->top = (uintptr_t)addr + size;
	w->tid = gettid();
	__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
	return (void *)(intptr_t)read(w->fds[0], &c, 1);
}

static size_t copy(const struct waiter *w, uintptr_t from)
{
	static char words[SCAN_BYTES];
	size_t bytes = w->top - from < sizeof(words) ? w->top - from : sizeof(words);
	struct iovec local = { words, bytes }, remote = { (void *)from, bytes };

	return (size_t)process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8, rounds = argc > 2 ? atoi(argv[2]) : 2000;
	struct waiter *w = calloc((size_t)n, sizeof(*w));
	uintptr_t *sp = calloc((size_t)n, sizeof(*sp));
	double *lock_us = calloc((size_t)rounds, sizeof(double));
	double *io_us = calloc((size_t)rounds, sizeof(double));

	if (!w || !sp || !lock_us || !io_us || n < 1 || rounds < 1)
		return 2;
	for (int i = 0; i < n; i++) {
		if (pipe(w[i].fds) != 0 || pthread_create(&w[i].th, NULL, blocked, &w[i]) != 0)
			return 1;
		while (!__atomic_load_n(&w[i].ready, __ATOMIC_ACQUIRE))
			usleep(1000);
	}
	usleep(100000);	/* all in read() by now */
	for (int i = 0; i < n; i++)
		if (!(sp[i] = gp_syscall_sp((uint32_t)w[i].tid)))
			return 3;
	size_t got = 0;
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = gp_mono_ns();
		for (int i = 0; i < n; i++)
			got += copy(&w[i], sp[i]);
		uint64_t t1 = gp_mono_ns();
		for (int i = 0; i < n; i++)
			got += copy(&w[i], gp_syscall_sp((uint32_t)w[i].tid));
		uint64_t t2 = gp_mono_ns();
		lock_us[r] = (double)(t1 - t0) / 1e3 / n;
		io_us[r] = (double)(t2 - t1) / 1e3 / n;
	}
	qsort(lock_us, (size_t)rounds, sizeof(double), by_value);
	qsort(io_us, (size_t)rounds, sizeof(double), by_value);
	double l = lock_us[rounds / 2], o = io_us[rounds / 2];
	printf("| snapshot of a waiting thread, %d threads, median of %d rounds | us per thread |"
	       " vs a lock wait |\n", n, rounds);
	printf("|---|---|---|\n");
	printf("| lock wait: the stack copied from the published frame | %.2f | 1.00x |\n", l);
	printf("| I/O wait: the system call's stack pointer from /proc, then the copy | %.2f | %.2fx |\n",
	       o, o / l);
	for (int i = 0; i < n; i++)
		if (write(w[i].fds[1], "x", 1) != 1 || pthread_join(w[i].th, NULL) != 0)
			return 4;
	return got ? 0 : 5;
}
