/*
 * The writer's database file: the path pattern, the creation of a file no other process
 * uses and its descriptors (the thread that starts the writer, before the writer exists),
 * the schema and the process row, the prepared statements, the commit of everything
 * pending, and the close (writer thread).
 *
 * Failures that may pass (disk full, a read-only file system, no permission to create the
 * file, an I/O error) do not stop the writer: the transaction is rolled back, one line says
 * so, and from then on each commit drops what it would have written, counting it (heap rows
 * are kept: the bytes in use depend on them), and tries again at most once a second. The
 * commit that succeeds writes the rows the rolled-back ones had (functions, stacks, threads,
 * custom counts) again and a write_failures row with the counts. Any other SQLite error
 * stops the database for good.
 */

#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "writer.h"
#include "gp-schema.h"

#define RETRY_NS 1000000000ull		/* a failing database is tried again every second */

static int lock_fd = -1;		/* the database file, flock()ed shared while written */
static int created;			/* this process made the file at gp_w.path */
/*
 * The database, its -wal and its -shm file, opened before SQLite asks for them (by
 * gp_db_create(), on the thread that made the file, often before main() and before the
 * program can change its user), at high numbers (fds.c); each handed to SQLite when it
 * opens that file (vfs_open), then SQLite's. -1 once handed over.
 */
#define NPRE 3
static const char *const pre_suffix[NPRE] = { "", "-wal", "-shm" };
static int pre_fd[NPRE] = { -1, -1, -1 };
static struct stat pre_st[NPRE];
static int pre_pending;			/* atomics: some pre_fd[] not handed over yet */
static gp_open_fn vfs_real_open;	/* the unix VFS's own open() */
/*
 * The thread that opens the database, atomics. Not gp_writer_is_self(): that stops holding
 * when gp_writer_stop() begins, and the writer's last checkpoint, at its close, still opens
 * files (the -wal file's directory for its first sync).
 */
static int writer_tid;

static int sql_fail(const char *what)
{
	gp_warn("GOPROF_DB %s: %s: %s; profile data is no longer written", gp_w.path, what,
		gp_w.db ? sqlite3_errmsg(gp_w.db) : "out of memory");
	gp_w.broken = 1;
	return -EIO;
}

/* Is an SQLite result one of the file system's, which may pass, rather than the data's? */
static int passing_sql_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return 1;
	}
	return 0;
}

/* The same for an errno from creating the file. */
static int passing_errno(int err)
{
	return err == EACCES || err == EPERM || err == EROFS || err == ENOSPC || err == EDQUOT ||
	       err == EIO;
}

/*
 * A write (or the creation of the database) failed for a reason that may pass: the first
 * time, one line; then what was pending is dropped and counted. Returns -EIO.
 */
static int write_failed(const char *why)
{
	struct write_failure *f = &gp_w.fail;
	uint64_t now = gp_real_ns();

	if (!f->active) {
		f->active = 1;
		f->since_ns = now;
		snprintf(f->error, sizeof(f->error), "%s", why);
		gp_warn("GOPROF_DB %s: cannot write: %s; profile data is dropped (and counted) "
			"until it can be written again", gp_w.path, why);
	}
	f->retry_ns = now + RETRY_NS;
	f->commits++;
	f->snapshots++;
	gp_collect_drop_pending();
	return -EIO;
}

static int exec_sql(const char *sql)
{
	return sqlite3_exec(gp_w.db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int gp_db_step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/*
 * The failure that ends with this commit: its row, and the CPU samples it dropped as samples
 * of the lost_profile_event stack (as a full ring's are) in the bucket where it began.
 */
static int write_failure_row(uint32_t lost_stack)
{
	const struct write_failure *f = &gp_w.fail;
	sqlite3_stmt *st;

	if (f->cpu_samples) {
		st = gp_w.up_sample;
		sqlite3_bind_int(st, 1, GP_PROFILE_CPU);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)gp_collect_bucket(f->since_ns));
		sqlite3_bind_int64(st, 3, lost_stack);
		sqlite3_bind_int64(st, 4, 0);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)f->cpu_samples);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)(f->cpu_samples * gp_w.period_ns));
		if (gp_db_step_reset(st) != 0)
			return -EIO;
	}
	if (sqlite3_prepare_v2(gp_w.db, "INSERT INTO write_failures (start_ns, end_ns, error, "
			       "commits, cpu_samples, lock_events, snapshots, traces) VALUES (?1, "
			       "?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->since_ns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)gp_w.last_commit_ns);
	sqlite3_bind_text(st, 3, f->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)f->commits);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)f->cpu_samples);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)f->lock_events);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)f->snapshots);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)f->traces);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	return rc;
}

