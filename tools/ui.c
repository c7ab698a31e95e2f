/*
 * The web UI's data (ui.h): the timeline, the stacks JSON (-f json) the flame graph and top
 * table are drawn from, and the one-file HTML page (-f html). The page adds stacks up into
 * trees itself, so one answer serves the flame graph, the icicle, the top table, the label
 * filter, a search and a comparison of two windows without asking the server again.
 *
 * Everything here reports errors by return value: the in-process server runs it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gp-schema.h"
#include "errors.h"
#include "ui.h"

const struct gp_ui_asset *gp_ui_asset(const char *name)
{
	for (const struct gp_ui_asset *a = gp_ui_assets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

const char *gp_ui_content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "text/plain; charset=utf-8";
}

void gp_ui_json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

/* ---- the timeline ------------------------------------------------------------------------ */

/* The most points of a series: longer histories add neighbouring buckets up. */
#define TIMELINE_POINTS 20000
/* Threads drawn on their own in the CPU chart; the others add up in one "other" series. */
#define TIMELINE_THREADS 15
/* Threads the scan keeps apart before it picks the busiest (more go to "other" at once). */
#define TIMELINE_TRACKED 256

struct tl_thread {
	int64_t tid;
	int64_t total_ns;
	int64_t *ns;			/* [npoints] */
};

struct timeline {
	sqlite3 *db;
	int64_t start_ns, end_ns, bucket_ns;
	int64_t group;			/* buckets per point */
	size_t n;			/* points */
	struct tl_thread threads[TIMELINE_TRACKED + 1];	/* the last: "other" */
	size_t nthreads;
	int64_t *heap, *block, *mutex, *live;
	int64_t merged[3][3];		/* merged_buckets: first, end, width (retention) */
	size_t nmerged;
	const char *heap_source;
	char *err;
	size_t errlen;
};

static int tl_fail(struct timeline *t, const char *what)
{
	snprintf(t->err, t->errlen, "%s: %s", what, t->db ? sqlite3_errmsg(t->db) : "?");
	return -1;
}

static int64_t *tl_series(struct timeline *t)
{
	return calloc(t->n ? t->n : 1, sizeof(int64_t));
}

static size_t tl_point(const struct timeline *t, int64_t bucket)
{
	if (bucket < 0)
		return 0;
	size_t p = (size_t)(bucket / t->group);
	return p < t->n ? p : t->n - 1;
}

/*
 * Adds v, the value of a samples row of bucket b, to series s: a row retention merged
 * (merged_buckets) is spread evenly over the buckets it stands for.
 */
static void tl_add(const struct timeline *t, int64_t *s, int64_t b, int64_t v)
{
	int64_t w = 1;

	for (size_t i = 0; i < t->nmerged; i++)
		if (t->merged[i][0] <= b && b < t->merged[i][1] && t->merged[i][2] > 1)
			w = t->merged[i][2];
	if (w == 1) {
		s[tl_point(t, b)] += v;
		return;
	}
	int64_t given = 0;
	for (size_t p = tl_point(t, b), last = tl_point(t, b + w - 1); p <= last; p++) {
		int64_t lo = (int64_t)p * t->group, hi = lo + t->group;
		lo = lo > b ? lo : b;
		hi = hi < b + w ? hi : b + w;
		/* the last point takes what rounding left, so the sum stays v */
		int64_t part = p == last ? v - given :
					   (int64_t)((double)v * (double)(hi - lo) / (double)w);
		s[p] += part;
		given += part;
	}
}

/* One integer from sql; def when there is no row or it is NULL. */
static int64_t tl_int(struct timeline *t, const char *sql, int64_t def)
{
	sqlite3_stmt *st;
	int64_t v = def;

	if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL) != SQLITE_OK)
		return def;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Adds sum(value) * scale of a profile per point into s; -1 on a database error. */
static int tl_profile_sum(struct timeline *t, int profile, int64_t scale, int64_t *s)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(t->db, "SELECT bucket, sum(value) FROM samples WHERE profile = ?1 "
			       "GROUP BY bucket", -1, &st, NULL) != SQLITE_OK)
		return tl_fail(t, "samples");
	sqlite3_bind_int(st, 1, profile);
	while (sqlite3_step(st) == SQLITE_ROW)
		tl_add(t, s, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) * scale);
	sqlite3_finalize(st);
	return 0;
}

