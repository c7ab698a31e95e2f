/*
 * Reading a goprof database (see db.h and lib/gp-schema.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "db.h"
#include "errors.h"
#include "gp-schema.h"

/* Fails with what SQLite says; -1. */
static int sql_failed(struct gp_db *db, const char *what)
{
	return gp_errf(db->err, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

/* A prepared statement, or NULL with the failure in db->err. */
static sqlite3_stmt *prepare(struct gp_db *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sql_failed(db, "reading the database failed");
		return NULL;
	}
	return st;
}

/* A one-number query into *v; 0 or -1. */
static int pragma_int(struct gp_db *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out_fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
out_fail:
	if (sqlite3_errcode(db->db) == SQLITE_NOTADB)
		return gp_errf(db->err, "%s: not a goprof database", db->path);
	return sql_failed(db, "cannot read the database");
}

/* A column as an interned string ("" for NULL); NULL with db->err set when out of memory. */
static const char *col_str(struct gp_db *db, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	int64_t i = gp_strtab_add_len(&db->strs, s ? (const char *)s : "",
				      s ? (size_t)sqlite3_column_bytes(st, col) : 0);

	if (i < 0) {
		gp_err_oom(db->err);
		return NULL;
	}
	return db->strs.strs[i];
}

/* Steps st over its rows with each_row; 0 at the end, -1 on a failure (st finalized). */
static int each_row(struct gp_db *db, sqlite3_stmt *st, const char *what,
		    int (*row)(struct gp_db *db, sqlite3_stmt *st, void *arg), void *arg)
{
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(db, st, arg) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	if (rc != SQLITE_DONE) {
		sql_failed(db, what);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static int process_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	int *seen = arg;

	*seen = 1;
	db->pid = sqlite3_column_int64(st, 0);
	if (!(db->exe = col_str(db, st, 1)) || !(db->build_id = col_str(db, st, 2)) ||
	    !(db->hostname = col_str(db, st, 3)))
		return -1;
	db->start_ns = sqlite3_column_int64(st, 4);
	db->end_ns = sqlite3_column_int64(st, 5);
	db->bucket_ns = sqlite3_column_int64(st, 6);
	if (db->bucket_ns <= 0)
		return gp_errf(db->err, "%s: corrupt goprof database (bucket width %lld)",
			       db->path, (long long)db->bucket_ns);
	return 0;
}

static int load_process(struct gp_db *db)
{
	int seen = 0;

	if (each_row(db, prepare(db, "SELECT pid, exe, build_id, hostname, start_ns, end_ns, "
				 "bucket_ns FROM process WHERE id = 1"),
		     "reading the process row failed", process_row, &seen) != 0)
		return -1;
	if (!seen)
		return gp_errf(db->err, "%s: not a goprof database (no process row)", db->path);
	return 0;
}

const char *gp_db_func_where(const struct gp_db *db, const struct gp_db_func *f, char *buf,
			     size_t size)
{
	if (*f->file)
		snprintf(buf, size, "%s:%lld", f->file, (long long)f->start_line);
	else if (f->mapping_id && f->mapping_id < db->nmaps && db->maps[f->mapping_id].present)
		snprintf(buf, size, "%s", db->maps[f->mapping_id].path);
	else
		snprintf(buf, size, "?:0");
	return buf;
}

int gp_db_looks_like_sqlite(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f = fopen(path, "rb");
	int yes = f && fread(head, 1, sizeof(head), f) == sizeof(head) &&
		  memcmp(head, magic, sizeof(magic)) == 0;

	if (f)
		fclose(f);
	return yes;
}

int gp_db_open(struct gp_db *db, const char *path, struct gp_err *err)
{
	struct stat sb;
	int64_t app, version;

	memset(db, 0, sizeof(*db));
	db->path = path;
	db->err = err;
	if (stat(path, &sb) != 0)
		return gp_errf(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return gp_errf(err, "%s: not a goprof database (not a regular file)", path);
	if (gp_strtab_init(&db->strs) != 0)
		return gp_err_oom(err);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return sql_failed(db, "cannot open");
	/*
	 * Readers opening a WAL database at the same moment (the web UI's page asks for its
	 * timeline and stacks at once) may find another one rebuilding the shared index: wait
	 * for it, as the timeline's reader does, rather than fail with "database is locked".
	 */
	sqlite3_busy_timeout(db->db, 2000);
	/*
	 * One read transaction for the handle's whole life: a live database gets commits
	 * while it is read, and arrays sized by one query are filled by another. WAL keeps
	 * this snapshot for the reader; gp_db_close() ends it.
	 */
	if (sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return sql_failed(db, "cannot begin reading");
	if (pragma_int(db, "SELECT count(*) FROM sqlite_master", &app) != 0 ||
	    pragma_int(db, "PRAGMA application_id", &app) != 0 ||
	    pragma_int(db, "PRAGMA user_version", &version) != 0)
		return -1;
	db->version = (int)version;
	if (app != GP_SCHEMA_APPLICATION_ID)
		return gp_errf(err, "%s: not a goprof database", path);
	if (db->version > GP_SCHEMA_VERSION)
		return gp_errf(err, "%s: written by a newer goprof (schema %d, this reads up to %d)",
			       path, db->version, GP_SCHEMA_VERSION);
	if (db->version < 1)
		return gp_errf(err, "%s: corrupt goprof database (schema version %d)", path,
			       db->version);
	return load_process(db);
}

int gp_db_profile(struct gp_db *db, const char *name, struct gp_db_profile *out)
{
	sqlite3_stmt *st = prepare(db, "SELECT id, rate, period, start_ns FROM profiles "
				   "WHERE name = ?1");
	int rc = 1;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->id = sqlite3_column_int(st, 0);
		out->rate = sqlite3_column_int64(st, 1);
		out->period = sqlite3_column_int64(st, 2);
		out->start_ns = sqlite3_column_int64(st, 3);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int gp_db_bucket_span(struct gp_db *db, int profile, int64_t *first, int64_t *last)
{
	/* two subqueries: each is one look-up of the key, a min() and max() together a scan */
	sqlite3_stmt *st = prepare(db, "SELECT (SELECT min(bucket) FROM samples WHERE profile = ?1), "
				   "(SELECT max(bucket) FROM samples WHERE profile = ?1)");
	int rc = 1;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, profile);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*first = sqlite3_column_int64(st, 0);
		*last = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int64_t gp_db_merged_floor(struct gp_db *db, int64_t bucket)
{
	if (db->version < 5)
		return bucket;
	sqlite3_stmt *st = prepare(db, "SELECT first_bucket, width FROM merged_buckets WHERE "
				   "first_bucket <= ?1 AND ?1 < end_bucket");
	if (!st)
		return bucket;
	sqlite3_bind_int64(st, 1, bucket);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(st, 0), width = sqlite3_column_int64(st, 1);
		/* width 0: deleted, what is left of it is in its first bucket */
		bucket = width > 0 ? first + (bucket - first) / width * width : first;
	}
	sqlite3_finalize(st);
	return bucket;
}

/*
 * Highest id in a table + 1, as an array size, into *span. The writer hands ids out densely
 * from 1, so an id far beyond the number of rows is no reason to allocate gigabytes:
 * retention (GOPROF_DB_RETAIN) deletes the rows nothing refers to any more and leaves gaps.
 * Then (ids not NULL) the rows are numbered 1.. in id order, *ids gets their database ids
 * and *span is the number of rows + 1 (db_index() turns an id into its number).
 */
static int id_span(struct gp_db *db, const char *table, size_t *span, int64_t **ids)
{
	char sql[96];
	sqlite3_stmt *st;
	int64_t max = 0, rows = 0;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0), count(*) FROM %s", table);
	if (!(st = prepare(db, sql)))
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sql_failed(db, "reading the database failed");
		sqlite3_finalize(st);
		return -1;
	}
	max = sqlite3_column_int64(st, 0);
	rows = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (max < 0 || max > (int64_t)UINT32_MAX - 1 || (!ids && max > 2 * rows + 1024))
		return gp_errf(db->err, "%s: corrupt goprof database (%s id %lld with %lld rows)",
			       db->path, table, (long long)max, (long long)rows);
	*span = (size_t)max + 1;
	if (!ids || max <= 2 * rows + 1024)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT id FROM %s ORDER BY id", table);
	if (gp_err_zalloc(db->err, ids, (size_t)rows + 1, sizeof(**ids)) || !(st = prepare(db, sql)))
		return -1;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < (size_t)rows)
		(*ids)[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_failed(db, "reading the database failed");
	*span = n + 1;
	return 0;
}

/*
 * The array index of a row id (id_span): the id itself without gaps, else its number;
 * span (out of range: the callers' checks report it) when there is no such row, and 0 or
 * a negative id as it is.
 */
static int64_t db_index(const int64_t *ids, size_t span, int64_t id)
{
	if (!ids || id <= 0)
		return id;
	size_t lo = 0, hi = span - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < span - 1 && ids[lo] == id ? (int64_t)lo + 1 : (int64_t)span;
}

static int corrupt_row(struct gp_db *db, const char *table, int64_t id)
{
	return gp_errf(db->err, "%s: corrupt goprof database (%s row %lld)", db->path, table,
		       (long long)id);
}

static int mapping_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	int64_t id = sqlite3_column_int64(st, 0);
	struct gp_db_mapping *m;

	(void)arg;
	if (id <= 0)
		return 0;
	if ((size_t)id >= db->nmaps)
		return corrupt_row(db, "mapping", id);
	m = &db->maps[id];
	if (!(m->path = col_str(db, st, 1)) || !(m->build_id = col_str(db, st, 2)))
		return -1;
	m->start = (uint64_t)sqlite3_column_int64(st, 3);
	m->limit = (uint64_t)sqlite3_column_int64(st, 4);
	m->offset = (uint64_t)sqlite3_column_int64(st, 5);
	m->present = 1;
	return 0;
}

static int function_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	int64_t id = db_index(db->func_ids, db->nfuncs, sqlite3_column_int64(st, 0));
	struct gp_db_func *f;
	int64_t name_idx;

	(void)arg;
	if (id <= 0)
		return 0;
	if ((size_t)id >= db->nfuncs)
		return corrupt_row(db, "function", id);
	f = &db->funcs[id];
	if (!(f->name = col_str(db, st, 1)) || !(f->file = col_str(db, st, 2)))
		return -1;
	if ((name_idx = gp_strtab_add(&db->strs, f->name)) < 0)
		return gp_err_oom(db->err);
	f->name_idx = (uint32_t)name_idx;
	f->start_line = sqlite3_column_int64(st, 3);
	f->kind = sqlite3_column_int(st, 4);
	int64_t m = sqlite3_column_int64(st, 5);
	f->mapping_id = m > 0 && (size_t)m < db->nmaps && db->maps[m].present ? (uint32_t)m : 0;
	f->present = 1;
	return 0;
}

