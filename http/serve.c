/*
 * goprof-export serve [--http ADDR] DB: the /debug/pprof endpoints of a database, also one
 * that a running program is still writing (its writer commits twice a second; a CPU or
 * delta profile waits for the commit after its window). Same server, same security
 * defaults as GOPROF_HTTP in the program (http/http.c).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "export.h"
#include "http.h"

/* The argv the program was started with, from the process row. */
static long db_argv(void *ctx, char *buf, size_t len)
{
	const char *path = ctx;
	sqlite3 *db;
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	if (sqlite3_prepare_v2(db, "SELECT cmdline FROM process WHERE id = 1", -1, &st,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			int bytes = sqlite3_column_bytes(st, 0);
			const void *blob = sqlite3_column_blob(st, 0);
			n = bytes < 0 ? 0 : (size_t)bytes > len ? (long)len : bytes;
			if (blob && n > 0)
				memcpy(buf, blob, (size_t)n);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static int env_flag(const char *name)
{
	const char *s = getenv(name);

	return s && strcmp(s, "1") == 0;
}

int gp_serve_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "http", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:6060";
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			listen = optarg;
			break;
		case 'h':
			printf("usage: goprof-export serve [--http ADDR:PORT] DB\n"
			       "Serves the /debug/pprof endpoints and the web UI (/ui/) of DB\n"
			       "(default address %s).\n"
			       "GOPROF_HTTP_TOKEN, GOPROF_HTTP_ALLOW_REMOTE and "
			       "GOPROF_HTTP_CMDLINE apply as in the program.\n", listen);
			return 0;
		case ':':
			fprintf(stderr, "goprof-export serve: option %s needs an argument\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "goprof-export serve: unknown option %s\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "goprof-export serve: %s (try goprof-export serve --help)\n",
			optind == argc ? "no database given" : "more than one database given");
		return 2;
	}
	const char *db = argv[optind];
	char msg[512];
	struct gp_export_counts counts;
	if (gp_export_count(db, &counts, msg, sizeof(msg)) != 0)
		errx(1, "%s", msg);

	struct gp_http_host host = {
		.listen = listen,
		.token = getenv("GOPROF_HTTP_TOKEN"),
		.allow_remote = env_flag("GOPROF_HTTP_ALLOW_REMOTE"),
		.cmdline = env_flag("GOPROF_HTTP_CMDLINE"),
		.db_path = db,
		.argv = db_argv,
		.commit_interval_s = 0.5,
		.ctx = (void *)db,
	};
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	/* the server's threads inherit the mask: the signals come to sigwait below */
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct gp_http *h = gp_http_start(&host, msg, sizeof(msg));
	if (!h)
		errx(1, "%s", msg);
	fprintf(stderr, "goprof-export: serving %s on http://%s/debug/pprof/ (web UI: /ui/)\n",
		db, gp_http_address(h));
	int sig;
	sigwait(&stop, &sig);
	gp_http_stop(h);
	return 0;
}
