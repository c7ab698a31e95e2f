/*
 * Failures as values (errors.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static int put(struct gp_err *e, int usage, const char *fmt, va_list ap)
{
	/* the first failure is the cause; what fails while undoing it is not news */
	if (e->len && e->msg[0] == '\0') {
		vsnprintf(e->msg, e->len, fmt, ap);
		e->usage = usage;
	}
	return -1;
}

int gp_errf(struct gp_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put(e, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int gp_err_usage(struct gp_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put(e, 1, fmt, ap);
	va_end(ap);
	return -1;
}

int gp_err_oom(struct gp_err *e)
{
	return gp_errf(e, "out of memory");
}

int gp_err_zalloc(struct gp_err *e, void *p, size_t n, size_t size)
{
	void *a = calloc(n ? n : 1, size);

	if (!a)
		return gp_err_oom(e);
	memcpy(p, &a, sizeof(a));
	return 0;
}