static int label_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	int64_t id = db_index(db->label_ids, db->nlabels, sqlite3_column_int64(st, 0));
	int64_t parent = db_index(db->label_ids, db->nlabels, sqlite3_column_int64(st, 1));

	(void)arg;
	if (id <= 0 || (size_t)id >= db->nlabels || parent < 0 || parent >= id)
		return corrupt_row(db, "labels", id);
	db->label_parent[id] = (uint32_t)parent;
	if (!(db->label_key[id] = col_str(db, st, 2)) ||
	    !(db->label_value[id] = col_str(db, st, 3)))
		return -1;
	return 0;
}

static int stack_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	int64_t raw = sqlite3_column_int64(st, 0);
	int64_t id = db_index(db->stack_ids, db->nstacks, raw);
	int64_t parent = db_index(db->stack_ids, db->nstacks, sqlite3_column_int64(st, 1));
	int64_t fn = db_index(db->func_ids, db->nfuncs, sqlite3_column_int64(st, 2));
	int64_t lab = db_index(db->label_ids, db->nlabels, sqlite3_column_int64(st, 3));
	int64_t addr = sqlite3_column_int64(st, 4);

	(void)arg;
	/* parent < id keeps every walk to the root finite */
	if (id <= 0 || (size_t)id >= db->nstacks || parent < 0 || parent >= id || fn <= 0 ||
	    (size_t)fn >= db->nfuncs || !db->funcs[fn].present || lab < 0 ||
	    (size_t)lab >= db->nlabels || (lab && !db->label_key[lab]))
		return corrupt_row(db, "stack", raw);
	db->stack_parent[id] = (uint32_t)parent;
	db->stack_func[id] = (uint32_t)fn;
	db->stack_labels[id] = (uint32_t)lab;
	db->stack_addr[id] = (uint64_t)addr;
	return 0;
}

