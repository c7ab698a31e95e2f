/*
 * Start-up: the definition of the thread-local word every instrumented function touches,
 * the GOPROF_* environment, and the constructor that sets libgoprof up before the
 * program's own constructors run (priority 101; libgoprof.so is initialised before the
 * objects that depend on it). The TLS word and the constructor live in this file so that
 * linking the static library pulls the constructor in with the first reference to
 * __goprof_sp.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "gp-internal.h"
#include "retain.h"

const void *gp_scratch[GP_SCRATCH_SLOTS + GP_SCRATCH_GUARD_BYTES / sizeof(void *)]
	__attribute__((aligned(GP_SCRATCH_GUARD_BYTES)));

/* What an executable's own definition of __goprof_sp starts at (rt/gp-abi.h). */
extern __typeof__(gp_scratch) __goprof_scratch GOPROF_API __attribute__((alias("gp_scratch")));

GOPROF_API __thread const void **__goprof_sp __attribute__((tls_model("initial-exec"))) =
	gp_scratch;

struct gp_config gp_config = {
	.cpu_hz = 100,
	.stack_depth = 256,
	.mem_rate = 524288,
};

void gp_warn(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	memcpy(buf, "goprof: ", 8);
	va_start(ap, fmt);
	n = vsnprintf(buf + 8, sizeof(buf) - 9, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 8;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write, so that lines from several threads do not interleave. */
	ssize_t unused = write(STDERR_FILENO, buf, (size_t)n);
	(void)unused;
}

/*
 * A set-user-ID or set-group-ID program (AT_SECURE) takes its environment from a user who
 * may not open the files it can: GOPROF_TRACE=/etc/shadow would truncate that file and
 * GOPROF_DB would create root's files anywhere. goprof then ignores its variables, as glibc
 * ignores LD_PRELOAD and its own, and says so once, at the first one that is set.
 */
const char *gp_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !getauxval(AT_SECURE))
		return v;
	gp_warn_once("a set-user-ID or set-group-ID program: GOPROF_* variables such as %s "
		     "are ignored", name);
	return NULL;
}

/*
 * An unsigned integer variable in [lo, hi]; anything else keeps the default and says so
 * once. Returns the value to use.
 */
static unsigned env_uint(const char *name, unsigned def, unsigned lo, unsigned hi)
{
	const char *s = gp_env(name);
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || s[0] == '-' || v < lo || v > hi) {
		gp_warn("%s=%s is not a whole number from %u to %u; using %u", name, s, lo, hi,
			def);
		return def;
	}
	return (unsigned)v;
}

/* A whole number of nanoseconds in [lo, hi], as env_uint. */
static int64_t env_i64(const char *name, int64_t def, int64_t lo, int64_t hi)
{
	const char *s = gp_env(name);
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		gp_warn("%s=%s is not a whole number from %lld to %lld; using %lld", name, s,
			(long long)lo, (long long)hi, (long long)def);
		return def;
	}
	return v;
}

/*
 * src with every '%' doubled, as a path pattern's literal part, at out (cap bytes with the
 * NUL). Returns its length, or -1 when it does not fit.
 */
static int pattern_literal(char *out, size_t cap, const char *src)
{
	size_t n = 0;

	for (; *src; src++) {
		if (n + 3 > cap)
			return -1;
		if (*src == '%')
			out[n++] = '%';
		out[n++] = *src;
	}
	out[n] = '\0';
	return (int)n;
}

/*
 * GOPROF_DB, copied: a program may write over its environment block (setproctitle), and a
 * fork child expands the pattern again. A relative path is made absolute against the
 * directory the program starts in, so that a later chdir() or daemon() does not move the
 * child's database; a '%' in that directory is escaped as "%%". Returns the pattern or NULL.
 */
static const char *db_pattern_config(void)
{
	static char pat[PATH_MAX];
	char cwd[PATH_MAX];
	const char *db = gp_env("GOPROF_DB");
	int n = 0;

	if (!db || !*db)
		return NULL;
	if (db[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd))) {
			gp_warn("GOPROF_DB=%s: the working directory is unknown (%s); the path "
				"stays relative", db, strerror(errno));
			cwd[0] = '\0';
		}
		n = pattern_literal(pat, sizeof(pat) - 1, cwd);
		if (n > 1)
			pat[n++] = '/';
		if (n < 0)
			n = sizeof(pat);
	}
	if ((size_t)n + strlen(db) >= sizeof(pat)) {
		gp_warn("GOPROF_DB=%s: the path is too long; no database", db);
		return NULL;
	}
	strcpy(pat + n, db);
	return pat;
}

