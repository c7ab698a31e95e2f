/*
 * The descriptors goprof writes through (its database, the database's -wal and -shm files
 * and the lock on it) kept from the program's descriptor housekeeping: close(),
 * close_range() and closefrom() leave them open and report success, so that the files the
 * program opens next get other numbers and never receive a goprof byte, and profiling goes
 * on. dup2() or dup3() onto one of them gives the program the number it asked for; the
 * writer first lets go of its database (writer.c: gp_writer_fd_lost), which it then never
 * writes again, with one line on stderr.
 *
 * The descriptors are placed high, just below the descriptor limit (at most 1024), so that
 * the program's own files get the numbers they get without goprof (but for one opened in
 * the moment the writer reads a file of its own, /proc or an ELF file), and a program that
 * closes the low numbers it believes free (3, 4, ... at start) does not meet them. A file
 * can only be opened at the lowest free number, though, and moved up from there. Between
 * the open and the move the low number is goprof's, and a program thread may close it (or
 * dup2() onto it) as it would close a free number: gp_fd_open_high() opens in a "window"
 * that counts the program's close() and dup2() calls begun meanwhile, and keeps the file
 * when none could have hit it, or when, those calls over, the low number still names the
 * file (else it opens again).
 *
 * DESIGN. own[] is a handful of slots written by the writer thread (or the constructor)
 * when it opens or closes its database, read with atomics by the wrappers on any thread.
 * The writer thread's own calls (SQLite closing its files) always go through. begun and
 * ended count the program's descriptor calls (any thread, atomics; only once a database is
 * configured), parked those of them waiting for a window; window_fd is the low number a
 * move is letting go of (the writer). With no database each wrapper costs one test and the
 * real call. Cold path otherwise.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gp-internal.h"

#define MAX_OWN 8

static int own[MAX_OWN] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int nown;		/* slots ever used; atomically */
static int window_fd = -1;	/* the low number gp_fd_open_high() lets go of (writer) */
static unsigned begun, ended;	/* the program's close()/dup2() calls begun and ended */
static unsigned parked;		/* of those, dup2() calls waiting for a window to close */

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
	for (int i = 0; i < MAX_OWN; i++)
		if (__atomic_load_n(&own[i], __ATOMIC_ACQUIRE) == fd)
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

void gp_fd_disown(int fd)
{
	for (int i = 0; fd >= 0 && i < MAX_OWN; i++)
		__atomic_compare_exchange_n(&own[i], &(int){ fd }, -1, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED);
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

	if (fd >= 0 && __atomic_load_n(&window_fd, __ATOMIC_SEQ_CST) == fd)
		return !gp_writer_is_self();
	if (GP_LIKELY(n == 0) || fd < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&own[i], __ATOMIC_ACQUIRE) == fd)
			return !gp_writer_is_self();
	return 0;
}

/*
 * A program's call that may take a descriptor away begins and ends: counted once a
 * database is configured, for gp_fd_open_high()'s window. The count comes before the
 * guarded() test (sequentially consistent on both sides): either the window sees the call
 * begun, or the call sees the window's number.
 */
static int counting(void)
{
	if (GP_LIKELY(!gp_config.db_pattern))
		return 0;
	__atomic_add_fetch(&begun, 1, __ATOMIC_SEQ_CST);
	return 1;
}

static void counted(int c)
{
	if (c)
		__atomic_add_fetch(&ended, 1, __ATOMIC_RELEASE);
}

/*
 * A dup2() onto the number a window lets go of waits for that one close() of the writer;
 * parked while it does, so that the window does not wait for it in turn.
 */
static void window_wait(int fd)
{
	if (fd < 0 || __atomic_load_n(&window_fd, __ATOMIC_SEQ_CST) != fd || gp_writer_is_self())
		return;
	__atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&window_fd, __ATOMIC_SEQ_CST) == fd)
		sched_yield();
	__atomic_sub_fetch(&parked, 1, __ATOMIC_SEQ_CST);
}

