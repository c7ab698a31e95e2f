/*
 * Unwinding through an interposed read() while it waits (9701): a thread cancelled in
 * read() runs the cleanup of the function that called it (built with -fexceptions, the
 * cleanup runs as the cancellation unwinds the stack), and backtrace() in a signal
 * handler that interrupted another thread's read() finds the calling function and the
 * thread's start function below it; the read goes on after the handler (SA_RESTART) and
 * gets its byte. Prints what it saw; the plain build prints the same.
 */
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int p_cancel[2], p_bt[2];
static volatile int cleaned, found_caller, found_start, in_handler_frames;
static volatile int parked;

static void note_cleanup(int *unused)
{
	(void)unused;
	cleaned = 1;
}

__attribute__((noinline)) static long in_read_cancel(void)
{
	int guard __attribute__((cleanup(note_cleanup))) = 0;
	char c;

	parked = 1;
	long rc = read(p_cancel[0], &c, 1);
	return rc + guard;
}

static void *cancel_thread(void *arg)
{
	return in_read_cancel() < 0 ? arg : NULL;
}

/* a return address inside fn: within its first 1 KiB (these functions are small) */
static int inside(void *pc, void *fn)
{
	return (char *)pc > (char *)fn && (char *)pc < (char *)fn + 1024;
}

__attribute__((noinline)) static long in_read_bt(void);
static void *bt_thread(void *arg);

static void on_usr1(int sig)
{
	void *pcs[64];
	int n = backtrace(pcs, 64);

	(void)sig;
	in_handler_frames = n;
	for (int i = 0; i < n; i++) {
		if (inside(pcs[i], (void *)in_read_bt))
			found_caller = 1;
		if (inside(pcs[i], (void *)bt_thread))
			found_start = 1;
	}
}

__attribute__((noinline)) static long in_read_bt(void)
{
	char c = 0;

	parked = 2;
	long rc = read(p_bt[0], &c, 1);
	return rc == 1 && c == 'x' ? rc : -1;
}

static void *bt_thread(void *arg)
{
	long rc = in_read_bt();
	return rc == 1 ? NULL : arg;
}

int main(void)
{
	pthread_t t;
	void *ret = NULL, *warm[4];
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

	if (pipe(p_cancel) || pipe(p_bt) || sigaction(SIGUSR1, &sa, NULL))
		return 1;
	backtrace(warm, 4);	/* loads the unwinder before any signal handler needs it */

	pthread_create(&t, NULL, cancel_thread, NULL);
	while (parked != 1)
		usleep(1000);
	usleep(50000);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancelled in read: %s, the caller's cleanup ran: %s\n",
	       ret == PTHREAD_CANCELED ? "yes" : "no", cleaned ? "yes" : "no");

	pthread_create(&t, NULL, bt_thread, &t);
	while (parked != 2)
		usleep(1000);
	usleep(50000);
	pthread_kill(t, SIGUSR1);
	while (!in_handler_frames)
		usleep(1000);
	if (write(p_bt[1], "x", 1) != 1)
		return 1;
	pthread_join(t, &ret);
	printf("backtrace in the handler: the caller %s, the thread's start %s; read after it: %s\n",
	       found_caller ? "found" : "missing", found_start ? "found" : "missing",
	       ret == NULL ? "got its byte" : "failed");
	return 0;
}
