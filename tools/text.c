/*
 * goprof-export -f top: the table `go tool pprof -top` prints, same header lines, columns,
 * units, sorting and node dropping (pprof's defaults: nodes whose cumulative value is below
 * 0.5 % of the total are left out), so that it reads the same without Go installed.
 *
 * Nodes are functions by name, as with pprof's default "functions" granularity, or with
 * --lines "function file:line", one per source line (inlined calls included) as pprof -lines
 * names them. Values are
 * the sample type pprof opens the profile on: cpu nanoseconds, heap bytes (unsampled), the
 * delay of block and mutex (mutex multiplied by its fraction, as the pprof form is), the
 * threads of threadcreate and goroutine.
 *
 * goprof-export -f list -r REGEX: what `go tool pprof -list REGEX` prints: for each
 * function whose name matches, its source file from its first line to five past the last
 * one with a value, flat and cum per line.
 *
 * goprof-export -f text: Go's `?debug=1` text of the profile type, dispatched from here to
 * one writer per type; the CPU profile has no such text in Go and gets the top table.
 */
#include "config.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "export.h"
#include "gp-schema.h"
#include "lines.h"
#include "strtab.h"

#define NODE_FRACTION 0.005
#define MAX_INLINE 32		/* frames one address may stand for */
#define LIST_MARGIN 5		/* pprof's lines listed past the last one with a value */

struct node {
	const char *name;
	int64_t flat, cum;
};

struct unit {
	const char *name;
	double size;		/* in the base unit: ns, or bytes */
};

/* pprof's units (internal/measurement): time in ns, memory in bytes (1024 apart). */
static const struct unit time_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "hrs", 3600e9 }, { NULL, 0 },
};
static const struct unit byte_units[] = {
	{ "B", 1 }, { "kB", 1024.0 }, { "MB", 1048576.0 }, { "GB", 1073741824.0 },
	{ "TB", 1099511627776.0 }, { NULL, 0 },
};
static const struct unit count_units[] = { { "", 1 }, { NULL, 0 } };

/* measurement.Scale(v, base, "minimum"): the largest unit of units v is at least 1 of. */
static int auto_unit(const struct unit *units, int64_t v)
{
	double a = fabs((double)v);
	int u = -1;

	for (int i = 0; units[i].name; i++)
		if (a / units[i].size >= 1.0)
			u = i;
	if (u >= 0)
		return u;
	return units == time_units ? 3 : 0;	/* pprof's default units: s, B */
}

/* measurement.ScaledLabel: "%.2f" in the unit, ".00" dropped, zero as "0". */
static void fmt_value(const struct unit *units, char *buf, size_t len, int64_t v, int unit)
{
	snprintf(buf, len, "%.2f", (double)v / units[unit].size);
	size_t n = strlen(buf);
	if (n > 3 && strcmp(buf + n - 3, ".00") == 0)
		buf[n - 3] = '\0';
	if (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0)
		return;
	strncat(buf, units[unit].name, len - strlen(buf) - 1);
}

/* measurement.Percentage */
static void fmt_pct(char *buf, size_t len, int64_t v, int64_t total)
{
	double r = total ? fabs((double)v / (double)total) * 100 : 0;

	if (r >= 99.95 && r <= 100.05)
		snprintf(buf, len, "  100%%");
	else if (r >= 1.0)
		snprintf(buf, len, "%5.2f%%", r);
	else
		snprintf(buf, len, "%5.2g%%", r);	/* C's %g trims like Go's here */
}

