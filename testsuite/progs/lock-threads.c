/*
 * Threads made from three call sites (two with pthread_create, one with thrd_create), and
 * a snapshot's worth of threads parked in each kind of wait: a mutex, a rwlock, a condvar,
 * a semaphore, a barrier, a join and a sleep, while main sleeps 1.5 s (three commits), then
 * lets them all go.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <threads.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;
static sem_t sem;
static pthread_barrier_t bar;
static pthread_t sleeping;
static volatile int sink;

__attribute__((noinline)) static void *park_mutex(void *arg)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	sink++;
	return arg;
}

__attribute__((noinline)) static void *park_rwlock(void *arg)
{
	pthread_rwlock_wrlock(&rw);
	pthread_rwlock_unlock(&rw);
	sink++;
	return arg;
}

__attribute__((noinline)) static void *park_cond(void *arg)
{
	pthread_mutex_lock(&cm);
	while (!go)
		pthread_cond_wait(&cv, &cm);
	pthread_mutex_unlock(&cm);
	sink++;
	return arg;
}

__attribute__((noinline)) static void *park_sem(void *arg)
{
	sem_wait(&sem);
	sink++;
	return arg;
}

__attribute__((noinline)) static void *park_barrier(void *arg)
{
	pthread_barrier_wait(&bar);
	sink++;
	return arg;
}

__attribute__((noinline)) static void *park_sleep(void *arg)
{
	usleep(1800000);
	sink++;
	return arg;
}

__attribute__((noinline)) static void *park_join(void *arg)
{
	pthread_join(sleeping, NULL);
	sink++;
	return arg;
}

__attribute__((noinline)) static int c11_thread(void *arg)
{
	sink++;
	return (int)(long)arg;
}

/* the three creation sites */
__attribute__((noinline)) static void spawn_a(pthread_t *t, void *(*fn)(void *))
{
	pthread_create(t, NULL, fn, NULL);
	sink++;
}

__attribute__((noinline)) static void spawn_b_inner(pthread_t *t, void *(*fn)(void *))
{
	pthread_create(t, NULL, fn, NULL);
	sink += 2;	/* not spawn_a's twin: identical code folding would merge them */
}

__attribute__((noinline)) static void spawn_b(pthread_t *t, void *(*fn)(void *))
{
	spawn_b_inner(t, fn);
	sink++;
}

__attribute__((noinline)) static void spawn_c(thrd_t *t)
{
	thrd_create(t, c11_thread, (void *)7L);
	sink++;
}

__attribute__((noinline)) static void main_waits(void)
{
	usleep(1500000);
	sink++;
}

int main(void)
{
	pthread_t t[6];
	thrd_t c;
	int res;

	sem_init(&sem, 0, 0);
	pthread_barrier_init(&bar, NULL, 2);
	pthread_mutex_lock(&m);
	pthread_rwlock_rdlock(&rw);
	spawn_a(&t[0], park_mutex);
	spawn_a(&t[1], park_rwlock);
	spawn_a(&t[2], park_cond);
	spawn_b(&t[3], park_sem);
	spawn_b(&t[4], park_barrier);
	spawn_b(&sleeping, park_sleep);
	spawn_b(&t[5], park_join);
	spawn_c(&c);
	thrd_join(c, &res);
	main_waits();
	pthread_mutex_unlock(&m);
	pthread_rwlock_unlock(&rw);
	pthread_mutex_lock(&cm);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&cm);
	sem_post(&sem);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	printf("done %d\n", res);
	return 0;
}
