/*
 * The /debug/pprof endpoints (see http.h). libmicrohttpd runs one thread per connection,
 * so a CPU profile that waits 30 s holds its own thread only; a watchdog cuts connections
 * that outlive their deadline (a client sending one byte a second never goes idle, so
 * libmicrohttpd's idle timeout alone would not end it).
 *
 * Every answer is built by the exporter (export-run.c) from the database, into a memory
 * file that libmicrohttpd sends: the same code as `goprof-export`, the same bytes.
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "export.h"
#include "http.h"
#include "ui-http.h"
#include "util.h"

#define MAX_CONNECTIONS 64
#define IDLE_TIMEOUT_S 10	/* libmicrohttpd: no byte for this long ends a connection */
#define REQUEST_DEADLINE_S 15	/* a whole request, on top of the time it asked to wait */
#define HEADER_MEMORY 16384	/* request line + headers (and the symbol POST body) */
#define MAX_SECONDS 3600	/* the longest profile or delta a request may ask for */
#define MAX_WATCHED MAX_CONNECTIONS
#define MAX_DELTAS 4		/* profiles of the next seconds (?seconds=) collected at once */

/* A connection the watchdog keeps an eye on. */
struct watched {
	struct MHD_Connection *conn;	/* NULL: free slot */
	int fd;
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC */
};

struct gp_http {
	struct gp_http_host host;
	char *listen, *token, *db_path;
	struct MHD_Daemon *daemon;
	char address[INET6_ADDRSTRLEN + 16];
	_Atomic int cpu_busy;		/* one CPU profile at a time, as Go */
	_Atomic int deltas;		/* delta profiles being collected, MAX_DELTAS at most */

	pthread_mutex_t lock;		/* watched[] */
	struct watched watched[MAX_WATCHED];
	pthread_t watchdog;
	int stopping;			/* lock */
	pthread_cond_t stop_cond;
};

/* What a request collects before it is answered (symbol POST bodies). */
struct request {
	char *query;			/* the raw query string (symbol?ADDR+ADDR), or NULL */
	int started;			/* on_request has seen the headers */
	char body[4096];
	size_t len;
	int too_long;
};



/* ---- the watchdog ----------------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct gp_http *h = cls;
	(void)socket_ctx;

	pthread_mutex_lock(&h->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		for (int i = 0; i < MAX_WATCHED; i++)
			if (!h->watched[i].conn) {
				h->watched[i].conn = conn;
				h->watched[i].fd = ci ? ci->connect_fd : -1;
				h->watched[i].deadline_ns =
					gp_mono_ns() + REQUEST_DEADLINE_S * 1000000000ull;
				break;
			}
	} else {
		for (int i = 0; i < MAX_WATCHED; i++)
			if (h->watched[i].conn == conn)
				h->watched[i].conn = NULL;
	}
	pthread_mutex_unlock(&h->lock);
}

/* A request that will wait seconds (a CPU or delta profile) gets that much more time. */
static void extend_deadline(struct gp_http *h, struct MHD_Connection *conn, double seconds)
{
	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < MAX_WATCHED; i++)
		if (h->watched[i].conn == conn)
			h->watched[i].deadline_ns = gp_mono_ns() + (uint64_t)((seconds +
						   REQUEST_DEADLINE_S) * 1e9);
	pthread_mutex_unlock(&h->lock);
}