/* SQLite's syncs and checkpoints as they are after the first commit into the -wal file. */
static int unfresh(void)
{
	return exec_sql("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 1000");
}

/* The functions row id (gp_w.funcs[id - 1]); 0 or -EIO. */
static int write_func(uint32_t id)
{
	const struct func_row *f = &gp_w.funcs[id - 1];
	sqlite3_stmt *st = gp_w.ins_func;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->line);
	sqlite3_bind_int(st, 5, f->kind);
	if (f->mapping)
		sqlite3_bind_int64(st, 6, f->mapping);
	return gp_db_step_reset(st);
}

/* The functions a commit wrote again are in the database (or, rolled back, still gone). */
static void revived_done(int rolled_back)
{
	for (size_t i = 0; i < gp_w.nrevived; i++)
		gp_w.funcs[gp_w.revived[i] - 1].gone = rolled_back;
	gp_w.nrevived = 0;
}

/* Writes everything pending in one transaction. Writer thread. */
int gp_db_commit(void)
{
	sqlite3_stmt *st;

	if (gp_w.broken || !gp_w.db)
		return -EIO;
	/* threads and the snapshot first: the stacks they intern are written below */
	struct thread_batch tb = { 0 };
	uint64_t snap_ns = gp_real_ns();
	size_t maps_were = gp_w.maps_written, funcs_were = gp_w.funcs_written;
	uint32_t lost_stack = 0;
	int fresh = 0;
	/*
	 * The thread rows of rolled-back commits stay queued (their registry entries may be
	 * gone): one row per thread started or changed while writes fail, rewritten by the
	 * upsert of the commit that succeeds.
	 */
	if (!gp_w.fail.active)
		gp_w.npend_threads = 0;
	gp_w.nsnaps = 0;
	gp_threads_foreach(gp_collect_thread, &tb);
	gp_threads_snapshot(gp_collect_snap, &tb);
	if (gp_w.fail.active) {
		/* the lost samples' stack, for the rows the failed commits dropped */
		if (gp_w.fail.cpu_samples &&
		    !(lost_stack = gp_intern_node(0, gp_intern_func_by_name(
					GP_LOST_FUNCTION, 0, GP_FUNC_KIND_SYNTHETIC))))
			tb.err = -ENOMEM;
	}
	if (tb.err)
		gp_w.err = tb.err;
	if (gp_w.err)
		return sql_fail("collecting samples failed");
	gp_w.batch_traces = 0;
	/*
	 * The first commit into the -wal file writes its header, which SQLite syncs at once
	 * (synchronous = NORMAL): in a short run that is the exit's commit, and the checkpoint
	 * at close syncs the -wal file again before it copies a page. Nothing of the new file
	 * has been synced before that checkpoint (write_header), so that first commit goes
	 * without a sync, and without a checkpoint of its own, which would not sync either.
	 */
	fresh = gp_w.wal_fresh;
	if (fresh && exec_sql("PRAGMA synchronous = OFF; PRAGMA wal_autocheckpoint = 0") != 0)
		goto out_rollback;
	if (exec_sql("BEGIN") != 0)
		goto out_rollback;

	for (; gp_w.maps_written < gp_w.nmaps; gp_w.maps_written++) {
		const struct map_row *m = &gp_w.maps[gp_w.maps_written];
		st = gp_w.ins_map;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)gp_w.maps_written + 1);
		sqlite3_bind_text(st, 2, m->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->build_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)m->start);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)m->limit);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)m->offset);
		if (gp_db_step_reset(st) != 0)
			goto out_rollback;
	}
	for (; gp_w.funcs_written < gp_w.nfuncs; gp_w.funcs_written++)
		if (write_func((uint32_t)gp_w.funcs_written + 1) != 0)
			goto out_rollback;
	for (size_t i = 0; i < gp_w.nnew_nodes; i++) {
		uint32_t f = gp_w.new_nodes[i].func;
		/* a function retention deleted is named again: its row, under its id */
		if (f && gp_w.funcs[f - 1].gone == 1) {
			if (gp_grow(&gp_w.revived, &gp_w.caprevived, gp_w.nrevived + 1,
				    sizeof(*gp_w.revived)) != 0 || write_func(f) != 0)
				goto out_rollback;
			gp_w.funcs[f - 1].gone = 2;
			gp_w.revived[gp_w.nrevived++] = f;
		}
		st = gp_w.ins_stack;
		sqlite3_bind_int64(st, 1, gp_w.new_nodes[i].id);
		sqlite3_bind_int64(st, 2, gp_w.new_nodes[i].parent);
		sqlite3_bind_int64(st, 3, f);
		sqlite3_bind_int64(st, 4, gp_w.new_nodes[i].labels);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)gp_w.new_nodes[i].address);
		if (gp_db_step_reset(st) != 0)
			goto out_rollback;
	}
	for (size_t i = 0; i < gp_w.nnew_labels; i++) {
		const struct label_row *l = &gp_w.new_labels[i];
		st = gp_w.ins_label;
		sqlite3_bind_int64(st, 1, l->id);
		sqlite3_bind_int64(st, 2, l->parent);
		sqlite3_bind_text(st, 3, l->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, l->value, -1, SQLITE_STATIC);
		if (gp_db_step_reset(st) != 0)
			goto out_rollback;
	}
	for (size_t i = 0; i < gp_w.naggs; i++) {
		const struct agg *a = &gp_w.aggs[i];
		st = gp_w.up_sample;
		sqlite3_bind_int(st, 1, a->profile);
		sqlite3_bind_int64(st, 2, a->bucket);
		sqlite3_bind_int64(st, 3, a->stack);
		sqlite3_bind_int64(st, 4, a->tid);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)a->count);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)a->value);
		if (gp_db_step_reset(st) != 0)
			goto out_rollback;
	}
	for (size_t i = 0; i < gp_w.npend_threads; i++)
		if (gp_collect_write_thread(&gp_w.pend_threads[i]) != 0)
			goto out_rollback;
	if (gp_collect_write_snapshot(snap_ns) != 0 || gp_collect_write_lock_profiles() != 0 ||
	    gp_collect_write_customs(snap_ns) != 0)
		goto out_rollback;

	gp_w.last_commit_ns = gp_real_ns();
	if (gp_w.ins_heapstats && gp_collect_write_heapstats(gp_w.last_commit_ns) != 0)
		goto out_rollback;
	if (gp_collect_write_traces() != 0)
		goto out_rollback;
	if (gp_w.fail.active && write_failure_row(lost_stack) != 0)
		goto out_rollback;
	sqlite3_bind_int64(gp_w.up_end, 1, (sqlite3_int64)gp_w.last_commit_ns);
	if (gp_db_step_reset(gp_w.up_end) != 0)
		goto out_rollback;
	if (exec_sql("COMMIT") != 0)
		goto out_rollback;
	if (fresh && unfresh() == 0)
		gp_w.wal_fresh = 0;
	gp_w.nnew_nodes = 0;
	gp_w.nnew_labels = 0;
	revived_done(0);
	gp_w.naggs = 0;
	if (gp_w.agg_slots)
		memset(gp_w.agg_slots, 0, gp_w.nagg_slots * sizeof(*gp_w.agg_slots));
	memset(&gp_w.fail, 0, sizeof(gp_w.fail));
	return 0;