static struct tl_thread *tl_thread(struct timeline *t, int64_t tid)
{
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return &t->threads[i];
	if (t->nthreads < TIMELINE_TRACKED) {
		struct tl_thread *th = &t->threads[t->nthreads];
		th->ns = tl_series(t);
		if (th->ns) {
			th->tid = tid;
			t->nthreads++;
			return th;
		}
	}
	return &t->threads[TIMELINE_TRACKED];
}

/*
 * CPU ns per point and thread: one pass over the per-thread totals the writer keeps, or,
 * in a database from before them, over every CPU row, in key order.
 */
static int tl_cpu(struct timeline *t)
{
	sqlite3_stmt *st;

	t->threads[TIMELINE_TRACKED].tid = -1;
	if (!(t->threads[TIMELINE_TRACKED].ns = tl_series(t)))
		return -1;
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM samples WHERE profile = %d)",
		 GP_PROFILE_CPU_THREADS);
	int totals = tl_int(t, sql, 0);
	if (sqlite3_prepare_v2(t->db, "SELECT bucket, tid, value FROM samples WHERE profile = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return tl_fail(t, "samples");
	sqlite3_bind_int(st, 1, totals ? GP_PROFILE_CPU_THREADS : GP_PROFILE_CPU);
	struct tl_thread *last = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(st, 1), v = sqlite3_column_int64(st, 2);
		if (!last || last->tid != tid)
			last = tl_thread(t, tid);
		tl_add(t, last->ns, sqlite3_column_int64(st, 0), v);
		last->total_ns += v;
	}
	sqlite3_finalize(st);
	return 0;
}

static int by_total(const void *a, const void *b)
{
	const struct tl_thread *l = a, *r = b;

	return (l->total_ns < r->total_ns) - (l->total_ns > r->total_ns);
}

/* Heap in use: the allocator's own figure where the writer stored it, else the samples'. */
static int tl_heap(struct timeline *t, int version)
{
	sqlite3_stmt *st;
	size_t seen = 0;

	t->heap_source = "none";
	if (version >= 2 && sqlite3_prepare_v2(t->db, "SELECT time_ns, live_bytes FROM heapstats "
					       "ORDER BY time_ns", -1, &st, NULL) == SQLITE_OK) {
		unsigned char *set = calloc(t->n, 1);
		if (!set) {
			sqlite3_finalize(st);
			return -1;
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t b = (sqlite3_column_int64(st, 0) - t->start_ns) / t->bucket_ns;
			size_t p = tl_point(t, b);
			t->heap[p] = sqlite3_column_int64(st, 1);
			set[p] = 1;
			seen++;
		}
		sqlite3_finalize(st);
		/* between two commits the heap is what the last one saw */
		for (size_t p = 1; seen && p < t->n; p++)
			if (!set[p])
				t->heap[p] = t->heap[p - 1];
		free(set);
		if (seen) {
			t->heap_source = "heapstats";
			return 0;
		}
	}
	int64_t rate = tl_int(t, "SELECT rate FROM profiles WHERE id = 2", 0);
	if (rate <= 0)
		return 0;
	/* sampled bytes allocated less freed, scaled up as one average block would be */
	if (tl_profile_sum(t, GP_PROFILE_ALLOCS, 1, t->heap) ||
	    tl_profile_sum(t, GP_PROFILE_FREES, -1, t->heap))
		return -1;
	int64_t count = tl_int(t, "SELECT sum(count) FROM samples WHERE profile = 2", 0);
	int64_t bytes = tl_int(t, "SELECT sum(value) FROM samples WHERE profile = 2", 0);
	int64_t v[2];
	gp_export_unsample(count, bytes, rate, v);
	double scale = bytes > 0 ? (double)v[1] / (double)bytes : 1;
	int64_t run = 0;
	for (size_t p = 0; p < t->n; p++) {
		run += t->heap[p];
		t->heap[p] = (int64_t)((double)run * scale);
	}
	t->heap_source = "samples";
	return 0;
}

