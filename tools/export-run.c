/*
 * The exporter as a library: one query (profile type, format, range) against one database,
 * written to a file descriptor. goprof-export's command line, `goprof-export serve` and the
 * /debug/pprof server inside a profiled program all come through gp_export_run(), so they
 * give the same bytes for the same question.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "errors.h"
#include "export.h"
#include "gp-schema.h"
#include "lines.h"
#include "ui.h"

static const struct gp_exporter *const exporters[] = {
	&gp_exporter_pprof,
	&gp_exporter_text,
	&gp_exporter_top,
	&gp_exporter_list,
	&gp_exporter_folded,
	&gp_exporter_json,
	&gp_exporter_html,
	&gp_exporter_svg,
	&gp_exporter_source,
};

/* The profile types goprof knows, recorded or not in a given database. */
static const char *const known_types[] = {
	"cpu", "heap", "allocs", "block", "mutex", "threadcreate", "goroutine",
};

/* Parses a decimal number with an optional fraction times unit_ns; -1 on junk. */
static int parse_scaled(const char **sp, int64_t unit_ns, int64_t *out)
{
	const char *s = *sp;
	int64_t whole = 0, frac = 0, scale = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > INT64_MAX / 10 / unit_ns)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (scale < 1000000000) {
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
		}
	}
	*out = whole * unit_ns + (int64_t)((double)frac / (double)scale * (double)unit_ns);
	*sp = s;
	return 0;
}

/* A Go-style duration without sign: 5s, 1m30s, 250ms, 2h; a bare number means seconds. */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60000000000 }, { "h", 3600000000000 },
	};
	int64_t total = 0;

	if (!*s)
		return -1;
	while (*s) {
		const char *num = s, *u;
		int64_t v;
		size_t i;

		while (isdigit((unsigned char)*s) || *s == '.')
			s++;
		u = s;
		while (isalpha((unsigned char)*s))
			s++;
		size_t ulen = (size_t)(s - u);
		if (ulen == 0 && *s == '\0' && total == 0)
			i = 3;	/* a bare number: seconds */
		else
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (strlen(units[i].name) == ulen &&
				    strncmp(units[i].name, u, ulen) == 0)
					break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		const char *p = num;
		if (parse_scaled(&p, units[i].ns, &v) != 0 || p != u)
			return -1;
		total += v;
	}
	*out = total;
	return 0;
}

/* RFC 3339: 2006-01-02T15:04:05[.frac](Z|+hh:mm|-hh:mm). */
static int parse_rfc3339(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int n = 0;
	int64_t frac = 0;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return -1;
	s += n;
	if (*s == '.') {
		s++;
		if (parse_scaled(&s, 1, &frac) != 0)
			return -1;
		/* frac was read as an integer: rescale its digits to nanoseconds */
		int64_t digits = 0;
		for (const char *p = s - 1; isdigit((unsigned char)*p); p--)
			digits++;
		for (; digits < 9; digits++)
			frac *= 10;
		for (; digits > 9; digits--)
			frac /= 10;
	}
	int offset_s = 0;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int hh, mm;
		if (sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
			return -1;
		offset_s = (hh * 60 + mm) * 60 * (*s == '-' ? -1 : 1);
		s += 1 + n;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = ((int64_t)t - offset_s) * 1000000000 + frac;
	return 0;
}

int gp_export_parse_time(const char *s, int64_t start_ns, int64_t *out)
{
	int64_t v;

	if (*s == '+') {
		if (parse_duration(s + 1, &v) != 0)
			return -1;
		*out = start_ns + v;
		return 0;
	}
	const char *p = s;
	if (parse_scaled(&p, 1000000000, &v) == 0 && *p == '\0') {
		*out = v;
		return 0;
	}
	return parse_rfc3339(s, out);
}

static const char *fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)(ns / 1000000000));
	return buf;
}

struct gp_lines *gp_export_src(struct gp_export *x)
{
	if (!x->src)
		x->src = gp_lines_new(x->db);
	return x->src;
}

