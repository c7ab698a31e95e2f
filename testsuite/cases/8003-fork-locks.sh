#!/bin/sh
# fork() never hangs the child: a fork made while the database writer holds the symbol
# cache's lock (held here for certain: the program's open(), which the cache calls to read
# the symbols of an object it has not seen, parks the writer while the fork starts) gives a child
# whose own samples in that object are written and whose exit does not wait forever. And a
# child that only calls exec() leaves no copy of the parent's history behind.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
gp_begin "$0"
gp_need_sqlite3

# an object no other part of the program uses: a heap sample there needs its mapping
cat >lib.c <<'C'
#include <stdlib.h>
void *volatile lib_sink;
__attribute__((noinline)) void lib_alloc(volatile unsigned long n)
{
	lib_sink = malloc(n);
	free(lib_sink);
	lib_sink = NULL;
}
__attribute__((noinline)) unsigned long lib_spin(volatile unsigned long n)
{
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	lib_alloc(64);
	return x;
}
C
cat >prog.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t main_tid;
static volatile int armed, parked;
static unsigned long (*lib_spin)(unsigned long);
static void (*lib_alloc)(unsigned long);
volatile unsigned long sink;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* the symbol cache opening libspin.so to read its symbols: held up for 1 s once armed */
int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (armed && strstr(path, "libspin.so") && gettid() != main_tid) {
		armed = 0;
		parked = 1;
		sleep_ms(1000);
	}
	return real(path, flags, mode);
}

int main(int argc, char **argv)
{
	main_tid = gettid();
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h || !(lib_spin = (unsigned long (*)(unsigned long))dlsym(h, "lib_spin")) ||
	    !(lib_alloc = (void (*)(unsigned long))dlsym(h, "lib_alloc"))) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 3;
	}
	armed = 1;
	lib_alloc(1000);
	for (int ms = 0; !parked && ms < 20000; ms++)
		sleep_ms(1);
	if (!parked) {
		fprintf(stderr, "the writer never looked the object up\n");
		return 3;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sink = lib_spin(300000000ul);
		printf("child %d\n", (int)getpid());
		return 0;
	}
	int status, rc = 4;
	for (int ms = 0; ms < 30000; ms++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 5;
			break;
		}
		sleep_ms(1);
	}
	if (rc == 4) {
		kill(pid, 9);
		waitpid(pid, &status, 0);
		fprintf(stderr, "the fork child hung\n");
	}
	/* the fork+exec child */
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("exec %d\n", (int)pid);
	return rc;
}
C
# shellcheck disable=SC2086
$GP_CC -O2 -g -shared -fPIC $GP_FLAGS $GP_INC -o libspin.so lib.c ||
	gp_fail "building the library failed"
# shellcheck disable=SC2086
$GP_CC -O2 -g -rdynamic $GP_FLAGS $GP_INC -o prog prog.c $GP_LIBS -ldl ||
	gp_fail "build failed"

mkdir dbs
GOPROF_DB=$GP_WORK/dbs/p-%p.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog "$GP_WORK/libspin.so"
[ "$GP_RC" = 0 ] || gp_fail "exit status $GP_RC: $(cat run.err)"
[ ! -s run.err ] || gp_fail "goprof complained: $(cat run.err)"
child=$(sed -n 's/^child //p' run.out)
execd=$(sed -n 's/^exec //p' run.out)
[ -n "$child" ] && [ -n "$execd" ] || gp_fail "unexpected output: $(cat run.out)"
[ -f dbs/p-$child.db ] || gp_fail "no database for the fork child: $(ls dbs)"
[ "$(gp_qs dbs/p-$child.db "SELECT sum(count) FROM samples s JOIN named n ON n.stack_id = s.stack_id
	WHERE s.profile = 1 AND n.path LIKE '%lib_spin'")" -ge 10 ] ||
	gp_fail "the fork child's database has no lib_spin samples"
[ ! -e dbs/p-$execd.db ] || gp_fail "the fork+exec child left a copy of the parent's history"
[ "$(ls dbs | grep -c '\.db$')" = 2 ] || gp_fail "expected 2 databases: $(ls dbs)"
exit 0
