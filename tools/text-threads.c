/*
 * goprof-export -f text for the thread profiles: Go's `?debug=1` layouts of block and mutex
 * (spec §7.6), threadcreate and goroutine (§7.2, §7.5), and goroutine's `?debug=2` dump
 * (§7.3), one block per thread.
 *
 * Delays are nanoseconds printed as "cycles" with cycles/second=1000000000, so pprof's
 * legacy parser turns them back into the same nanoseconds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "export.h"
#include "lines.h"
#include "gp-schema.h"
#include "legacy.h"

struct record {
	uint32_t stack;
	int64_t count, value;
	char *key;		/* count profiles: the `@ ...` text, Go's tie-breaker */
};

static int by_value(const void *a, const void *b)
{
	const struct record *l = a, *r = b;

	if (l->value != r->value)
		return l->value > r->value ? -1 : 1;
	return l->stack < r->stack ? -1 : l->stack > r->stack;
}

static int by_count_then_key(const void *a, const void *b)
{
	const struct record *l = a, *r = b;

	if (l->count != r->count)
		return l->count > r->count ? -1 : 1;
	return strcmp(l->key, r->key);
}

/* The stacks with samples, as records (stack 0, the empty one, included); NULL if no memory. */
static struct record *collect(struct gp_export *x, size_t *n)
{
	struct record *v = malloc((x->db->nstacks ? x->db->nstacks : 1) * sizeof(*v));

	if (!v) {
		gp_err_oom(x->err);
		return NULL;
	}
	*n = 0;
	for (uint32_t s = 0; s < x->db->nstacks; s++) {
		if (!x->sums[s].count && !x->sums[s].value)
			continue;
		v[*n] = (struct record){ .stack = s, .count = x->sums[s].count,
					 .value = x->sums[s].value };
		(*n)++;
	}
	return v;
}

/* block and mutex: "<delay> <count> @ ..." sorted by delay. */
static int write_contention(struct gp_export *x)
{
	size_t n;
	struct record *v = collect(x, &n);

	if (!v)
		return -1;
	qsort(v, n, sizeof(*v), by_value);
	if (x->prof.id == GP_PROFILE_MUTEX)
		fprintf(x->out, "--- mutex:\ncycles/second=1000000000\nsampling period=%lld\n",
			(long long)(x->prof.rate > 0 ? x->prof.rate : 1));
	else
		fputs("--- contention:\ncycles/second=1000000000\n", x->out);
	for (size_t i = 0; i < n; i++) {
		fprintf(x->out, "%lld %lld ", (long long)v[i].value, (long long)v[i].count);
		gp_legacy_stack_words(x, v[i].stack);
		gp_legacy_frame_lines(x, v[i].stack);
		putc('\n', x->out);
	}
	free(v);
	return 0;
}

/* s as Go's %q writes it: quoted, with backslash escapes for quotes and control bytes. */
static void put_quoted(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			putc(c, out);
	}
	putc('"', out);
}

/*
 * The key Go's printCountProfile groups and sorts by: "@ 0x... 0x..." and, when the sample
 * carries labels (the stack's, a goroutine group's state), "\n# labels: {"k":"v", ...}"
 * (Go's labelMap.String), malloc'd; NULL if out of memory.
 */
static char *count_key(struct gp_export *x, uint32_t stack, const struct gp_export_group *g)
{
	struct gp_export_label set[GP_EXPORT_MAX_LABELS + 1];
	size_t nl = gp_export_labels(x, stack, g, set, sizeof(set) / sizeof(set[0]));
	size_t nf = gp_export_frames(x, stack), len = 0;
	char *key = NULL;
	FILE *f = open_memstream(&key, &len);

	if (!f)
		return NULL;
	putc('@', f);
	for (size_t i = 0; i < nf; i++)
		fprintf(f, " 0x%x", x->frames[i]);
	if (nl)
		fputs("\n# labels: {", f);
	for (size_t i = 0; i < nl; i++) {
		if (i)
			fputs(", ", f);
		put_quoted(f, set[i].key);
		putc(':', f);
		put_quoted(f, set[i].value);
	}
	if (nl)
		putc('}', f);
	if (fclose(f) != 0) {
		free(key);
		return NULL;
	}
	return key;
}

