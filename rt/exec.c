/*
 * exec(): the program image is about to be replaced, and goprof's writer thread with it,
 * without the exit-time flush. The exec family is interposed so that the database gets its
 * last commit first; the new image, if it is profiled too, starts afresh in a database of its
 * own (db.c keeps the one this process wrote before). If the exec fails, profiling goes
 * on in a new database.
 *
 * DESIGN. Cold path, the calling thread. glibc's execl, execlp and execle call its internal
 * execve, not the interposable one, so they are interposed too and rebuilt on execve and
 * execvp. A vfork() child shares the parent's memory but has none of its threads: the
 * writer recognises it by its pid and leaves the parent's state alone.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "gp-internal.h"

extern char **environ;

typedef int (*execve_fn)(const char *, char *const[], char *const[]);

/* libc's own execve or execvpe (both take a name, argv and envp), looked up once. */
static int call_next(execve_fn *cache, const char *symbol, const char *name,
		     char *const argv[], char *const envp[])
{
	if (!*cache)
		*cache = (execve_fn)dlsym(RTLD_NEXT, symbol);
	if (!*cache) {
		errno = ENOSYS;
		return -1;
	}
	return (*cache)(name, argv, envp);
}

static int real_execve(const char *path, char *const argv[], char *const envp[])
{
	static execve_fn real;

	return call_next(&real, "execve", path, argv, envp);
}

static int real_execvpe(const char *file, char *const argv[], char *const envp[])
{
	static execve_fn real;

	return call_next(&real, "execvpe", file, argv, envp);
}

/*
 * Commits before the image goes, and closes the HTTP server (the new image serves on the
 * same address if it asks); after a failed exec, a fresh writer and server. Keeps errno.
 * A fork child whose writer has not started (AddressSanitizer: gp_writer_forked_start)
 * drops what it sampled instead: exec is what such a child may call right after fork(),
 * with the allocator's locks perhaps held for good, and a writer started here could wait
 * for ever instead of letting the exec happen.
 */
static void before_exec(void)
{
	gp_http_host_stop();
	if (gp_config.db_pattern)
		gp_writer_stop();
}

static int after_exec(int rc)
{
	int err = errno;

	if (gp_config.db_pattern)
		gp_writer_start();
	gp_http_host_start();
	errno = err;
	return rc;
}

GOPROF_API int execve(const char *path, char *const argv[], char *const envp[])
{
	before_exec();
	return after_exec(real_execve(path, argv, envp));
}

GOPROF_API int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

GOPROF_API int execvpe(const char *file, char *const argv[], char *const envp[])
{
	before_exec();
	return after_exec(real_execvpe(file, argv, envp));
}

GOPROF_API int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* The arguments of execl and friends, up to the NULL, as an argv array. */
#define COLLECT_ARGS(arg0, ap, argv, envp_out)                                           \
	do {                                                                             \
		size_t n_ = 1;                                                           \
		va_start(ap, arg0);                                                      \
		while (va_arg(ap, char *))                                               \
			n_++;                                                            \
		va_end(ap);                                                              \
		argv = __builtin_alloca((n_ + 1) * sizeof(char *));                      \
		argv[0] = (char *)(arg0);                                                \
		va_start(ap, arg0);                                                      \
		for (size_t i_ = 1; i_ <= n_; i_++)                                      \
			argv[i_] = va_arg(ap, char *);                                   \
		envp_out = va_arg(ap, char **);                                          \
		va_end(ap);                                                              \
	} while (0)

GOPROF_API int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	char **argv, **unused;

	COLLECT_ARGS(arg, ap, argv, unused);
	(void)unused;
	return execve(path, argv, environ);
}

GOPROF_API int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	char **argv, **unused;

	COLLECT_ARGS(arg, ap, argv, unused);
	(void)unused;
	return execvpe(file, argv, environ);
}

GOPROF_API int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **argv, **envp;

	COLLECT_ARGS(arg, ap, argv, envp);
	return execve(path, argv, envp);
}