int gp_db_load(struct gp_db *db)
{
	if (id_span(db, "mappings", &db->nmaps, NULL) ||
	    gp_err_zalloc(db->err, &db->maps, db->nmaps, sizeof(*db->maps)) ||
	    each_row(db, prepare(db, "SELECT id, path, build_id, mem_start, mem_limit, "
				 "file_offset FROM mappings"),
		     "reading mappings failed", mapping_row, NULL))
		return -1;
	if (id_span(db, "functions", &db->nfuncs, &db->func_ids) ||
	    gp_err_zalloc(db->err, &db->funcs, db->nfuncs, sizeof(*db->funcs)) ||
	    each_row(db, prepare(db, "SELECT id, name, file, start_line, kind, mapping_id "
				 "FROM functions"),
		     "reading functions failed", function_row, NULL))
		return -1;

	/* label sets (schema 4) before the stacks that name them */
	db->nlabels = 1;
	if (db->version >= 4 && id_span(db, "labels", &db->nlabels, &db->label_ids))
		return -1;
	if (gp_err_zalloc(db->err, &db->label_parent, db->nlabels, sizeof(*db->label_parent)) ||
	    gp_err_zalloc(db->err, &db->label_key, db->nlabels, sizeof(*db->label_key)) ||
	    gp_err_zalloc(db->err, &db->label_value, db->nlabels, sizeof(*db->label_value)))
		return -1;
	if (db->version >= 4 &&
	    each_row(db, prepare(db, "SELECT id, parent, key, value FROM labels"),
		     "reading labels failed", label_row, NULL))
		return -1;

	if (id_span(db, "stacks", &db->nstacks, &db->stack_ids) ||
	    gp_err_zalloc(db->err, &db->stack_parent, db->nstacks, sizeof(*db->stack_parent)) ||
	    gp_err_zalloc(db->err, &db->stack_func, db->nstacks, sizeof(*db->stack_func)) ||
	    gp_err_zalloc(db->err, &db->stack_labels, db->nstacks, sizeof(*db->stack_labels)) ||
	    gp_err_zalloc(db->err, &db->stack_addr, db->nstacks, sizeof(*db->stack_addr)) ||
	    each_row(db, prepare(db, db->version >= 5 ?
				 "SELECT id, parent, function_id, labels, address FROM stacks" :
				 db->version >= 4 ?
				 "SELECT id, parent, function_id, labels, 0 FROM stacks" :
				 "SELECT id, parent, function_id, 0, 0 FROM stacks"),
		     "reading stacks failed", stack_row, NULL))
		return -1;
	/* every parent has its row: a walk to the root never reads a frame of nothing */
	for (size_t id = 1; id < db->nstacks; id++)
		if (db->stack_func[id] && db->stack_parent[id] &&
		    !db->stack_func[db->stack_parent[id]])
			return gp_errf(db->err, "%s: corrupt goprof database (stack row %zu: no "
				       "parent row %u)", db->path, id, db->stack_parent[id]);
	return 0;
}

