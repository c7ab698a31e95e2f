/*
 * Eight threads alive at once, each with a different stack, see only their own stack, and
 * so does main while they run; threads made with thrd_create are set up the same way.
 */
#include <pthread.h>
#include <stdio.h>
#include <threads.h>
#include "gp-test.h"

#define NTHREADS 8

static pthread_barrier_t all_alive, all_checked;
static volatile int sink;

/* Thread i runs id + 1 levels of down(), then leaf<i>: worker>down>leaf0 for thread 0. */
static const char *const leaf_names[NTHREADS] = {
	"leaf0", "leaf1", "leaf2", "leaf3", "leaf4", "leaf5", "leaf6", "leaf7",
};

GP_NOINLINE static void expect_own(int id)
{
#ifdef GP_INSTRUMENTED
	char want[512];
	size_t len = (size_t)snprintf(want, sizeof(want), "%s", id < 6 ? "worker" : "cworker");
	for (int i = 0; i <= id; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, ">down");
	snprintf(want + len, sizeof(want) - len, ">%s>expect_own", leaf_names[id]);
	GP_EXPECT_STACK(want);
#endif
	sink += id;
}

/* The last sink++ keeps expect_own out of tail position. */
#define LEAF(n)                                             \
	GP_NOINLINE static void leaf##n(void)               \
	{                                                   \
		expect_own(n);                              \
		pthread_barrier_wait(&all_alive);           \
		expect_own(n);                              \
		pthread_barrier_wait(&all_checked);         \
		expect_own(n);                              \
		sink++;                                     \
	}
LEAF(0)
LEAF(1)
LEAF(2)
LEAF(3)
LEAF(4)
LEAF(5)
LEAF(6)
LEAF(7)

static void (*const leaves[NTHREADS])(void) = {
	leaf0, leaf1, leaf2, leaf3, leaf4, leaf5, leaf6, leaf7,
};

GP_NOINLINE static void down(int levels, int id)
{
	if (levels > 0)
		down(levels - 1, id);
	else
		leaves[id]();
	sink++;
}

GP_NOINLINE static void *worker(void *arg)
{
	volatile int id = (int)(long)arg;

	down(id, id);
	GP_EXPECT_STACK("worker");
	return NULL;
}

GP_NOINLINE static int cworker(void *arg)
{
	volatile int id = (int)(long)arg;

	down(id, id);
	GP_EXPECT_STACK("cworker");
	return 0;
}

GP_NOINLINE static void main_waits(void)
{
	GP_EXPECT_STACK("main>main_waits");
	pthread_barrier_wait(&all_alive);
	GP_EXPECT_STACK("main>main_waits");
	pthread_barrier_wait(&all_checked);
	GP_EXPECT_STACK("main>main_waits");
}

int main(void)
{
	pthread_t t[NTHREADS];
	thrd_t ct[NTHREADS];

	pthread_barrier_init(&all_alive, NULL, NTHREADS + 1);
	pthread_barrier_init(&all_checked, NULL, NTHREADS + 1);
	for (long i = 0; i < NTHREADS; i++) {
		int rc = i < 6 ? pthread_create(&t[i], NULL, worker, (void *)i)
			       : thrd_create(&ct[i], cworker, (void *)i) == thrd_success ? 0 : 1;
		if (rc != 0) {
			fprintf(stderr, "cannot create thread %ld\n", i);
			return 99;
		}
	}
	main_waits();
	for (int i = 0; i < NTHREADS; i++) {
		if (i < 6)
			pthread_join(t[i], NULL);
		else
			thrd_join(ct[i], NULL);
	}
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("%d threads done\n", NTHREADS);
	return gp_status();
}
