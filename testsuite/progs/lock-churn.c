/*
 * Lock churn: N short-lived threads (argv[1], 100000 by default), half created one after
 * another, each joined before the next starts, half in bursts of BURST created together,
 * taking turns and then joined. Each thread waits at three fixed sites, every wait
 * contended by construction: main, its partner, lets go of a mutex only once the waiter
 * marked it (the lock word's waiters mark), a thread lets go of one main waits for only
 * once main sleeps on it (the kernel's state of main, too), and main signals the condition
 * variable only once the waiter released the mutex in the wait:
 *  - wait_mutex: locks a mutex main holds (one contended pthread_mutex_lock);
 *  - wait_cond: waits on a condition variable until main signals (pthread_cond_wait, once
 *    unless woken spuriously: the calls are counted);
 *  - release_mutex: holds a mutex until main waits for it, then unlocks it (one release
 *    that wakes a waiter);
 *  - expired_1, _2, _3: a pthread_cond_timedwait whose time is past (a condition variable
 *    wait, short, once each).
 * Prints the threads' values summed. On stderr (not part of the compared output): "waits
 * THREADS MUTEX_LOCKS COND_WAITS RELEASES EXPIRED", what the threads did (EXPIRED: the
 * timed waits at each of the three sites), and the peak RSS in KiB
 * at marks "hwm serial-early|serial|burst-early|burst KIB", the early marks after a tenth of
 * each half.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "churn.h"

#define BURST 100

static pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;	/* main holds, the thread waits */
static pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t b_cond = PTHREAD_COND_INITIALIZER;
static int b_waiting, b_go;				/* b_lock */
static pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;	/* the thread holds, main waits */
static int c_held;					/* atomics */
static pid_t main_tid;
static long mutex_locks, cond_waits, releases;		/* one thread at a time: its turn */
static sem_t turn[BURST];				/* a burst's thread i waits for turn i */
static sem_t done;					/* a thread's sites are over */
static pthread_mutex_t t_lock = PTHREAD_MUTEX_INITIALIZER;	/* the threads' own */
static pthread_cond_t t_cond = PTHREAD_COND_INITIALIZER;	/* never signalled */
static long expired[3];					/* t_lock */

/* Does m have a waiter asleep on it (glibc's lock word: 2 once one waits)? */
static int has_waiter(pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) == 2;
}

/* Is thread tid asleep (state S in /proc: in a futex wait, here)? */
static int asleep(pid_t tid)
{
	char path[64], line[512];
	int sleeping = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');
		sleeping = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(f);
	return sleeping;
}

/*
 * Returns once thread tid sleeps on m: seen in the lock word alone, it may not have slept
 * yet, and a release then lets it take m before the release could charge its wait.
 */
static void await_waiter(pthread_mutex_t *m, const pid_t *tid)
{
	while (!has_waiter(m) || !asleep(__atomic_load_n(tid, __ATOMIC_ACQUIRE)))
		sched_yield();
}

__attribute__((noinline)) static void wait_mutex(void)
{
	pthread_mutex_lock(&a_lock);
	mutex_locks++;
	pthread_mutex_unlock(&a_lock);
}

__attribute__((noinline)) static void wait_cond(void)
{
	pthread_mutex_lock(&b_lock);
	__atomic_store_n(&b_waiting, 1, __ATOMIC_RELEASE);
	while (!b_go) {
		cond_waits++;
		pthread_cond_wait(&b_cond, &b_lock);
	}
	b_go = 0;
	pthread_mutex_unlock(&b_lock);
}

__attribute__((noinline)) static void release_mutex(void)
{
	pthread_mutex_lock(&c_lock);
	__atomic_store_n(&c_held, 1, __ATOMIC_RELEASE);
	await_waiter(&c_lock, &main_tid);
	pthread_mutex_unlock(&c_lock);
	/* after the unlock, which stays a call from this frame */
	__atomic_fetch_add(&releases, 1, __ATOMIC_RELAXED);
}