/*
 * Rows between a sample's prefetch of its stack's sum and the addition. The sums of a big
 * history (hundreds of thousands of stack rows) are far larger than the cache, and one row
 * after another names stacks at random: added at once, each row waited for memory (half
 * the CPU time of a whole hour's flame graph); fetched this many rows ahead, the waits
 * overlap.
 */
#define SUM_AHEAD 16

struct sum {
	struct gp_db_sum *sums;
	int64_t rows;
	int sign;
	struct {
		int64_t id, count, value;
	} ahead[SUM_AHEAD];		/* sample rows read, not yet added */
};

static void sum_add(struct sum *a, size_t slot)
{
	a->sums[a->ahead[slot].id].count += a->ahead[slot].count;
	a->sums[a->ahead[slot].id].value += a->ahead[slot].value;
}

static int sample_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	struct sum *a = arg;
	int64_t raw = sqlite3_column_int64(st, 0);
	int64_t id = db_index(db->stack_ids, db->nstacks, raw);

	/* count and value side by side: one cache miss per row in a big table */
	if (id <= 0 || (size_t)id >= db->nstacks)
		return gp_errf(db->err, "%s: corrupt goprof database (sample of unknown stack "
			       "%lld)", db->path, (long long)raw);
	int64_t count = sqlite3_column_int64(st, 1), value = sqlite3_column_int64(st, 2);
	if (count < 0 || value < 0)
		return gp_errf(db->err, "%s: corrupt goprof database (negative sample of stack "
			       "%lld)", db->path, (long long)id);
	size_t slot = (size_t)(a->rows % SUM_AHEAD);
	if (a->rows >= SUM_AHEAD)
		sum_add(a, slot);
	__builtin_prefetch(&a->sums[id], 1);
	a->ahead[slot].id = id;
	a->ahead[slot].count = count;
	a->ahead[slot].value = value;
	a->rows++;
	return 0;
}

