/*
 * Every interposed blocking call, driven into each result it can give: return values and
 * errno (EBUSY, ETIMEDOUT, EDEADLK, EPERM, EINVAL, EOWNERDEAD, EAGAIN), recursive and
 * robust mutexes, condvars, semaphores, barriers, joins, C11 threads, sleeps, and
 * cancellation inside the calls that are cancellation points. Prints one line per check;
 * a build with goprof must print exactly what a plain build prints.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHOW(what, expr) printf("%-40s %d\n", what, (int)(expr))
#define SHOW_ERRNO(what, expr)                                                             \
	do {                                                                               \
		errno = 0;                                                                 \
		int r_ = (int)(expr);                                                      \
		printf("%-40s %d errno %s\n", what, r_, errno ? strerror(errno) : "0");     \
	} while (0)

static struct timespec in_ms(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static const struct timespec past = { 1, 0 };
static const struct timespec bad = { 1, 2000000000L };

/* ---- a thread that holds a lock until told to let go ---- */
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static mtx_t cmtx;
static sem_t go, ready;

__attribute__((noinline)) static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	pthread_rwlock_wrlock(&rw);
	mtx_lock(&cmtx);
	sem_post(&ready);
	sem_wait(&go);
	mtx_unlock(&cmtx);
	pthread_rwlock_unlock(&rw);
	pthread_mutex_unlock(&held);
	return NULL;
}

__attribute__((noinline)) static void held_by_other(void)
{
	pthread_t t;
	struct timespec ts;

	pthread_create(&t, NULL, holder, NULL);
	sem_wait(&ready);
	SHOW("mutex_trylock held", pthread_mutex_trylock(&held));
	SHOW("mutex_timedlock past", pthread_mutex_timedlock(&held, &past));
	ts = in_ms(CLOCK_REALTIME, 30);
	SHOW("mutex_timedlock 30ms", pthread_mutex_timedlock(&held, &ts));
	SHOW("mutex_timedlock bad nsec", pthread_mutex_timedlock(&held, &bad));
	ts = in_ms(CLOCK_MONOTONIC, 30);
	SHOW("mutex_clocklock monotonic 30ms",
	     pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts));
	SHOW("mutex_clocklock bad clock",
	     pthread_mutex_clocklock(&held, CLOCK_PROCESS_CPUTIME_ID, &ts));
	SHOW("rwlock_tryrdlock held", pthread_rwlock_tryrdlock(&rw));
	SHOW("rwlock_timedrdlock past", pthread_rwlock_timedrdlock(&rw, &past));
	SHOW("rwlock_timedwrlock past", pthread_rwlock_timedwrlock(&rw, &past));
	ts = in_ms(CLOCK_MONOTONIC, 30);
	SHOW("rwlock_clockrdlock 30ms", pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts));
	SHOW("rwlock_clockwrlock 30ms", pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts));
	SHOW("rwlock_timedwrlock bad nsec", pthread_rwlock_timedwrlock(&rw, &bad));
	SHOW("mtx_timedlock past", mtx_timedlock(&cmtx, &past) == thrd_timedout);
	SHOW("mtx_trylock held", mtx_trylock(&cmtx) == thrd_busy);
	sem_post(&go);
	SHOW("mutex_lock after release", pthread_mutex_lock(&held));
	SHOW("mutex_unlock", pthread_mutex_unlock(&held));
	SHOW("rwlock_rdlock after release", pthread_rwlock_rdlock(&rw));
	SHOW("rwlock_rdlock again", pthread_rwlock_rdlock(&rw));
	SHOW("rwlock_unlock", pthread_rwlock_unlock(&rw));
	SHOW("rwlock_unlock", pthread_rwlock_unlock(&rw));
	SHOW("mtx_lock after release", mtx_lock(&cmtx) == thrd_success);
	SHOW("mtx_unlock", mtx_unlock(&cmtx) == thrd_success);
	SHOW("join holder", pthread_join(t, NULL));
}