out_rollback:;
	char why[160];
	int code = sqlite3_extended_errcode(gp_w.db);
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(gp_w.db));
	sqlite3_exec(gp_w.db, "ROLLBACK", NULL, NULL, NULL);
	if (fresh)
		unfresh();
	gp_w.maps_written = maps_were;
	gp_w.funcs_written = funcs_were;
	revived_done(1);
	if (!passing_sql_error(code)) {
		gp_warn("GOPROF_DB %s: writing samples failed: %s; profile data is no longer "
			"written", gp_w.path, why);
		gp_w.broken = 1;
		return -EIO;
	}
	return write_failed(why);
}

/*
 * When gp_w.fail is active: a new attempt is due (once a second; always when force), and
 * the database is open (it is opened here if it could not be before). When the attempt is
 * not made, or the open fails, what is pending is dropped and counted. Writer thread.
 */
int gp_db_retry_due(int force)
{
	if (!force && gp_real_ns() < gp_w.fail.retry_ns)
		return 0;
	if (!gp_w.db && gp_db_open() != 0)
		return 0;
	return !gp_w.broken;
}

/* The pattern with %p = pid, %h = host name, %% = %; -ENAMETOOLONG if it does not fit. */
int gp_path_expand(const char *pat, char *out, size_t len)
{
	char host[256];
	size_t n = 0;

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	for (const char *p = pat; *p; p++) {
		char num[24];
		const char *add = num;
		if (p[0] == '%' && p[1] == 'p') {
			snprintf(num, sizeof(num), "%d", (int)getpid());
			p++;
		} else if (p[0] == '%' && p[1] == 'h') {
			add = host;
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			add = "%";
			p++;
		} else {
			num[0] = *p;
			num[1] = '\0';
		}
		size_t l = strlen(add);
		if (n + l >= len)
			return -ENAMETOOLONG;
		memcpy(out + n, add, l);
		n += l;
	}
	out[n] = '\0';
	return 0;
}