size_t gp_export_frames(struct gp_export *x, uint32_t stack)
{
	size_t n = 0;

	/* a parent's id is below its child's: no walk is longer than db->nstacks frames */
	for (uint32_t s = stack; s; s = x->db->stack_parent[s])
		x->frames[n++] = x->db->stack_func[s];
	return n;
}

void gp_export_heap_view(struct gp_export *x)
{
	if (x->prof.id != GP_PROFILE_ALLOCS)
		return;
	if (strcmp(x->type, "heap") == 0) {
		struct gp_db_sum *t = x->sums;
		x->sums = x->inuse;
		x->inuse = t;
	}
	for (size_t s = 0; s < x->db->nstacks; s++) {
		int64_t v[2] = { 0, 0 };
		gp_export_unsample(x->sums[s].count, x->sums[s].value, x->prof.rate, v);
		x->sums[s].count = v[0];
		x->sums[s].value = v[1];
	}
}

const struct gp_exporter *gp_export_format(const char *name)
{
	for (size_t i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++)
		if (strcmp(name, exporters[i]->name) == 0)
			return exporters[i];
	return NULL;
}

static int gp_export_type_known(const char *type)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(type, known_types[i]) == 0)
			return 1;
	return 0;
}

/* Everything one run allocates, freed however it ends. */
struct run {
	struct gp_db db;
	struct gp_export x;
	struct gp_db_sum *freed, *before;
	struct gp_db_thread *threads0;
	int out_fd;			/* opened here (q->output), -1 if not */
};

static void run_free(struct run *r)
{
	if (r->x.out)
		fclose(r->x.out);
	else if (r->out_fd >= 0)
		close(r->out_fd);
	gp_lines_free(r->x.src);
	free(r->x.frames);
	free(r->x.threads);
	free(r->x.groups);
	free(r->x.sums);
	free(r->x.inuse);
	free(r->x.ever);
	free(r->freed);
	free(r->before);
	free(r->threads0);
	gp_db_close(&r->db);
	free(r);
}

static int by_stack_state(const void *a, const void *b)
{
	const struct gp_export_group *l = a, *r = b;

	if (l->stack != r->stack)
		return l->stack < r->stack ? -1 : 1;
	return (l->state > r->state) - (l->state < r->state);
}

/*
 * The goroutine profile's groups: the snapshot's threads, one each, less those of the
 * delta's first snapshot (n0 of them), per (stack, state).
 */
static int group_threads(struct gp_export *x, const struct gp_db_thread *t0, size_t n0)
{
	size_t n = x->nthreads + n0, out = 0;
	struct gp_export_group *g = calloc(n ? n : 1, sizeof(*g));

	if (!g)
		return gp_err_oom(x->err);
	for (size_t i = 0; i < n; i++) {
		const struct gp_db_thread *t = i < x->nthreads ? &x->threads[i] :
								   &t0[i - x->nthreads];
		g[i] = (struct gp_export_group){ t->stack, t->state, i < x->nthreads ? 1 : -1 };
	}
	qsort(g, n, sizeof(*g), by_stack_state);
	for (size_t i = 0; i < n; i++) {
		if (out && !by_stack_state(&g[out - 1], &g[i]))
			g[out - 1].count += g[i].count;
		else
			g[out++] = g[i];
		if (!g[out - 1].count)
			out--;
	}
	x->groups = g;
	x->ngroups = out;
	return 0;
}

/* A failed write or open of the output: one line naming it; -1. */
static int io_failed(struct gp_err *e, const char *output)
{
	return gp_errf(e, "%s: %s", output, strerror(errno ? errno : EIO));
}

/* Does stack s's label set give key (keylen bytes) the value? The innermost push wins. */
static int label_matches(const struct gp_db *db, uint32_t s, const char *key, size_t keylen,
			 const char *value)
{
	struct gp_db_label l[GP_EXPORT_MAX_LABELS];
	size_t n = gp_db_label_set(db, s, l, GP_EXPORT_MAX_LABELS);

	for (size_t i = 0; i < n; i++)
		if (strlen(l[i].key) == keylen && memcmp(l[i].key, key, keylen) == 0)
			return strcmp(l[i].value, value) == 0;
	return 0;
}

