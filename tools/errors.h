/*
 * How the exporter library fails: as a value. Every function that can fail returns -1 (or
 * NULL) after writing one line into the caller's struct gp_err, and has undone what it did
 * (freed, finalized, closed). Nothing here exits or jumps: the same code answers the
 * /debug/pprof server inside a profiled program, where concurrent requests each have their
 * own gp_err and a failure ends only its own request. goprof-export's main() alone turns a
 * failure into "goprof-export: ..." and an exit status.
 */
#ifndef GOPROF_TOOLS_ERRORS_H
#define GOPROF_TOOLS_ERRORS_H

#include <stddef.h>

struct gp_err {
	char *msg;		/* the caller's buffer: one line, no newline */
	size_t len;
	int usage;		/* the failure was a bad query (goprof-export exits 2) */
};

/* Writes the printf-style message into e (the first failure wins) and returns -1. */
__attribute__((format(printf, 2, 3))) int gp_errf(struct gp_err *e, const char *fmt, ...);

/* The same, for a bad query: also sets e->usage. */
__attribute__((format(printf, 2, 3))) int gp_err_usage(struct gp_err *e, const char *fmt, ...);

/* gp_errf(e, "out of memory"). */
int gp_err_oom(struct gp_err *e);

/*
 * n zeroed elements of size bytes (at least one element) into the pointer at p (a T **
 * passed as void *); 0, or -1 with "out of memory" in e.
 */
int gp_err_zalloc(struct gp_err *e, void *p, size_t n, size_t size);

#endif