/* Is path a goprof database (SQLite header, our application id)? */
static int is_goprof_db(const char *path)
{
	unsigned char hdr[72];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, "SQLite format 3", 16) != 0)
		return 0;
	uint32_t app = (uint32_t)hdr[68] << 24 | (uint32_t)hdr[69] << 16 |
		       (uint32_t)hdr[70] << 8 | hdr[71];
	return app == GP_SCHEMA_APPLICATION_ID;
}

/* The pid in the process row of the goprof database at path; -1 if unreadable. */
static long db_pid(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long pid = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT pid FROM process WHERE id = 1", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		pid = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return pid;
}

/*
 * A database this very process wrote before it called exec() is kept: the new program
 * image writes to the first free "PATH.N" instead. Returns 0, or -1 when there is none.
 */
static int after_exec_path(char *path, size_t size)
{
	size_t len = strlen(path);

	for (int n = 1; n < 1000; n++) {
		if (snprintf(path + len, size - len, ".%d", n) >= (int)(size - len))
			break;
		if (access(path, F_OK) != 0)
			return 0;
	}
	path[len] = '\0';
	return -1;
}

static int plain_open(const char *path, int flags, int mode)
{
	return open(path, flags, mode);
}

/*
 * A new empty file at path, mode 0600, with a shared flock() already on it (lock_fd): made
 * under a name of this process and linked into place, so that no other process ever finds
 * it unlocked. Returns 0, -EEXIST when path exists, or -errno.
 */