int64_t gp_db_sum_samples(struct gp_db *db, int profile, int64_t first, int64_t last,
			  struct gp_db_sum *sums)
{
	sqlite3_stmt *st = prepare(db, "SELECT stack_id, count, value FROM samples "
				   "WHERE profile = ?1 AND bucket BETWEEN ?2 AND ?3");
	struct sum a = { .sums = sums, .sign = 1 };

	if (st) {
		sqlite3_bind_int(st, 1, profile);
		sqlite3_bind_int64(st, 2, first);
		sqlite3_bind_int64(st, 3, last);
	}
	if (each_row(db, st, "reading samples failed", sample_row, &a) != 0)
		return -1;
	for (int64_t r = a.rows > SUM_AHEAD ? a.rows - SUM_AHEAD : 0; r < a.rows; r++)
		sum_add(&a, (size_t)(r % SUM_AHEAD));
	/* a sample of a stack id with no row (checked here, not per row: cache misses) */
	for (size_t id = 1; id < db->nstacks; id++)
		if ((sums[id].count || sums[id].value) && !db->stack_func[id])
			return gp_errf(db->err, "%s: corrupt goprof database (sample of unknown "
				       "stack %zu)", db->path, id);
	return a.rows;
}

size_t gp_db_label_set(const struct gp_db *db, uint32_t stack, struct gp_db_label *out,
		       size_t max)
{
	size_t n = 0, i;

	for (uint32_t l = stack < db->nstacks ? db->stack_labels[stack] : 0; l && n < max;
	     l = db->label_parent[l]) {
		/* an outer value of a key already seen is shadowed */
		for (i = 0; i < n && strcmp(out[i].key, db->label_key[l]) != 0; i++)
			;
		if (i < n)
			continue;
		/* insertion by key */
		for (i = n; i > 0 && strcmp(out[i - 1].key, db->label_key[l]) > 0; i--)
			out[i] = out[i - 1];
		out[i] = (struct gp_db_label){ db->label_key[l], db->label_value[l] };
		n++;
	}
	return n;
}

