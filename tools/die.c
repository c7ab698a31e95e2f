/*
 * gp_die(): exit with one line, or jump back to the trap set by gp_export_run() (die.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"

static __thread struct gp_die_trap *trap;

void gp_die_set_trap(struct gp_die_trap *t)
{
	trap = t;
}

struct gp_die_trap *gp_die_get_trap(void)
{
	return trap;
}

static __attribute__((noreturn)) void fail(const char *fmt, va_list ap, int errnum)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(errnum));
	if (trap) {
		snprintf(trap->msg, trap->len, "%s", buf);
		longjmp(trap->jump, 1);
	}
	fprintf(stderr, "goprof-export: %s\n", buf);
	exit(1);
}

void gp_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail(fmt, ap, 0);
}

void gp_die_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	fail(fmt, ap, errnum);
}

void *gp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		gp_die("out of memory");
	return p;
}