/* Live threads per point, from their start and end. */
static int tl_live(struct timeline *t)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(t->db, "SELECT start_ns, end_ns FROM threads", -1, &st, NULL) !=
	    SQLITE_OK)
		return 0;	/* schema 1: no threads table */
	int64_t *d = tl_series(t);
	if (!d) {
		sqlite3_finalize(st);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t s = sqlite3_column_int64(st, 0);
		size_t a = s > t->start_ns ? tl_point(t, (s - t->start_ns) / t->bucket_ns) : 0;
		d[a]++;
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			int64_t e = sqlite3_column_int64(st, 1);
			size_t b = tl_point(t, (e - t->start_ns) / t->bucket_ns);
			if (b + 1 < t->n && b >= a)
				d[b + 1]--;
		}
	}
	sqlite3_finalize(st);
	int64_t run = 0;
	for (size_t p = 0; p < t->n; p++) {
		run += d[p];
		t->live[p] = run;
	}
	free(d);
	return 0;
}

static void tl_array(FILE *f, const char *name, const int64_t *s, size_t n)
{
	fprintf(f, ",\n\"%s\":[", name);
	for (size_t p = 0; p < n; p++)
		fprintf(f, p ? ",%lld" : "%lld", (long long)s[p]);
	putc(']', f);
}

/* The names of the threads drawn, from the threads table (last name seen). */
static void tl_thread_name(struct timeline *t, int64_t tid, FILE *f)
{
	sqlite3_stmt *st;
	const char *name = NULL;

	if (sqlite3_prepare_v2(t->db, "SELECT name FROM threads WHERE tid = ?1 ORDER BY start_ns "
			       "DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, tid);
		if (sqlite3_step(st) == SQLITE_ROW)
			name = (const char *)sqlite3_column_text(st, 0);
	}
	gp_ui_json_str(f, name ? name : "");
	if (st)
		sqlite3_finalize(st);
}

static void tl_write(struct timeline *t, int version, FILE *f)
{
	fprintf(f, "{\"start_ns\":%lld,\"end_ns\":%lld,\"bucket_ns\":%lld,\"points\":%zu,"
		"\n\"profiles\":[", (long long)t->start_ns, (long long)t->end_ns,
		(long long)(t->bucket_ns * t->group), t->n);
	static const struct {
		int id;
		const char *names;
	} profs[] = {
		{ GP_PROFILE_CPU, "\"cpu\"" },
		{ GP_PROFILE_ALLOCS, "\"heap\",\"allocs\"" },
		{ GP_PROFILE_BLOCK, "\"block\"" },
		{ GP_PROFILE_MUTEX, "\"mutex\"" },
	};
	int first = 1;
	for (size_t i = 0; i < sizeof(profs) / sizeof(profs[0]); i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM profiles WHERE id = %d",
			 profs[i].id);
		if (tl_int(t, sql, 0) > 0) {
			fprintf(f, "%s%s", first ? "" : ",", profs[i].names);
			first = 0;
		}
	}
	if (version >= 2)
		fprintf(f, "%s\"threadcreate\",\"goroutine\"", first ? "" : ",");
	fputs("],\n\"cpu\":[", f);
	qsort(t->threads, t->nthreads, sizeof(t->threads[0]), by_total);
	struct tl_thread *other = &t->threads[TIMELINE_TRACKED];
	for (size_t i = TIMELINE_THREADS; i < t->nthreads; i++)
		for (size_t p = 0; p < t->n; p++)
			other->ns[p] += t->threads[i].ns[p];
	for (size_t i = TIMELINE_THREADS; i < t->nthreads; i++)
		other->total_ns += t->threads[i].total_ns;
	size_t shown = t->nthreads < TIMELINE_THREADS ? t->nthreads : TIMELINE_THREADS;
	for (size_t i = 0; i <= shown; i++) {
		struct tl_thread *th = i < shown ? &t->threads[i] : other;
		if (i == shown && !other->total_ns)
			break;
		fprintf(f, "%s\n{\"tid\":%lld,\"name\":", i ? "," : "", (long long)th->tid);
		if (i < shown)
			tl_thread_name(t, th->tid, f);
		else
			fputs("\"other threads\"", f);
		tl_array(f, "ns", th->ns, t->n);
		putc('}', f);
	}
	fprintf(f, "],\n\"heap_source\":\"%s\"", t->heap_source);
	tl_array(f, "heap_bytes", t->heap, t->n);
	tl_array(f, "block_ns", t->block, t->n);
	tl_array(f, "mutex_ns", t->mutex, t->n);
	tl_array(f, "threads", t->live, t->n);
	fputs("}\n", f);
}

