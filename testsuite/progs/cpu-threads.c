/*
 * Eight threads at once, thread i burning (200 + 100 i) ms of its own CPU time in its own
 * function burn<i>; the process's total CPU time (getrusage) goes to the file named by the
 * first argument, as nanoseconds, and on a second line the CPU time the eight threads
 * measured on their own clocks.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include "burn.h"

#define BURNER(i)                                  \
	__attribute__((noinline)) void burn##i(void) \
	{                                          \
		spin_ms(200 + 100 * i);            \
	}
BURNER(0) BURNER(1) BURNER(2) BURNER(3) BURNER(4) BURNER(5) BURNER(6) BURNER(7)

static void (*const burners[8])(void) = { burn0, burn1, burn2, burn3,
					  burn4, burn5, burn6, burn7 };

static long long workers_ns;

static void *worker(void *arg)
{
	struct timespec ts;

	burners[(long)arg]();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	__atomic_add_fetch(&workers_ns, ts.tv_sec * 1000000000LL + ts.tv_nsec, __ATOMIC_RELAXED);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[8];
	struct rusage ru;

	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	getrusage(RUSAGE_SELF, &ru);
	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");
		if (!f)
			return 2;
		fprintf(f, "%lld\n%lld\n",
			(long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
				(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL,
			workers_ns);
		fclose(f);
	}
	puts("done");
	return 0;
}
