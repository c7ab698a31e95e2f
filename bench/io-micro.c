/*
 * I/O-wrapper micro benchmark: io-micro FILE N [thread] reads FILE (already in the page
 * cache: it is read once first) 64 bytes at a time, N read() calls in all, starting over
 * at its end. Prints nanoseconds per read(), of wall time (CLOCK_MONOTONIC over the loop)
 * and of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: user and kernel, not the time
 * it waited for a CPU on a busy machine), and the bytes read, which must be N * 64. With
 * "thread", a second thread sleeps through the loop, as goprof's database writer does: in
 * a process with another live thread, glibc's read() takes its cancellation checks and the
 * kernel counts references to the file it reads.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

static int idle_pipe[2];

static void *idle(void *arg)
{
	char c;

	return read(idle_pipe[0], &c, 1) < 0 ? arg : NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: io-micro FILE N [thread]\n");
		return 2;
	}
	int thread = argc == 4 && strcmp(argv[3], "thread") == 0;
	if (thread && (pipe(idle_pipe) != 0 || pthread_create(&t, NULL, idle, NULL) != 0))
		return 1;
	long n = atol(argv[2]);
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	char buf[65536];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	lseek(fd, 0, SEEK_SET);
	double t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	long bytes = reads(fd, n);
	double t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("%.1f %.1f %ld\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n, bytes);
	if (thread && (write(idle_pipe[1], "", 1) != 1 || pthread_join(t, NULL) != 0))
		return 1;
	return bytes == n * 64 ? 0 : 1;
}
