/*
 * goprof-export: turns the profile history in a goprof database into the files other tools
 * read: pprof (gzip protobuf, `go tool pprof`), Go's `?debug=1` text layouts, a
 * `go tool pprof -top` style table, folded stacks for flamegraph.pl, flame graphs (a one-file
 * HTML page, an SVG) and the web UI's JSON; with -t trace, it
 * converts an execution trace file goprof wrote into trace-event JSON. See
 * doc/goprof-export.1.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "trace-read.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: goprof-export [-t TYPE] [-f FORMAT] [-o FILE] [--from T] [--to T] DB\n"
		"       goprof-export -t trace [-f json|go] [-o FILE] [--at T] DB|TRACEFILE\n"
		"  -t, --type TYPE      profile type: cpu (default), heap, allocs, block, mutex,\n"
		"                       threadcreate, goroutine; a profile the program made\n"
		"                       (goprof_profile_new); or trace: an execution trace\n"
		"                       the database kept, or a trace file goprof wrote\n"
		"                       (GOPROF_TRACE, /debug/pprof/trace) to convert\n"
		"  -f, --format FORMAT  pprof (default, gzip protobuf); text (Go's debug=1 text;\n"
		"                       the top table for cpu); top (like go tool pprof -top);\n"
		"                       list (like go tool pprof -list REGEX, with -r);\n"
		"                       folded (flamegraph.pl input); json (the web UI's\n"
		"                       stacks); html (one-file flame graph and top table);\n"
		"                       svg (static flame graph); source (the web UI's cost\n"
		"                       per line of one function, with -r NAME); for -t\n"
		"                       trace: json\n"
		"                       (default, for Perfetto) or go (for go tool trace)\n"
		"  -o, --output FILE    write to FILE instead of standard output\n"
		"      --from T         start of the range: RFC 3339 time, unix seconds, or +DURATION\n"
		"      --to T           end of the range (same forms); default: all the data\n"
		"      --at T           goroutine, custom profiles: the last snapshot at or before\n"
		"                       T (default: the last);\n"
		"                       trace: the last trace that began at or before T\n"
		"      --debug N        text format: Go's ?debug=N layout (goroutine: 2 = one block\n"
		"                       per thread)\n"
		"      --label KEY=VALUE  only the samples so labelled (goprof_label_push)\n"
		"      --lines          top format: one row per source line (go tool pprof -lines)\n"
		"  -r, --regex REGEX    list format: the functions to list (extended regex);\n"
		"                       source format: the function's name, exactly\n"
		"  -h, --help           this text\n"
		"      --version        the goprof version\n"
		"DURATION is relative to the process start, e.g. +5s, +1m30s, +250ms.\n");
}

static __attribute__((noreturn, format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "goprof-export: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try goprof-export --help)\n");
	exit(2);
}

/*
 * The execution trace a database kept (the last, or the last begun by at_arg), as the
 * Go-format bytes it was stored in: *data (malloc'd), *len; the program's name in *exe
 * (malloc'd). Dies with one line when there is none.
 */
static void trace_from_db(const char *path, const char *at_arg, uint8_t **data, size_t *len,
			  char **exe)
{
	struct gp_db db = { 0 };
	char msg[1024] = "";
	struct gp_err e = { .msg = msg, .len = sizeof(msg) };
	int64_t at = INT64_MAX, start;
	int rc;

	if (gp_db_open(&db, path, &e) != 0)
		errx(1, "%s", msg);
	if (at_arg && gp_export_parse_time(at_arg, db.start_ns, &at) != 0)
		usage_error("bad time '%s' for --at (RFC 3339, unix seconds or +DURATION)", at_arg);
	if ((rc = gp_db_trace(&db, at, data, len, &start)) < 0)
		errx(1, "%s", msg);
	if (rc > 0)
		errx(1, "%s: no execution trace %s (one is kept when it is taken while the "
		     "database is written: GOPROF_TRACE, goprof_trace_start, /debug/pprof/trace)",
		     path, at_arg ? "began at or before that time" : "in this database");
	const char *base = db.exe ? strrchr(db.exe, '/') : NULL;
	*exe = strdup(base ? base + 1 : db.exe ? db.exe : path);
	gp_db_close(&db);
}

/*
 * -t trace: the execution trace a database kept, or the Go-format trace file at path,
 * written as trace-event JSON or in Go's format. Returns the exit status; usage errors
 * exit.
 */
