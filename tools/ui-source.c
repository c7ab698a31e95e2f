/*
 * The web UI's source view (-f source, /ui/api/profile?format=source&fn=NAME): the cost of
 * one function per line of its source, as JSON, for the window and label filter of the
 * query; pprof's web "source" view, read from the same line information as -f list.
 *
 * A line's flat is what the samples spent on it with nothing called (the stack's innermost
 * frame is the function's, at that line); its cum counts each stack once, whatever it
 * called from there. Only the function's own frames are counted (the page names functions
 * as the database does, the outermost function at each address): calls GCC inlined into
 * it are on the line they were inlined at, the function inlined elsewhere is not listed
 * (go tool pprof -list counts those too). Frames of the function with no line (an object
 * without debug information, or an address the database does not know) are "unlined".
 *
 * Where the source file can be read, the answer holds its text: the whole function (from
 * its first line, or LIST_MARGIN lines before the first with a cost, to LIST_MARGIN after
 * the last, as pprof lists it) when that is at most SOURCE_WHOLE lines, else only the lines
 * with a cost and SOURCE_CONTEXT lines around each; where it cannot, the lines with a cost
 * without text.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "lines.h"
#include "ui.h"

#define MAX_INLINE 32		/* frames one address may stand for */
#define LIST_MARGIN 5		/* lines listed past the last one with a cost */
#define SOURCE_WHOLE 80		/* a function listed whole up to so many lines */
#define SOURCE_CONTEXT 3	/* else lines shown around each one with a cost */

/* One line of the function, with its costs: [0] counts, [1] values (the sample types). */
struct src_line {
	const char *file;	/* as the compiler recorded it */
	int64_t line;		/* 0: unlined */
	int64_t flat[2], cum[2];
	uint32_t stamp;		/* stack + 1 that last added to cum */
};

struct src_tally {
	struct src_line *lines;
	size_t n, cap;
	int64_t start_line;	/* the function's first line, 0 if not known */
	int64_t total[2], flat[2], cum[2];	/* of the window; of the function */
};

/* The entry of file:line (made on first use); -1 when out of memory. */
static int64_t src_entry(struct src_tally *t, const char *file, int64_t line)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->lines[i].line == line && strcmp(t->lines[i].file, file) == 0)
			return (int64_t)i;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct src_line *l = realloc(t->lines, cap * sizeof(*l));
		if (!l)
			return -1;
		t->lines = l;
		t->cap = cap;
	}
	t->lines[t->n] = (struct src_line){ .file = file, .line = line };
	return (int64_t)t->n++;
}

/*
 * Per stack row whose function is the one listed: (entry << 1) | innermost, innermost when
 * the function's frame is the first at the row's address (nothing inlined into it there);
 * -1 for the rows of other functions. Made once per row: stacks share their rows.
 */
static int64_t *src_rows(struct gp_export *x, struct src_tally *t, const unsigned char *listed)
{
	struct gp_db *db = x->db;
	int64_t *rows = malloc((db->nstacks ? db->nstacks : 1) * sizeof(*rows));
	struct gp_lines *src = gp_export_src(x);
	struct gp_line_frame fr[MAX_INLINE];

	if (!rows || !src) {
		free(rows);
		return NULL;
	}
	for (size_t r = 0; r < db->nstacks; r++) {
		uint32_t fn = db->stack_func[r];
		rows[r] = -1;
		if (!r || !listed[fn])
			continue;
		const struct gp_db_func *f = &db->funcs[fn];
		size_t n = db->stack_addr[r] ? gp_lines_at(src, f->mapping_id, db->stack_addr[r], fr,
							     MAX_INLINE) : 0;
		int64_t e = n && fr[n - 1].line ? src_entry(t, fr[n - 1].file, fr[n - 1].line) :
			src_entry(t, "", 0);
		if (e < 0) {
			free(rows);
			return NULL;
		}
		rows[r] = e << 1 | (n <= 1);
		if (!t->start_line)
			t->start_line = n && fr[n - 1].start_line ? fr[n - 1].start_line :
				f->start_line;
	}
	return rows;
}

/* Adds every stack of the window up by line of the listed function. */
static void src_tally(struct gp_export *x, struct src_tally *t, const int64_t *rows)
{
	struct gp_db *db = x->db;
	long long scale = gp_ui_scale(x);

	for (uint32_t s = 0; s < db->nstacks; s++) {
		int64_t v[2] = { x->sums[s].count * scale, x->sums[s].value * scale };
		int in = 0;
		if (!v[0] && !v[1])
			continue;
		for (int k = 0; k < 2; k++)
			t->total[k] += v[k];
		for (uint32_t r = s; r; r = db->stack_parent[r]) {
			if (rows[r] < 0)
				continue;
			struct src_line *l = &t->lines[rows[r] >> 1];
			int flat = r == s && (rows[r] & 1);
			for (int k = 0; k < 2; k++) {
				l->flat[k] += flat ? v[k] : 0;
				t->flat[k] += flat ? v[k] : 0;
				l->cum[k] += l->stamp != s + 1 ? v[k] : 0;
				t->cum[k] += in ? 0 : v[k];
			}
			l->stamp = s + 1;
			in = 1;
		}
	}
}

