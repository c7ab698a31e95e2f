/*
 * goprof-export: turns the profile history in a goprof database into the files other tools
 * read: pprof (gzip protobuf, `go tool pprof`), Go's `?debug=1` text layouts, a
 * `go tool pprof -top` style table and folded stacks for flamegraph.pl. See
 * doc/goprof-export.1.
 */
#include "config.h"

#include <stdarg.h>
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: goprof-export [-t TYPE] [-f FORMAT] [-o FILE] [--from T] [--to T] DB\n"
		"  -t, --type TYPE      profile type: cpu (default), heap, allocs, block, mutex,\n"
		"                       threadcreate, goroutine\n"
		"  -f, --format FORMAT  pprof (default, gzip protobuf); text (Go's debug=1 text;\n"
		"                       the top table for cpu); top (like go tool pprof -top);\n"
		"                       folded (flamegraph.pl input)\n"
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
	const char *type = "cpu", *format = "pprof", *output = NULL;
	const char *from_arg = NULL, *to_arg = NULL, *at_arg = NULL;
	int debug = 1;
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