/*
 * --label KEY=VALUE: keeps only the stacks whose label set gives KEY that value (pprof's
 * -tagfocus, exactly); the threads of threadcreate and goroutine by their stacks' labels.
 */
static int keep_label(struct gp_export *x, const char *label)
{
	const char *eq = strchr(label, '=');
	struct gp_db *db = x->db;
	size_t i, n;

	if (!eq || eq == label)
		return gp_err_usage(x->err, "bad label '%s' (KEY=VALUE)", label);
	size_t keylen = (size_t)(eq - label);
	for (size_t s = 0; s < db->nstacks; s++) {
		if (label_matches(db, (uint32_t)s, label, keylen, eq + 1))
			continue;
		x->sums[s].count = x->sums[s].value = 0;
		if (x->inuse)
			x->inuse[s].count = x->inuse[s].value = 0;
		if (x->ever)
			x->ever[s] = 0;
	}
	for (i = n = 0; i < x->ngroups; i++)
		if (label_matches(db, x->groups[i].stack, label, keylen, eq + 1))
			x->groups[n++] = x->groups[i];
	x->ngroups = n;
	int create = strcmp(x->type, "threadcreate") == 0;
	for (i = n = 0; i < x->nthreads; i++)
		if (label_matches(db, create ? x->threads[i].create_stack : x->threads[i].stack,
				  label, keylen, eq + 1))
			x->threads[n++] = x->threads[i];
	x->nthreads = n;
	return 0;
}

/*
 * Answers q into r: 0, or -1 with e filled. Whatever it made belongs to r, which the
 * caller frees however this ends.
 */
static int run_query(struct run *r, const char *db_path, const struct gp_export_query *q,
		     struct gp_err *e)
{
	struct gp_db *db = &r->db;
	struct gp_export *x = &r->x;
	const char *type = q->type;
	const struct gp_exporter *ex = gp_export_format(q->format);
	int has_from = q->from || q->from_ns, has_to = q->to || q->to_ns;
	int found;

	if (!ex)
		return gp_err_usage(e, "unknown format '%s' (known: pprof, text, top, list, folded, "
				    "json, html, svg, source)", q->format);
	if (ex == &gp_exporter_list && (!q->list || !*q->list))
		return gp_err_usage(e, "-f list needs the functions to list (-r REGEX)");
	if (ex == &gp_exporter_source && (!q->list || !*q->list))
		return gp_err_usage(e, "-f source needs the function to show (-r NAME)");
	x->db = db;
	x->err = e;
	x->type = type;
	x->debug = q->debug ? q->debug : 1;
	x->lines = q->lines;
	x->list = q->list;
	if (gp_db_open(db, db_path, e) != 0)
		return -1;
	/* any other name: one of the program's own profiles (goprof_profile_new), if any */
	int custom = 0;
	if (!gp_export_type_known(type)) {
		if ((found = gp_db_profile(db, type, &x->prof)) < 0)
			return -1;
		custom = found == 0 && x->prof.id >= GP_PROFILE_CUSTOM;
		if (!custom)
			return gp_err_usage(e, "unknown profile type '%s' (known: cpu, heap, allocs, "
					    "block, mutex, threadcreate, goroutine, and the "
					    "program's own profiles it made)", type);
	}

	/* heap and allocs are two views of one record: the allocs and frees profiles */
	int heap = strcmp(type, "heap") == 0 || strcmp(type, "allocs") == 0;
	/* threadcreate and goroutine come from the threads and snapshots, not samples */
	int threadcreate = strcmp(type, "threadcreate") == 0;
	/* a custom profile is, like goroutine, what was live at one time */
	int goroutine = strcmp(type, "goroutine") == 0;
	if (custom) {
		x->prof.rate = x->prof.period = 1;
	} else if (threadcreate || goroutine) {
		x->prof.id = threadcreate ? GP_PROFILE_THREADCREATE : GP_PROFILE_GOROUTINE;
		x->prof.rate = x->prof.period = 1;
		if (db->version < 2)
			return gp_errf(e, "%s: profile type '%s' not in this database (written by "
				       "an older goprof, schema %d)", db->path, type, db->version);
	} else if ((found = gp_db_profile(db, heap ? "allocs" : type, &x->prof)) != 0) {
		if (found < 0)
			return -1;
		return gp_errf(e, "%s: profile type '%s' not in this database", db->path, type);
	}
	if (q->at && !goroutine && !custom)
		return gp_err_usage(e, "--at applies to goroutine and custom profiles only (use "
				    "--from/--to)");
	if ((q->from || q->to) && (goroutine || custom))
		return gp_err_usage(e, "a %s profile is one snapshot: use --at, not --from/--to",
				    custom ? "custom" : "goroutine");

