#!/bin/sh
# With no queued-signal quota left (RLIMIT_SIGPENDING 0), timer_create fails with EAGAIN for
# every thread's CPU timer: the program runs on with its own output, stderr says so exactly
# once for the main thread and three others, the CPU profile is empty rather than wrong, and
# the other profiles go on (threadcreate counts all four threads).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
command -v prlimit >/dev/null 2>&1 || gp_skip "prlimit (util-linux) is not installed"

cat >prog.c <<'C'
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "burn.h"

__attribute__((noinline)) static void *worker(void *arg)
{
	spin_ms(100);
	return (void *)((uintptr_t)arg * 7);
}

int main(void)
{
	pthread_t t[3];
	for (uintptr_t i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(i + 1)) != 0)
			return 4;
	for (int i = 0; i < 3; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		printf("thread %d %lu\n", i, (unsigned long)(uintptr_t)ret);
	}
	spin_ms(100);
	return 0;
}
C
$GP_CC -O2 -g -I"$GP_SRCDIR/testsuite/progs" -o plain prog.c -lpthread || gp_fail "plain build failed"
# shellcheck disable=SC2086
$GP_CC -O2 -g $GP_FLAGS $GP_INC -I"$GP_SRCDIR/testsuite/progs" -o prog prog.c $GP_LIBS ||
	gp_fail "build failed"
gp_run plain ./plain
[ "$GP_RC" = 0 ] || gp_fail "the plain build exited with $GP_RC"

# the control: with the quota, the same program has CPU samples
gp_cpu_profile quota ./prog
[ ! -s quota.err ] || gp_fail "goprof complained with the quota: $(cat quota.err)"
gp_export quota.db quota.txt -t cpu -f text
grep -q 'worker' quota.txt || gp_fail "no CPU samples of worker even with the quota"

GOPROF_DB=$GP_WORK/none.db gp_run none prlimit --sigpending=0 ./prog
[ "$GP_RC" = 0 ] || gp_fail "the program exited with $GP_RC: $(cat none.err)"
gp_same_output plain none
[ "$(grep -c . none.err)" = 1 ] &&
	grep -q '^goprof: cannot create a CPU timer for thread [0-9]*: .*(queued-signal limit' \
		none.err || gp_fail "want one line about the CPU timers, got: $(cat none.err)"
gp_export none.db none-cpu.txt -t cpu -f text
! grep -q 'worker' none-cpu.txt || gp_fail "CPU samples without any timer: $(cat none-cpu.txt)"
gp_export none.db none-tc.txt -t threadcreate -f text
head -1 none-tc.txt | grep -qx 'threadcreate profile: total 4' ||
	gp_fail "threadcreate: $(head -1 none-tc.txt)"
exit 0