static int create_locked(const char *path)
{
	char tmp[PATH_MAX + 32];

	if (snprintf(tmp, sizeof(tmp), "%s.%d.new", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);	/* a leftover of an ended process that had this pid */
	int fd = gp_fd_open_high(plain_open, tmp, O_RDONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	flock(fd, LOCK_SH);
	int rc = link(tmp, path) == 0 ? 0 : -errno;
	unlink(tmp);
	if (rc == -EPERM || rc == -EOPNOTSUPP) {
		/* a file system without hard links: a short window, then */
		close(fd);
		fd = gp_fd_open_high(plain_open, path, O_RDONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			return -errno;
		flock(fd, LOCK_SH);
		rc = 0;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	lock_fd = fd;
	gp_fd_own(fd);
	return 0;
}

/* Does a live process write the database at path? Its writer holds a shared flock(). */
static int in_use(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	int busy = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/*
 * Creates the file mode 0600 before SQLite sees it (its -wal and -shm files copy that
 * mode). A database a live process writes is never touched: this one goes to PATH.PID
 * beside it. An old goprof database whose process has ended is replaced, unless this
 * process wrote it before an exec(); any other file is left alone. path may be changed
 * (PATH_MAX bytes).
 */
static int create_file(char *path)
{
	int rc = create_locked(path);

	if (rc == -EEXIST && in_use(path)) {
		size_t len = strlen(path);
		if (snprintf(path + len, PATH_MAX - len, ".%d", (int)getpid()) >=
		    (int)(PATH_MAX - len))
			rc = -ENAMETOOLONG;
		else
			rc = create_locked(path);
	}
	if (rc == -EEXIST && is_goprof_db(path) && db_pid(path) == (long)getpid() &&
	    after_exec_path(path, PATH_MAX) == 0)
		rc = create_locked(path);
	if (rc == -EEXIST) {
		if (!is_goprof_db(path)) {
			gp_warn("GOPROF_DB %s: the file exists and is not a goprof database; "
				"not overwriting it", path);
			return -EEXIST;
		}
		char side[PATH_MAX + 8];
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		unlink(path);
		rc = create_locked(path);
	}
	if (rc) {
		if (!passing_errno(-rc))
			gp_warn("GOPROF_DB %s: %s", path, strerror(-rc));
		return rc;
	}
	created = 1;
	return 0;
}

/* /proc/self/cmdline into a malloc'd buffer; *len its size. */
static char *read_cmdline(size_t *len)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	*len = 0;
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *p = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

#define SCHEMA_BUSY_MS 250

static int write_header(void)
{
	char sql[256], host[256], exe[PATH_MAX];
	sqlite3_stmt *st;
	size_t cmdlen;
	int rc = -EIO;

	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 GP_SCHEMA_APPLICATION_ID, GP_SCHEMA_VERSION);
	/*
	 * The file is new and no other process writes it: it is made in one transaction with
	 * no journal file and no sync, written straight into the file, then switched to WAL.
	 * Nothing is lost by that: until the first checkpoint syncs the file (at the latest
	 * at exit), the commits after it are not synced either (synchronous = NORMAL), and a
	 * crash of the process in between leaves a file that is replaced by the next run
	 * (or, failing here, removed: open_failed). With the defaults the creation was three
	 * transactions and eight syncs, most of a short run's start-up.
	 * auto_vacuum before the first table: pages retention frees go back to the file
	 * system; the -wal file is cut back to 4 MiB after each checkpoint. Retention's
	 * temporary tables (retain.h) in memory: no file where the program may not write.
	 */
	if (exec_sql("PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY; "
		     "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA temp_store = MEMORY") != 0 ||
	    exec_sql("BEGIN") != 0 || exec_sql(sql) != 0 || exec_sql(GP_SCHEMA_SQL) != 0)
		return -EIO;

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	uint32_t main_map = gp_intern_mapping_of_object(0);
	char *cmdline = read_cmdline(&cmdlen);

	if (sqlite3_prepare_v2(gp_w.db, "INSERT INTO process VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, "
			       "?7, NULL, ?8, ?9)", -1, &st, NULL) != SQLITE_OK)
		goto out_free;
	sqlite3_bind_int64(st, 1, getpid());
	sqlite3_bind_int64(st, 2, getppid());
	sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, exe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, main_map ? gp_w.maps[main_map - 1].build_id : "", -1,
			  SQLITE_STATIC);
	if (cmdline)
		sqlite3_bind_blob(st, 6, cmdline, (int)cmdlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)gp_w.start_ns);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)GP_BUCKET_NS);
	sqlite3_bind_text(st, 9, PACKAGE_VERSION, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	if (rc == 0 && gp_config.cpu_hz) {
		snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'cpu', %u, %llu, "
			 "%llu)", GP_PROFILE_CPU, gp_config.cpu_hz,
			 (unsigned long long)gp_w.period_ns, (unsigned long long)gp_w.start_ns);
		rc = exec_sql(sql);
	}
	if (rc == 0 && gp_config.mem_rate) {
		/* heap sampling starts right after this (gp_heap_init), with this rate */
		snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'allocs', %u, %u, "
			 "%llu), (%d, 'frees', %u, %u, %llu)", GP_PROFILE_ALLOCS,
			 gp_config.mem_rate, gp_config.mem_rate, (unsigned long long)gp_w.start_ns,
			 GP_PROFILE_FREES, gp_config.mem_rate, gp_config.mem_rate,
			 (unsigned long long)gp_w.start_ns);
		rc = exec_sql(sql);
	}
	if (rc == 0) {
		/* no samples rows: they come from the threads and snapshots tables */
		snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'threadcreate', 1, 1, "
			 "%llu), (%d, 'goroutine', 1, 1, %llu)", GP_PROFILE_THREADCREATE,
			 (unsigned long long)gp_w.start_ns, GP_PROFILE_GOROUTINE,
			 (unsigned long long)gp_w.start_ns);
		rc = exec_sql(sql);
	}
	if (rc == 0)
		rc = exec_sql("COMMIT");
	/*
	 * The writer appends (ids and times grow; a bucket's samples are the last rows of
	 * their profile) and reads back only the few pages at those ends, so SQLite's default
	 * 2000 KiB cache held mostly pages written once and never read again: each commit grew
	 * it, some 130 bytes a commit (a snapshot and a heapstats row), up to the 2000 KiB, and
	 * the writer's allocator keeps what it once held.
	 */
	if (rc == 0)
		rc = exec_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
			      "PRAGMA journal_size_limit = 4194304; PRAGMA cache_size = -512");
	/* a read opens the -wal and -shm files now, so that own_fds() finds them */
	if (rc == 0)
		rc = exec_sql("SELECT id FROM process");
	gp_w.wal_fresh = 1;

