/*
 * The pieces every Go `?debug=1` text layout shares (spec §7.1): a record's `@` list of stack
 * words and its frame comment lines, tab-aligned the way Go's tabwriter aligns them.
 *
 * goprof knows functions, not call sites: a stack word is the function's id in the database
 * (a stable number, not a machine address), every frame prints as `<function>+0x0` and its
 * line is the function's first line.
 */
#include "config.h"

#include <string.h>

#include "export.h"
#include "lines.h"
#include "legacy.h"

/* The tab-aligned width of a cell (tabwriter: min width 1, tab width 8, padding 1). */
static size_t cell_width(size_t len)
{
	return (len + 1 + 7) / 8 * 8;
}

static void pad(FILE *out, size_t len, size_t width)
{
	for (size_t i = len; i < width; i += 8)
		putc('\t', out);
}

void gp_legacy_stack_words(struct gp_export *x, uint32_t stack)
{
	size_t n = gp_export_frames(x, stack);

	putc('@', x->out);
	for (size_t i = 0; i < n; i++)
		fprintf(x->out, " 0x%x", x->frames[i]);
	putc('\n', x->out);
}

void gp_legacy_frame_lines(struct gp_export *x, uint32_t stack)
{
	struct gp_db *db = x->db;
	size_t n = gp_export_frames(x, stack);
	size_t pc_w = 0, fn_w = 0;
	char pc[32];

	if (n == 0) {
		fputs("#\t0x0\n", x->out);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = (size_t)snprintf(pc, sizeof(pc), "0x%x", x->frames[i]);
		size_t w = cell_width(len);
		if (w > pc_w)
			pc_w = w;
		w = cell_width(strlen(db->funcs[x->frames[i]].name) + 4);
		if (w > fn_w)
			fn_w = w;
	}
	uint32_t row = stack;
	for (size_t i = 0; i < n; i++, row = db->stack_parent[row]) {
		const struct gp_db_func *f = &db->funcs[x->frames[i]];
		size_t len = (size_t)fprintf(x->out, "#\t0x%x", x->frames[i]) - 2;
		pad(x->out, len, pc_w);
		fprintf(x->out, "%s+0x0", f->name);
		pad(x->out, strlen(f->name) + 4, fn_w);
		char where[4096];
		const char *at = gp_lines_where(gp_export_src(x), row, where, sizeof(where));
		fprintf(x->out, "%s\n", at ? at : gp_db_func_where(db, f, where, sizeof(where)));
	}
}