	int64_t first, last;
	if ((found = gp_db_bucket_span(db, x->prof.id, &first, &last)) < 0)
		return -1;
	int have = found == 0;
	/* the data ends at the last commit; without one, with the last bucket */
	int64_t end_ns = db->end_ns > db->start_ns ? db->end_ns :
		have ? db->start_ns + (last + 1) * db->bucket_ns : db->start_ns;
	x->from_ns = q->from_ns ? q->from_ns : db->start_ns;
	x->to_ns = q->to_ns ? q->to_ns : end_ns;
	if (q->from && gp_export_parse_time(q->from, db->start_ns, &x->from_ns) != 0)
		return gp_err_usage(e, "bad time '%s' for --from (RFC 3339, unix seconds or "
				    "+DURATION)", q->from);
	if (q->to && gp_export_parse_time(q->to, db->start_ns, &x->to_ns) != 0)
		return gp_err_usage(e, "bad time '%s' for --to (RFC 3339, unix seconds or "
				    "+DURATION)", q->to);
	if (x->from_ns < db->start_ns)
		x->from_ns = db->start_ns;
	if (x->to_ns > end_ns && !q->to_ns)
		x->to_ns = end_ns;

	char b1[64], b2[64], b3[64], b4[64];
	if ((has_from || has_to) && x->to_ns <= x->from_ns && !goroutine && !custom)
		return gp_errf(e, "%s: no %s samples between %s and %s (the data spans %s to %s)",
			       db->path, type, fmt_time(x->from_ns, b1, sizeof(b1)),
			       fmt_time(x->to_ns, b2, sizeof(b2)),
			       fmt_time(db->start_ns, b3, sizeof(b3)),
			       fmt_time(end_ns, b4, sizeof(b4)));

	/* the buckets that overlap [from, to); a merged row (retention) is taken whole */
	int64_t lo = gp_db_merged_floor(db, (x->from_ns - db->start_ns) / db->bucket_ns);
	int64_t hi = (x->to_ns - db->start_ns + db->bucket_ns - 1) / db->bucket_ns - 1;

