/*
 * I/O-wrapper micro benchmark: io-micro FILE N [thread] [pairs] reads FILE (already in the
 * page cache: it is read once first) 64 bytes at a time, N read() calls in all, starting
 * over at its end. Prints nanoseconds per read(), of wall time (CLOCK_MONOTONIC over the
 * loop) and of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: user and kernel, not the
 * time it waited for a CPU on a busy machine), and the bytes read, which must be N * 64.
 * With "thread", a second thread sleeps through the loop, as goprof's database writer
 * does: in a process with another live thread, glibc's read() takes its cancellation
 * checks and the kernel counts references to the file it reads.
 *
 * With "pairs", the N calls are made in batches of BATCH, alternately through read() (the
 * interposed function, when goprof is linked) and through syscall(SYS_read), which nothing
 * interposes; each batch is timed by the thread's CPU clock. Whatever slows the whole
 * process (another thread's work, the caches it pollutes, the machine's load) slows both
 * kinds of batch alike, so the difference between the two in one run is the cost of the
 * path from read() to the system call; that difference in a goprof run minus that in a
 * plain run (the same glibc path) is the wrapper's own cost. Prints the CPU nanoseconds per
 * call of the read() batches and of the syscall() batches (each the median over batches)
 * and the median over pairs of the per-call difference, then the bytes read.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BATCH 200

static double now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static long reads(int fd, long n)
{
	char buf[64];
	long bytes = 0;

	for (long i = 0; i < n; i++) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got <= 0) {
			lseek(fd, 0, SEEK_SET);
			got = read(fd, buf, sizeof(buf));
		}
		bytes += got;
	}
	return bytes;
}

/* reads() through the system call itself, past any interposed read() */
__attribute__((noinline)) static long raw_reads(int fd, long n)
{
	char buf[64];
	long bytes = 0;

	for (long i = 0; i < n; i++) {
		ssize_t got = syscall(SYS_read, fd, buf, sizeof(buf));
		if (got <= 0) {
			lseek(fd, 0, SEEK_SET);
			got = syscall(SYS_read, fd, buf, sizeof(buf));
		}
		bytes += got;
	}
	return bytes;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * n / BATCH pairs of batches, the order within a pair alternating so that a drift over the
 * run favours neither; prints the medians; returns the bytes read.
 */
static long pairs(int fd, long n)
{
	long npairs = n / BATCH > 0 ? n / BATCH : 1, bytes = 0;
	double *wrapped = malloc(3 * (size_t)npairs * sizeof(double));

	if (!wrapped)
		return -1;
	double *raw = wrapped + npairs, *diff = raw + npairs;
	for (long p = 0; p < npairs; p++) {
		for (int k = 0; k < 2; k++) {
			int use_raw = (k ^ (int)(p & 1)) != 0;
			double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
			bytes += use_raw ? raw_reads(fd, BATCH) : reads(fd, BATCH);
			double c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
			(use_raw ? raw : wrapped)[p] = (c1 - c0) / BATCH;
		}
		diff[p] = wrapped[p] - raw[p];
	}
	printf("%.1f %.1f %.1f %ld\n", median(wrapped, npairs), median(raw, npairs),
	       median(diff, npairs), bytes);
	free(wrapped);
	return bytes;
}

static int idle_pipe[2];

static void *idle(void *arg)
{
	char c;

	return read(idle_pipe[0], &c, 1) < 0 ? arg : NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int thread = 0, paired = 0;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "thread") == 0)
			thread = 1;
		else if (strcmp(argv[i], "pairs") == 0)
			paired = 1;
		else
			argc = 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: io-micro FILE N [thread] [pairs]\n");
		return 2;
	}
	if (thread && (pipe(idle_pipe) != 0 || pthread_create(&t, NULL, idle, NULL) != 0))
		return 1;
	long n = atol(argv[2]), bytes;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	char buf[65536];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	lseek(fd, 0, SEEK_SET);
	if (paired) {
		bytes = pairs(fd, n);
		n = n / BATCH > 0 ? n / BATCH * 2 * BATCH : 2 * BATCH;
	} else {
		double t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		bytes = reads(fd, n);
		double t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		printf("%.1f %.1f %ld\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n, bytes);
	}
	if (thread && (write(idle_pipe[1], "", 1) != 1 || pthread_join(t, NULL) != 0))
		return 1;
	return bytes == n * 64 ? 0 : 1;
}