static int tl_build(struct timeline *t, const char *db_path, FILE *out)
{
	if (sqlite3_open_v2(db_path, &t->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return tl_fail(t, db_path);
	sqlite3_busy_timeout(t->db, 2000);
	if (tl_int(t, "PRAGMA application_id", 0) != GP_SCHEMA_APPLICATION_ID) {
		snprintf(t->err, t->errlen, "%s: not a goprof database", db_path);
		return -1;
	}
	int version = (int)tl_int(t, "PRAGMA user_version", 0);
	if (version > GP_SCHEMA_VERSION) {
		snprintf(t->err, t->errlen, "%s: schema version %d is newer than this goprof's (%d)",
			 db_path, version, GP_SCHEMA_VERSION);
		return -1;
	}
	t->start_ns = tl_int(t, "SELECT start_ns FROM process WHERE id = 1", -1);
	t->bucket_ns = tl_int(t, "SELECT bucket_ns FROM process WHERE id = 1", 0);
	t->end_ns = tl_int(t, "SELECT end_ns FROM process WHERE id = 1", 0);
	if (t->start_ns < 0 || t->bucket_ns <= 0) {
		snprintf(t->err, t->errlen, "%s: no process row", db_path);
		return -1;
	}
	/* the last bucket of any profile: each is one look-up of the samples key */
	int64_t last = -1;
	static const int ids[] = { GP_PROFILE_CPU, GP_PROFILE_ALLOCS, GP_PROFILE_FREES,
				   GP_PROFILE_BLOCK, GP_PROFILE_MUTEX };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char sql[80];
		snprintf(sql, sizeof(sql), "SELECT max(bucket) FROM samples WHERE profile = %d",
			 ids[i]);
		int64_t b = tl_int(t, sql, -1);
		last = b > last ? b : last;
	}
	int64_t buckets = last + 1;
	if (t->end_ns > t->start_ns) {
		int64_t e = (t->end_ns - t->start_ns + t->bucket_ns - 1) / t->bucket_ns;
		buckets = e > buckets ? e : buckets;
	}
	if (buckets < 1)
		buckets = 1;
	if (t->end_ns < t->start_ns + buckets * t->bucket_ns)
		t->end_ns = t->start_ns + buckets * t->bucket_ns;
	sqlite3_stmt *st;
	if (version >= 5 && sqlite3_prepare_v2(t->db, "SELECT first_bucket, end_bucket, width "
					       "FROM merged_buckets ORDER BY 1", -1, &st,
					       NULL) == SQLITE_OK) {
		for (; t->nmerged < 3 && sqlite3_step(st) == SQLITE_ROW; t->nmerged++)
			for (int i = 0; i < 3; i++)
				t->merged[t->nmerged][i] = sqlite3_column_int64(st, i);
		sqlite3_finalize(st);
	}
	t->group = (buckets + TIMELINE_POINTS - 1) / TIMELINE_POINTS;
	t->n = (size_t)((buckets + t->group - 1) / t->group);
	t->heap = tl_series(t);
	t->block = tl_series(t);
	t->mutex = tl_series(t);
	t->live = tl_series(t);
	if (!t->heap || !t->block || !t->mutex || !t->live) {
		snprintf(t->err, t->errlen, "out of memory");
		return -1;
	}
	int64_t fraction = tl_int(t, "SELECT rate FROM profiles WHERE id = 5", 1);
	if (tl_cpu(t) || tl_heap(t, version) || tl_profile_sum(t, GP_PROFILE_BLOCK, 1, t->block) ||
	    tl_profile_sum(t, GP_PROFILE_MUTEX, fraction > 1 ? fraction : 1, t->mutex) ||
	    tl_live(t)) {
		if (!*t->err)
			snprintf(t->err, t->errlen, "out of memory");
		return -1;
	}
	tl_write(t, version, out);
	return 0;
}

int gp_ui_timeline(const char *db_path, FILE *out, char *err, size_t errlen)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->err = err;
	t->errlen = errlen;
	*err = '\0';
	int rc = tl_build(t, db_path, out);
	for (size_t i = 0; i < t->nthreads; i++)
		free(t->threads[i].ns);
	free(t->threads[TIMELINE_TRACKED].ns);
	free(t->heap);
	free(t->block);
	free(t->mutex);
	free(t->live);
	sqlite3_close(t->db);
	free(t);
	return rc;
}