static int export_trace(const char *path, const char *format, const char *at_arg,
			const char *output)
{
	struct gp_trace *t = NULL;
	char *exe = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0, odd = 0;
	FILE *out = stdout;
	char msg[1024];
	int json, rc;

	if (strcmp(format, "json") == 0)
		json = 1;
	else if (strcmp(format, "go") == 0)
		json = 0;
	else
		usage_error("-t trace writes the formats json and go, not '%s'", format);
	if (gp_db_looks_like_sqlite(path)) {
		trace_from_db(path, at_arg, &raw, &raw_len, &exe);
		if (json) {
			t = gp_trace_parse_go(path, raw, raw_len, msg, sizeof(msg));
			raw = NULL;
			if (!t)
				errx(1, "%s", msg);
			if (exe)
				t->program = exe;
		}
	} else {
		if (at_arg)
			usage_error("--at picks a trace in a database; %s is a trace file", path);
		t = gp_trace_read_go(path, msg, sizeof(msg));
		if (!t)
			errx(1, "%s", msg);
	}
	if (output) {
		out = fopen(output, "w");
		if (!out)
			err(1, "%s", output);
	} else if (!json && isatty(STDOUT_FILENO)) {
		errx(1, "not writing a binary go trace to a terminal; use -o FILE or a "
		     "redirection");
	}
	errno = 0;
	if (raw)	/* the database's bytes as they were stored */
		rc = fwrite(raw, 1, raw_len, out) == raw_len ? 0 : -(errno ? errno : EIO);
	else
		rc = json ? gp_trace_write_json(t, out, &odd) : gp_trace_write_go(t, out, &odd);
	if (!rc && odd)
		fprintf(stderr, json ? "goprof-export: json trace: %zu odd events dropped\n" :
			"goprof-export: go trace: %zu odd events skipped or repaired\n", odd);
	free(raw);
	gp_trace_free(t);
	free(exe);
	if (!rc && fflush(out) != 0)
		rc = errno ? -errno : -EIO;
	if (output && fclose(out) != 0 && !rc)
		rc = errno ? -errno : -EIO;
	if (rc) {
		if (output)
			unlink(output);
		errx(1, "%s: %s", output ? output : "standard output", strerror(-rc));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "serve") == 0) {
#ifdef GP_HTTP
		return gp_serve_main(argc - 1, argv + 1);
#else
		errx(2, "serve: this goprof-export was built without the HTTP server");
#endif
	}

	enum { OPT_FROM = 256, OPT_TO, OPT_AT, OPT_DEBUG, OPT_LABEL, OPT_VERSION, OPT_LINES };
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "at", required_argument, NULL, OPT_AT },
		{ "debug", required_argument, NULL, OPT_DEBUG },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ "regex", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *type = "cpu", *format = NULL, *output = NULL;
	const char *from_arg = NULL, *to_arg = NULL, *at_arg = NULL, *label = NULL;
	const char *regex = NULL;
	int lines = 0;
	int debug = 1, debug_set = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:f:o:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_FROM:
			from_arg = optarg;
			break;
		case OPT_TO:
			to_arg = optarg;
			break;
		case OPT_AT:
			at_arg = optarg;
			break;
		case OPT_LABEL:
			label = optarg;
			break;
		case OPT_LINES:
			lines = 1;
			break;
		case 'r':
			regex = optarg;
			break;
		case OPT_DEBUG: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 0 || v > 2)
				usage_error("bad --debug value '%s' (0, 1 or 2)", optarg);
			debug = v ? (int)v : 1;
			debug_set = 1;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("goprof-export %s\n", PACKAGE_VERSION);
			return 0;
		case ':':
			usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (strcmp(type, "trace") == 0) {
		if (from_arg || to_arg || debug_set || label)
			usage_error("--from, --to, --debug and --label do not apply to -t trace");
		if (optind != argc - 1)
			usage_error(optind == argc ? "no database or trace file given" :
						     "more than one database or trace file given");
		return export_trace(argv[optind], format ? format : "json", at_arg, output);
	}
	if (!format)
		format = "pprof";
	if (optind != argc - 1)
		usage_error(optind == argc ? "no database given" : "more than one database given");

	struct gp_export_query q = {
		.type = type, .format = format, .debug = debug, .lines = lines, .list = regex,
		.from = from_arg, .to = to_arg, .at = at_arg, .label = label, .output = output,
		.refuse_terminal = 1,
	};
	char msg[1024];
	int rc = gp_export_run(argv[optind], &q, STDOUT_FILENO, msg, sizeof(msg));
	if (rc == -2)
		usage_error("%s", msg);
	if (rc != 0)
		errx(1, "%s", msg);
	return 0;
}
