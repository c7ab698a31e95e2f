/*
 * The program of bench/sampler-cost.sh: THREADS workers (default 16) run an instrumented
 * recursion with a malloc/free in every step for SECONDS of wall time, then the main thread
 * reads every thread's CPU time (/proc/self/task/TID/schedstat, in ns) and prints, as
 * "key value" lines:
 *
 *	workers_cpu_ns	CPU time of the workers together
 *	other_cpu_ns	CPU time of the threads neither main nor a worker (goprof's own)
 *	steps		recursion steps done, all workers (one malloc and free each)
 *	mallocs		malloc calls made, all workers
 *	signal_ns	one signal delivered to and returned from a handler that does nothing,
 *			measured on the main thread afterwards (the kernel's part of a sample)
 *
 *	sampler-micro [THREADS [SECONDS]]
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

static volatile int stop;
static volatile char sink;
static pid_t worker_tid[MAX_THREADS];
static unsigned long long worker_steps[MAX_THREADS];

__attribute__((noinline)) static unsigned step(unsigned depth, volatile unsigned *seed)
{
	unsigned x = *seed * 1103515245u + 12345u;
	char *p = malloc(16 + (x >> 24));

	*seed = x;
	if (!p)
		return 0;
	p[0] = (char)x;
	unsigned r = depth ? step(depth - 1, seed) : 0;
	sink = p[0];
	free(p);
	return r + 1;
}

static void *worker(void *arg)
{
	long i = (long)arg;
	volatile unsigned seed = (unsigned)i + 1;
	unsigned long long n = 0;

	worker_tid[i] = (pid_t)syscall(SYS_gettid);
	while (!stop)
		n += step(8 + (seed & 7), &seed);
	worker_steps[i] = n;
	return NULL;
}

static unsigned long long task_cpu_ns(pid_t tid)
{
	char path[64];
	unsigned long long ns = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static double ns_now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CPU ns of one signal sent to and handled by this thread (best of 5 batches). */
static double signal_round_trip_ns(void)
{
	struct sigaction sa;
	const int n = 20000;
	double best = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	for (int b = 0; b < 5; b++) {
		double t0 = ns_now(CLOCK_THREAD_CPUTIME_ID);
		for (int i = 0; i < n; i++)
			pthread_kill(pthread_self(), SIGUSR1);
		double t = (ns_now(CLOCK_THREAD_CPUTIME_ID) - t0) / n;
		if (b == 0 || t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 16;
	int seconds = argc > 2 ? atoi(argv[2]) : 5;
	pthread_t t[MAX_THREADS];

	if (threads < 1 || threads > MAX_THREADS || seconds < 1) {
		fprintf(stderr, "usage: sampler-micro [THREADS (1-%d) [SECONDS]]\n", MAX_THREADS);
		return 2;
	}
	for (long i = 0; i < threads; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
			fprintf(stderr, "sampler-micro: pthread_create: %s\n", strerror(errno));
			return 1;
		}
	}
	sleep((unsigned)seconds);

	/* Read every thread's CPU time while the workers still exist, then stop them. */
	unsigned long long workers = 0, other = 0;
	pid_t self = (pid_t)syscall(SYS_gettid);
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int is_worker = 0;
		if (tid <= 0 || tid == self)
			continue;
		for (int i = 0; i < threads; i++)
			is_worker |= worker_tid[i] == tid;
		if (is_worker)
			workers += task_cpu_ns(tid);
		else
			other += task_cpu_ns(tid);
	}
	if (dir)
		closedir(dir);
	stop = 1;
	unsigned long long steps = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		steps += worker_steps[i];
	}
	printf("workers_cpu_ns %llu\nother_cpu_ns %llu\nsteps %llu\n", workers, other, steps);
	printf("mallocs %llu\n", steps); /* one malloc per step */
	printf("signal_ns %.0f\n", signal_round_trip_ns());
	return 0;
}
