/*
 * GOPROF_HTTP: the /debug/pprof server inside the profiled program.
 *
 * DESIGN. The server (http/http.c, on libmicrohttpd, with the exporter) lives in a module
 * of its own, goprof-module.so, loaded with dlopen only when GOPROF_HTTP is set: a program
 * that never asks for it maps none of it. The module answers from the program's database
 * (a private one, removed at exit, when GOPROF_DB is not set), after asking the writer to
 * commit what it has, so that every answer is as fresh as the request and comes from the
 * same code as `goprof-export`. This file is the module's host: it finds the module,
 * hands it the functions it needs from libgoprof, and keeps the server's threads out of
 * the program's profiles.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp-internal.h"

#ifdef GP_HTTP
#include "http.h"

/* What the module exports (http/http-module.c). */
typedef struct gp_http *(*module_start_fn)(const struct gp_http_host *host, char *err,
					   size_t errlen);

static struct gp_http *server;
static void (*server_stop)(struct gp_http *h);
static void *module;
static char db_path[PATH_MAX];
static int listen_fd = -1;	/* the server's socket, closed by a fork child */

static int host_sync(void *ctx, unsigned timeout_ms)
{
	(void)ctx;
	return gp_writer_sync(timeout_ms);
}

static int host_symbol(void *ctx, uint64_t addr, char *name, size_t len)
{
	struct gp_pc_info info;
	(void)ctx;

	if (gp_pc_lookup((uintptr_t)addr, &info) != 0 || !info.function)
		return -1;
	snprintf(name, len, "%s", info.function);
	return 0;
}

static int host_trace(void *ctx, double seconds, int json, int fd, int (*cancelled)(void *),
		      void *cctx, char *err, size_t errlen)
{
	(void)ctx;
	return gp_trace_capture(seconds, json, fd, cancelled, cctx, err, errlen);
}

static long host_argv(void *ctx, char *buf, size_t len)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;
	(void)ctx;

	if (fd < 0)
		return -1;
	while (n < len && (r = read(fd, buf + n, len - n)) > 0)
		n += (size_t)r;
	close(fd);
	return (long)n;
}

/* The module: next to libgoprof (build tree), in its goprof/ directory, or installed. */
static void *load_module(char *err, size_t errlen)
{
	Dl_info self;
	char path[PATH_MAX];
	void *h;

	if (dladdr((void *)load_module, &self) && self.dli_fname) {
		const char *slash = strrchr(self.dli_fname, '/');
		int dir = slash ? (int)(slash - self.dli_fname) : 0;
		static const char *const rel[] = { "goprof/goprof-module.so", "goprof-module.so" };
		for (size_t i = 0; slash && i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(path, sizeof(path), "%.*s/%s", dir, self.dli_fname, rel[i]);
			if (access(path, R_OK) == 0 && (h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
				return h;
		}
	}
	h = dlopen(GP_PKGLIBDIR "/goprof-module.so", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		snprintf(err, errlen, "cannot load the HTTP module: %s", dlerror());
	return h;
}

void gp_http_host_start(void)
{
	const char *listen = gp_config.http_listen;
	char err[512] = "";

	if (!listen || server)
		return;
	if (gp_writer_db_path(db_path, sizeof(db_path)) != 0) {
		gp_warn("GOPROF_HTTP=%s: no database to serve from; not serving", listen);
		return;
	}
	/* the module's own allocations and threads are goprof's, not the program's */
	gp_heap_guard(1);
	gp_thread_internal_begin();
	if (!module)
		module = load_module(err, sizeof(err));
	module_start_fn start = module ? (module_start_fn)dlsym(module, "gp_module_http_start")
				       : NULL;
	server_stop = module ? (void (*)(struct gp_http *))dlsym(module, "gp_module_http_stop")
			     : NULL;
	if (module && (!start || !server_stop))
		snprintf(err, sizeof(err), "the HTTP module is not goprof's");
	if (start && server_stop) {
		struct gp_http_host host = {
			.listen = listen,
			.token = gp_config.http_token,
			.allow_remote = gp_config.http_allow_remote,
			.cmdline = gp_config.http_cmdline,
			.db_path = db_path,
			.sync = host_sync,
			.symbol = host_symbol,
			.argv = host_argv,
			.trace = host_trace,
			.commit_interval_s = 0.5,
		};
		server = start(&host, err, sizeof(err));
	}
	gp_thread_internal_end();
	gp_heap_guard(0);
	if (!server) {
		gp_warn("%s; the program runs on without it", err);
		return;
	}
	int (*fd_of)(const struct gp_http *) =
		(int (*)(const struct gp_http *))dlsym(module, "gp_module_http_listen_fd");
	listen_fd = fd_of ? fd_of(server) : -1;
	/* port 0 asked for any free port: say which one it got */
	size_t n = strlen(listen);
	const char *(*address)(const struct gp_http *) =
		(const char *(*)(const struct gp_http *))dlsym(module, "gp_module_http_address");
	if (n >= 2 && strcmp(listen + n - 2, ":0") == 0 && address)
		gp_warn("serving /debug/pprof on http://%s/debug/pprof/", address(server));
}

/*
 * In a fork child the server's threads do not exist: forget it without stopping it (its
 * memory is the parent's copy; its listening socket closes with the child).
 */
void gp_http_host_atfork_child(void)
{
	if (!server)
		return;
	server = NULL;
	/* the parent serves; the child must not keep its port bound after the parent ends */
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
}

void gp_http_host_stop(void)
{
	if (!server)
		return;
	gp_heap_guard(1);
	server_stop(server);
	server = NULL;
	listen_fd = -1;
	gp_heap_guard(0);
}

#else /* !GP_HTTP */

void gp_http_host_start(void)
{
	const char *listen = gp_config.http_listen;

	if (listen)
		gp_warn("GOPROF_HTTP=%s: this goprof was built without the HTTP server "
			"(--disable-http); the program runs on without it", listen);
}

void gp_http_host_stop(void)
{
}

void gp_http_host_atfork_child(void)
{
}

#endif
