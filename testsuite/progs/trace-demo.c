/*
 * trace-demo: three threads with one of each thing the execution trace records, in a known
 * order (testsuite/cases/7002). main opens task "request" and region "setup", takes mutex
 * m, creates worker_a and worker_b, logs phase=workers started and closes the region.
 * worker_a (region "handle") blocks in take_lock() on m until main releases it ~50 ms
 * after it began waiting. worker_b blocks in read_pipe() on a pipe main writes to ~20 ms
 * after that (once worker_b waits in read), then signals the condition variable main waits
 * on in wait_for_data() (once main waits). main ends the task and joins both. The output is
 * fixed, and so is the order of events however late a thread gets a CPU.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "waiting.h"

#ifdef GP_INSTRUMENTED
#include <goprof.h>
#else
#include <stdint.h>
static uint64_t goprof_task_create(uint64_t p, const char *n) { (void)p; (void)n; return 1; }
static void goprof_task_end(uint64_t t) { (void)t; }
static void goprof_region_begin(uint64_t t, const char *n) { (void)t; (void)n; }
static void goprof_region_end(uint64_t t, const char *n) { (void)t; (void)n; }
static void goprof_trace_log(uint64_t t, const char *c, const char *m) { (void)t; (void)c; (void)m; }
#endif

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static int fds[2];
static uint64_t task;
static char got[16];
static int b_tid;		/* worker_b's thread id, once it runs */

__attribute__((noinline)) static void take_lock(void)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
}

__attribute__((noinline)) static void *worker_a(void *arg)
{
	goprof_region_begin(task, "handle");
	take_lock();
	goprof_region_end(task, "handle");
	return arg;
}

__attribute__((noinline)) static ssize_t read_pipe(char *buf, size_t n)
{
	ssize_t r = read(fds[0], buf, n);
	return r;
}

__attribute__((noinline)) static void *worker_b(void *arg)
{
	__atomic_store_n(&b_tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	ssize_t n = read_pipe(got, sizeof(got) - 1);
	if (n > 0)
		got[n] = '\0';
	usleep(20000);
	wait_for_syscall(getpid(), SYS_futex);	/* main in pthread_cond_wait */
	pthread_mutex_lock(&m);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&m);
	return arg;
}

__attribute__((noinline)) static void wait_for_data(void)
{
	pthread_mutex_lock(&m);
	while (!ready)
		pthread_cond_wait(&cv, &m);
	pthread_mutex_unlock(&m);
}

int main(void)
{
	pthread_t a, b;

	if (pipe(fds) != 0)
		return 1;
	task = goprof_task_create(0, "request");
	goprof_region_begin(task, "setup");
	pthread_mutex_lock(&m);
	pthread_create(&a, NULL, worker_a, NULL);
	pthread_create(&b, NULL, worker_b, NULL);
	goprof_trace_log(task, "phase", "workers started");
	goprof_region_end(task, "setup");
	wait_for_waiter(&m);
	usleep(50000);
	pthread_mutex_unlock(&m);
	usleep(20000);
	while (!in_syscall(__atomic_load_n(&b_tid, __ATOMIC_ACQUIRE), SYS_read))
		sched_yield();
	if (write(fds[1], "hello", 5) != 5)
		return 1;
	wait_for_data();
	goprof_task_end(task);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("worker_b read %s\n", got);
	printf("done\n");
	return 0;
}
