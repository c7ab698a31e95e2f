/*
 * goprof-export -f top: the table `go tool pprof -top` prints, same header lines, columns,
 * units, sorting and node dropping (pprof's defaults: nodes whose cumulative value is below
 * 0.5 % of the total are left out), so that it reads the same without Go installed.
 *
 * Nodes are functions by name, as with pprof's default "functions" granularity. Values are
 * the sample type pprof opens the profile on: cpu nanoseconds, heap bytes (unsampled), the
 * delay of block and mutex (mutex multiplied by its fraction, as the pprof form is), the
 * threads of threadcreate and goroutine.
 *
 * goprof-export -f text: Go's `?debug=1` text of the profile type, dispatched from here to
 * one writer per type; the CPU profile has no such text in Go and gets the top table.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "export.h"
#include "gp-schema.h"

#define NODE_FRACTION 0.005

struct node {
	const char *name;
	int64_t flat, cum;
};

struct unit {
	const char *name;
	double size;		/* in the base unit: ns, or bytes */
};

/* pprof's units (internal/measurement): time in ns, memory in bytes (1024 apart). */
static const struct unit time_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "hrs", 3600e9 }, { NULL, 0 },
};
static const struct unit byte_units[] = {
	{ "B", 1 }, { "kB", 1024.0 }, { "MB", 1048576.0 }, { "GB", 1073741824.0 },
	{ "TB", 1099511627776.0 }, { NULL, 0 },
};
static const struct unit count_units[] = { { "", 1 }, { NULL, 0 } };

/* measurement.Scale(v, base, "minimum"): the largest unit of units v is at least 1 of. */
static int auto_unit(const struct unit *units, int64_t v)
{
	double a = fabs((double)v);
	int u = -1;

	for (int i = 0; units[i].name; i++)
		if (a / units[i].size >= 1.0)
			u = i;
	if (u >= 0)
		return u;
	return units == time_units ? 3 : 0;	/* pprof's default units: s, B */
}

/* measurement.ScaledLabel: "%.2f" in the unit, ".00" dropped, zero as "0". */
static void fmt_value(const struct unit *units, char *buf, size_t len, int64_t v, int unit)
{
	snprintf(buf, len, "%.2f", (double)v / units[unit].size);
	size_t n = strlen(buf);
	if (n > 3 && strcmp(buf + n - 3, ".00") == 0)
		buf[n - 3] = '\0';
	if (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0)
		return;
	strncat(buf, units[unit].name, len - strlen(buf) - 1);
}

/* measurement.Percentage */
static void fmt_pct(char *buf, size_t len, int64_t v, int64_t total)
{
	double r = total ? fabs((double)v / (double)total) * 100 : 0;

	if (r >= 99.95 && r <= 100.05)
		snprintf(buf, len, "  100%%");
	else if (r >= 1.0)
		snprintf(buf, len, "%5.2f%%", r);
	else
		snprintf(buf, len, "%5.2g%%", r);	/* C's %g trims like Go's here */
}

