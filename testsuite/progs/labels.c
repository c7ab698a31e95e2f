/*
 * Labels on the CPU, heap, goroutine and threadcreate profiles, with known truths:
 *  - work() burns 400 ms under kind=light, 800 ms under kind=heavy (its first half also
 *    under phase=inner), 200 ms under kind=shadowed pushed over kind=light, 200 ms with no
 *    label: kind=heavy : kind=light is 2 : 1;
 *  - a thread created under kind=inherit burns 300 ms in child_work() with it (it cannot
 *    pop it), and its threadcreate entry carries it;
 *  - under owner=a 10 blocks of 1000 B are kept; under owner=b 20 are allocated and 10 of
 *    them freed later with no label set;
 *  - a thread sleeps 1.5 s in in_sleep() under role=sleeper (goroutine profile);
 *  - a thread holds a mutex 300 ms under lock=holder while main waits for it in
 *    wait_lock() under lock=waiter (block and mutex profiles), the wait's length on
 *    standard error (waited_ms=);
 *  - the API's error cases return what goprof.h says.
 * Each burn ends with spin_settle() (burn.h), so that its samples are taken before the
 * labels change, and the thread CPU time each label really got, settling included, goes
 * to standard error as "cpu light NS heavy NS inner NS shadowed NS none NS inherit NS".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "burn.h"
#include "goprof.h"

void *volatile sink;
static uint64_t work_ns, child_ns;	/* CPU time of the last work(), of child_work() */

__attribute__((noinline)) void work(volatile unsigned ms)
{
	uint64_t t0 = thread_cpu_ns();

	spin_ms(ms);
	spin_settle();
	work_ns = thread_cpu_ns() - t0;
	sink = (void *)(uintptr_t)ms;
}

__attribute__((noinline)) void child_work(volatile unsigned ms)
{
	uint64_t t0 = thread_cpu_ns();

	spin_ms(ms);
	spin_settle();
	child_ns = thread_cpu_ns() - t0;
	sink = (void *)(uintptr_t)(ms + 1);
}

__attribute__((noinline)) void *alloc_block(volatile size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) void in_sleep(void)
{
	usleep(1500000);
	sink = NULL;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile int held;

static void *holder(void *arg)
{
	(void)arg;
	goprof_label_push("lock", "holder");
	pthread_mutex_lock(&m);
	held = 1;
	usleep(300000);
	pthread_mutex_unlock(&m);
	goprof_label_pop();
	return NULL;
}

__attribute__((noinline)) void wait_lock(void)
{
	pthread_mutex_lock(&m);
	sink = &m;
	pthread_mutex_unlock(&m);
}

static void *child(void *arg)
{
	(void)arg;
	goprof_label_pop();	/* inherited: stays */
	child_work(300);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	if (goprof_label_push("role", "sleeper") != 0)
		return (void *)1;
	in_sleep();
	goprof_label_pop();
	return NULL;
}

static int check_errors(void)
{
	static char big[5000];
	int bad = 0;

	memset(big, 'x', sizeof(big) - 1);
	bad |= goprof_label_push(NULL, "v") != -EINVAL;
	bad |= goprof_label_push("k", NULL) != -EINVAL;
	bad |= goprof_label_push("", "v") != -EINVAL;
	bad |= goprof_label_push(big, "v") != -EINVAL;
	bad |= goprof_label_push("k", big) != -EINVAL;
	goprof_label_pop();	/* nothing pushed: nothing happens */
	return bad;
}

int main(void)
{
	static void *a[10], *b[20];
	pthread_t t, s;
	void *rc = NULL;
	uint64_t light, heavy, inner, shadowed, none;

	if (check_errors()) {
		puts("API error cases wrong");
		return 1;
	}
	if (pthread_create(&s, NULL, sleeper, NULL) != 0)
		return 1;

	goprof_label_push("kind", "light");
	work(400);
	light = work_ns;
	goprof_label_pop();

	goprof_label_push("kind", "heavy");
	goprof_label_push("phase", "inner");
	work(400);
	inner = work_ns;
	goprof_label_pop();
	work(400);
	heavy = inner + work_ns;
	goprof_label_pop();

	{
		GOPROF_LABEL_SCOPE("kind", "light");
		GOPROF_LABEL_SCOPE("kind", "shadowed");
		work(200);
		shadowed = work_ns;
	}
	work(200);
	none = work_ns;

	goprof_label_push("kind", "inherit");
	if (pthread_create(&t, NULL, child, NULL) != 0)
		return 1;
	goprof_label_pop();
	pthread_join(t, NULL);

	goprof_label_push("owner", "a");
	for (int i = 0; i < 10; i++)
		a[i] = alloc_block(1000);
	goprof_label_pop();
	goprof_label_push("owner", "b");
	for (int i = 0; i < 20; i++)
		b[i] = alloc_block(1000);
	goprof_label_pop();
	for (int i = 0; i < 10; i++)
		free(b[i]);

	if (pthread_create(&t, NULL, holder, NULL) != 0)
		return 1;
	while (!held)
		usleep(1000);
	goprof_label_push("lock", "waiter");
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	wait_lock();
	clock_gettime(CLOCK_MONOTONIC, &w1);
	goprof_label_pop();
	/* the wait as the program saw it: a loaded machine wakes main late and shortens it */
	fprintf(stderr, "waited_ms=%lld\n", (long long)((w1.tv_sec - w0.tv_sec) * 1000 +
						     (w1.tv_nsec - w0.tv_nsec) / 1000000));
	pthread_join(t, NULL);

	pthread_join(s, &rc);
	if (rc || !a[9] || !b[19])
		return 1;
	fprintf(stderr, "cpu light %llu heavy %llu inner %llu shadowed %llu none %llu inherit %llu\n",
		(unsigned long long)light, (unsigned long long)heavy, (unsigned long long)inner,
		(unsigned long long)shadowed, (unsigned long long)none, (unsigned long long)child_ns);
	puts("done");
	return 0;
}