__attribute__((noinline)) static void mutex_kinds(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	SHOW("errorcheck lock", pthread_mutex_lock(&m));
	SHOW("errorcheck lock again (EDEADLK)", pthread_mutex_lock(&m) == EDEADLK);
	SHOW("errorcheck timedlock again", pthread_mutex_timedlock(&m, &past) == EDEADLK);
	SHOW("errorcheck unlock", pthread_mutex_unlock(&m));
	SHOW("errorcheck unlock again (EPERM)", pthread_mutex_unlock(&m) == EPERM);
	pthread_mutex_destroy(&m);

	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &a);
	SHOW("recursive lock 1", pthread_mutex_lock(&m));
	SHOW("recursive lock 2", pthread_mutex_lock(&m));
	SHOW("recursive timedlock 3", pthread_mutex_timedlock(&m, &past));
	SHOW("recursive unlock 1", pthread_mutex_unlock(&m));
	SHOW("recursive unlock 2", pthread_mutex_unlock(&m));
	SHOW("recursive unlock 3", pthread_mutex_unlock(&m));
	SHOW("recursive unlock 4 (EPERM)", pthread_mutex_unlock(&m) == EPERM);
	pthread_mutex_destroy(&m);

	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL);
	pthread_mutex_init(&m, &a);
	SHOW("normal timedlock free, bad nsec", pthread_mutex_timedlock(&m, &bad));
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

/*
 * glibc's own bookkeeping of a normal mutex (owner, user count) is the same whoever took
 * it: destroy says EBUSY while it is held, the owner is the taker's tid. Run first, while
 * the process has one thread, and again after threads and in a fork child.
 */
__attribute__((noinline)) static void normal_mutex(const char *when)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutexattr_t a;
	mtx_t c;
	char what[64];

#define SHOW_WHEN(label, expr)                                                             	do {                                                                               		snprintf(what, sizeof(what), "%s: %s", when, label);                      		SHOW(what, expr);                                                          	} while (0)
	SHOW_WHEN("normal lock", pthread_mutex_lock(&m));
	SHOW_WHEN("normal owner is me", m.__data.__owner == gettid());
	SHOW_WHEN("normal users", m.__data.__nusers);
	SHOW_WHEN("normal trylock held", pthread_mutex_trylock(&m));
	SHOW_WHEN("normal destroy held", pthread_mutex_destroy(&m));
	SHOW_WHEN("normal unlock", pthread_mutex_unlock(&m));
	SHOW_WHEN("normal owner, lock word", m.__data.__owner * 10 + m.__data.__lock);
	SHOW_WHEN("normal trylock free", pthread_mutex_trylock(&m));
	SHOW_WHEN("normal unlock after trylock", pthread_mutex_unlock(&m));
	SHOW_WHEN("normal destroy free", pthread_mutex_destroy(&m));

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&m, &a);
	SHOW_WHEN("shared lock", pthread_mutex_lock(&m));
	SHOW_WHEN("shared owner is me", m.__data.__owner == gettid());
	SHOW_WHEN("shared trylock held", pthread_mutex_trylock(&m));
	SHOW_WHEN("shared unlock", pthread_mutex_unlock(&m));
	SHOW_WHEN("shared destroy", pthread_mutex_destroy(&m));
	pthread_mutexattr_destroy(&a);

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &a);
	SHOW_WHEN("recursive lock", pthread_mutex_lock(&m));
	SHOW_WHEN("recursive lock again", pthread_mutex_lock(&m));
	SHOW_WHEN("recursive owner is me", m.__data.__owner == gettid());
	SHOW_WHEN("recursive trylock (count 3)", pthread_mutex_trylock(&m));
	SHOW_WHEN("recursive count, users", m.__data.__count * 10 + (int)m.__data.__nusers);
	SHOW_WHEN("recursive destroy held", pthread_mutex_destroy(&m));
	SHOW_WHEN("recursive unlock 1", pthread_mutex_unlock(&m));
	SHOW_WHEN("recursive unlock 2", pthread_mutex_unlock(&m));
	SHOW_WHEN("recursive unlock 3", pthread_mutex_unlock(&m));
	SHOW_WHEN("recursive unlock 4 (EPERM)", pthread_mutex_unlock(&m));
	SHOW_WHEN("recursive owner, lock word", m.__data.__owner * 10 + m.__data.__lock);
	SHOW_WHEN("recursive destroy", pthread_mutex_destroy(&m));

	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	SHOW_WHEN("errorcheck lock", pthread_mutex_lock(&m));
	SHOW_WHEN("errorcheck owner is me", m.__data.__owner == gettid());
	SHOW_WHEN("errorcheck lock again (EDEADLK)", pthread_mutex_lock(&m));
	SHOW_WHEN("errorcheck destroy held", pthread_mutex_destroy(&m));
	SHOW_WHEN("errorcheck unlock", pthread_mutex_unlock(&m));
	SHOW_WHEN("errorcheck unlock again (EPERM)", pthread_mutex_unlock(&m));
	SHOW_WHEN("errorcheck owner, users", m.__data.__owner * 10 + (int)m.__data.__nusers);
	SHOW_WHEN("errorcheck destroy", pthread_mutex_destroy(&m));

	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&m, &a);
	SHOW_WHEN("adaptive lock", pthread_mutex_lock(&m));
	SHOW_WHEN("adaptive owner is me", m.__data.__owner == gettid());
	SHOW_WHEN("adaptive trylock held", pthread_mutex_trylock(&m));
	SHOW_WHEN("adaptive destroy held", pthread_mutex_destroy(&m));
	SHOW_WHEN("adaptive unlock", pthread_mutex_unlock(&m));
	SHOW_WHEN("adaptive owner, lock word", m.__data.__owner * 10 + m.__data.__lock);
	SHOW_WHEN("adaptive destroy", pthread_mutex_destroy(&m));
	pthread_mutexattr_destroy(&a);

	SHOW_WHEN("mtx_plain init", mtx_init(&c, mtx_plain) == thrd_success);
	SHOW_WHEN("mtx_plain lock", mtx_lock(&c) == thrd_success);
	SHOW_WHEN("mtx_plain trylock held", mtx_trylock(&c) == thrd_busy);
	SHOW_WHEN("mtx_plain unlock", mtx_unlock(&c) == thrd_success);
	SHOW_WHEN("mtx_plain trylock free", mtx_trylock(&c) == thrd_success);
	SHOW_WHEN("mtx_plain unlock again", mtx_unlock(&c) == thrd_success);
	mtx_destroy(&c);