out_free:
	free(cmdline);
	return rc;
}

static int prepare(sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v3(gp_w.db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
		SQLITE_OK ? 0 : -EIO;
}

/* Creates and fills the database header, prepares the statements. */
/*
 * The descriptors of the database, its -wal and -shm files (SQLite's, found by their
 * files) and its lock, kept from the program's close() and dup2() (fds.c).
 */
static void own_fds(void)
{
	struct stat want[NPRE], st;
	char p[PATH_MAX + 8];
	int have[NPRE];

	for (int i = 0; i < NPRE; i++) {
		snprintf(p, sizeof(p), "%s%s", gp_w.path, pre_suffix[i]);
		have[i] = stat(p, &want[i]) == 0;
	}
	/*
	 * opendir allocates from the program's allocator, which private mode keeps off
	 * (gp_malloc): an exiting fork child runs none of the program's code after this.
	 */
	DIR *d = gp_alloc_private() ? NULL : opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d) || fd == lock_fd ||
		    fstat(fd, &st) != 0)
			continue;
		for (int i = 0; i < NPRE; i++)
			if (have[i] && st.st_dev == want[i].st_dev && st.st_ino == want[i].st_ino)
				gp_fd_own(fd);
	}
	if (d)
		closedir(d);
	gp_fd_own(lock_fd);
}

/*
 * A database that could not be made whole (a full disk while the schema was written): the
 * file goes, so that the next attempt starts afresh; then the failure is counted if it may
 * pass, else the database is given up with one line.
 */
static int open_failed(const char *what)
{
	char why[160];
	int code = gp_w.db ? sqlite3_extended_errcode(gp_w.db) : SQLITE_NOMEM;
	int ours = created;

	snprintf(why, sizeof(why), "%s: %s", what, gp_w.db ? sqlite3_errmsg(gp_w.db) :
		 "out of memory");
	gp_db_close();
	if (ours) {
		static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
		char p[PATH_MAX + 16];
		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(p, sizeof(p), "%s%s", gp_w.path, suffix[i]);
			unlink(p);
		}
	}
	if (!passing_sql_error(code)) {
		gp_warn("GOPROF_DB %s: %s; profile data is no longer written", gp_w.path, why);
		gp_w.broken = 1;
		return -EIO;
	}
	return write_failed(why);
}

/* Closes the pre-opened descriptors SQLite did not ask for. */
static void pre_forget(void)
{
	__atomic_store_n(&pre_pending, 0, __ATOMIC_RELEASE);
	for (int i = 0; i < NPRE; i++) {
		gp_fd_disown(pre_fd[i]);
		if (pre_fd[i] >= 0)
			close(pre_fd[i]);
		pre_fd[i] = -1;
	}
}

