/*
 * How the exporter gives up. In goprof-export, a failure ends the program with one line
 * ("goprof-export: ..."), as a tool may (STYLE §4). Inside a profiled program's HTTP
 * server the same code must never end the program: gp_export_run() catches the failure
 * and turns it into an error answer. gp_die() does the one or the other.
 */
#ifndef GOPROF_TOOLS_DIE_H
#define GOPROF_TOOLS_DIE_H

#include <setjmp.h>
#include <stddef.h>

/* Where a failure goes instead of exit(); set by gp_export_run() for its thread. */
struct gp_die_trap {
	jmp_buf jump;		/* longjmp'd to with 1 */
	char *msg;		/* the one-line message goes here */
	size_t len;
};

/* The calling thread's trap, or NULL: failures exit. */
void gp_die_set_trap(struct gp_die_trap *trap);
struct gp_die_trap *gp_die_get_trap(void);

/* Fails with a printf-style message. */
__attribute__((noreturn, format(printf, 1, 2))) void gp_die(const char *fmt, ...);

/* The same, with ": strerror(errno)" appended. */
__attribute__((noreturn, format(printf, 1, 2))) void gp_die_errno(const char *fmt, ...);

/* calloc of at least one element, failing with "out of memory". */
void *gp_xcalloc(size_t n, size_t size);

#endif