#undef SHOW_WHEN
}

/* In a fork child the one thread has a new tid: a mutex it takes says so. */
__attribute__((noinline)) static void normal_mutex_forked(void)
{
	pid_t child = fork();

	if (child == 0) {
		normal_mutex("fork child");
		fflush(stdout);
		_exit(0);
	}
	int status = 0;
	waitpid(child, &status, 0);
	SHOW("fork child exit status", status);
}

static pthread_mutex_t robust;

__attribute__((noinline)) static void *die_holding(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL;
}

__attribute__((noinline)) static void robust_mutex(void)
{
	pthread_mutexattr_t a;
	pthread_t t;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	pthread_create(&t, NULL, die_holding, NULL);
	pthread_join(t, NULL);
	SHOW("robust lock, owner died (EOWNERDEAD)", pthread_mutex_lock(&robust) == EOWNERDEAD);
	SHOW("robust consistent", pthread_mutex_consistent(&robust));
	SHOW("robust unlock", pthread_mutex_unlock(&robust));
	SHOW("robust lock", pthread_mutex_lock(&robust));
	SHOW("robust unlock", pthread_mutex_unlock(&robust));
	/* again, the dead owner found by a thread that has to wait first */
	pthread_create(&t, NULL, die_holding, NULL);
	pthread_join(t, NULL);
	SHOW("robust timedlock, owner died", pthread_mutex_timedlock(&robust, &past) == EOWNERDEAD);
	pthread_mutex_unlock(&robust);
	SHOW("robust lock, not consistent", pthread_mutex_lock(&robust) == ENOTRECOVERABLE);
	pthread_mutexattr_destroy(&a);
}

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;

__attribute__((noinline)) static void *signaller(void *arg)
{
	(void)arg;
	usleep(20000);
	pthread_mutex_lock(&cm);
	flag = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&cm);
	return NULL;
}

