/*
 * The descriptors goprof writes through (its database, the database's -wal and -shm files
 * and the lock on it) kept from the program's descriptor housekeeping: close(),
 * close_range() and closefrom() leave them open and report success, so that the files the
 * program opens next get other numbers and never receive a goprof byte, and profiling goes
 * on. dup2() or dup3() onto one of them gives the program the number it asked for; the
 * writer first lets go of its database (writer.c: gp_writer_fd_lost), which it then never
 * writes again, with one line on stderr.
 *
 * DESIGN. own[] is a handful of slots written by the writer thread (or the constructor)
 * when it opens or closes its database, read with atomics by the wrappers on any thread.
 * The writer thread's own calls (SQLite closing its files) always go through. With no
 * database each wrapper costs one test and the real call. Cold path otherwise.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gp-internal.h"

#define MAX_OWN 8

static int own[MAX_OWN] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int nown;		/* slots ever used; atomically */

typedef int (*close_fn)(int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*dup2_fn)(int, int);

/* libc's function name, looked up once (NULL if it has none) */
static void *next(void **cache, const char *name)
{
	void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(cache, f, __ATOMIC_RELEASE);
	}
	return f;
}

static int real_close(int fd)
{
	static void *f;
	close_fn c = (close_fn)next(&f, "close");

	return c ? c(fd) : (int)syscall(SYS_close, fd);
}

static int real_close_range(unsigned first, unsigned last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

void gp_fd_own(int fd)
{
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_OWN; i++) {
		int free_slot = -1;
		if (__atomic_compare_exchange_n(&own[i], &free_slot, fd, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			int n = __atomic_load_n(&nown, __ATOMIC_RELAXED);
			while (n < i + 1 && !__atomic_compare_exchange_n(&nown, &n, i + 1, 0,
									 __ATOMIC_RELEASE,
									 __ATOMIC_RELAXED))
				;
			return;
		}
	}
}

void gp_fd_forget_all(void)
{
	for (int i = 0; i < MAX_OWN; i++)
		__atomic_store_n(&own[i], -1, __ATOMIC_RELEASE);
}

/* Is fd one of goprof's, and the caller not the writer thread, which closes its own? */
static int guarded(int fd)
{
	int n = __atomic_load_n(&nown, __ATOMIC_ACQUIRE);

	if (GP_LIKELY(n == 0) || fd < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&own[i], __ATOMIC_ACQUIRE) == fd)
			return !gp_writer_is_self();
	return 0;
}

GOPROF_API int close(int fd)
{
	if (GP_UNLIKELY(guarded(fd)))
		return 0;
	return real_close(fd);
}

/*
 * close_range(first, last, flags) without goprof's descriptors: the range is closed in the
 * pieces between them. Setting close-on-exec (CLOSE_RANGE_CLOEXEC) goes through: goprof's
 * descriptors have it already.
 */
static int close_range_around(unsigned first, unsigned last, int flags)
{
	unsigned lo = first;
	int rc = 0;

	if (flags & CLOSE_RANGE_CLOEXEC)
		return real_close_range(first, last, flags);
	while (lo <= last) {
		unsigned hi = last, next_lo = 0;
		int n = __atomic_load_n(&nown, __ATOMIC_ACQUIRE);
		for (int i = 0; i < n; i++) {
			int fd = __atomic_load_n(&own[i], __ATOMIC_ACQUIRE);
			if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi && guarded(fd)) {
				hi = (unsigned)fd;
				next_lo = (unsigned)fd + 1;
			}
		}
		if (next_lo == 0) {
			rc = real_close_range(lo, last, flags);
			break;
		}
		if (hi > lo && (rc = real_close_range(lo, hi - 1, flags)) != 0)
			break;
		if (next_lo == 0 || hi == ~0u)
			break;
		lo = next_lo;
	}
	return rc;
}

GOPROF_API int close_range(unsigned first, unsigned last, int flags)
{
	return close_range_around(first, last, flags);
}

GOPROF_API void closefrom(int lowfd)
{
	if (lowfd < 0)
		lowfd = 0;
	int err = errno;
	if (close_range_around((unsigned)lowfd, ~0u, 0) != 0 && errno == ENOSYS) {
		/* a kernel before 5.9: each open descriptor, as glibc does */
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			int fd = atoi(e->d_name);
			if (fd >= lowfd && fd != dirfd(d) && e->d_name[0] != '.')
				close(fd);
		}
		if (d)
			closedir(d);
	}
	errno = err;
}

GOPROF_API int dup3(int oldfd, int newfd, int flags)
{
	static void *f;
	dup3_fn d = (dup3_fn)next(&f, "dup3");

	if (GP_UNLIKELY(guarded(newfd)) && oldfd != newfd)
		gp_writer_fd_lost(newfd);
	if (!d) {
		errno = ENOSYS;
		return -1;
	}
	return d(oldfd, newfd, flags);
}

GOPROF_API int dup2(int oldfd, int newfd)
{
	static void *f;
	dup2_fn d = (dup2_fn)next(&f, "dup2");

	if (GP_UNLIKELY(guarded(newfd)) && oldfd != newfd)
		gp_writer_fd_lost(newfd);
	if (!d) {
		errno = ENOSYS;
		return -1;
	}
	return d(oldfd, newfd);
}
