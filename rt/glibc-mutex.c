/*
 * The cold half of glibc's mutex protocol (glibc-mutex.h has the rules, the fast path and the
 * recursive and error-checking kinds): the futex wake, and whether glibc was asked for lock
 * elision.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "glibc-mutex.h"

#if GP_GLIBC_MUTEX
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

void gp_glibc_mutex_wake(pthread_mutex_t *m)
{
	syscall(SYS_futex, &m->__data.__lock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
#endif

/*
 * With lock elision asked for (GLIBC_TUNABLES glibc.elision.enable=1), glibc marks a normal
 * mutex for elision when it first takes it and then leaves the owner and user count alone
 * on unlock: a mutex taken outside glibc and released in it would keep its count, and
 * pthread_mutex_destroy would say EBUSY.
 */
int gp_glibc_mutex_elision(void)
{
	const char *t = getenv("GLIBC_TUNABLES");

	return t && strstr(t, "glibc.elision.enable=1");
}
