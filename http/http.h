/*
 * The /debug/pprof HTTP endpoints (spec §1-§4), on libmicrohttpd. One server serves a
 * goprof database: in the profiled program (rt/http-host.c, loaded on demand) it is the
 * program's own database, which it asks the writer to bring up to date before answering;
 * in `goprof-export serve` it is a database some process may still be writing.
 *
 * Security defaults live here, so both get them: loopback addresses only unless remote
 * access is allowed, an optional bearer token, bounded request sizes, connections and
 * time per connection.
 */
#ifndef GOPROF_HTTP_HTTP_H
#define GOPROF_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct gp_http;

/* What the server needs from where it runs. */
struct gp_http_host {
	const char *listen;		/* "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses) */
	const char *token;		/* required bearer token, NULL or "" for none */
	int allow_remote;		/* 0: refuse to listen beyond loopback */
	int cmdline;			/* 1: /debug/pprof/cmdline answers */
	const char *db_path;		/* the database the answers come from */
	/*
	 * Brings the database up to date (commits what the program has now), waiting at
	 * most timeout_ms; 0 on success. NULL when the database is written elsewhere.
	 */
	int (*sync)(void *ctx, unsigned timeout_ms);
	/*
	 * The function at addr, into name; 0 if found. NULL: no symbol table (the symbol
	 * endpoint then knows no address).
	 */
	int (*symbol)(void *ctx, uint64_t addr, char *name, size_t len);
	/*
	 * Captures an execution trace of the next seconds into fd (json: trace-event JSON,
	 * else Go's format), stopping early once cancelled(cctx); 0, or -errno with one line
	 * in err (-EBUSY: another trace runs). NULL where there is no program to trace.
	 */
	int (*trace)(void *ctx, double seconds, int json, int fd, int (*cancelled)(void *),
		     void *cctx, char *err, size_t errlen);
	/* The argv, each argument ended by a NUL, into buf; its length, or -1. */
	long (*argv)(void *ctx, char *buf, size_t len);
	/* Seconds between two commits of the writer (how stale the database may be). */
	double commit_interval_s;
	void *ctx;
};

/*
 * Starts serving; the host is copied (its strings must stay valid until gp_http_stop).
 * Returns NULL with a one-line reason in err on a bad address, a refused remote address or
 * a port that cannot be bound.
 */
struct gp_http *gp_http_start(const struct gp_http_host *host, char *err, size_t errlen);

/* The address actually bound ("127.0.0.1:6060"), e.g. after asking for port 0. */
const char *gp_http_address(const struct gp_http *h);

/* The listening socket (a fork child closes its copy). */
int gp_http_listen_fd(const struct gp_http *h);

/* Stops serving and frees the server; requests in progress are cut. */
void gp_http_stop(struct gp_http *h);

#endif