/* A variable that is on when it is exactly "1". */
static int env_flag(const char *name)
{
	const char *s = gp_env(name);

	return s && strcmp(s, "1") == 0;
}

/* A variable's value, NULL when unset or empty. */
static const char *env_str(const char *name)
{
	const char *s = gp_env(name);

	return s && *s ? s : NULL;
}

/* GOPROF_TRACE_BUFFER: bytes, from GP_TRACE_BUFFER_MIN to 2^40. */
static size_t trace_buffer_config(void)
{
	const char *cap = env_str("GOPROF_TRACE_BUFFER");
	char *end;

	if (!cap)
		return GP_TRACE_BUFFER_DEFAULT;
	errno = 0;
	unsigned long long v = strtoull(cap, &end, 10);
	if (errno || *end || cap[0] == '-' || v < GP_TRACE_BUFFER_MIN || v > (1ull << 40)) {
		gp_warn("GOPROF_TRACE_BUFFER=%s is not a number of bytes from %u to 2^40; using %u",
			cap, GP_TRACE_BUFFER_MIN, GP_TRACE_BUFFER_DEFAULT);
		return GP_TRACE_BUFFER_DEFAULT;
	}
	return (size_t)v;
}

/* GOPROF_TRACE_FORMAT: 1 for json, 0 for go (the default). */
static int trace_json_config(void)
{
	const char *format = env_str("GOPROF_TRACE_FORMAT");

	if (!format || !strcmp(format, "go"))
		return 0;
	if (!strcmp(format, "json"))
		return 1;
	gp_warn("GOPROF_TRACE_FORMAT=%s is neither go nor json; using go", format);
	return 0;
}

/* GOPROF_DB_RETAIN: an age and/or a size (retain.h); anything else: the default, said once. */
static void retain_config(void)
{
	const char *s = env_str("GOPROF_DB_RETAIN");
	struct gp_retain_limits lim;

	if (s && gp_retain_parse(s, &lim) != 0) {
		gp_warn("GOPROF_DB_RETAIN=%s is not an age and/or a size such as 24h, 500MB, "
			"24h,500MB or off; using %s", s, GP_DB_RETAIN_DEFAULT);
		s = NULL;
	}
	if (!s)
		gp_retain_parse(GP_DB_RETAIN_DEFAULT, &lim);
	gp_config.retain_age_s = lim.age_buckets;
	gp_config.retain_bytes = lim.max_bytes;
}

static void read_config(void)
{
	const char *clock;

	gp_config.db_pattern = db_pattern_config();
	retain_config();
	gp_config.cpu_hz = env_uint("GOPROF_CPU_HZ", 100, 0, 1000);
	gp_config.stack_depth = env_uint("GOPROF_STACK_DEPTH", 256, 1, GP_MAX_STACK_DEPTH);
	gp_config.mem_rate = env_uint("GOPROF_MEMPROFILE_RATE", 524288, 0, 1u << 30);
	gp_config.block_rate_ns = env_i64("GOPROF_BLOCK_RATE", 0, 0, INT64_MAX / 2);
	gp_config.mutex_fraction = env_uint("GOPROF_MUTEX_FRACTION", 0, 0, INT_MAX);
	gp_config.block_io = (int)env_uint("GOPROF_BLOCK_IO", 0, 0, 1);
	gp_config.http_listen = env_str("GOPROF_HTTP");
	gp_config.http_allow_remote = env_flag("GOPROF_HTTP_ALLOW_REMOTE");
	gp_config.http_token = gp_env("GOPROF_HTTP_TOKEN");
	gp_config.http_cmdline = env_flag("GOPROF_HTTP_CMDLINE");
	gp_config.trace_path = env_str("GOPROF_TRACE");
	gp_config.trace_json = gp_config.trace_path ? trace_json_config() : 0;
	gp_config.trace_buffer = trace_buffer_config();
	clock = gp_env("GOPROF_CLOCK");
	gp_config.clock_monotonic = clock && !strcmp(clock, "monotonic");
}