static void *watchdog_main(void *arg)
{
	struct gp_http *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&h->stop_cond, &h->lock, &ts);
		uint64_t now = gp_mono_ns();
		for (int i = 0; i < MAX_WATCHED; i++) {
			struct watched *w = &h->watched[i];
			/* the connection's thread sees the error and closes it */
			if (w->conn && w->fd >= 0 && now > w->deadline_ns) {
				shutdown(w->fd, SHUT_RDWR);
				w->deadline_ns = UINT64_MAX;
			}
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- answers ------------------------------------------------------------------------------ */

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A text answer; errors are marked for go tool pprof with X-Go-Pprof (spec §2.1). */
static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status,
				   const char *type, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, body,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", type);
	if (status >= 400)
		MHD_add_response_header(r, "X-Go-Pprof", "1");
	return queue(conn, status, r);
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static enum MHD_Result answer_error(struct MHD_Connection *conn, unsigned status,
				    const char *msg)
{
	return answer_text(conn, status, TEXT_PLAIN, "%s\n", msg);
}

/* An answer whose body the exporter wrote into the memory file fd. */
static enum MHD_Result answer_file(struct MHD_Connection *conn, int fd, const char *type,
				   const char *filename)
{
	off_t size = lseek(fd, 0, SEEK_END);
	struct MHD_Response *r;

	if (size < 0 || !(r = MHD_create_response_from_fd((uint64_t)size, fd))) {
		close(fd);
		return answer_error(conn, 500, "failed to collect profile");
	}
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", type);
	if (filename) {
		char disp[96];
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(r, "Content-Disposition", disp);
	}
	return queue(conn, 200, r);
}

/* Runs the exporter into a memory file and answers with it, or with its error. */
static enum MHD_Result answer_export(struct gp_http *h, struct MHD_Connection *conn,
				     const struct gp_export_query *q, const char *filename)
{
	char err[256];
	int fd = memfd_create("goprof-answer", MFD_CLOEXEC);

	if (fd < 0)
		return answer_error(conn, 500, "failed to collect profile");
	if (gp_export_run(h->db_path, q, fd, err, sizeof(err)) != 0) {
		close(fd);
		return answer_error(conn, 500, err);
	}
	if (strcmp(q->format, "pprof") == 0)
		return answer_file(conn, fd, "application/octet-stream", filename);
	return answer_file(conn, fd, TEXT_PLAIN, NULL);
}

/* Brings the database up to date, if this server can (in the profiled program). */
static void sync_db(struct gp_http *h)
{
	if (h->host.sync)
		h->host.sync(h->host.ctx, 2000);
}

/*
 * Waits until the realtime clock reaches until_ns, or the client goes away (then returns
 * -1). The database's samples are kept in whole buckets, hence waits to a bucket edge.
 */
static int wait_until(struct MHD_Connection *conn, uint64_t until_ns)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci ? ci->connect_fd : -1;

	for (;;) {
		uint64_t now = gp_real_ns();
		if (now >= until_ns)
			return 0;
		uint64_t left_ms = (until_ns - now) / 1000000 + 1;
		struct pollfd p = { .fd = fd, .events = POLLRDHUP };
		int rc = poll(&p, fd >= 0 ? 1 : 0, left_ms > 100 ? 100 : (int)left_ms);
		if (rc > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return -1;
	}
}

/* The first bucket edge at or after t: where a window of whole buckets can start. */
static uint64_t next_edge(struct gp_http *h, uint64_t t)
{
	int64_t start = 0, width = 0;

	if (gp_export_buckets(h->db_path, &start, &width) != 0 || width <= 0 ||
	    (int64_t)t <= start)
		return t;
	uint64_t k = ((t - (uint64_t)start) + (uint64_t)width - 1) / (uint64_t)width;
	return (uint64_t)start + k * (uint64_t)width;
}

/* Waits for [from, from + seconds) to be over and in the database. -1: client gone. */
static int wait_window(struct gp_http *h, struct MHD_Connection *conn, uint64_t from,
		       long seconds)
{
	uint64_t to = from + (uint64_t)seconds * 1000000000u;

	if (wait_until(conn, to) != 0)
		return -1;
	if (h->host.sync) {
		sync_db(h);
		return 0;
	}
	/* written by another process: wait for its next commit */
	return wait_until(conn, to + (uint64_t)(h->host.commit_interval_s * 1.5e9));
}

/* The client of conn hung up (a trace stops early then). */
static int client_gone(void *arg)
{
	struct pollfd p = { .fd = (int)(intptr_t)arg, .events = POLLRDHUP };

	return p.fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* /debug/pprof/trace?seconds=F[&format=json]: an execution trace of the next F seconds. */
static enum MHD_Result serve_trace(struct gp_http *h, struct MHD_Connection *conn)
{
	const char *sec = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seconds");
	const char *fmt = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	double seconds = 0;
	char err[256];

	/* Go: a float; missing, unparsable or not positive means 1 */
	if (sec) {
		char *end;
		seconds = strtod(sec, &end);
		if (end == sec || *end || !(seconds > 0))
			seconds = 0;
	}
	if (seconds <= 0)
		seconds = 1;
	if (seconds > MAX_SECONDS)
		return answer_error(conn, 400, "profile duration exceeds server's WriteTimeout");
	if (!h->host.trace)
		return answer_error(conn, 501, "Could not enable tracing: serve reads a "
				    "database and cannot trace; ask the running program "
				    "(GOPROF_HTTP), or take the traces it kept with "
				    "goprof-export -t trace");
	int json = fmt && strcmp(fmt, "json") == 0;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int cfd = ci ? ci->connect_fd : -1;
	int fd = memfd_create("goprof-trace", MFD_CLOEXEC);
	if (fd < 0)
		return answer_error(conn, 500, "Could not enable tracing: out of memory");
	extend_deadline(h, conn, seconds + 5);
	int rc = h->host.trace(h->host.ctx, seconds, json, fd, client_gone, (void *)(intptr_t)cfd,
			       err, sizeof(err));
	if (rc != 0) {
		close(fd);
		char msg[320];
		snprintf(msg, sizeof(msg), "Could not enable tracing: %s%s",
			 rc == -EBUSY ? "runtime error: " : "", err);
		return answer_error(conn, 500, msg);
	}
	if (client_gone((void *)(intptr_t)cfd)) {
		close(fd);
		return MHD_NO;
	}
	return answer_file(conn, fd, json ? "application/json" : "application/octet-stream",
			   json ? "trace.json" : "trace");
}

/* strconv.Atoi-like: a whole decimal number, optional sign; -1 if not one. */
static int parse_int(const char *s, long *out)
{
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Is name one of the program's own profiles (goprof_profile_new) in the database? */
static int is_custom_profile(struct gp_http *h, const char *name)
{
	struct gp_export_counts *c = calloc(1, sizeof(*c));
	char err[256];
	int found = 0;

	if (!c)
		return 0;
	sync_db(h);
	if (gp_export_count(h->db_path, c, err, sizeof(err)) == 0)
		for (size_t i = 0; i < c->ncustom && !found; i++)
			found = strcmp(c->custom[i].name, name) == 0;
	free(c);
	return found;
}

static const char *const named_profiles[] = {
	"allocs", "block", "goroutine", "heap", "mutex", "threadcreate",
};

static int is_named_profile(const char *name)
{
	for (size_t i = 0; i < sizeof(named_profiles) / sizeof(named_profiles[0]); i++)
		if (strcmp(name, named_profiles[i]) == 0)
			return 1;
	return 0;
}

/* GOROUTINE ... ?debug=N&seconds=N (spec §2.2, §2.3, §6.8) */
static enum MHD_Result serve_named(struct gp_http *h, struct MHD_Connection *conn,
				   const char *name)
{
	const char *sec = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seconds");
	const char *dbg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "debug");
	long debug = 0, seconds = 0;
	struct gp_export_query q = { .type = strcmp(name, "profile") == 0 ? "cpu" : name };

	if (parse_int(dbg, &debug) != 0)
		debug = 0;
	if (sec) {
		if (parse_int(sec, &seconds) != 0 || seconds <= 0)
			return answer_error(conn, 400, "invalid value for \"seconds\" - must be "
					    "a positive integer");
		if (seconds > MAX_SECONDS)
			return answer_error(conn, 400, "profile duration exceeds server's "
					    "WriteTimeout");
		if (debug != 0)
			return answer_error(conn, 400, "seconds and debug params are "
					    "incompatible");
		/*
		 * a delta profile: what happened in the next seconds (spec §6.8). Each holds
		 * a connection and its thread that long: a few at a time.
		 */
		if (atomic_fetch_add(&h->deltas, 1) >= MAX_DELTAS) {
			atomic_fetch_sub(&h->deltas, 1);
			return answer_error(conn, 503, "too many profiles of the next seconds "
					    "being collected; try again later");
		}
		char filename[32];
		snprintf(filename, sizeof(filename), "%s-delta", name);
		extend_deadline(h, conn, (double)seconds + 1 + h->host.commit_interval_s);
		sync_db(h);
		uint64_t from = next_edge(h, gp_real_ns());
		enum MHD_Result ret = MHD_NO;
		if (wait_window(h, conn, from, seconds) == 0) {
			q.format = "pprof";
			q.from_ns = (int64_t)from;
			q.to_ns = (int64_t)from + seconds * 1000000000;
			q.delta = 1;
			ret = answer_export(h, conn, &q, filename);
		}
		atomic_fetch_sub(&h->deltas, 1);
		return ret;
	}
	sync_db(h);
	q.format = debug ? "text" : "pprof";
	q.debug = debug >= 2 ? 2 : 1;
	return answer_export(h, conn, &q, name);
}

/* /debug/pprof/profile?seconds=N: the CPU profile of the next N seconds (default 30). */
static enum MHD_Result serve_cpu(struct gp_http *h, struct MHD_Connection *conn)
{
	const char *sec = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seconds");
	long seconds;

	if (parse_int(sec, &seconds) != 0 || seconds <= 0)
		seconds = 30;
	if (seconds > MAX_SECONDS)
		return answer_error(conn, 400, "profile duration exceeds server's WriteTimeout");
	if (atomic_exchange(&h->cpu_busy, 1))
		return answer_error(conn, 500, "Could not enable CPU profiling: cpu profiling "
				    "already in use");
	extend_deadline(h, conn, (double)seconds + 1 + h->host.commit_interval_s);
	sync_db(h);
	uint64_t from = next_edge(h, gp_real_ns());
	enum MHD_Result ret;
	if (wait_window(h, conn, from, seconds) != 0) {
		ret = MHD_NO;
	} else {
		struct gp_export_query q = { .type = "cpu", .format = "pprof",
					     .from_ns = (int64_t)from,
					     .to_ns = (int64_t)from + seconds * 1000000000 };
		ret = answer_export(h, conn, &q, "profile");
	}
	atomic_store(&h->cpu_busy, 0);
	return ret;
}

/* The index page (spec §3): one row per profile with its count, then what each one is. */
static enum MHD_Result serve_index(struct gp_http *h, struct MHD_Connection *conn)
{
	static const struct {
		const char *name, *what;
	} rows[] = {
		{ "allocs", "Sampled allocations over the whole run, with the stacks that made them" },
		{ "block", "Stacks that waited on locks, condition variables, semaphores, barriers "
			   "and joins, with how long" },
		{ "cmdline", "The program's command line (when GOPROF_HTTP_CMDLINE=1)" },
		{ "goroutine", "The stack and state of every live thread" },
		{ "heap", "Sampled allocations still in use, with the stacks that made them" },
		{ "mutex", "Stacks that unlocked a contended mutex, with how long others waited for "
			   "it" },
		{ "profile", "CPU profile of the next seconds (the seconds parameter, 30 by "
			     "default); read it with go tool pprof" },
		{ "threadcreate", "The stacks that created each thread" },
		{ "trace", "Execution trace of the next seconds; read it with go tool trace" },
	};
	struct gp_export_counts *c = calloc(1, sizeof(*c));
	char err[256];
	char *page = NULL;
	size_t len = 0, nrows = sizeof(rows) / sizeof(rows[0]);
	FILE *f;

	if (!c)
		return answer_error(conn, 500, "out of memory");
	sync_db(h);
	gp_export_count(h->db_path, c, err, sizeof(err));
	if (!(f = open_memstream(&page, &len)))
		return answer_error(conn, 500, "out of memory");
	fputs("<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n.profile-name{\n"
	      "\tdisplay:inline-block;\n\twidth:6rem;\n}\n</style>\n</head>\n<body>\n"
	      "/debug/pprof/<br>\n<br>\nTypes of profiles available:\n<table>\n"
	      "<thead><td>Count</td><td>Profile</td></thead>\n", f);
	/* built-in and custom profiles merged by name, as Go sorts them */
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0, j = 0;
		while (i < nrows || j < c->ncustom) {
			int builtin = j == c->ncustom ||
				(i < nrows && strcmp(rows[i].name, c->custom[j].name) < 0);
			const char *name = builtin ? rows[i].name : c->custom[j].name;
			long long n = !builtin ? c->custom[j].count :
				strcmp(name, "allocs") == 0 || strcmp(name, "heap") == 0 ? c->heap :
				strcmp(name, "block") == 0 ? c->block :
				strcmp(name, "mutex") == 0 ? c->mutex :
				strcmp(name, "goroutine") == 0 ? c->goroutine :
				strcmp(name, "threadcreate") == 0 ? c->threadcreate : 0;
			if (pass == 0)
				fprintf(f, "<tr><td>%lld</td><td><a href='%s?debug=1'>%s</a></td>"
					"</tr>\n", n, name, name);
			else
				fprintf(f, "<li><div class=profile-name>%s: </div> %s</li>\n", name,
					builtin ? rows[i].what : "");
			if (builtin)
				i++;
			else
				j++;
		}
		if (pass == 0)
			fputs("</table>\n<a href=\"goroutine?debug=2\">full goroutine stack "
			      "dump</a>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n", f);
	}
	free(c);
	fputs("</ul>\n</p>\n</body>\n</html>", f);
	if (fclose(f) != 0) {
		free(page);
		return answer_error(conn, 500, "out of memory");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, page,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	return queue(conn, 200, r);
}

static enum MHD_Result serve_cmdline(struct gp_http *h, struct MHD_Connection *conn)
{
	char buf[65536];
	long n;

	if (!h->host.cmdline)
		return answer_error(conn, 403, "cmdline is off; set GOPROF_HTTP_CMDLINE=1 to "
				    "serve it");
	if (!h->host.argv || (n = h->host.argv(h->host.ctx, buf, sizeof(buf))) < 0)
		return answer_error(conn, 500, "command line not available");
	/* argv joined by NUL, without the last one (spec §4) */
	if (n > 0 && buf[n - 1] == '\0')
		n--;
	struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, buf,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", TEXT_PLAIN);
	return queue(conn, 200, r);
}

/* symbol: "num_symbols: 1", then "0x<addr> <name>" per known address of the list. */
static enum MHD_Result serve_symbol(struct gp_http *h, struct MHD_Connection *conn,
				    const char *list)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);

	if (!f)
		return answer_error(conn, 500, "out of memory");
	fputs("num_symbols: 1\n", f);
	while (list && *list) {
		const char *end = strchr(list, '+');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		char word[32], name[512];
		if (n > 0 && n < sizeof(word)) {
			memcpy(word, list, n);
			word[n] = '\0';
			char *e;
			errno = 0;
			unsigned long long addr = strtoull(word, &e, 0);
			if (!errno && !*e && h->host.symbol &&
			    h->host.symbol(h->host.ctx, addr, name, sizeof(name)) == 0)
				fprintf(f, "0x%llx %s\n", addr, name);
		}
		list = end ? end + 1 : NULL;
	}
	if (fclose(f) != 0) {
		free(body);
		return answer_error(conn, 500, "out of memory");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", TEXT_PLAIN);
	return queue(conn, 200, r);
}

/*
 * libmicrohttpd gives on_request the path without its query, and the query only parsed
 * ('+' turned into a space): the raw query that GET symbol?ADDR+ADDR lists its addresses
 * in (Go reads r.URL.RawQuery) is kept here, where the request line arrives, up to a '&'
 * (a token=). The result becomes the request's context.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *rq = calloc(1, sizeof(*rq));
	const char *q = strchr(uri, '?');
	(void)cls;
	(void)conn;

	if (rq && q)
		rq->query = strndup(q + 1, strcspn(q + 1, "&"));
	return rq;
}

/* The token, from "Authorization: Bearer T" or ?token=T, compared in constant time. */
static int authorized(struct gp_http *h, struct MHD_Connection *conn)
{
	const char *given = NULL;

	if (!h->token || !*h->token)
		return 1;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		given = auth + 7;
	else
		given = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	if (!given)
		return 0;
	size_t a = strlen(given), b = strlen(h->token);
	unsigned char diff = a != b;
	for (size_t i = 0; i < b; i++)
		diff |= (unsigned char)(given[i < a ? i : 0] ^ h->token[i]);
	return diff == 0;
}

static enum MHD_Result answer_unauthorized(struct MHD_Connection *conn)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(13, "Unauthorized\n",
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", TEXT_PLAIN);
	MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"goprof\"");
	return queue(conn, 401, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_ctx)
{
	struct gp_http *h = cls;
	struct request *rq = *req_ctx;
	int post = strcmp(method, "POST") == 0;
	(void)version;

	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*req_ctx = rq;
	}
	if (!rq->started) {
		/* first call: headers only; no body is read for a client without the token */
		rq->started = 1;
		/* the UI's page and scripts are the same for all; its data need the token */
		if (!authorized(h, conn) && !gp_ui_http_public(url))
			return answer_unauthorized(conn);
		if (post)
			return MHD_YES;
	}
	if (post && *upload_size) {
		size_t n = *upload_size;
		if (rq->len + n >= sizeof(rq->body))
			rq->too_long = 1;
		else
			memcpy(rq->body + rq->len, upload_data, n);
		if (!rq->too_long)
			rq->len += n;
		*upload_size = 0;
		return MHD_YES;
	}

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && !post) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
			19, "Method Not Allowed\n", MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
		MHD_add_response_header(r, "Content-Type", TEXT_PLAIN);
		return queue(conn, 405, r);
	}

	static const char prefix[] = "/debug/pprof/";
	const char *path = url;
	size_t plen = strcspn(path, "?");
	if (gp_ui_http_path(url)) {
		struct gp_ui_http ui = { h->db_path, h->host.sync, h->host.ctx };
		if (post)
			return answer_error(conn, 405, "Method Not Allowed");
		return (enum MHD_Result)gp_ui_http_answer(&ui, conn, url);
	}
	if (plen == sizeof(prefix) - 2 && strncmp(path, prefix, plen) == 0) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
			48, "<a href=\"/debug/pprof/\">Moved Permanently</a>.\n\n",
			MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Location", prefix);
		MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
		return queue(conn, 301, r);
	}
	if (plen < sizeof(prefix) - 1 || strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return answer_error(conn, 404, "404 page not found");

	char name[64];
	size_t nlen = plen - (sizeof(prefix) - 1);
	const char *n0 = path + sizeof(prefix) - 1;
	/* names are words of [A-Za-z0-9._-] (goprof_profile_new's): anything else is none */
	for (size_t i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)n0[i]) && !strchr("._-", n0[i]))
			return answer_error(conn, 404, "Unknown profile");
	if (nlen >= sizeof(name))
		return answer_error(conn, 404, "Unknown profile");
	memcpy(name, n0, nlen);
	name[nlen] = '\0';

	if (post && strcmp(name, "symbol") != 0)
		return answer_error(conn, 405, "Method Not Allowed");
	if (nlen == 0)
		return serve_index(h, conn);
	if (strcmp(name, "cmdline") == 0)
		return serve_cmdline(h, conn);
	if (strcmp(name, "symbol") == 0) {
		if (post) {
			if (rq->too_long)
				return answer_error(conn, 413, "request body too large");
			rq->body[rq->len] = '\0';
			return serve_symbol(h, conn, rq->body);
		}
		return serve_symbol(h, conn, rq->query);
	}
	if (strcmp(name, "profile") == 0)
		return serve_cpu(h, conn);
	if (strcmp(name, "trace") == 0)
		return serve_trace(h, conn);
	if (is_named_profile(name) || is_custom_profile(h, name))
		return serve_named(h, conn, name);
	return answer_error(conn, 404, "Unknown profile");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_ctx,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)conn;
	(void)code;
	struct request *rq = *req_ctx;
	if (rq)
		free(rq->query);
	free(rq);
	*req_ctx = NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