__attribute__((noinline)) static void condvars(void)
{
	pthread_t t;
	struct timespec ts;

	pthread_mutex_lock(&cm);
	SHOW("cond_timedwait past", pthread_cond_timedwait(&cv, &cm, &past));
	SHOW("  mutex held after", pthread_mutex_trylock(&cm));
	SHOW("cond_timedwait bad nsec", pthread_cond_timedwait(&cv, &cm, &bad));
	ts = in_ms(CLOCK_MONOTONIC, 20);
	SHOW("cond_clockwait 20ms", pthread_cond_clockwait(&cv, &cm, CLOCK_MONOTONIC, &ts));
	SHOW("cond_clockwait bad clock",
	     pthread_cond_clockwait(&cv, &cm, CLOCK_PROCESS_CPUTIME_ID, &ts));
	pthread_create(&t, NULL, signaller, NULL);
	while (!flag)
		SHOW("cond_wait", pthread_cond_wait(&cv, &cm) == 0 && flag);
	pthread_mutex_unlock(&cm);
	pthread_join(t, NULL);

	cnd_t c;
	mtx_t m;
	cnd_init(&c);
	mtx_init(&m, mtx_plain);
	mtx_lock(&m);
	SHOW("cnd_timedwait past", cnd_timedwait(&c, &m, &past) == thrd_timedout);
	mtx_unlock(&m);
	cnd_destroy(&c);
	mtx_destroy(&m);
}

__attribute__((noinline)) static void semaphores(void)
{
	sem_t s;
	struct timespec ts;

	sem_init(&s, 0, 1);
	errno = 1234;
	SHOW("sem_wait available", sem_wait(&s));
	SHOW("  errno kept", errno == 1234);
	SHOW_ERRNO("sem_trywait empty", sem_trywait(&s));
	SHOW_ERRNO("sem_timedwait past", sem_timedwait(&s, &past));
	SHOW_ERRNO("sem_timedwait bad nsec", sem_timedwait(&s, &bad));
	ts = in_ms(CLOCK_MONOTONIC, 20);
	SHOW_ERRNO("sem_clockwait 20ms", sem_clockwait(&s, CLOCK_MONOTONIC, &ts));
	SHOW_ERRNO("sem_clockwait bad clock", sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &ts));
	sem_post(&s);
	errno = 99;
	SHOW("sem_timedwait available", sem_timedwait(&s, &bad));
	SHOW("  errno kept", errno == 99);
	sem_destroy(&s);
}

static pthread_barrier_t bar;

__attribute__((noinline)) static void *at_barrier(void *arg)
{
	(void)arg;
	return (void *)(long)(pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD);
}

static int c11_worker(void *arg)
{
	return (int)(long)arg * 2;
}

__attribute__((noinline)) static void *sleeper(void *arg)
{
	usleep(60000);
	return arg;
}

__attribute__((noinline)) static void barriers_and_joins(void)
{
	pthread_t t[3];
	void *ret;
	long serial = 0;
	struct timespec ts;

	pthread_barrier_init(&bar, NULL, 4);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, at_barrier, NULL);
	serial += pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], &ret);
		serial += (long)ret;
	}
	SHOW("barrier: one serial thread", serial);
	pthread_barrier_destroy(&bar);

	SHOW("join self (EDEADLK)", pthread_join(pthread_self(), NULL) == EDEADLK);
	pthread_create(&t[0], NULL, sleeper, (void *)42L);
	SHOW("tryjoin running (EBUSY)", pthread_tryjoin_np(t[0], &ret));
	SHOW("timedjoin past", pthread_timedjoin_np(t[0], &ret, &past));
	ts = in_ms(CLOCK_MONOTONIC, 10);
	SHOW("clockjoin 10ms", pthread_clockjoin_np(t[0], &ret, CLOCK_MONOTONIC, &ts));
	SHOW("join", pthread_join(t[0], &ret));
	SHOW("  result", (long)ret);

	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_create(&t[1], &a, sleeper, NULL);
	SHOW("join detached (EINVAL)", pthread_join(t[1], NULL) == EINVAL);
	pthread_attr_destroy(&a);

	thrd_t c;
	int res = 0;
	thrd_create(&c, c11_worker, (void *)21L);
	SHOW("thrd_join", thrd_join(c, &res) == thrd_success);
	SHOW("  result", res);
	usleep(100000);		/* the detached sleeper is gone */
}

