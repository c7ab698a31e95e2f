/*
 * goprof-export's reader of the Go execution traces goprof wrote (gotrace-read.c): back into
 * the model of lib/trace.h, which -t trace converts to JSON.
 */
#ifndef GOPROF_TOOLS_TRACE_READ_H
#define GOPROF_TOOLS_TRACE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/*
 * Reads a Go 1.19 trace file that gp_trace_write_go() wrote (gotrace-read.c). Returns the
 * trace, to be freed with gp_trace_free(), or NULL with a one-line message in err. Thread
 * names, waited-on addresses and the program are not in the file: names are empty, the
 * program is the file's name and pid the tid of the thread that runs main (0 if none).
 */
struct gp_trace *gp_trace_read_go(const char *path, char *err, size_t errlen);

/*
 * The same for the len bytes at data (malloc'd; freed here whatever happens), named name
 * in messages: a trace taken from a database.
 */
struct gp_trace *gp_trace_parse_go(const char *name, uint8_t *data, size_t len, char *err,
				   size_t errlen);

/* Frees what gp_trace_read_go() returned; NULL is fine. */
void gp_trace_free(struct gp_trace *t);

#endif