/*
 * The unix VFS's open() as the writer thread uses it: the file gp_db_create() opened
 * already, or a new descriptor at a high number (fds.c). Other threads' SQLite (the
 * program's own databases, the HTTP server's reads) open as usual.
 */
static int vfs_open(const char *path, int flags, int mode)
{
	if (gettid() != __atomic_load_n(&writer_tid, __ATOMIC_ACQUIRE))
		return vfs_real_open(path, flags, mode);
	struct stat st;
	if (__atomic_load_n(&pre_pending, __ATOMIC_ACQUIRE) && stat(path, &st) == 0)
		for (int i = 0; i < NPRE; i++)
			if (pre_fd[i] >= 0 && st.st_dev == pre_st[i].st_dev &&
			    st.st_ino == pre_st[i].st_ino) {
				int fd = pre_fd[i];
				pre_fd[i] = -1;
				return fd;
			}
	return gp_fd_open_high(vfs_real_open, path, flags, mode);
}

/*
 * The unix VFS syncs the directory of a -wal file it has just made, once, at the file's
 * first sync. The writer's database lives in a directory never synced for it (the file
 * itself is made without a sync: write_header), so that sync makes nothing durable that
 * the checkpoint's syncs of the -wal and the database do not (the file system commits the
 * entries it created with them); not on the writer thread: "cannot open", which SQLite
 * takes as "no directory sync here".
 */
static int (*vfs_real_open_dir)(const char *, int *);
static int vfs_open_dir(const char *path, int *fd)
{
	if (gettid() != __atomic_load_n(&writer_tid, __ATOMIC_ACQUIRE))
		return vfs_real_open_dir(path, fd);
	*fd = -1;
	return SQLITE_CANTOPEN;
}

/* Once: the writer's opens through vfs_open() and vfs_open_dir(). */
static void vfs_hooks(void)
{
	static int done;
	sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);

	if (done || !vfs || vfs->iVersion < 3 || !vfs->xGetSystemCall || !vfs->xSetSystemCall)
		return;
	done = 1;
	vfs_real_open = (gp_open_fn)vfs->xGetSystemCall(vfs, "open");
	vfs_real_open_dir = (int (*)(const char *, int *))vfs->xGetSystemCall(vfs,
										"openDirectory");
	if (vfs_real_open &&
	    vfs->xSetSystemCall(vfs, "open", (sqlite3_syscall_ptr)vfs_open) != SQLITE_OK)
		vfs_real_open = NULL;
	if (vfs_real_open_dir && vfs->xSetSystemCall(vfs, "openDirectory",
						     (sqlite3_syscall_ptr)vfs_open_dir) != SQLITE_OK)
		vfs_real_open_dir = NULL;
}

void gp_db_thread(void)
{
	__atomic_store_n(&writer_tid, gettid(), __ATOMIC_RELEASE);
}

int gp_db_create(void)
{
	char p[PATH_MAX + 8];
	int rc = create_file(gp_w.path);

	if (rc != 0)
		return passing_errno(-rc) ? write_failed(strerror(-rc)) : -EIO;
	vfs_hooks();
	if (!vfs_real_open)
		return 0;
	/* a -wal or -shm file beside a file this process has just made is a stale one */
	for (int i = 0; i < NPRE; i++) {
		snprintf(p, sizeof(p), "%s%s", gp_w.path, pre_suffix[i]);
		int fd = gp_fd_open_high(plain_open, p, O_RDWR | O_NOFOLLOW |
					 (i ? O_CREAT | O_TRUNC : 0), 0600);
		if (fd >= 0 && fstat(fd, &pre_st[i]) != 0) {
			close(fd);
			fd = -1;
		}
		pre_fd[i] = fd;
		gp_fd_own(fd);
	}
	__atomic_store_n(&pre_pending, 1, __ATOMIC_RELEASE);
	return 0;
}

