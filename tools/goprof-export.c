/*
 * goprof-export: turns the profile history in a goprof database into the files other tools
 * read: pprof (gzip protobuf, `go tool pprof`), Go's `?debug=1` text layouts, a
 * `go tool pprof -top` style table and folded stacks for flamegraph.pl. See
 * doc/goprof-export.1.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "export.h"
#include "gp-schema.h"

static const struct gp_exporter *const exporters[] = {
	&gp_exporter_pprof,
	&gp_exporter_text,
	&gp_exporter_top,
	&gp_exporter_folded,
};

/* The profile types goprof knows, recorded or not in a given database. */
static const char *const known_types[] = {
	"cpu", "heap", "allocs", "block", "mutex", "threadcreate", "goroutine",
};

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

/* Parses a decimal number with an optional fraction times unit_ns; -1 on junk. */
static int parse_scaled(const char **sp, int64_t unit_ns, int64_t *out)
{
	const char *s = *sp;
	int64_t whole = 0, frac = 0, scale = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > INT64_MAX / 10 / unit_ns)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (scale < 1000000000) {
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
		}
	}
	*out = whole * unit_ns + (int64_t)((double)frac / (double)scale * (double)unit_ns);
	*sp = s;
	return 0;
}

/* A Go-style duration without sign: 5s, 1m30s, 250ms, 2h; a bare number means seconds. */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60000000000 }, { "h", 3600000000000 },
	};
	int64_t total = 0;

	if (!*s)
		return -1;
	while (*s) {
		const char *num = s, *u;
		int64_t v;
		size_t i;

		while (isdigit((unsigned char)*s) || *s == '.')
			s++;
		u = s;
		while (isalpha((unsigned char)*s))
			s++;
		size_t ulen = (size_t)(s - u);
		if (ulen == 0 && *s == '\0' && total == 0)
			i = 3;	/* a bare number: seconds */
		else
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (strlen(units[i].name) == ulen &&
				    strncmp(units[i].name, u, ulen) == 0)
					break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		const char *p = num;
		if (parse_scaled(&p, units[i].ns, &v) != 0 || p != u)
			return -1;
		total += v;
	}
	*out = total;
	return 0;
}

/* RFC 3339: 2006-01-02T15:04:05[.frac](Z|+hh:mm|-hh:mm). */
static int parse_rfc3339(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int n = 0;
	int64_t frac = 0;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return -1;
	s += n;
	if (*s == '.') {
		s++;
		if (parse_scaled(&s, 1, &frac) != 0)
			return -1;
		/* frac was read as an integer: rescale its digits to nanoseconds */
		int64_t digits = 0;
		for (const char *p = s - 1; isdigit((unsigned char)*p); p--)
			digits++;
		for (; digits < 9; digits++)
			frac *= 10;
		for (; digits > 9; digits--)
			frac /= 10;
	}
	int offset_s = 0;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int hh, mm;
		if (sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
			return -1;
		offset_s = (hh * 60 + mm) * 60 * (*s == '-' ? -1 : 1);
		s += 1 + n;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = ((int64_t)t - offset_s) * 1000000000 + frac;
	return 0;
}

/* --from/--to: absolute (RFC 3339, unix seconds) or +DURATION after start_ns. */
static int parse_time(const char *s, int64_t start_ns, int64_t *out)
{
	int64_t v;

	if (*s == '+') {
		if (parse_duration(s + 1, &v) != 0)
			return -1;
		*out = start_ns + v;
		return 0;
	}
	const char *p = s;
	if (parse_scaled(&p, 1000000000, &v) == 0 && *p == '\0') {
		*out = v;
		return 0;
	}
	return parse_rfc3339(s, out);
}

static const char *fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)(ns / 1000000000));
	return buf;
}