/* ---- the stacks of one profile and window (-f json) ----------------------------------- */

void gp_ui_sample_types(const struct gp_export *x, const char *names[2], const char *units[2])
{
	int heap = strcmp(x->type, "heap") == 0;

	switch (x->prof.id) {
	case GP_PROFILE_CPU:
		names[0] = "samples", units[0] = "count";
		names[1] = "cpu", units[1] = "nanoseconds";
		break;
	case GP_PROFILE_ALLOCS:
		names[0] = heap ? "inuse_objects" : "alloc_objects", units[0] = "count";
		names[1] = heap ? "inuse_space" : "alloc_space", units[1] = "bytes";
		break;
	case GP_PROFILE_BLOCK:
	case GP_PROFILE_MUTEX:
		names[0] = "contentions", units[0] = "count";
		names[1] = "delay", units[1] = "nanoseconds";
		break;
	default:
		names[0] = names[1] = x->type;
		units[0] = units[1] = "count";
	}
}

long long gp_ui_scale(const struct gp_export *x)
{
	return x->prof.id == GP_PROFILE_MUTEX && x->prof.rate > 1 ? x->prof.rate : 1;
}

void gp_ui_json_window(const struct gp_export *x, FILE *f)
{
	const char *names[2], *units[2];

	gp_ui_sample_types(x, names, units);
	fputs("\"type\":", f);
	gp_ui_json_str(f, x->type);
	fprintf(f, ",\"from_ns\":%lld,\"to_ns\":%lld,\"start_ns\":%lld,\"sample_types\":[",
		(long long)x->from_ns, (long long)x->to_ns, (long long)x->db->start_ns);
	for (int i = 0; i < 2; i++) {
		fputs(i ? ",[" : "[", f);
		gp_ui_json_str(f, names[i]);
		putc(',', f);
		gp_ui_json_str(f, units[i]);
		putc(']', f);
	}
	putc(']', f);
}

/*
 * {"type", "from_ns", "to_ns", "sample_types": [[name, unit], [name, unit]],
 *  "funcs": [[name, "file:line"], ...], "label_sets": [{key: value, ...}, ...],
 *  "stacks": [[count, value, label set, [function, ...root first]], ...]}
 * Functions and label sets are numbered in the order their first stack names them.
 */