static int cmp_nodes(const void *a, const void *b)
{
	const struct node *l = a, *r = b;

	if (llabs(l->flat) != llabs(r->flat))
		return llabs(l->flat) > llabs(r->flat) ? -1 : 1;
	int c = strcmp(l->name, r->name);
	if (c)
		return c;
	if (llabs(l->cum) != llabs(r->cum))
		return llabs(l->cum) > llabs(r->cum) ? -1 : 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int gp_text_top(struct gp_export *x)
{
	struct gp_db *db = x->db;
	int id = x->prof.id;
	int64_t scale = id == GP_PROFILE_MUTEX && x->prof.rate > 1 ? x->prof.rate : 1;
	size_t nnames = db->strs.n;
	int64_t *flat = calloc(nnames, sizeof(*flat));
	int64_t *cum = calloc(nnames, sizeof(*cum));
	uint32_t *stamp = calloc(nnames, sizeof(*stamp));
	int64_t total = 0;
	/* the table this export's values are in */
	const struct unit *units = id == GP_PROFILE_ALLOCS ? byte_units :
		id == GP_PROFILE_THREADCREATE || id == GP_PROFILE_GOROUTINE ||
		id >= GP_PROFILE_CUSTOM ? count_units :
		time_units;
	struct node *nodes = NULL;
	int rc = -1;

	if (!flat || !cum || !stamp) {
		gp_err_oom(x->err);
		goto out_free;
	}
	gp_export_heap_view(x);
	/* stack 0 has no frames: threadcreate's main thread, a goroutine with none */
	for (uint32_t s = 0; s < db->nstacks; s++) {
		int64_t v = x->sums[s].value * scale;
		if (!v)
			continue;
		total += llabs(v);
		size_t n = s ? gp_export_frames(x, s) : 0;
		if (!n)
			continue;
		flat[db->funcs[x->frames[0]].name_idx] += v;
		for (size_t i = 0; i < n; i++) {
			uint32_t k = db->funcs[x->frames[i]].name_idx;
			if (stamp[k] != s) {	/* count recursion once */
				stamp[k] = s;
				cum[k] += v;
			}
		}
	}

	int64_t cutoff = llabs((int64_t)((double)total * NODE_FRACTION));
	size_t nnodes = 0, dropped = 0;
	nodes = malloc((nnames ? nnames : 1) * sizeof(*nodes));
	if (!nodes) {
		gp_err_oom(x->err);
		goto out_free;
	}
	for (size_t k = 0; k < nnames; k++) {
		if (!stamp[k])
			continue;
		if (llabs(cum[k]) < cutoff) {
			dropped++;
			continue;
		}
		nodes[nnodes].name = db->strs.strs[k];
		nodes[nnodes].flat = flat[k];
		nodes[nnodes].cum = cum[k];
		nnodes++;
	}
	qsort(nodes, nnodes, sizeof(*nodes), cmp_nodes);

	/* report.selectOutputUnit: the unit of the smallest node, unless far below the total */
	int64_t min = 0, flat_sum = 0;
	for (size_t i = 0; i < nnodes; i++) {
		int64_t m = llabs(nodes[i].flat) ? llabs(nodes[i].flat) : llabs(nodes[i].cum);
		if (m > 0 && (min == 0 || m < min))
			min = m;
		flat_sum += nodes[i].flat;
	}
	if (min == 0)
		min = total;
	int unit = auto_unit(units, min);
	if (unit != auto_unit(units, total) && min * 100 < total)
		unit = auto_unit(units, 100 * min);

	char v1[64], v2[64], v3[64], p1[32], p2[32], p3[32];
	FILE *out = x->out;

	const struct gp_db_mapping *main_map = db->nmaps > 1 && db->maps[1].present ?
		&db->maps[1] : NULL;
	const char *file = main_map ? main_map->path : db->exe;
	const char *build_id = main_map ? main_map->build_id : db->build_id;
	if (file && *file)
		fprintf(out, "File: %s\n", base_name(file));
	if (build_id && *build_id)
		fprintf(out, "Build ID: %s\n", build_id);
	/* heap and allocs: what pprof opens them on, a snapshot at the range's end */
	int heap = id == GP_PROFILE_ALLOCS;
	/* all but cpu: the profile's time is the range's end, and it has no duration */
	int snapshot = id != GP_PROFILE_CPU;
	if (heap)
		fprintf(out, "Type: %s\n", strcmp(x->type, "heap") == 0 ? "inuse_space" :
			"alloc_space");
	else
		fprintf(out, "Type: %s\n", id == GP_PROFILE_BLOCK || id == GP_PROFILE_MUTEX ?
			"delay" : x->type);

	time_t t = (time_t)((snapshot ? x->to_ns : x->from_ns) / 1000000000);
	struct tm tm;
	char tbuf[64];
	if (x->from_ns && localtime_r(&t, &tm)) {
		int hour = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
		strftime(tbuf, sizeof(tbuf), "%b %d, %Y", &tm);
		/* Go's "Jan 2": no leading zero on the day */
		char *sp = strchr(tbuf, ' ');
		if (sp && sp[1] == '0')
			memmove(sp + 1, sp + 2, strlen(sp + 2) + 1);
		char zone[16];
		strftime(zone, sizeof(zone), "%Z", &tm);
		fprintf(out, "Time: %s at %d:%02d%s (%s)\n", tbuf, hour, tm.tm_min,
			tm.tm_hour < 12 ? "am" : "pm", zone);
	}
	int64_t duration = x->to_ns - x->from_ns;
	if (duration && !snapshot) {
		fmt_value(units, v1, sizeof(v1), duration, auto_unit(units, duration));
		fmt_value(units, v2, sizeof(v2), total, unit);
		fmt_pct(p1, sizeof(p1), total, duration);
		fprintf(out, "Duration: %s, Total samples = %s (%s)\n", v1, v2, p1);
	}
	fmt_value(units, v1, sizeof(v1), flat_sum, unit);
	fmt_value(units, v2, sizeof(v2), total, unit);
	fmt_pct(p1, sizeof(p1), flat_sum, total);
	fprintf(out, "Showing nodes accounting for %s, %s of %s total\n", v1,
		p1 + strspn(p1, " "), v2);
	if (total && dropped) {
		fmt_value(units, v1, sizeof(v1), cutoff, unit);
		fprintf(out, "Dropped %zu node%s (cum <= %s)\n", dropped, dropped > 1 ? "s" : "",
			v1);
	}
	fprintf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");

	int64_t sum = 0;
	for (size_t i = 0; i < nnodes; i++) {
		sum += nodes[i].flat;
		fmt_value(units, v1, sizeof(v1), nodes[i].flat, unit);
		fmt_value(units, v3, sizeof(v3), nodes[i].cum, unit);
		fmt_pct(p1, sizeof(p1), nodes[i].flat, total);
		fmt_pct(p2, sizeof(p2), sum, total);
		fmt_pct(p3, sizeof(p3), nodes[i].cum, total);
		fprintf(out, "%10s %s %s %10s %s  %s\n", v1, p1, p2, v3, p3, nodes[i].name);
	}
	rc = 0;
out_free:
	free(nodes);
	free(stamp);
	free(cum);
	free(flat);
	return rc;
}

static int write_text(struct gp_export *x)
{
	switch (x->prof.id) {
	case GP_PROFILE_CPU:
		return gp_text_top(x);
	case GP_PROFILE_ALLOCS:
		return gp_text_heap(x);
	default:
		return gp_text_threads(x);
	}
}

const struct gp_exporter gp_exporter_text = {
	.name = "text",
	.binary = 0,
	.write = write_text,
};

const struct gp_exporter gp_exporter_top = {
	.name = "top",
	.binary = 0,
	.write = gp_text_top,
};