size_t gp_export_frames(struct gp_export *x, uint32_t stack)
{
	size_t n = 0;

	for (uint32_t s = stack; s; s = x->db->stack_parent[s]) {
		if (n == x->frames_cap) {
			size_t cap = x->frames_cap ? x->frames_cap * 2 : 256;
			uint32_t *p = realloc(x->frames, cap * sizeof(*p));
			if (!p)
				errx(1, "out of memory");
			x->frames = p;
			x->frames_cap = cap;
		}
		x->frames[n++] = x->db->stack_func[s];
	}
	return n;
}

void gp_export_heap_view(struct gp_export *x)
{
	if (x->prof.id != GP_PROFILE_ALLOCS)
		return;
	if (strcmp(x->type, "heap") == 0) {
		struct gp_db_sum *t = x->sums;
		x->sums = x->inuse;
		x->inuse = t;
	}
	for (size_t s = 0; s < x->db->nstacks; s++) {
		int64_t v[2];
		gp_export_unsample(x->sums[s].count, x->sums[s].value, x->prof.rate, v);
		x->sums[s].count = v[0];
		x->sums[s].value = v[1];
	}
}

int main(int argc, char **argv)
{
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
	const struct gp_exporter *ex = NULL;
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

	size_t i;
	for (i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(type, known_types[i]) == 0)
			break;
	if (i == sizeof(known_types) / sizeof(known_types[0]))
		usage_error("unknown profile type '%s' (known: cpu, heap, allocs, block, mutex, "
			    "threadcreate, goroutine)", type);
	for (i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++)
		if (strcmp(format, exporters[i]->name) == 0)
			ex = exporters[i];
	if (!ex)
		usage_error("unknown format '%s' (known: pprof, text, top, folded)", format);

	struct gp_db db;
	struct gp_export x = { .db = &db, .type = type, .debug = debug };
	gp_db_open(&db, argv[optind]);

	/* heap and allocs are two views of one record: the allocs and frees profiles */
	int heap = strcmp(type, "heap") == 0 || strcmp(type, "allocs") == 0;
	/* threadcreate and goroutine come from the threads and snapshots, not samples */
	int threadcreate = strcmp(type, "threadcreate") == 0;
	int goroutine = strcmp(type, "goroutine") == 0;
	if (threadcreate || goroutine) {
		x.prof.id = threadcreate ? GP_PROFILE_THREADCREATE : GP_PROFILE_GOROUTINE;
		x.prof.rate = x.prof.period = 1;
		if (db.version < 2)
			errx(1, "%s: profile type '%s' not in this database (written by an older "
			     "goprof, schema %d)", db.path, type, db.version);
	} else if (gp_db_profile(&db, heap ? "allocs" : type, &x.prof) != 0) {
		errx(1, "%s: profile type '%s' not in this database", db.path, type);
	}
	if (at_arg && !goroutine)
		usage_error("--at applies to goroutine profiles only (use --from/--to)");
	if ((from_arg || to_arg) && goroutine)
		usage_error("a goroutine profile is one snapshot: use --at, not --from/--to");

	int64_t first, last;
	int have = gp_db_bucket_span(&db, x.prof.id, &first, &last) == 0;
	/* the data ends at the last commit; without one, with the last bucket */
	int64_t end_ns = db.end_ns > db.start_ns ? db.end_ns :
		have ? db.start_ns + (last + 1) * db.bucket_ns : db.start_ns;
	x.from_ns = db.start_ns;
	x.to_ns = end_ns;
	if (from_arg && parse_time(from_arg, db.start_ns, &x.from_ns) != 0)
		usage_error("bad time '%s' for --from (RFC 3339, unix seconds or +DURATION)",
			    from_arg);
	if (to_arg && parse_time(to_arg, db.start_ns, &x.to_ns) != 0)
		usage_error("bad time '%s' for --to (RFC 3339, unix seconds or +DURATION)", to_arg);
	if (x.from_ns < db.start_ns)
		x.from_ns = db.start_ns;
	if (x.to_ns > end_ns)
		x.to_ns = end_ns;

	char b1[64], b2[64], b3[64], b4[64];
	if ((from_arg || to_arg) && x.to_ns <= x.from_ns)
		errx(1, "%s: no %s samples between %s and %s (the data spans %s to %s)", db.path,
		     type, fmt_time(x.from_ns, b1, sizeof(b1)), fmt_time(x.to_ns, b2, sizeof(b2)),
		     fmt_time(db.start_ns, b3, sizeof(b3)), fmt_time(end_ns, b4, sizeof(b4)));

	/* the buckets that overlap [from, to) */
	int64_t lo = (x.from_ns - db.start_ns) / db.bucket_ns;
	int64_t hi = (x.to_ns - db.start_ns + db.bucket_ns - 1) / db.bucket_ns - 1;

	gp_db_load(&db);
	x.sums = calloc(db.nstacks, sizeof(*x.sums));
	if (!x.sums)
		errx(1, "out of memory");
	size_t rows = 0;
	if (threadcreate || goroutine) {
		if (threadcreate) {
			gp_db_threads(&db, from_arg ? x.from_ns : INT64_MIN,
				      to_arg ? x.to_ns : INT64_MAX, &x.threads, &x.nthreads);
		} else {
			int64_t at = INT64_MAX, when;
			if (at_arg && parse_time(at_arg, db.start_ns, &at) != 0)
				usage_error("bad time '%s' for --at (RFC 3339, unix seconds or "
					    "+DURATION)", at_arg);
			if (gp_db_snapshot(&db, at, &when, &x.threads, &x.nthreads) != 0)
				errx(1, "%s: no goroutine snapshot %s%s", db.path,
				     at_arg ? "at or before " : "in this database",
				     at_arg ? fmt_time(at, b1, sizeof(b1)) : "");
			x.from_ns = x.to_ns = when;
		}
		for (size_t t = 0; t < x.nthreads; t++) {
			uint32_t s = threadcreate ? x.threads[t].create_stack : x.threads[t].stack;
			x.sums[s].count++;
			x.sums[s].value++;
		}
		rows = x.nthreads;
	} else if (have && hi >= lo) {
		rows = gp_db_sum_samples(&db, x.prof.id, lo, hi, x.sums);
	}
	if (heap) {
		/* in use at the end of the range: everything allocated minus freed up to then */
		struct gp_db_sum *freed = calloc(db.nstacks, sizeof(*freed));
		x.inuse = calloc(db.nstacks, sizeof(*x.inuse));
		if (!freed || !x.inuse)
			errx(1, "out of memory");
		if (have && hi >= 0) {
			rows += gp_db_sum_samples(&db, x.prof.id, 0, hi, x.inuse);
			gp_db_sum_samples(&db, GP_PROFILE_FREES, 0, hi, freed);
		}
		x.ever = calloc(db.nstacks, 1);
		if (!x.ever)
			errx(1, "out of memory");
		for (size_t s = 0; s < db.nstacks; s++) {
			x.ever[s] = x.inuse[s].count > 0;
			x.inuse[s].count -= freed[s].count;
			x.inuse[s].value -= freed[s].value;
		}
		free(freed);
	}
	if (rows == 0 && (from_arg || to_arg))
		errx(1, "%s: no %s samples between %s and %s", db.path, type,
		     fmt_time(x.from_ns, b1, sizeof(b1)), fmt_time(x.to_ns, b2, sizeof(b2)));

	if (output) {
		x.fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (x.fd < 0)
			err(1, "%s", output);
	} else {
		x.fd = STDOUT_FILENO;
		output = "standard output";
		if (ex->binary && isatty(x.fd))
			errx(1, "not writing a binary %s profile to a terminal; use -o FILE or a "
			     "redirection", ex->name);
	}
	x.out = fdopen(x.fd, "w");
	if (!x.out)
		err(1, "%s", output);

	ex->write(&x);

	if (fflush(x.out) != 0 || ferror(x.out))
		err(1, "%s", output);
	if (fclose(x.out) != 0)
		err(1, "%s", output);
	free(x.frames);
	free(x.threads);
	free(x.sums);
	free(x.inuse);
	free(x.ever);
	gp_db_close(&db);
	return 0;
}