static int loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* Splits "HOST:PORT" / "[V6]:PORT" / ":PORT"; host "" means every address. */
static int split_listen(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		if ((size_t)(close - s - 1) >= hlen)
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= hlen || memchr(s, ':', (size_t)(colon - s)))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	const char *p = colon + 1;
	if (!*p || strlen(p) >= plen || strspn(p, "0123456789") != strlen(p) || atol(p) > 65535)
		return -1;
	strcpy(port, p);
	return 0;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct gp_http *gp_http_start(const struct gp_http_host *host, char *err, size_t errlen)
{
	char hostname[256], port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;

	if (split_listen(host->listen, hostname, sizeof(hostname), port, sizeof(port)) != 0) {
		fail(err, errlen, "GOPROF_HTTP=%s: not HOST:PORT, [IPV6]:PORT or :PORT",
		     host->listen);
		return NULL;
	}
	int rc = getaddrinfo(*hostname ? hostname : NULL, port, &hints, &ai);
	if (rc != 0) {
		fail(err, errlen, "GOPROF_HTTP=%s: %s", host->listen, gai_strerror(rc));
		return NULL;
	}
	if (!host->allow_remote && (!*hostname || !loopback(ai->ai_addr))) {
		fail(err, errlen, "GOPROF_HTTP=%s: not a loopback address; set "
		     "GOPROF_HTTP_ALLOW_REMOTE=1 to serve profiles to other machines",
		     host->listen);
		freeaddrinfo(ai);
		return NULL;
	}

	struct gp_http *h = calloc(1, sizeof(*h));
	if (!h) {
		freeaddrinfo(ai);
		fail(err, errlen, "out of memory");
		return NULL;
	}
	h->host = *host;
	h->listen = strdup(host->listen);
	h->token = host->token && *host->token ? strdup(host->token) : NULL;
	h->db_path = strdup(host->db_path);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->stop_cond, NULL);

	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!h->daemon) {
		fail(err, errlen, "GOPROF_HTTP=%s: cannot listen there (%s)", host->listen,
		     strerror(errno ? errno : EADDRINUSE));
		gp_http_stop(h);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon,
							     MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	if (di && getsockname(di->listen_fd, (struct sockaddr *)&ss, &sl) == 0) {
		int p;
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip,
				  sizeof(ip));
			p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(h->address, sizeof(h->address), "[%s]:%d", ip, p);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
			p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(h->address, sizeof(h->address), "%s:%d", ip, p);
		}
	}
	if (pthread_create(&h->watchdog, NULL, watchdog_main, h) != 0) {
		fail(err, errlen, "cannot start the HTTP watchdog thread");
		gp_http_stop(h);
		return NULL;
	}
	return h;
}

const char *gp_http_address(const struct gp_http *h)
{
	return h->address;
}

int gp_http_listen_fd(const struct gp_http *h)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon,
							     MHD_DAEMON_INFO_LISTEN_FD);
	return di ? di->listen_fd : -1;
}

void gp_http_stop(struct gp_http *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->watchdog) {
		pthread_mutex_lock(&h->lock);
		h->stopping = 1;
		pthread_cond_signal(&h->stop_cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->watchdog, NULL);
	}
	free(h->listen);
	free(h->token);
	free(h->db_path);
	free(h);
}