	if (gp_db_load(db) != 0 || gp_err_zalloc(e, &x->sums, db->nstacks, sizeof(*x->sums)) ||
	    gp_err_zalloc(e, &x->frames, db->nstacks, sizeof(*x->frames)))
		return -1;
	int64_t rows = 0, more;
	if (threadcreate) {
		if (gp_db_threads(db, has_from ? x->from_ns : INT64_MIN,
				  has_to ? x->to_ns : INT64_MAX, &x->threads, &x->nthreads) < 0)
			return -1;
	} else if (goroutine) {
		int64_t at = q->to_ns ? q->to_ns : INT64_MAX, when, when0;
		if (q->at && gp_export_parse_time(q->at, db->start_ns, &at) != 0)
			return gp_err_usage(e, "bad time '%s' for --at (RFC 3339, unix seconds or "
					    "+DURATION)", q->at);
		if ((found = gp_db_snapshot(db, at, &when, &x->threads, &x->nthreads)) != 0) {
			if (found < 0)
				return -1;
			return gp_errf(e, "%s: no goroutine snapshot %s%s", db->path,
				       q->at ? "at or before " : "in this database",
				       q->at ? fmt_time(at, b1, sizeof(b1)) : "");
		}
		x->from_ns = x->to_ns = when;
		/* delta: what changed since the snapshot at the window's start */
		size_t n0 = 0;
		if (q->delta && q->from_ns) {
			if ((found = gp_db_snapshot(db, q->from_ns, &when0, &r->threads0, &n0)) < 0)
				return -1;
			if (found == 0) {
				for (size_t t = 0; t < n0; t++) {
					x->sums[r->threads0[t].stack].count--;
					x->sums[r->threads0[t].stack].value--;
				}
				x->from_ns = when0;
			}
		}
		if (group_threads(x, r->threads0, n0) != 0)
			return -1;
	}
	if (custom) {
		/* live at --at, or at the end; a delta: minus what was live at the start */
		int64_t at = q->to_ns ? q->to_ns : end_ns;
		if (q->at && gp_export_parse_time(q->at, db->start_ns, &at) != 0)
			return gp_err_usage(e, "bad time '%s' for --at (RFC 3339, unix seconds or "
					    "+DURATION)", q->at);
		if ((rows = gp_db_custom(db, x->prof.id, at, 1, x->sums)) < 0)
			return -1;
		x->from_ns = x->to_ns = at;
		if (q->delta && q->from_ns) {
			if (gp_db_custom(db, x->prof.id, q->from_ns, -1, x->sums) < 0)
				return -1;
			x->from_ns = q->from_ns;
		}
		rows += !rows;	/* no entries is an answer, not a missing window */
	} else if (threadcreate || goroutine) {
		for (size_t t = 0; t < x->nthreads; t++) {
			uint32_t s = threadcreate ? x->threads[t].create_stack : x->threads[t].stack;
			x->sums[s].count++;
			x->sums[s].value++;
		}
		rows = (int64_t)x->nthreads;
	} else if (have && hi >= lo) {
		if ((rows = gp_db_sum_samples(db, x->prof.id, lo, hi, x->sums)) < 0)
			return -1;
	}
	if (heap) {
		/*
		 * In use at the end of the range: everything allocated minus freed up to then;
		 * a delta counts only what the range itself allocated and freed.
		 */
		int64_t from_bucket = q->delta ? lo : 0;
		if (gp_err_zalloc(e, &r->freed, db->nstacks, sizeof(*r->freed)) ||
		    gp_err_zalloc(e, &x->inuse, db->nstacks, sizeof(*x->inuse)))
			return -1;
		if (have && hi >= from_bucket) {
			if ((more = gp_db_sum_samples(db, x->prof.id, from_bucket, hi,
						      x->inuse)) < 0 ||
			    gp_db_sum_samples(db, GP_PROFILE_FREES, from_bucket, hi, r->freed) < 0)
				return -1;
			rows += more;
		}
		if (gp_err_zalloc(e, &x->ever, db->nstacks, 1))
			return -1;
		for (size_t s = 0; s < db->nstacks; s++) {
			x->ever[s] = x->inuse[s].count > 0;
			x->inuse[s].count -= r->freed[s].count;
			x->inuse[s].value -= r->freed[s].value;
		}
	}
	if (q->label && keep_label(x, q->label) != 0)
		return -1;
	if (rows == 0 && (q->from || q->to))
		return gp_errf(e, "%s: no %s samples between %s and %s", db->path, type,
			       fmt_time(x->from_ns, b1, sizeof(b1)),
			       fmt_time(x->to_ns, b2, sizeof(b2)));