/* Does the database have this table? (Older schemas lack some.) 1, 0, or -1 on a failure. */
static int has_table(struct gp_db *db, const char *name)
{
	sqlite3_stmt *st = prepare(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
				   "name = ?1");
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* A stack id column into *out: 0 (none) or a loaded stack row; -1 on anything else. */
static int stack_col(struct gp_db *db, sqlite3_stmt *st, int col, uint32_t *out)
{
	int64_t raw = sqlite3_column_int64(st, col);
	int64_t id = db_index(db->stack_ids, db->nstacks, raw);

	if (id < 0 || (uint64_t)id >= db->nstacks || (id && !db->stack_func[id]))
		return gp_errf(db->err, "%s: corrupt goprof database (unknown stack %lld)",
			       db->path, (long long)raw);
	*out = (uint32_t)id;
	return 0;
}

struct threads {
	struct gp_db_thread *v;
	size_t n, cap;
	int snapshot;
};

static int thread_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	struct threads *a = arg;
	struct gp_db_thread *t;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct gp_db_thread *p = realloc(a->v, cap * sizeof(*p));
		if (!p)
			return gp_err_oom(db->err);
		a->v = p;
		a->cap = cap;
	}
	t = &a->v[a->n++];
	memset(t, 0, sizeof(*t));
	t->tid = sqlite3_column_int64(st, 0);
	t->start_ns = sqlite3_column_int64(st, 1);
	t->end_ns = sqlite3_column_int64(st, 2);
	if (!(t->name = col_str(db, st, 3)))
		return -1;
	t->creator_tid = sqlite3_column_int64(st, 4);
	if (stack_col(db, st, 5, &t->create_stack) != 0)
		return -1;
	if (a->snapshot) {
		t->state = sqlite3_column_int(st, 6);
		t->wait_object = sqlite3_column_int64(st, 7);
		t->wait_since_ns = sqlite3_column_int64(st, 8);
		if (stack_col(db, st, 9, &t->stack) != 0)
			return -1;
	}
	return 0;
}

/* Reads the thread rows st yields (columns as in gp_db_threads' query, then extras). */
static int read_threads(struct gp_db *db, sqlite3_stmt *st, int snapshot,
			struct gp_db_thread **out, size_t *n)
{
	struct threads a = { .snapshot = snapshot };

	if (each_row(db, st, "reading threads failed", thread_row, &a) != 0) {
		free(a.v);
		return -1;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

int gp_db_threads(struct gp_db *db, int64_t from_ns, int64_t to_ns, struct gp_db_thread **out,
		  size_t *n)
{
	if (db->version < 2)
		return 1;
	sqlite3_stmt *st = prepare(db, "SELECT tid, start_ns, end_ns, name, creator_tid, "
				   "create_stack FROM threads WHERE start_ns >= ?1 AND "
				   "start_ns < ?2 ORDER BY start_ns, tid");

	if (st) {
		sqlite3_bind_int64(st, 1, from_ns);
		sqlite3_bind_int64(st, 2, to_ns);
	}
	return read_threads(db, st, 0, out, n);
}

int gp_db_trace(struct gp_db *db, int64_t at_ns, uint8_t **data, size_t *len,
		int64_t *start_ns)
{
	int has = db->version >= 3 ? has_table(db, "traces") : 0;

	if (has <= 0)
		return has < 0 ? -1 : 1;
	sqlite3_stmt *st = prepare(db, "SELECT start_ns, go_trace FROM traces WHERE start_ns <= ?1 "
				   "ORDER BY start_ns DESC, id DESC LIMIT 1");
	int rc = 1;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at_ns);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		*start_ns = sqlite3_column_int64(st, 0);
		*data = malloc(n ? n : 1);
		if (!*data) {
			rc = gp_err_oom(db->err);
		} else {
			if (n)
				memcpy(*data, blob, n);
			*len = n;
			rc = 0;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int gp_db_snapshot(struct gp_db *db, int64_t at_ns, int64_t *time_ns, struct gp_db_thread **out,
		   size_t *n)
{
	int has = db->version >= 2 ? has_table(db, "snapshots") : 0;

	if (has <= 0)
		return has < 0 ? -1 : 1;
	sqlite3_stmt *st = prepare(db, "SELECT id, time_ns FROM snapshots WHERE time_ns <= ?1 "
				   "ORDER BY time_ns DESC, id DESC LIMIT 1");
	int64_t id;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at_ns);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return 1;
	}
	id = sqlite3_column_int64(st, 0);
	*time_ns = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);