static int cmp_nodes(const void *a, const void *b)
{
	const struct node *l = a, *r = b;

	if (llabs(l->flat) != llabs(r->flat))
		return llabs(l->flat) > llabs(r->flat) ? -1 : 1;
	int c = strcmp(l->name, r->name);
	if (c)
		return c;
	if (llabs(l->cum) != llabs(r->cum))
		return llabs(l->cum) > llabs(r->cum) ? -1 : 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * Nodes by label (a function, or a function's line), with their flat and cum values; a
 * stamp per node counts a node once per stack however often it occurs in it.
 */
struct tally {
	struct gp_strtab names;
	int64_t *flat, *cum;
	uint32_t *stamp;		/* stack + 1 that last added to cum */
	struct gp_line_frame *info;	/* per node: the frame it stands for */
	size_t cap;
};

/* The node of label (made on first use) for frame f; -1 when out of memory. */
static int64_t tally_node(struct tally *t, const char *label, const struct gp_line_frame *f)
{
	size_t had = t->names.n;
	int64_t k = gp_strtab_add(&t->names, label);

	if (k < 0 || (size_t)k < had)
		return k;
	if ((size_t)k < t->cap) {
		t->info[k] = *f;
		return k;
	}
	size_t cap = t->cap ? t->cap * 2 : 1024;
	while (cap <= (size_t)k)
		cap *= 2;
	int64_t *flat = realloc(t->flat, cap * sizeof(*flat));
	if (flat)
		t->flat = flat;
	int64_t *cum = realloc(t->cum, cap * sizeof(*cum));
	if (cum)
		t->cum = cum;
	uint32_t *stamp = realloc(t->stamp, cap * sizeof(*stamp));
	if (stamp)
		t->stamp = stamp;
	struct gp_line_frame *info = realloc(t->info, cap * sizeof(*info));
	if (info)
		t->info = info;
	if (!flat || !cum || !stamp || !info)
		return -1;
	memset(t->flat + t->cap, 0, (cap - t->cap) * sizeof(*flat));
	memset(t->cum + t->cap, 0, (cap - t->cap) * sizeof(*cum));
	memset(t->stamp + t->cap, 0, (cap - t->cap) * sizeof(*stamp));
	t->info[k] = *f;
	t->cap = cap;
	return k;
}

static void tally_free(struct tally *t)
{
	gp_strtab_destroy(&t->names);
	free(t->flat);
	free(t->cum);
	free(t->stamp);
	free(t->info);
}

/*
 * Adds value v of stack s to t: its innermost node's flat, and the cum of each node it
 * holds, once. Nodes are functions, or with lines their source lines (x->src). 0 or -1.
 */
static int tally_stack(struct gp_export *x, struct tally *t, uint32_t s, int64_t v, int lines)
{
	struct gp_line_frame fr[MAX_INLINE];
	char label[1024];
	int first = 1;

	for (uint32_t row = s; row; row = x->db->stack_parent[row]) {
		size_t n = gp_lines_of_row(x->src, row, fr, MAX_INLINE);
		for (size_t i = 0; i < n; i++, first = 0) {
			/* pprof marks a frame inlined into the next one out */
			const char *inl = i + 1 < n ? " (inline)" : "";
			if (lines)
				snprintf(label, sizeof(label), "%s %s:%lld%s", fr[i].function, fr[i].file,
					 (long long)fr[i].line, inl);
			else
				snprintf(label, sizeof(label), "%s%s", fr[i].function, inl);
			int64_t k = tally_node(t, label, &fr[i]);
			if (k < 0)
				return -1;
			if (first)
				t->flat[k] += v;
			if (t->stamp[k] != s + 1) {	/* count recursion once */
				t->stamp[k] = s + 1;
				t->cum[k] += v;
			}
		}
	}
	return 0;
}

/* The value of stack s in the sample type pprof opens x's profile on. */
static int64_t stack_value(struct gp_export *x, uint32_t s)
{
	int id = x->prof.id;
	int64_t scale = id == GP_PROFILE_MUTEX && x->prof.rate > 1 ? x->prof.rate : 1;

	return x->sums[s].value * scale;
}

/* Tallies every stack of x by function or by line; total gets their values' sum. 0 or -1. */
static int tally_all(struct gp_export *x, struct tally *t, int lines, int64_t *total)
{
	*total = 0;
	if (gp_strtab_init(&t->names) != 0 || !gp_export_src(x)) {
		gp_err_oom(x->err);
		return -1;
	}
	gp_export_heap_view(x);
	/* stack 0 has no frames: threadcreate's main thread, a goroutine with none */
	for (uint32_t s = 0; s < x->db->nstacks; s++) {
		int64_t v = stack_value(x, s);
		if (!v)
			continue;
		*total += llabs(v);
		if (s && tally_stack(x, t, s, v, lines) != 0) {
			gp_err_oom(x->err);
			return -1;
		}
	}
	return 0;
}

/* The table of units values of x's profile are in. */
static const struct unit *units_of(const struct gp_export *x)
{
	int id = x->prof.id;

	return id == GP_PROFILE_ALLOCS ? byte_units :
		id == GP_PROFILE_THREADCREATE || id == GP_PROFILE_GOROUTINE ||
		id >= GP_PROFILE_CUSTOM ? count_units :
		time_units;
}

int gp_text_top(struct gp_export *x)
{
	struct gp_db *db = x->db;
	int id = x->prof.id;
	struct tally tl = { 0 };
	int64_t total = 0;
	const struct unit *units = units_of(x);
	struct node *nodes = NULL;
	int rc = -1;

	if (tally_all(x, &tl, x->lines, &total) != 0)
		goto out_free;
	size_t nnames = tl.names.n;
	int64_t cutoff = llabs((int64_t)((double)total * NODE_FRACTION));
	size_t nnodes = 0, dropped = 0;
	nodes = malloc((nnames ? nnames : 1) * sizeof(*nodes));
	if (!nodes) {
		gp_err_oom(x->err);
		goto out_free;
	}
	for (size_t k = 1; k < nnames; k++) {
		if (llabs(tl.cum[k]) < cutoff) {
			dropped++;
			continue;
		}
		nodes[nnodes].name = tl.names.strs[k];
		nodes[nnodes].flat = tl.flat[k];
		nodes[nnodes].cum = tl.cum[k];
		nnodes++;
	}
	qsort(nodes, nnodes, sizeof(*nodes), cmp_nodes);

	/* report.selectOutputUnit: the unit of the smallest node, unless far below the total */
	int64_t min = 0, flat_sum = 0;
	for (size_t i = 0; i < nnodes; i++) {
		int64_t m = llabs(nodes[i].flat) ? llabs(nodes[i].flat) : llabs(nodes[i].cum);
		if (m > 0 && (min == 0 || m < min))
			min = m;
		flat_sum += nodes[i].flat;
	}
	if (min == 0)
		min = total;
	int unit = auto_unit(units, min);
	if (unit != auto_unit(units, total) && min * 100 < total)
		unit = auto_unit(units, 100 * min);

	char v1[64], v2[64], v3[64], p1[32], p2[32], p3[32];
	FILE *out = x->out;

	const struct gp_db_mapping *main_map = db->nmaps > 1 && db->maps[1].present ?
		&db->maps[1] : NULL;
	const char *file = main_map ? main_map->path : db->exe;
	const char *build_id = main_map ? main_map->build_id : db->build_id;
	if (file && *file)
		fprintf(out, "File: %s\n", base_name(file));
	if (build_id && *build_id)
		fprintf(out, "Build ID: %s\n", build_id);
	/* heap and allocs: what pprof opens them on, a snapshot at the range's end */
	int heap = id == GP_PROFILE_ALLOCS;
	/* all but cpu: the profile's time is the range's end, and it has no duration */
	int snapshot = id != GP_PROFILE_CPU;
	if (heap)
		fprintf(out, "Type: %s\n", strcmp(x->type, "heap") == 0 ? "inuse_space" :
			"alloc_space");
	else
		fprintf(out, "Type: %s\n", id == GP_PROFILE_BLOCK || id == GP_PROFILE_MUTEX ?
			"delay" : x->type);

	time_t t = (time_t)((snapshot ? x->to_ns : x->from_ns) / 1000000000);
	struct tm tm;
	char tbuf[64];
	if (x->from_ns && localtime_r(&t, &tm)) {
		int hour = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
		strftime(tbuf, sizeof(tbuf), "%b %d, %Y", &tm);
		/* Go's "Jan 2": no leading zero on the day */
		char *sp = strchr(tbuf, ' ');
		if (sp && sp[1] == '0')
			memmove(sp + 1, sp + 2, strlen(sp + 2) + 1);
		char zone[16];
		strftime(zone, sizeof(zone), "%Z", &tm);
		fprintf(out, "Time: %s at %d:%02d%s (%s)\n", tbuf, hour, tm.tm_min,
			tm.tm_hour < 12 ? "am" : "pm", zone);
	}
	int64_t duration = x->to_ns - x->from_ns;
	if (duration && !snapshot) {
		fmt_value(units, v1, sizeof(v1), duration, auto_unit(units, duration));
		fmt_value(units, v2, sizeof(v2), total, unit);
		fmt_pct(p1, sizeof(p1), total, duration);
		fprintf(out, "Duration: %s, Total samples = %s (%s)\n", v1, v2, p1);
	}
	fmt_value(units, v1, sizeof(v1), flat_sum, unit);
	fmt_value(units, v2, sizeof(v2), total, unit);
	fmt_pct(p1, sizeof(p1), flat_sum, total);
	fprintf(out, "Showing nodes accounting for %s, %s of %s total\n", v1,
		p1 + strspn(p1, " "), v2);
	if (total && dropped) {
		fmt_value(units, v1, sizeof(v1), cutoff, unit);
		fprintf(out, "Dropped %zu node%s (cum <= %s)\n", dropped, dropped > 1 ? "s" : "",
			v1);
	}
	fprintf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");

	int64_t sum = 0;
	for (size_t i = 0; i < nnodes; i++) {
		sum += nodes[i].flat;
		fmt_value(units, v1, sizeof(v1), nodes[i].flat, unit);
		fmt_value(units, v3, sizeof(v3), nodes[i].cum, unit);
		fmt_pct(p1, sizeof(p1), nodes[i].flat, total);
		fmt_pct(p2, sizeof(p2), sum, total);
		fmt_pct(p3, sizeof(p3), nodes[i].cum, total);
		fprintf(out, "%10s %s %s %10s %s  %s\n", v1, p1, p2, v3, p3, nodes[i].name);
	}
	rc = 0;
out_free:
	free(nodes);
	tally_free(&tl);
	return rc;
}

/* A line node of one listed function. */
struct listed {
	int64_t line, flat, cum;
};

static int by_line(const void *a, const void *b)
{
	const struct listed *l = a, *r = b;

	return l->line < r->line ? -1 : l->line > r->line;
}

/* Functions to list, as (name, file) pairs in pprof's order: by name, then file. */
struct routine {
	const char *name, *file;
	int64_t start_line;
};

static int by_name_file(const void *a, const void *b)
{
	const struct routine *l = a, *r = b;
	int c = strcmp(l->name, r->name);

	return c ? c : strcmp(l->file, r->file);
}

/* "%10s": a value in its own unit, "." for zero (pprof's valueOrDot). */
static void fmt_cell(const struct unit *units, char *buf, size_t len, int64_t v)
{
	if (!v)
		snprintf(buf, len, ".");
	else
		fmt_value(units, buf, len, v, auto_unit(units, v));
}

/* One routine's listing: its line nodes ln[0..n) (sorted by line), then its source. */
static void list_routine(struct gp_export *x, const struct routine *r, struct listed *ln,
			 size_t n, int64_t total)
{
	const struct unit *units = units_of(x);
	int64_t flat = 0, cum = 0, start = r->start_line, end = 0;
	char v1[64], v2[64], p[32];
	FILE *out = x->out;

	/* pprof: from the function's first line (or the margin before its first), to the margin
	   after its last */
	for (size_t i = 0; i < n; i++) {
		flat += ln[i].flat;
		cum += ln[i].cum;
		if (ln[i].line + LIST_MARGIN > end)
			end = ln[i].line + LIST_MARGIN;
		if (!r->start_line && (!start || ln[i].line - LIST_MARGIN < start))
			start = ln[i].line - LIST_MARGIN;
	}
	if (start < 1)
		start = 1;
	fmt_value(units, v1, sizeof(v1), flat, auto_unit(units, flat));
	fmt_value(units, v2, sizeof(v2), cum, auto_unit(units, cum));
	fmt_pct(p, sizeof(p), cum, total);
	fprintf(out, "ROUTINE ======================== %s in %s\n", r->name, r->file);
	fprintf(out, "%10s %10s (flat, cum) %s of Total\n", v1, v2, p);
	FILE *src = fopen(r->file, "r");
	if (!src) {
		fprintf(out, " Error: could not find file %s\n", r->file);
		return;
	}
	char *text = NULL;
	size_t cap = 0, k = 0;
	ssize_t len;
	for (int64_t line = 1; line <= end && (len = getline(&text, &cap, src)) >= 0; line++) {
		if (line < start)
			continue;
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		int64_t f = 0, c = 0;
		for (; k < n && ln[k].line <= line; k++)
			if (ln[k].line == line) {
				f += ln[k].flat;
				c += ln[k].cum;
			}
		fmt_cell(units, v1, sizeof(v1), f);
		fmt_cell(units, v2, sizeof(v2), c);
		fprintf(out, "%10s %10s %6lld:%s\n", v1, v2, (long long)line, text);
	}
	free(text);
	fclose(src);
}

int gp_text_list(struct gp_export *x)
{
	struct tally t = { 0 };
	regex_t re;
	int64_t total = 0;
	struct routine *rs = NULL;
	struct listed *ln = NULL;
	size_t nrs = 0;
	int rc = -1;

	if (regcomp(&re, x->list, REG_EXTENDED | REG_NOSUB) != 0) {
		gp_errf(x->err, "bad regular expression '%s'", x->list);
		return -1;
	}
	if (tally_all(x, &t, 1, &total) != 0)
		goto out_free;
	rs = calloc(t.names.n + 1, sizeof(*rs));
	ln = calloc(t.names.n + 1, sizeof(*ln));
	if (!rs || !ln) {
		gp_err_oom(x->err);
		goto out_free;
	}
	for (size_t k = 1; k < t.names.n; k++) {
		const struct gp_line_frame *f = &t.info[k];
		if (regexec(&re, f->function, 0, NULL, 0) != 0)
			continue;
		struct routine r = { f->function, f->file, f->start_line };
		size_t i = 0;
		while (i < nrs && by_name_file(&rs[i], &r) != 0)
			i++;
		if (i == nrs)
			rs[nrs++] = r;
	}
	if (!nrs) {
		gp_errf(x->err, "no matches found for regexp: %s", x->list);
		goto out_free;
	}
	qsort(rs, nrs, sizeof(*rs), by_name_file);
	char v[64];
	fmt_value(units_of(x), v, sizeof(v), total, auto_unit(units_of(x), total));
	fprintf(x->out, "Total: %s\n", v);
	for (size_t i = 0; i < nrs; i++) {
		size_t n = 0;
		for (size_t k = 1; k < t.names.n; k++) {
			const struct gp_line_frame *f = &t.info[k];
			if (strcmp(f->function, rs[i].name) == 0 && strcmp(f->file, rs[i].file) == 0)
				ln[n++] = (struct listed){ f->line, t.flat[k], t.cum[k] };
		}
		qsort(ln, n, sizeof(*ln), by_line);
		list_routine(x, &rs[i], ln, n, total);
	}
	rc = 0;
out_free:
	free(ln);
	free(rs);
	tally_free(&t);
	regfree(&re);
	return rc;
}

static int write_text(struct gp_export *x)
{
	switch (x->prof.id) {
	case GP_PROFILE_CPU:
		return gp_text_top(x);
	case GP_PROFILE_ALLOCS:
		return gp_text_heap(x);
	default:
		return gp_text_threads(x);
	}
}

const struct gp_exporter gp_exporter_text = {
	.name = "text",
	.binary = 0,
	.write = write_text,
};

const struct gp_exporter gp_exporter_top = {
	.name = "top",
	.binary = 0,
	.write = gp_text_top,
};

const struct gp_exporter gp_exporter_list = {
	.name = "list",
	.binary = 0,
	.write = gp_text_list,
};