GOPROF_API int close(int fd)
{
	int c = counting();
	int rc = GP_UNLIKELY(guarded(fd)) ? 0 : real_close(fd);

	counted(c);
	return rc;
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
		for (int i = -1; i < n; i++) {
			int fd = __atomic_load_n(i < 0 ? &window_fd : &own[i], __ATOMIC_SEQ_CST);
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
	int c = counting();
	int rc = close_range_around(first, last, flags);

	counted(c);
	return rc;
}

GOPROF_API void closefrom(int lowfd)
{
	if (lowfd < 0)
		lowfd = 0;
	int err = errno;
	int c = counting();
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
	counted(c);
	errno = err;
}

/*
 * Before a dup2() or dup3() onto newfd: counted (its counting() value, for counted()), past
 * a window on newfd, and goprof's database let go of first when newfd is one of its own.
 */
static int dup_begin(int oldfd, int newfd)
{
	int c = counting();

	window_wait(newfd);
	if (GP_UNLIKELY(guarded(newfd)) && oldfd != newfd)
		gp_writer_fd_lost(newfd);
	return c;
}

GOPROF_API int dup3(int oldfd, int newfd, int flags)
{
	static void *f;
	dup3_fn d = (dup3_fn)next(&f, "dup3");

	int c = dup_begin(oldfd, newfd);
	int rc = d ? d(oldfd, newfd, flags) : (errno = ENOSYS, -1);
	counted(c);
	return rc;
}

GOPROF_API int dup2(int oldfd, int newfd)
{
	static void *f;
	dup2_fn d = (dup2_fn)next(&f, "dup2");

	int c = dup_begin(oldfd, newfd);
	int rc = d ? d(oldfd, newfd) : (errno = ENOSYS, -1);
	counted(c);
	return rc;
}

/*
 * Where goprof's descriptors go: 16 below the descriptor limit, at most 1024 (the numbers
 * select() takes; a larger table would cost the kernel memory for nothing); 0 when the
 * limit leaves no room above the program's usual numbers.
 */
static int high_base(void)
{
	static int base = -1;
	struct rlimit rl;

	if (base < 0) {
		rlim_t lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0;
		if (lim > 1024 || lim == RLIM_INFINITY)
			lim = 1024;
		__atomic_store_n(&base, lim >= 128 ? (int)lim - 16 : 0, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&base, __ATOMIC_RELAXED);
}

/* Do fd and hi both name the file at path (not a file the program put on fd)? */
static int still_path(int fd, int hi, const char *path)
{
	struct stat a, b, c;

	return fstat(fd, &a) == 0 && fstat(hi, &b) == 0 && stat(path, &c) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino && b.st_dev == c.st_dev &&
	       b.st_ino == c.st_ino;
}

/* Have the program's calls begun before b ended (or parked in window_wait)? Waits 1 s at most. */
static int calls_over(unsigned b)
{
	struct timespec nap = { 0, 100000 };

	for (int i = 0; i < 10000; i++) {
		unsigned done = __atomic_load_n(&ended, __ATOMIC_ACQUIRE) +
				__atomic_load_n(&parked, __ATOMIC_ACQUIRE);
		if ((int)(done - b) >= 0)
			return 1;
		if (i < 100)
			sched_yield();
		else
			nanosleep(&nap, NULL);
	}
	return 0;
}

int gp_fd_open_high(gp_open_fn real_open, const char *path, int flags, int mode)
{
	int base = high_base();

	for (int tries = 0;; tries++) {
		/* a call of the program under way could still reach the number: let it end */
		for (int i = 0; i < 100 && __atomic_load_n(&begun, __ATOMIC_SEQ_CST) !=
		     __atomic_load_n(&ended, __ATOMIC_ACQUIRE); i++)
			sched_yield();
		unsigned b0 = __atomic_load_n(&begun, __ATOMIC_SEQ_CST);
		unsigned e0 = __atomic_load_n(&ended, __ATOMIC_SEQ_CST);
		int fd = real_open(path, flags | O_CLOEXEC, mode);
		if (fd < 0 || !base || fd >= base)
			return fd;
		/* a retry opens the file the first try made */
		flags &= ~O_EXCL;
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, base);
		if (hi < 0 && errno != EBADF)
			return fd;	/* no room up there: the low number, as without the move */
		__atomic_store_n(&window_fd, fd, __ATOMIC_SEQ_CST);
		unsigned b1 = __atomic_load_n(&begun, __ATOMIC_SEQ_CST);
		/*
		 * Clean: no call of the program was under way at the open or began before the
		 * window, and any from now on sees window_fd: the low number is still this
		 * file's, and so is hi. Else fd may be gone, or the program's again (and hi a
		 * copy of the program's file): once the calls begun meanwhile are over, hi is
		 * kept only if fd and hi both still name path's file.
		 */
		int ok = hi >= 0 && ((b1 == b0 && e0 == b0) ||
				     (calls_over(b1) && still_path(fd, hi, path)));
		if (ok)
			real_close(fd);
		__atomic_store_n(&window_fd, -1, __ATOMIC_SEQ_CST);
		if (ok)
			return hi;
		if (hi >= 0)
			real_close(hi);
		if (tries >= 100) {
			errno = EBUSY;
			return -1;
		}
	}
}