/*
 * GOPROF_HTTP without GOPROF_DB: the server answers from a database of goprof's own, in a
 * new directory of mode 0700 with a random name under TMPDIR (mkdtemp), so that no other
 * user can guess its name, plant a file or a link there, or read it; both are removed at
 * exit.
 */
static void read_http_config(void)
{
	static char path[PATH_MAX];
	char dir[PATH_MAX];
	const char *tmp;

	if (!gp_config.http_listen || gp_config.db_pattern)
		return;
	tmp = getenv("TMPDIR");	/* never in secure mode: GOPROF_HTTP is ignored there */
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/goprof-XXXXXX", tmp) >= (int)sizeof(dir)) {
		gp_warn("TMPDIR=%s is too long for GOPROF_HTTP's database; not serving", tmp);
		return;
	}
	if (!mkdtemp(dir)) {
		gp_warn("GOPROF_HTTP: cannot make a private directory in %s (%s); not serving",
			tmp, strerror(errno));
		return;
	}
	int n = pattern_literal(path, sizeof(path) - 16, dir);
	if (n < 0) {
		rmdir(dir);
		gp_warn("TMPDIR=%s is too long for GOPROF_HTTP's database; not serving", tmp);
		return;
	}
	strcpy(path + n, "/http-%p.db");
	gp_config.db_pattern = path;
	gp_config.db_temporary = 1;
}

/* goprof's locks are taken across fork() as goprof's own work: never recorded */
static void atfork_prepare(void)
{
	gp_heap_guard(1);
	/* the writer first: it takes the others while it works */
	gp_writer_atfork_prepare();
	gp_symbolize_atfork_prepare();
	gp_thread_atfork_prepare();
	gp_heap_atfork_prepare();
	gp_lock_atfork_prepare();
}

static void atfork_parent(void)
{
	gp_lock_atfork_parent();
	gp_heap_atfork_parent();
	gp_thread_atfork_parent();
	gp_symbolize_atfork_parent();
	gp_writer_atfork_parent();
	gp_heap_guard(0);
}

static void atfork_child(void)
{
	gp_symbolize_atfork_child();
	gp_clock_atfork_child();
	gp_http_host_atfork_child();
	gp_lock_atfork_child();
	gp_heap_atfork_child();
	gp_thread_atfork_child();
	gp_trace_atfork_child();
	gp_labels_atfork_child();
	gp_custom_atfork_child();
	/* the new writer thread and its state are goprof's, not the program's allocations */
	gp_heap_guard(1);
	if (gp_config.db_pattern)
		gp_writer_atfork_child();
	gp_heap_guard(0);
	gp_heap_guard(0);
}

__attribute__((constructor(101))) static void gp_init(void)
{
	int database = 0;

	gp_lock_resolve();
	gp_io_resolve();
	gp_thread_init();
	gp_stack_init();
	gp_stack_attach(0);
	read_config();
	read_http_config();
	gp_sampler_init();
	/* the code the sampled paths' stack scans accept (gp_stack_scan_site) */
	if (gp_config.db_pattern)
		gp_stack_text_refresh();
	/* Before the main thread's timer runs: goprof's own set-up is not the program's. */
	if (gp_config.db_pattern && gp_writer_start() == 0) {
		gp_signals_take_fatal();
		database = 1;
	}
	gp_config.database = database;
	gp_lock_init(database);
	gp_io_init(database);
	/* sampled from here on: the database is open, the writer thread runs */
	gp_heap_init();
	gp_heap_guard(1);
	gp_thread_started(NULL);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	gp_heap_guard(0);
	/* the program's own events from here on */
	gp_trace_init();
	gp_http_host_start();
}

__attribute__((destructor(101))) static void gp_fini(void)
{
	/*
	 * The main thread's part ends here; the final flush is not the program's time. Its
	 * shadow stack stays: the last snapshot shows the exiting thread. A fork child whose
	 * writer never started writes here, on this thread, what it recorded up to now.
	 */
	gp_trace_fini();
	gp_thread_ended(1);
	gp_http_host_stop();
	if (gp_config.db_pattern) {
		gp_writer_forked_exit();
		gp_writer_stop();
	}
}
