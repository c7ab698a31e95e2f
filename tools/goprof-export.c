/*
 * goprof-export: turns the profile history in a goprof database into the files other tools
 * read: pprof (gzip protobuf, `go tool pprof`), Go's `?debug=1` text layouts, a
 * `go tool pprof -top` style table and folded stacks for flamegraph.pl; with -t trace, it
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
#include "trace.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: goprof-export [-t TYPE] [-f FORMAT] [-o FILE] [--from T] [--to T] DB\n"
		"       goprof-export -t trace [-f json|go] [-o FILE] TRACEFILE\n"
		"  -t, --type TYPE      profile type: cpu (default), heap, allocs, block, mutex,\n"
		"                       threadcreate, goroutine; or trace: convert a trace\n"
		"                       file goprof wrote (GOPROF_TRACE, /debug/pprof/trace)\n"
		"  -f, --format FORMAT  pprof (default, gzip protobuf); text (Go's debug=1 text;\n"
		"                       the top table for cpu); top (like go tool pprof -top);\n"
		"                       folded (flamegraph.pl input); for -t trace: json\n"
		"                       (default, for Perfetto) or go (for go tool trace)\n"
		"  -o, --output FILE    write to FILE instead of standard output\n"
		"      --from T         start of the range: RFC 3339 time, unix seconds, or +DURATION\n"
		"      --to T           end of the range (same forms); default: all the data\n"
		"      --at T           goroutine: the last snapshot at or before T (default: the last)\n"
		"      --debug N        text format: Go's ?debug=N layout (goroutine: 2 = one block\n"
		"                       per thread)\n"
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
 * -t trace: reads the Go-format trace file at path (not a database) and writes it as
 * trace-event JSON or in Go's format again. Returns the exit status; usage errors exit.
 */
static int export_trace(const char *path, const char *format, const char *output)
{
	struct gp_trace *t;
	FILE *out = stdout;
	char msg[1024];
	int json, rc;

	if (strcmp(format, "json") == 0)
		json = 1;
	else if (strcmp(format, "go") == 0)
		json = 0;
	else
		usage_error("-t trace writes the formats json and go, not '%s'", format);
	t = gp_trace_read_go(path, msg, sizeof(msg));
	if (!t)
		errx(1, "%s", msg);
	if (output) {
		out = fopen(output, "w");
		if (!out)
			err(1, "%s", output);
	} else if (!json && isatty(STDOUT_FILENO)) {
		errx(1, "not writing a binary go trace to a terminal; use -o FILE or a "
		     "redirection");
	}
	errno = 0;
	rc = json ? gp_trace_write_json(t, out) : gp_trace_write_go(t, out);
	gp_trace_free(t);
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

	enum { OPT_FROM = 256, OPT_TO, OPT_AT, OPT_DEBUG, OPT_VERSION };
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "at", required_argument, NULL, OPT_AT },
		{ "debug", required_argument, NULL, OPT_DEBUG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *type = "cpu", *format = NULL, *output = NULL;
	const char *from_arg = NULL, *to_arg = NULL, *at_arg = NULL;
	int debug = 1, debug_set = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:f:o:h", longopts, NULL)) != -1) {
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
		if (from_arg || to_arg || at_arg || debug_set)
			usage_error("--from, --to, --at and --debug do not apply to -t trace");
		if (optind != argc - 1)
			usage_error(optind == argc ? "no trace file given" :
						     "more than one trace file given");
		return export_trace(argv[optind], format ? format : "json", output);
	}
	if (!format)
		format = "pprof";
	if (optind != argc - 1)
		usage_error(optind == argc ? "no database given" : "more than one database given");

	struct gp_export_query q = {
		.type = type, .format = format, .debug = debug, .from = from_arg, .to = to_arg,
		.at = at_arg, .output = output, .refuse_terminal = 1,
	};
	char msg[1024];
	int rc = gp_export_run(argv[optind], &q, STDOUT_FILENO, msg, sizeof(msg));
	if (rc == -2)
		usage_error("%s", msg);
	if (rc != 0)
		errx(1, "%s", msg);
	return 0;
}
