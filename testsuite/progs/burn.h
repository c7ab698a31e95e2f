/*
 * Burning CPU for the profile tests: spin_ms() runs until the calling thread's CPU clock has
 * advanced by the given number of milliseconds; spin() runs a given number of iterations;
 * spin_settle() burns until the CPU samples of what came before have been taken.
 */
#ifndef GOPROF_TESTSUITE_BURN_H
#define GOPROF_TESTSUITE_BURN_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Inlined into each caller, so the samples land in the function that burns. */
static inline __attribute__((always_inline)) void spin_ms(unsigned ms)
{
	uint64_t end = thread_cpu_ns() + (uint64_t)ms * 1000000u;
	volatile uint64_t x = 0;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 2000; i++)
			x += (uint64_t)i;
}

static __thread volatile sig_atomic_t settle_ticks;	/* settle timer's signals, this thread */

static void settle_on_signal(int sig)
{
	(void)sig;
	settle_ticks++;
}

/*
 * The kernel looks at a thread's CPU timers only at a scheduler tick that finds the thread
 * running. On a loaded machine a thread may run tens of ms between two such ticks, and the
 * one signal of goprof's timer that comes then stands for all of that CPU time, charged to
 * wherever the thread is by then: past a label change, a CPU profile shows some of the time
 * of the work before it under the next label. spin_settle() burns until such a tick has
 * come: it gives the thread a timer of its own on a 100 us CPU period (signal SIGRTMIN + 4,
 * armed only here, so that it never cuts a sleep short) and spins until it fires. At that
 * tick every other CPU timer of the thread delivered what expired before the call, so the
 * samples of the work before the call are all taken by its return. It lasts about one tick
 * on a quiet machine; the caller counts the CPU time it burns as part of its work.
 */
static inline __attribute__((always_inline)) void spin_settle(void)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec its = { { 0, 100000 }, { 0, 100000 } };
	timer_t timer;
	sig_atomic_t seen = settle_ticks;
	volatile uint64_t x = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = settle_on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGRTMIN + 4, &sa, NULL);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN + 4;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer) != 0)
		return;
	timer_settime(timer, 0, &its, NULL);
	while (settle_ticks == seen)
		for (int i = 0; i < 2000; i++)
			x += (uint64_t)i;
	timer_delete(timer);
}

/*
 * n iterations whose result depends on every one, returned so that the caller keeps it (the
 * call is then not a tail call: the caller's frame stays below spin in the samples). Never
 * inlined: the samples land in spin itself.
 */
__attribute__((noinline, unused)) static unsigned long spin(volatile unsigned long n)
{
	unsigned long x = 0;

	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	return x;
}

#endif