/* threadcreate and goroutine: "<count> @ ..." sorted by count, then by that text. */
static int write_counts(struct gp_export *x)
{
	size_t n;
	struct record *v;
	int64_t total = 0;
	int groups = x->prof.id == GP_PROFILE_GOROUTINE;

	if (groups) {
		v = calloc(x->ngroups ? x->ngroups : 1, sizeof(*v));
		if (!v)
			return gp_err_oom(x->err);
		for (n = 0; n < x->ngroups; n++)
			v[n] = (struct record){ .stack = x->groups[n].stack,
						.count = x->groups[n].count };
	} else if (!(v = collect(x, &n))) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].key = count_key(x, v[i].stack, groups ? &x->groups[i] : NULL);
		if (!v[i].key) {
			while (i--)
				free(v[i].key);
			free(v);
			return gp_err_oom(x->err);
		}
		total += v[i].count;
	}
	qsort(v, n, sizeof(*v), by_count_then_key);
	fprintf(x->out, "%s profile: total %lld\n", x->type, (long long)total);
	for (size_t i = 0; i < n; i++) {
		fprintf(x->out, "%lld %s\n", (long long)v[i].count, v[i].key);
		gp_legacy_frame_lines(x, v[i].stack);
		putc('\n', x->out);
		free(v[i].key);
	}
	free(v);
	return 0;
}

/*
 * One frame as a panic dump prints it: "name(...)\n\tfile:line\n", at the line of stack row
 * row when it is known (0: the function's).
 */
static void write_frame(struct gp_export *x, uint32_t func, uint32_t row, const char *prefix)
{
	const struct gp_db_func *f = &x->db->funcs[func];
	char where[4096];
	const char *at = row ? gp_lines_where(gp_export_src(x), row, where, sizeof(where)) : NULL;

	fprintf(x->out, "%s%s%s\n\t%s\n", prefix, f->name, *prefix ? "" : "(...)",
		at ? at : gp_db_func_where(x->db, f, where, sizeof(where)));
}

/*
 * goroutine ?debug=2: every thread of the snapshot, "goroutine <tid> [<state>...]:", its
 * stack innermost first, and the function that created it.
 */
static void write_dump(struct gp_export *x)
{
	for (size_t i = 0; i < x->nthreads; i++) {
		const struct gp_db_thread *t = &x->threads[i];

		fprintf(x->out, "goroutine %lld [%s", (long long)t->tid,
			gp_export_state_name(t->state));
		if (t->state != GP_STATE_RUNNING) {
			if (t->wait_object)
				fprintf(x->out, " 0x%llx", (unsigned long long)t->wait_object);
			int64_t d = t->wait_since_ns && x->to_ns > t->wait_since_ns ?
				x->to_ns - t->wait_since_ns : 0;
			if (d >= 60000000000)	/* Go's form from a minute on */
				fprintf(x->out, ", %lld minutes", (long long)(d / 60000000000));
			else
				fprintf(x->out, ", %.3fs", (double)d / 1e9);
		}
		if (t->name && *t->name)
			fprintf(x->out, ", \"%s\"", t->name);
		fputs("]:\n", x->out);

		size_t n = gp_export_frames(x, t->stack);
		uint32_t row = t->stack;
		for (size_t f = 0; f < n && f < 100; f++, row = x->db->stack_parent[row])
			write_frame(x, x->frames[f], row, "");
		if (n > 100)
			fputs("...additional frames elided...\n", x->out);
		/* Go names the function that created it, at its line: the creating call's caller */
		size_t nc = t->create_stack ? gp_export_frames(x, t->create_stack) : 0;
		size_t c = nc > 1 && x->db->funcs[x->frames[0]].kind == GP_FUNC_KIND_SYMBOL;
		if (nc)
			write_frame(x, x->frames[c],
				    c ? x->db->stack_parent[t->create_stack] : t->create_stack,
				    "created by ");
		putc('\n', x->out);
	}
}

int gp_text_threads(struct gp_export *x)
{
	switch (x->prof.id) {
	case GP_PROFILE_BLOCK:
	case GP_PROFILE_MUTEX:
		return write_contention(x);
	case GP_PROFILE_GOROUTINE:
		if (x->debug >= 2) {
			write_dump(x);
			return 0;
		}
		/* fall through */
	case GP_PROFILE_THREADCREATE:
		return write_counts(x);
	default:
		/* the program's own profiles: Go's count-profile text, debug=2 as well */
		if (x->prof.id >= GP_PROFILE_CUSTOM)
			return write_counts(x);
		return gp_errf(x->err, "no text layout for %s profiles", x->type);
	}
}