	const char *output = q->output ? q->output : "standard output";
	errno = 0;
	if (q->output) {
		r->out_fd = open(q->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (r->out_fd < 0)
			return io_failed(e, q->output);
		x->fd = r->out_fd;
	} else {
		x->fd = q->fd;
		if (ex->binary && q->refuse_terminal && isatty(x->fd))
			return gp_errf(e, "not writing a binary %s profile to a terminal; use -o "
				       "FILE or a redirection", ex->name);
		/* the stream closes its own copy: the caller's descriptor stays open */
		r->out_fd = dup(x->fd);
		if (r->out_fd < 0)
			return io_failed(e, output);
		x->fd = r->out_fd;
	}
	x->out = fdopen(x->fd, "w");
	if (!x->out)
		return io_failed(e, output);

	errno = 0;
	if (ex->write(x) != 0)
		return -1;

	if (fflush(x->out) != 0 || ferror(x->out))
		return io_failed(e, output);
	FILE *out = x->out;
	x->out = NULL;
	r->out_fd = -1;
	if (fclose(out) != 0)
		return io_failed(e, output);
	return 0;
}

int gp_export_run(const char *db_path, const struct gp_export_query *q, int fd, char *err,
		  size_t errlen)
{
	struct gp_err e = { .msg = err, .len = errlen };
	struct gp_export_query query = *q;
	struct run *r;
	int rc;

	if (errlen)
		err[0] = '\0';
	r = calloc(1, sizeof(*r));
	if (!r)
		return gp_err_oom(&e);
	r->out_fd = -1;
	query.fd = fd;
	rc = run_query(r, db_path, &query, &e);
	run_free(r);
	if (rc == 0)
		return 0;
	if (errlen && !err[0])
		snprintf(err, errlen, "failed to export the profile");
	return e.usage ? -2 : -1;
}

/* Runs a query that returns one integer; -1 on an error. */
static int64_t count_sql(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Opens db_path and runs fn on it; 0, or -1 with one line in err. */
static int with_db(const char *db_path, int (*fn)(struct gp_db *db, void *arg), void *arg,
		   char *err, size_t errlen)
{
	struct gp_err e = { .msg = err, .len = errlen };
	struct gp_db *db;
	int rc;

	if (errlen)
		err[0] = '\0';
	db = calloc(1, sizeof(*db));
	if (!db)
		return gp_err_oom(&e);
	rc = gp_db_open(db, db_path, &e) == 0 ? fn(db, arg) : -1;
	gp_db_close(db);
	free(db);
	return rc;
}

static int count(struct gp_db *db, void *arg)
{
	struct gp_export_counts *c = arg;

	c->heap = count_sql(db->db, "SELECT count(DISTINCT stack_id) FROM samples "
			    "WHERE profile = 2");
	c->block = count_sql(db->db, "SELECT count(DISTINCT stack_id) FROM samples "
			     "WHERE profile = 4");
	c->mutex = count_sql(db->db, "SELECT count(DISTINCT stack_id) FROM samples "
			     "WHERE profile = 5");
	if (db->version >= 2) {
		c->threadcreate = count_sql(db->db, "SELECT count(*) FROM threads");
		c->goroutine = count_sql(db->db, "SELECT count(*) FROM snapshot_threads WHERE "
					 "snapshot = (SELECT max(id) FROM snapshots)");
	}
	if (db->version < 4)
		return 0;
	sqlite3_stmt *st;
	/* each stack's newest count */
	if (sqlite3_prepare_v2(db->db, "SELECT name, (SELECT coalesce(sum(count), 0) FROM "
			       "custom_counts c WHERE c.profile = p.id AND c.time_ns = (SELECT "
			       "max(time_ns) FROM custom_counts d WHERE d.profile = p.id AND "
			       "d.stack_id = c.stack_id)) FROM profiles p WHERE id >= ?1 "
			       "ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int(st, 1, GP_PROFILE_CUSTOM);
	while (c->ncustom < GP_EXPORT_MAX_CUSTOM && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!name || strlen(name) >= sizeof(c->custom[0].name))
			continue;
		strcpy(c->custom[c->ncustom].name, name);
		c->custom[c->ncustom++].count = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return 0;
}

int gp_export_count(const char *db_path, struct gp_export_counts *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	return with_db(db_path, count, c, err, errlen);
}

static int buckets(struct gp_db *db, void *arg)
{
	int64_t *v = arg;

	v[0] = db->start_ns;
	v[1] = db->bucket_ns;
	return 0;
}

int gp_export_buckets(const char *db_path, int64_t *start_ns, int64_t *width_ns)
{
	char err[256];
	int64_t v[2] = { 0, 0 };

	if (with_db(db_path, buckets, v, err, sizeof(err)) != 0)
		return -1;
	*start_ns = v[0];
	*width_ns = v[1];
	return 0;
}
