/*
 * Threads created from three call sites: spawn_one() makes 1, spawn_two() 2 and
 * spawn_three() 3 (all through spawn(), which calls pthread_create), and one more through
 * C11 thrd_create in spawn_c11(). Each thread ends at once; all are joined.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

static pthread_t all[8];
static int n;

static void *body(void *unused)
{
	(void)unused;
	return NULL;
}

static int c11_body(void *unused)
{
	(void)unused;
	return 0;
}

/* pthread_create in tail position: goprof keeps spawn on the stack all the same */
__attribute__((noinline)) int spawn(void)
{
	return pthread_create(&all[n++], NULL, body, NULL);
}

/* The spawn_* functions check what spawn returns: no tail calls of their own. */
__attribute__((noinline)) void spawn_one(void)
{
	if (spawn() != 0)
		abort();
}

__attribute__((noinline)) void spawn_two(void)
{
	for (int i = 0; i < 2; i++)
		if (spawn() != 0)
			abort();
}

__attribute__((noinline)) void spawn_three(void)
{
	for (int i = 0; i < 3; i++)
		if (spawn() != 0)
			abort();
}

__attribute__((noinline)) int spawn_c11(thrd_t *t)
{
	return thrd_create(t, c11_body, NULL);
}

int main(void)
{
	thrd_t t;

	spawn_one();
	spawn_two();
	spawn_three();
	if (spawn_c11(&t) != thrd_success)
		abort();
	for (int i = 0; i < n; i++)
		pthread_join(all[i], NULL);
	thrd_join(t, NULL);
	printf("%d threads\n", n + 1);
	return 0;
}
