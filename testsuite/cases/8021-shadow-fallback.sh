#!/bin/sh
# A thread whose shadow stack cannot be mapped (the address space limit leaves room for its
# 64 MiB machine stack and 16 MiB more, not for a ring half that size) runs on the shared
# fallback and recurses 400,000 frames deep, deeper than the old 2^18-slot fallback held: the
# program neither crashes nor changes its output, and stderr says so exactly once for three
# such threads. The same under a huge stack limit (ulimit -s unlimited), where the main
# thread's own ring cannot be mapped at start either. The threads still count in threadcreate.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

cat >prog.c <<'C'
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define THREAD_STACK (64ul << 20)
#define DEPTH 400000u	/* past 2^18 slots; 32-byte frames fit the machine stack */

volatile unsigned long sink;

__attribute__((noinline)) static unsigned long rec(unsigned n)
{
	if (!n)
		return sink + 1;
	unsigned long r = rec(n - 1);
	sink ^= r;	/* work after the call: every frame stays on the stack */
	return r * 3 + n;
}

static void *worker(void *arg)
{
	unsigned long seed = (unsigned long)(uintptr_t)arg;
	return (void *)(uintptr_t)(rec(DEPTH + (unsigned)seed) ^ seed);
}

/* the address space in use now */
static unsigned long vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%lu", &pages) != 1) {
		perror("statm");
		exit(3);
	}
	fclose(f);
	return pages * 4096ul;
}

int main(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	printf("main %lu\n", rec(1000) & 0xffffff);
	/* room for one more machine stack and for what the database writer may map meanwhile
	   (16 MiB), not for the new thread's 32 MiB shadow ring; the writer's malloc arena
	   (64 MiB) was reserved before main, so it is in vm_bytes() */
	struct rlimit rl;
	getrlimit(RLIMIT_AS, &rl);
	rl.rlim_cur = vm_bytes() + THREAD_STACK + (16ul << 20);
	if (setrlimit(RLIMIT_AS, &rl) != 0) {
		perror("setrlimit");
		return 3;
	}
	for (unsigned long i = 1; i <= 3; i++) {
		pthread_t t;
		void *ret;
		int rc = pthread_create(&t, &attr, worker, (void *)i);
		if (rc != 0) {
			fprintf(stderr, "pthread_create: %s\n", strerror(rc));
			return 4;
		}
		pthread_join(t, &ret);
		printf("thread %lu %lu\n", i, (unsigned long)(uintptr_t)ret & 0xffffff);
	}
	return 0;
}
C
$GP_CC -O2 -g -o plain prog.c -lpthread || gp_fail "plain build failed"
# shellcheck disable=SC2086
$GP_CC -O2 -g $GP_FLAGS $GP_INC -o prog prog.c $GP_LIBS || gp_fail "build failed"
gp_run plain ./plain
[ "$GP_RC" = 0 ] || gp_fail "the plain build exited with $GP_RC: $(cat plain.err)"

# run NAME SHELL-PREFIX: the profiled program under the limits the prefix sets
run() {
	GOPROF_DB=$GP_WORK/$1.db gp_run "$1" sh -c "$2 exec ./prog"
	[ "$GP_RC" = 0 ] || gp_fail "$1: the program exited with $GP_RC: $(cat "$1.err")"
	gp_same_output plain "$1"
	[ "$(grep -c . "$1.err")" = 1 ] &&
		grep -q '^goprof: cannot map a shadow stack (Cannot allocate memory): ' "$1.err" ||
		gp_fail "$1: want one line about the shadow stack, got: $(cat "$1.err")"
	gp_export "$1.db" "$1.txt" -t threadcreate -f text
	head -1 "$1.txt" | grep -qx 'threadcreate profile: total 4' ||
		gp_fail "$1: threadcreate: $(head -1 "$1.txt")"
}

run threads ""
# the main thread's own stack was mapped: the threads it made show its stack
grep -A2 '^3 @ ' threads.txt | grep -q '	main+0x0	' || gp_fail "threads: no creator stack"
# a 4 GiB machine stack wants a 2 GiB ring, more than the 1 GiB of address space allowed;
# not under --enable-sanitizers, where ASan, which reserves terabytes of shadow memory at
# start, cannot start under an address-space limit set before exec
if [ -n "${GP_SANITIZE:-}" ]; then
	echo "$GP_CASE: sanitizers: not run under ulimit -v, which ASan cannot start under" >&2
	exit 0
fi
ulimit -s unlimited 2>/dev/null || gp_skip "cannot raise the stack limit (ulimit -s unlimited)"
run huge "ulimit -s unlimited && ulimit -v 1048576 &&"
exit 0