int gp_db_open(void)
{
	int rc = created ? 0 : gp_db_create();

	if (rc != 0)
		return rc;
	if (sqlite3_open_v2(gp_w.path, &gp_w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return open_failed("cannot open");
	/*
	 * A reader (goprof-export, sqlite3, a script watching the file) that opens the new file
	 * while its schema is written holds a shared lock for a moment: waited for, at most
	 * SCHEMA_BUSY_MS, rather than failing and dropping the first second of data. After
	 * the switch to WAL readers never block the writer, and no wait is wanted: a fork()
	 * in the program waits for the writer's round to end.
	 */
	sqlite3_busy_timeout(gp_w.db, SCHEMA_BUSY_MS);
	rc = write_header();
	sqlite3_busy_timeout(gp_w.db, 0);
	if (rc != 0)
		return open_failed("creating the schema failed");
	pre_forget();
	if (prepare(&gp_w.ins_map, "INSERT INTO mappings VALUES (?1, ?2, ?3, ?4, ?5, ?6)") ||
	    prepare(&gp_w.ins_func, "INSERT INTO functions VALUES (?1, ?2, ?3, ?4, ?5, ?6)") ||
	    prepare(&gp_w.ins_stack, "INSERT INTO stacks VALUES (?1, ?2, ?3, ?4, ?5)") ||
	    prepare(&gp_w.ins_label, "INSERT INTO labels VALUES (?1, ?2, ?3, ?4)") ||
	    prepare(&gp_w.up_custom,
		    "INSERT OR REPLACE INTO custom_counts VALUES (?1, ?2, ?3, ?4)") ||
	    prepare(&gp_w.up_sample, "INSERT INTO samples VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		    "ON CONFLICT (profile, bucket, stack_id, tid) DO UPDATE SET "
		    "count = count + excluded.count, value = value + excluded.value") ||
	    prepare(&gp_w.up_thread, "INSERT INTO threads (tid, start_ns, end_ns, name, "
		    "creator_tid, create_stack) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		    "ON CONFLICT (tid, start_ns) DO UPDATE SET end_ns = excluded.end_ns, "
		    "name = excluded.name") ||
	    prepare(&gp_w.up_end, "UPDATE process SET end_ns = ?1 WHERE id = 1") ||
	    prepare(&gp_w.ins_snap, "INSERT INTO snapshots VALUES (?1, ?2)") ||
	    prepare(&gp_w.ins_snap_thread, "INSERT INTO snapshot_threads VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)") ||
	    prepare(&gp_w.up_profile, "INSERT INTO profiles VALUES (?1, ?2, ?3, 1, ?4) "
		    "ON CONFLICT (id) DO UPDATE SET rate = excluded.rate") ||
	    prepare(&gp_w.ins_trace, "INSERT INTO traces (start_ns, end_ns, source, go_trace) "
		    "VALUES (?1, ?2, ?3, ?4)") ||
	    (gp_config.mem_rate &&
	     prepare(&gp_w.ins_heapstats, "INSERT OR REPLACE INTO heapstats "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")))
		return open_failed("preparing statements failed");
	own_fds();
	return 0;
}

void gp_db_close(void)
{
	sqlite3_stmt *sts[] = { gp_w.ins_map, gp_w.ins_func, gp_w.ins_stack, gp_w.up_sample,
				gp_w.up_thread, gp_w.up_end, gp_w.ins_snap, gp_w.ins_snap_thread,
				gp_w.up_profile, gp_w.ins_heapstats, gp_w.ins_trace, gp_w.ins_label,
				gp_w.up_custom };

	gp_fd_forget_all();
	for (size_t i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
		sqlite3_finalize(sts[i]);
	if (gp_w.db && sqlite3_close(gp_w.db) != SQLITE_OK)
		gp_warn("GOPROF_DB %s: closing failed: %s", gp_w.path, sqlite3_errmsg(gp_w.db));
	gp_db_forget();
}

void gp_db_forget(void)
{
	gp_w.db = NULL;
	created = 0;
	gp_fd_forget_all();
	pre_forget();
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
	gp_w.ins_map = gp_w.ins_func = gp_w.ins_stack = gp_w.up_sample = gp_w.up_thread = NULL;
	gp_w.up_end = NULL;
	gp_w.ins_snap = gp_w.ins_snap_thread = gp_w.up_profile = NULL;
	gp_w.ins_heapstats = gp_w.ins_trace = gp_w.ins_label = gp_w.up_custom = NULL;
}