	/* a thread row may be missing if the snapshot was cut short: LEFT JOIN */
	st = prepare(db, "SELECT s.tid, s.thread_start_ns, t.end_ns, t.name, t.creator_tid, "
		     "coalesce(t.create_stack, 0), s.state, s.wait_object, s.wait_since_ns, "
		     "s.stack_id FROM snapshot_threads s LEFT JOIN threads t "
		     "ON t.tid = s.tid AND t.start_ns = s.thread_start_ns "
		     "WHERE s.snapshot = ?1 ORDER BY s.tid");
	if (st)
		sqlite3_bind_int64(st, 1, id);
	return read_threads(db, st, 1, out, n);
}

static int custom_row(struct gp_db *db, sqlite3_stmt *st, void *arg)
{
	struct sum *a = arg;
	uint32_t s;
	int64_t count = sqlite3_column_int64(st, 1);

	if (stack_col(db, st, 0, &s) != 0)
		return -1;
	a->sums[s].count += a->sign * count;
	a->sums[s].value += a->sign * count;
	a->rows += count > 0 ? count : 0;
	return 0;
}

int64_t gp_db_custom(struct gp_db *db, int profile, int64_t at_ns, int sign,
		     struct gp_db_sum *sums)
{
	struct sum a = { .sums = sums, .sign = sign };
	sqlite3_stmt *st;

	if (db->version < 4)
		return 0;
	/* each stack's newest count at or before at_ns */
	st = prepare(db, "SELECT stack_id, count FROM custom_counts c WHERE profile = ?1 AND "
		     "time_ns = (SELECT max(time_ns) FROM custom_counts d WHERE d.profile = ?1 "
		     "AND d.stack_id = c.stack_id AND d.time_ns <= ?2)");
	if (st) {
		sqlite3_bind_int(st, 1, profile);
		sqlite3_bind_int64(st, 2, at_ns);
	}
	if (each_row(db, st, "reading custom_counts failed", custom_row, &a) != 0)
		return -1;
	return a.rows;
}

int gp_db_heapstats(struct gp_db *db, int64_t to_ns, struct gp_db_heapstats *out)
{
	sqlite3_stmt *st;
	int rc = 1;

	if (db->version < 2)
		return 1;
	st = prepare(db, "SELECT time_ns, mallocs, frees, alloc_bytes, live_bytes, arena, hblkhd, "
		     "uordblks, fordblks, keepcost, max_rss FROM heapstats WHERE time_ns <= ?1 "
		     "ORDER BY time_ns DESC LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, to_ns);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		int64_t *v[] = { &out->time_ns, &out->mallocs, &out->frees, &out->alloc_bytes,
				 &out->live_bytes, &out->arena, &out->hblkhd, &out->uordblks,
				 &out->fordblks, &out->keepcost, &out->max_rss };
		for (int i = 0; i < (int)(sizeof(v) / sizeof(v[0])); i++)
			*v[i] = sqlite3_column_int64(st, i);
		rc = 0;
	} else if (step != SQLITE_DONE) {
		rc = sql_failed(db, "reading heapstats failed");
	}
	sqlite3_finalize(st);
	return rc;
}

void gp_db_close(struct gp_db *db)
{
	sqlite3_close(db->db);
	gp_strtab_destroy(&db->strs);
	free(db->maps);
	free(db->funcs);
	free(db->stack_parent);
	free(db->stack_func);
	free(db->stack_addr);
	free(db->stack_labels);
	free(db->label_parent);
	free(db->label_key);
	free(db->label_value);
	free(db->func_ids);
	free(db->stack_ids);
	free(db->label_ids);
	memset(db, 0, sizeof(*db));
}