static int by_file_line(const void *a, const void *b)
{
	const struct src_line *l = a, *r = b;
	int c = strcmp(l->file, r->file);

	return c ? c : (l->line > r->line) - (l->line < r->line);
}

/* [flat count, flat value, cum count, cum value] */
static void src_costs(FILE *f, const int64_t flat[2], const int64_t cum[2])
{
	fprintf(f, "%lld,%lld,%lld,%lld", (long long)flat[0], (long long)flat[1],
		(long long)cum[0], (long long)cum[1]);
}

/* Is line number n shown of the function whose lines with a cost are l[0..n)? */
static int src_shown(const struct src_line *l, size_t n, int64_t line, int64_t start, int64_t end,
		     int whole)
{
	if (line < start || line > end)
		return 0;
	if (whole || line == start)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (line >= l[i].line - SOURCE_CONTEXT && line <= l[i].line + SOURCE_CONTEXT)
			return 1;
	return 0;
}

/* One file's lines l[0..n) (sorted by line), with its text where it can be read. */
static void src_file(FILE *f, const struct src_line *l, size_t n, int64_t start_line)
{
	int64_t start = start_line && start_line <= l[0].line ? start_line : l[0].line - LIST_MARGIN;
	int64_t end = l[n - 1].line + LIST_MARGIN;
	FILE *in = fopen(l[0].file, "r");
	static const int64_t none[2];

	if (start < 1)
		start = 1;
	int whole = end - start < SOURCE_WHOLE;
	fputs("{\"file\":", f);
	gp_ui_json_str(f, l[0].file);
	fprintf(f, ",\"readable\":%s,\"lines\":[", in ? "true" : "false");
	char *text = NULL;
	size_t cap = 0, k = 0;
	ssize_t len;
	int first = 1;
	for (int64_t line = 1; in && line <= end && (len = getline(&text, &cap, in)) >= 0; line++) {
		if (!src_shown(l, n, line, start, end, whole))
			continue;
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			text[--len] = '\0';
		while (k < n && l[k].line < line)
			k++;
		int cost = k < n && l[k].line == line;
		fprintf(f, "%s\n[%lld,", first ? "" : ",", (long long)line);
		src_costs(f, cost ? l[k].flat : none, cost ? l[k].cum : none);
		putc(',', f);
		gp_ui_json_str(f, text);
		putc(']', f);
		first = 0;
	}
	for (size_t i = 0; !in && i < n; i++) {
		fprintf(f, "%s\n[%lld,", i ? "," : "", (long long)l[i].line);
		src_costs(f, l[i].flat, l[i].cum);
		fputs(",null]", f);
	}
	fputs("]}", f);
	free(text);
	if (in)
		fclose(in);
}

/*
 * {"function", "type", "from_ns", "to_ns", "sample_types": [[name, unit], [name, unit]],
 *  "total": [count, value] of the window, "function_costs": [flat count, flat value,
 *  cum count, cum value], "unlined": the same of the frames without a line,
 *  "files": [{"file", "readable", "lines": [[line, flat count, flat value, cum count,
 *  cum value, text or null], ...]}, ...]}
 */
static int write_source(struct gp_export *x)
{
	struct gp_db *db = x->db;
	struct src_tally t = { 0 };
	unsigned char *listed = calloc(db->nfuncs + 1, 1);
	int64_t *rows = NULL;
	FILE *f = x->out;
	int rc = -1;

	if (!listed)
		goto out_oom;
	for (size_t i = 0; i < db->nfuncs; i++)
		listed[i] = db->funcs[i].present && strcmp(db->funcs[i].name, x->list) == 0;
	gp_export_heap_view(x);
	if (!(rows = src_rows(x, &t, listed)))
		goto out_oom;
	src_tally(x, &t, rows);
	qsort(t.lines, t.n, sizeof(*t.lines), by_file_line);
	fputs("{\"function\":", f);
	gp_ui_json_str(f, x->list);
	fputs(",", f);
	gp_ui_json_window(x, f);
	fprintf(f, ",\n\"total\":[%lld,%lld],\"function_costs\":[", (long long)t.total[0],
		(long long)t.total[1]);
	src_costs(f, t.flat, t.cum);
	fputs("],\"unlined\":[", f);
	size_t i = 0;
	int64_t no[2][2] = { { 0, 0 }, { 0, 0 } };
	/* "" sorts first: the unlined entry, if any */
	if (t.n && !t.lines[0].line) {
		memcpy(no[0], t.lines[0].flat, sizeof(no[0]));
		memcpy(no[1], t.lines[0].cum, sizeof(no[1]));
		i = 1;
	}
	src_costs(f, no[0], no[1]);
	fputs("],\n\"files\":[", f);
	for (int first = 1; i < t.n; first = 0) {
		size_t j = i;
		while (j < t.n && strcmp(t.lines[j].file, t.lines[i].file) == 0)
			j++;
		fputs(first ? "" : ",\n", f);
		src_file(f, t.lines + i, j - i, t.start_line);
		i = j;
	}
	fputs("]}\n", f);
	rc = 0;
	goto out_free;
out_oom:
	gp_err_oom(x->err);
out_free:
	free(rows);
	free(listed);
	free(t.lines);
	return rc;
}

const struct gp_exporter gp_exporter_source = {
	.name = "source",
	.binary = 0,
	.write = write_source,
};
