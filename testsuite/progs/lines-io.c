/*
 * Two threads blocked in read() from two lines of one function, for the line-level cases
 * of I/O waits: reader() calls take() at LINE-TAKE in both threads, and take() reads
 * reader-a's pipe at LINE-READ-A and reader-b's at LINE-READ-B. main() waits until both
 * are about to read, then either (argument "hold") reads a byte from its standard input at
 * LINE-HOLD before it writes to the pipes (having just left copies of a return address into
 * main, stale, in the stack below its frame), or (arguments MS_A MS_B) sleeps MS_A ms, writes to
 * reader-a's pipe, and writes to reader-b's MS_B ms after the start. Each reader measures
 * its own wait: the output is "waited A_US B_US" (microseconds).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fds[2][2];
static sem_t ready;
static long waited_us[2];
volatile long got_a, got_b;

__attribute__((noinline)) long take(int which)
{
	char c[2];
	long got;

	if (which == 0) {
		got = read(fds[0][0], c, 1); /* LINE-READ-A */
		got_a += got;
	} else {
		got = read(fds[1][0], c + 1, 1); /* LINE-READ-B */
		got_b += 2 * got;
	}
	return got;
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

__attribute__((noinline)) void *reader(void *arg)
{
	int which = (int)(intptr_t)arg;

	pthread_setname_np(pthread_self(), which ? "reader-b" : "reader-a");
	sem_post(&ready);
	long t0 = now_us();	/* after the post: main()'s wakeup may delay this thread */
	long got = take(which); /* LINE-TAKE */
	waited_us[which] = now_us() - t0;
	return (void *)(intptr_t)got;
}

/*
 * Leaves copies of its return address (into main) in the stack below main's frame, as an
 * unwinder or a sanitizer's interceptor that records its caller does: those the frames of a
 * later call from main do not overwrite lie nearer to that call's system call than main's
 * real return address.
 */
__attribute__((noinline)) void note_caller(void)
{
	void *volatile trail[128];

	for (int i = 0; i < 128; i++)
		trail[i] = __builtin_return_address(0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	char c;

	if (argc < 2 || pipe(fds[0]) != 0 || pipe(fds[1]) != 0 || sem_init(&ready, 0, 0) != 0)
		return 2;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, reader, (void *)(intptr_t)i) != 0) /* LINE-CREATE */
			return 1;
	sem_wait(&ready);
	sem_wait(&ready);
	long start = now_us();
	if (strcmp(argv[1], "hold") == 0) {
		note_caller();
		if (read(0, &c, 1) != 1) /* LINE-HOLD */
			return 3;
	} else {
		sleep_ms(atol(argv[1]));
	}
	if (write(fds[0][1], "a", 1) != 1)
		return 4;
	if (argc > 2) {
		long left = atol(argv[2]) - (now_us() - start) / 1000;
		if (left > 0)
			sleep_ms(left);
	}
	if (write(fds[1][1], "b", 1) != 1)
		return 4;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("waited %ld %ld\n", waited_us[0], waited_us[1]);
	return got_a == 1 && got_b == 2 ? 0 : 5;
}