/* A wait on t_cond until a time long past: ETIMEDOUT at once, one wait all the same. */
#define EXPIRED_SITE(i)                                                                    \
	__attribute__((noinline)) static void expired_##i(void)                             \
	{                                                                                  \
		static const struct timespec past = { 0, 0 };                               \
		pthread_mutex_lock(&t_lock);                                               \
		if (pthread_cond_timedwait(&t_cond, &t_lock, &past) == ETIMEDOUT)             \
			expired[i - 1]++;                                                   \
		pthread_mutex_unlock(&t_lock);                                             \
	}
EXPIRED_SITE(1)
EXPIRED_SITE(2)
EXPIRED_SITE(3)

/* main's part of one thread's turn, the thread created and told to go */
__attribute__((noinline)) static void partner(void)
{
	/* the lock word alone: main's own charge of the wait is not counted on */
	while (!has_waiter(&a_lock))
		sched_yield();
	pthread_mutex_unlock(&a_lock);
	while (!__atomic_load_n(&b_waiting, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_mutex_lock(&b_lock);
	b_waiting = 0;
	b_go = 1;
	pthread_cond_signal(&b_cond);
	pthread_mutex_unlock(&b_lock);
	while (!__atomic_load_n(&c_held, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_mutex_lock(&c_lock);
	__atomic_store_n(&c_held, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c_lock);
	sem_wait(&done);
	/* the next thread's wait_mutex finds it taken */
	pthread_mutex_lock(&a_lock);
}

__attribute__((noinline)) static void sites(void)
{
	wait_mutex();
	wait_cond();
	release_mutex();
	expired_1();
	expired_2();
	expired_3();
	sem_post(&done);
}

static void *serial_work(void *arg)
{
	sites();
	return (void *)mix((uintptr_t)arg);
}

static void *burst_work(void *arg)
{
	sem_wait(&turn[(uintptr_t)arg % BURST]);
	sites();
	return (void *)(mix((uintptr_t)arg) + 1);
}

static void start(pthread_t *t, void *(*fn)(void *), uintptr_t arg)
{
	if (pthread_create(t, NULL, fn, (void *)arg) != 0) {
		perror("pthread_create");
		exit(2);
	}
}

__attribute__((noinline)) static uintptr_t run_serial(long n)
{
	uintptr_t sum = 0;

	for (long i = 0; i < n; i++) {
		pthread_t t;
		void *r;
		start(&t, serial_work, (uintptr_t)i);
		partner();
		pthread_join(t, &r);
		sum += (uintptr_t)r;
		if (i + 1 == n / 10)
			hwm("serial-early");
	}
	return sum;
}

__attribute__((noinline)) static uintptr_t run_bursts(long n)
{
	static pthread_t t[BURST];
	uintptr_t sum = 0;
	long bursts = n / BURST;

	for (long b = 0; b < bursts; b++) {
		for (int i = 0; i < BURST; i++)
			start(&t[i], burst_work, (uintptr_t)(b * BURST + i));
		for (int i = 0; i < BURST; i++) {
			sem_post(&turn[i]);
			partner();
		}
		sum += join_sum(t, BURST);
		if (b + 1 == (bursts + 9) / 10)
			hwm("burst-early");
	}
	return sum;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;

	for (int i = 0; i < BURST; i++)
		sem_init(&turn[i], 0, 0);
	sem_init(&done, 0, 0);
	main_tid = gettid();
	pthread_mutex_lock(&a_lock);
	uintptr_t a = run_serial(n / 2);
	hwm("serial");
	uintptr_t b = run_bursts(n - n / 2);
	hwm("burst");
	pthread_mutex_unlock(&a_lock);
	long e = expired[0] == expired[1] && expired[1] == expired[2] ? expired[0] : -1;
	fprintf(stderr, "waits %ld %ld %ld %ld %ld\n", n / 2 + (n - n / 2) / BURST * BURST,
		mutex_locks, cond_waits, releases, e);
	printf("%ld threads: %lx %lx\n", n, (unsigned long)a, (unsigned long)b);
	fflush(stdout);
	return 0;
}
