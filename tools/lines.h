/*
 * Source lines of a profile's addresses: the function, file and line at an address of a
 * mapping, with the calls GCC inlined there, read from the object's DWARF with elfutils'
 * libdw (a separate debug file found by build ID or debuglink too). Objects are opened
 * once, on their first address, and kept until gp_lines_free(); an object that changed since
 * the profile was taken (another build ID) gives no lines rather than wrong ones.
 */
#ifndef GOPROF_TOOLS_LINES_H
#define GOPROF_TOOLS_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct gp_lines;

/* One frame at an address; strings live as long as the struct gp_lines. */
struct gp_line_frame {
	const char *function;
	const char *file;	/* as the compiler recorded it, usually absolute */
	int64_t line;		/* 0 if unknown */
	int64_t start_line;	/* the function's declaration line, 0 if unknown */
};

/* A cache for db's mappings; NULL when out of memory. */
struct gp_lines *gp_lines_new(const struct gp_db *db);

void gp_lines_free(struct gp_lines *l);

/*
 * The frames at the run-time address addr of mapping (a gp_db.maps index), innermost
 * first: the inlined calls, then the function they are in; at most max. Returns their
 * number, 0 when no debug information covers addr.
 */
size_t gp_lines_at(struct gp_lines *l, uint32_t mapping, uint64_t addr, struct gp_line_frame *out,
		   size_t max);

/*
 * The link-time address (the object's own, as objdump prints it) of mapping's first byte,
 * in *out: 0, or -1 when the object is not at hand or is not the one the profile names.
 */
int gp_lines_link_start(struct gp_lines *l, uint32_t mapping, uint64_t *out);

/*
 * The frames stack row row (a gp_db stacks id) stands for, innermost first, at most max:
 * those of its address when debug information knows it, else its function at the
 * function's start line. The outermost is named as the database names the row's function
 * (DWARF's DW_AT_name of a C++ method lacks its class). Returns their number (at least 1
 * for a loaded row).
 */
size_t gp_lines_of_row(struct gp_lines *l, uint32_t row, struct gp_line_frame *out, size_t max);

/*
 * Where stack row row is, for a frame line: "file:line" of its own function (the one the
 * calls inlined there sit in), in buf; NULL when its address or line is not known (then
 * gp_db_func_where() says where its function is). l may be NULL: nothing known.
 */
const char *gp_lines_where(struct gp_lines *l, uint32_t row, char *buf, size_t len);

#endif