static int write_stacks(struct gp_export *x, FILE *f)
{
	int rc = -1;
	struct gp_db *db = x->db;
	uint32_t *fidx = calloc(db->nfuncs + 1, sizeof(*fidx));
	uint32_t *lidx = calloc(db->nlabels + 1, sizeof(*lidx));
	uint32_t *order = calloc(db->nfuncs + 1, sizeof(*order));
	uint32_t *lorder = calloc(db->nlabels + 1, sizeof(*lorder));	/* set -> a stack */
	long long scale = gp_ui_scale(x);
	uint32_t nf = 0, nl = 1;	/* label set 0: none */

	if (!fidx || !lidx || !order || !lorder) {
		gp_err_oom(x->err);
		goto out_free;
	}
	gp_export_heap_view(x);
	putc('{', f);
	gp_ui_json_window(x, f);
	fputs(",\n\"stacks\":[", f);
	int first = 1;
	for (uint32_t s = 0; s < db->nstacks; s++) {
		if (!x->sums[s].count && !x->sums[s].value)
			continue;
		uint32_t set = s ? db->stack_labels[s] : 0, li = 0;
		if (set && set < db->nlabels + 1) {
			if (!lidx[set]) {
				lorder[nl] = s;	/* a stack with that set */
				lidx[set] = nl++;
			}
			li = lidx[set];
		}
		fprintf(f, "%s\n[%lld,%lld,%u,[", first ? "" : ",",
			(long long)x->sums[s].count * scale, (long long)x->sums[s].value * scale,
			li);
		first = 0;
		size_t n = s ? gp_export_frames(x, s) : 0;
		while (n--) {
			uint32_t fn = x->frames[n];
			if (!fidx[fn]) {
				order[nf] = fn;
				fidx[fn] = ++nf;
			}
			fprintf(f, n ? "%u," : "%u", fidx[fn] - 1);
		}
		fputs("]]", f);
	}
	fputs("],\n\"funcs\":[", f);
	for (uint32_t i = 0; i < nf; i++) {
		const struct gp_db_func *fn = &db->funcs[order[i]];
		char where[512];
		fputs(i ? ",\n[" : "\n[", f);
		gp_ui_json_str(f, fn->name);
		putc(',', f);
		gp_ui_json_str(f, gp_db_func_where(db, fn, where, sizeof(where)));
		putc(']', f);
	}
	fputs("],\n\"label_sets\":[{}", f);
	for (uint32_t i = 1; i < nl; i++) {
		struct gp_db_label set[GP_EXPORT_MAX_LABELS];
		size_t n = gp_db_label_set(db, lorder[i], set, GP_EXPORT_MAX_LABELS);
		fputs(",{", f);
		for (size_t k = 0; k < n; k++) {
			if (k)
				putc(',', f);
			gp_ui_json_str(f, set[k].key);
			putc(':', f);
			gp_ui_json_str(f, set[k].value);
		}
		putc('}', f);
	}
	fputs("]}\n", f);
	rc = 0;
out_free:
	free(fidx);
	free(lidx);
	free(order);
	free(lorder);
	return rc;
}

static int write_json(struct gp_export *x)
{
	return write_stacks(x, x->out);
}

const struct gp_exporter gp_exporter_json = {
	.name = "json",
	.binary = 0,
	.write = write_json,
};

/* ---- one self-contained HTML file (-f html) ------------------------------------------- */

/* Writes asset name into f inside the element tag ("script", "style"). */
static void inline_asset(FILE *f, const char *tag, const char *name)
{
	const struct gp_ui_asset *a = gp_ui_asset(name);

	fprintf(f, "<%s>\n", tag);
	if (a)
		fwrite(a->data, 1, a->len, f);
	fprintf(f, "\n</%s>\n", tag);
}

/*
 * The page of the server (index.html) with every <script src> and stylesheet <link> it
 * names replaced by the file itself, and the data where the page marks them: a file that
 * needs nothing else, for CI artifacts and mail.
 */
static int write_html(struct gp_export *x)
{
	const struct gp_ui_asset *page = gp_ui_asset("index.html");
	const char *p = page ? (const char *)page->data : "";
	const char *end = p + (page ? page->len : 0);
	FILE *f = x->out;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *s = p;
		while (s < p + len && (*s == ' ' || *s == '\t'))
			s++;
		char name[64];
		if (sscanf(s, "<script src=\"%63[^\"]\"></script>", name) == 1) {
			inline_asset(f, "script", name);
		} else if (sscanf(s, "<link rel=\"stylesheet\" href=\"%63[^\"]\">", name) == 1) {
			inline_asset(f, "style", name);
		} else if (strncmp(s, "<!-- goprof data -->", 20) == 0) {
			fputs("<script>\nvar GOPROF_DATA = ", f);
			if (write_stacks(x, f) != 0)
				return -1;
			fputs("</script>\n", f);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
	}
	return 0;
}

const struct gp_exporter gp_exporter_html = {
	.name = "html",
	.binary = 0,
	.write = write_html,
};
