/*
 * Threads created from three call sites: spawn_one() makes 1, spawn_two() 2 and
 * spawn_three() 3 (all through spawn(), which calls pthread_create), and one more through
 * C11 thrd_create in spawn_c11(). Each thread ends at once; all are joined.
 */
#include <pthread.h>
#include <stdio.h>
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

__attribute__((noinline)) void spawn(void)
{
	pthread_create(&all[n++], NULL, body, NULL);
}

__attribute__((noinline)) void spawn_one(void)
{
	spawn();
}

__attribute__((noinline)) void spawn_two(void)
{
	for (int i = 0; i < 2; i++)
		spawn();
}

__attribute__((noinline)) void spawn_three(void)
{
	for (int i = 0; i < 3; i++)
		spawn();
}

__attribute__((noinline)) void spawn_c11(thrd_t *t)
{
	thrd_create(t, c11_body, NULL);
}

int main(void)
{
	thrd_t t;

	spawn_one();
	spawn_two();
	spawn_three();
	spawn_c11(&t);
	for (int i = 0; i < n; i++)
		pthread_join(all[i], NULL);
	thrd_join(t, NULL);
	printf("%d threads\n", n + 1);
	return 0;
}