__attribute__((noinline)) static void sleeps(void)
{
	struct timespec req = { 0, 1000000 }, rem;

	SHOW_ERRNO("nanosleep 1ms", nanosleep(&req, &rem));
	SHOW_ERRNO("nanosleep bad nsec", nanosleep(&bad, &rem));
	SHOW("clock_nanosleep 1ms", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
	SHOW("clock_nanosleep bad clock",
	     clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL));
	SHOW("clock_nanosleep abs past",
	     clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, NULL));
	SHOW_ERRNO("usleep 1000", usleep(1000));
	SHOW("sleep 0", sleep(0));
}

/* ---- cancellation points stay cancellation points ---- */
static int cleanups;
static sem_t never;

static void count_cleanup(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&cleanups, 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static void *cancel_in_cond(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cm);
	pthread_cleanup_push((void (*)(void *))pthread_mutex_unlock, &cm);
	pthread_cleanup_push(count_cleanup, NULL);
	for (;;)
		pthread_cond_wait(&cv, &cm);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

__attribute__((noinline)) static void *cancel_in_sem(void *arg)
{
	(void)arg;
	pthread_cleanup_push(count_cleanup, NULL);
	sem_wait(&never);
	pthread_cleanup_pop(0);
	return NULL;
}

__attribute__((noinline)) static void *cancel_in_sleep(void *arg)
{
	(void)arg;
	pthread_cleanup_push(count_cleanup, NULL);
	for (;;)
		sleep(10);
	pthread_cleanup_pop(0);
	return NULL;
}

__attribute__((noinline)) static void cancellation(void)
{
	void *(*fns[])(void *) = { cancel_in_cond, cancel_in_sem, cancel_in_sleep };
	sem_init(&never, 0, 0);
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		void *ret;
		pthread_create(&t, NULL, fns[i], NULL);
		usleep(30000);
		pthread_cancel(t);
		pthread_join(t, &ret);
		SHOW("cancelled", ret == PTHREAD_CANCELED);
	}
	SHOW("cleanup handlers ran", cleanups);
	SHOW("condvar mutex free again", pthread_mutex_trylock(&cm));
	pthread_mutex_unlock(&cm);
}

/* ---- contended counting stays exact ---- */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t count_rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t count_adaptive = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static pthread_rwlock_t count_rw = PTHREAD_RWLOCK_INITIALIZER;
static long counter, rcounter, reccounter, adcounter;

/* lock and timedlock alternate: waiters of each kind are woken by unlocks of the other */
__attribute__((noinline)) static void *count(void *arg)
{
	static const struct timespec far = { 1L << 40, 0 };

	(void)arg;
	for (int i = 0; i < 50000; i++) {
		if (i & 1)
			pthread_mutex_timedlock(&count_lock, &far);
		else
			pthread_mutex_lock(&count_lock);
		counter++;
		pthread_mutex_unlock(&count_lock);
		pthread_mutex_lock(&count_rec);
		pthread_mutex_lock(&count_rec);
		reccounter++;
		pthread_mutex_unlock(&count_rec);
		pthread_mutex_unlock(&count_rec);
		pthread_mutex_lock(&count_adaptive);
		adcounter++;
		pthread_mutex_unlock(&count_adaptive);
		pthread_rwlock_wrlock(&count_rw);
		rcounter++;
		pthread_rwlock_unlock(&count_rw);
		pthread_rwlock_rdlock(&count_rw);
		pthread_rwlock_unlock(&count_rw);
	}
	return NULL;
}

__attribute__((noinline)) static void contention(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, count, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	SHOW("mutex counter", counter);
	SHOW("recursive mutex counter", reccounter);
	SHOW("adaptive mutex counter", adcounter);
	SHOW("rwlock counter", rcounter);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sem_init(&go, 0, 0);
	sem_init(&ready, 0, 0);
	mtx_init(&cmtx, mtx_timed);
	normal_mutex("one thread");
	held_by_other();
	mutex_kinds();
	robust_mutex();
	condvars();
	semaphores();
	barriers_and_joins();
	sleeps();
	cancellation();
	contention();
	normal_mutex("after threads");
	normal_mutex_forked();
	return 0;
}
