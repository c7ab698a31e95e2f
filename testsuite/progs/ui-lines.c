/*
 * Work whose cost per source line is known, in two phases, for the web UI's source view:
 * split() calls the leaf work() from its 3x line for 3 * MS ms of CPU time, then, after a
 * pause of PAUSE_MS of wall time (no CPU: a bucket of the history with nothing in it) and
 * under the label phase=two, from its 1x line for MS ms. Over the whole run the two lines
 * carry 75 % and 25 % of split()'s time; in the second phase only the 1x line runs.
 * Prints the time the second phase starts ("second NS", nanoseconds since the epoch).
 *
 *	ui-lines [MS]		(default 300)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "burn.h"
#include "goprof.h"

#define PAUSE_MS 1500

volatile unsigned long sink;

/* A leaf burning ms of CPU time; the sampled PC names it, its caller's line is the call's. */
__attribute__((noinline)) void work(volatile unsigned ms)
{
	spin_ms(ms);
	sink += ms;
}

/* which: 1 the 3x line, 2 the 1x line. */
__attribute__((noinline)) void split(volatile unsigned ms, volatile int which)
{
	if (which & 1)
		work(3 * ms); /* LINE-THREE */
	if (which & 2)
		work(ms); /* LINE-ONE */
	sink++;
}

int main(int argc, char **argv)
{
	unsigned ms = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	struct timespec pause = { PAUSE_MS / 1000, PAUSE_MS % 1000 * 1000000L }, now;

	split(ms, 1);
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	printf("second %lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	goprof_label_push("phase", "two");
	split(ms, 2);
	goprof_label_pop();
	puts("done");
	return 0;
}
