/*
 * goprof-export -f pprof: the selected samples as a gzip-compressed pprof profile, with
 * Go's CPU profile conventions (spec §6.1): sample types samples/count and cpu/nanoseconds,
 * period_type cpu/nanoseconds, period 1e9/hz, time_nanos and duration_nanos of the range.
 *
 * A frame whose address the database knows (stacks.address) becomes a Location at that
 * address in its mapping, with the Lines the object's debug information gives there,
 * innermost first: the calls inlined at that point, then the function around them, as Go
 * writes them (lines.h). A frame with no address, or whose object has no debug
 * information, becomes its function's one Location, at the function's start line. All
 * mappings are marked as fully symbolised so that pprof shows what the profile holds and
 * never looks for the binary (the views that read it, -disasm, still find it by path).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "export.h"
#include "gp-schema.h"
#include "lines.h"
#include "pprof.h"
#include "strtab.h"

#define ALL_SYMBOLS (GP_PPROF_HAS_FUNCTIONS | GP_PPROF_HAS_FILENAMES | \
		     GP_PPROF_HAS_LINE_NUMBERS | GP_PPROF_HAS_INLINE_FRAMES)
#define MAX_INLINE 32		/* frames one address may stand for */

/*
 * Go's unsampling (runtime/pprof scaleHeapSample): a block of avg bytes was sampled with
 * probability 1 - exp(-avg / rate), so each sampled one stands for 1 / that many. Applied
 * to the alloc pair and the in-use pair separately, truncating as Go does.
 */
void gp_export_unsample(int64_t count, int64_t bytes, int64_t rate, int64_t *out)
{
	if (count <= 0 || bytes <= 0) {
		out[0] = out[1] = 0;
		return;
	}
	if (rate <= 1) {
		out[0] = count;
		out[1] = bytes;
		return;
	}
	double avg = (double)bytes / (double)count;
	double scale = 1 / (1 - exp(-avg / (double)rate));
	out[0] = (int64_t)((double)count * scale);
	out[1] = (int64_t)((double)bytes * scale);
}

/* What one profile's samples share while they are added. */
struct build {
	struct gp_export *x;
	struct gp_pprof *b;
	uint64_t *loc_of;		/* function id -> location id, 0 = none yet */
	uint64_t *map_of;		/* mapping id -> pprof mapping id */
	uint64_t *locs;			/* scratch: one sample's locations */
	size_t locs_cap;
	struct gp_lines *lines;		/* debug information of the mappings */
	uint64_t exe_shift;		/* the main executable's run-time address - its
					   link-time one (a PIE's load address) */
	struct gp_strtab keys;		/* text keys: "a<mapping> <address>", "f<name>\n<file>\n<line>" */
	uint64_t *id_of_key;		/* [key index]: location or function id */
	size_t id_cap;
};

/* The id slot of a key, made on first use; NULL when out of memory. */
static uint64_t *slot_of(struct build *c, const void *key, size_t len)
{
	int64_t k = gp_strtab_add_len(&c->keys, key, len);

	if (k < 0)
		return NULL;
	if ((size_t)k >= c->id_cap) {
		size_t cap = c->id_cap ? c->id_cap * 2 : 1024;
		while (cap <= (size_t)k)
			cap *= 2;
		uint64_t *p = realloc(c->id_of_key, cap * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + c->id_cap, 0, (cap - c->id_cap) * sizeof(*p));
		c->id_of_key = p;
		c->id_cap = cap;
	}
	return &c->id_of_key[k];
}

/* The Function of a frame debug information named; 0 when out of memory. */
static uint64_t function_of(struct build *c, const struct gp_line_frame *f)
{
	char key[1024];
	int len = snprintf(key, sizeof(key), "f%s\n%s\n%lld", f->function, f->file,
			   (long long)f->start_line);
	if (len < 0 || (size_t)len >= sizeof(key))
		return gp_pprof_function(c->b, f->function, f->function, f->file, f->start_line);
	uint64_t *id = slot_of(c, key, (size_t)len);
	if (id && !*id)
		*id = gp_pprof_function(c->b, f->function, f->function, f->file, f->start_line);
	return id ? *id : 0;
}

/* The Location of the function row id at address addr: lines from debug information. */
static uint64_t location_at(struct build *c, uint32_t id, uint64_t addr)
{
	const struct gp_db_func *f = &c->x->db->funcs[id];
	char key[40];
	struct gp_line_frame fr[MAX_INLINE];
	uint64_t fns[MAX_INLINE];
	int64_t lines[MAX_INLINE];

	int len = snprintf(key, sizeof(key), "a%u %llx", f->mapping_id, (unsigned long long)addr);
	uint64_t *loc = slot_of(c, key, (size_t)len);
	if (!loc || *loc)
		return loc ? *loc : 0;
	size_t n = gp_lines_at(c->lines, f->mapping_id, addr, fr, MAX_INLINE);
	/* the function itself as the database names it (a C++ method with its class) */
	if (n)
		fr[n - 1].function = f->name;
	for (size_t i = 0; i < n; i++) {
		lines[i] = fr[i].line;
		if (!(fns[i] = function_of(c, &fr[i])))
			return 0;
	}
	if (!n) {
		/* no debug information: the function the database names, at its address */
		fr[0] = (struct gp_line_frame){ f->name, f->file, f->start_line, f->start_line };
		lines[0] = f->start_line;
		if (!(fns[0] = function_of(c, &fr[0])))
			return 0;
		n = 1;
	}
	return *loc = gp_pprof_location_lines(c->b, c->map_of[f->mapping_id],
					      f->mapping_id == 1 ? addr - c->exe_shift : addr, fns,
					      lines, n);
}

/*
 * Adds a sample of stack with values (one per sample type), its locations made on demand,
 * and its labels: the stack's own (goprof_label_push) and, for a goroutine group, the state.
 */
static int add_sample(struct build *c, uint32_t stack, const int64_t *values,
		      const struct gp_export_group *g)
{
	struct gp_export_label l[GP_EXPORT_MAX_LABELS + 1];
	struct gp_export *x = c->x;
	size_t n = gp_export_frames(x, stack);

	if (n > c->locs_cap) {
		c->locs_cap = n * 2;
		free(c->locs);
		c->locs = malloc(c->locs_cap * sizeof(*c->locs));
		if (!c->locs)
			return -1;
	}
	size_t i = 0;
	for (uint32_t s = stack; s; s = x->db->stack_parent[s], i++) {
		uint32_t id = x->db->stack_func[s];
		uint64_t addr = x->db->stack_addr[s];
		if (addr && x->db->funcs[id].mapping_id) {
			if (!(c->locs[i] = location_at(c, id, addr)))
				return -1;
			continue;
		}
		if (!c->loc_of[id]) {
			const struct gp_db_func *f = &x->db->funcs[id];
			uint64_t fn = gp_pprof_function(c->b, f->name, f->name, f->file,
							f->start_line);
			if (!fn || !(c->loc_of[id] = gp_pprof_location(c->b, c->map_of[f->mapping_id],
									0, fn, f->start_line)))
				return -1;
		}
		c->locs[i] = c->loc_of[id];
	}
	if (gp_pprof_sample(c->b, c->locs, n, values) != 0)
		return -1;
	size_t nl = gp_export_labels(x, stack, g, l, sizeof(l) / sizeof(l[0]));
	for (size_t k = 0; k < nl; k++)
		if (gp_pprof_sample_label_str(c->b, l[k].key, l[k].value) != 0)
			return -1;
	return 0;
}

/* goroutine: one sample per (stack, state), labelled as every format labels it */
static int add_groups(struct build *c)
{
	for (size_t i = 0; i < c->x->ngroups; i++) {
		const struct gp_export_group *g = &c->x->groups[i];
		int64_t values[1] = { g->count };

		if (add_sample(c, g->stack, values, g) != 0)
			return -1;
	}
	return 0;
}

/*
 * The sample types, period and times of x's profile; 0, -1 when out of memory, -2 for a
 * profile pprof has no layout for.
 */
static int describe(struct gp_export *x, struct gp_pprof *b, int64_t *scale)
{
	switch (x->prof.id) {
	case GP_PROFILE_CPU:
		gp_pprof_time(b, x->from_ns, x->to_ns - x->from_ns);
		return gp_pprof_sample_type(b, "samples", "count") ||
		       gp_pprof_sample_type(b, "cpu", "nanoseconds") ||
		       gp_pprof_period(b, "cpu", "nanoseconds", x->prof.period) ? -1 : 0;
	case GP_PROFILE_ALLOCS:
		/* spec §6.2-6.3: a snapshot at the range's end, no duration */
		gp_pprof_time(b, x->to_ns, 0);
		return gp_pprof_period(b, "space", "bytes", x->prof.period) ||
		       gp_pprof_sample_type(b, "alloc_objects", "count") ||
		       gp_pprof_sample_type(b, "alloc_space", "bytes") ||
		       gp_pprof_sample_type(b, "inuse_objects", "count") ||
		       gp_pprof_sample_type(b, "inuse_space", "bytes") ||
		       (strcmp(x->type, "allocs") == 0 &&
			gp_pprof_default_type(b, "alloc_space")) ? -1 : 0;
	case GP_PROFILE_MUTEX:
		*scale = x->prof.rate > 1 ? x->prof.rate : 1;
		/* the same types as block, and period 1 (spec §6) */
		/* fall through */
	case GP_PROFILE_BLOCK:
		gp_pprof_time(b, x->to_ns, 0);
		return gp_pprof_sample_type(b, "contentions", "count") ||
		       gp_pprof_sample_type(b, "delay", "nanoseconds") ||
		       gp_pprof_period(b, "contentions", "count", 1) ? -1 : 0;
	case GP_PROFILE_THREADCREATE:
	case GP_PROFILE_GOROUTINE:
		/* one value, the number of threads; goroutine: the snapshot's time */
		gp_pprof_time(b, x->to_ns, 0);
		return gp_pprof_sample_type(b, x->type, "count") ||
		       gp_pprof_period(b, x->type, "count", 1) ? -1 : 0;
	default:
		if (x->prof.id < GP_PROFILE_CUSTOM)
			return -2;
		/* Go's count profiles: NAME/count, period NAME/count 1 */
		gp_pprof_time(b, x->to_ns, 0);
		return gp_pprof_sample_type(b, x->type, "count") ||
		       gp_pprof_period(b, x->type, "count", 1) ? -1 : 0;
	}
}

/* Adds x's samples to c->b; 0, or -1 when out of memory. */
static int add_samples(struct build *c, int64_t scale)
{
	struct gp_export *x = c->x;
	struct gp_db *db = x->db;
	int heap = x->prof.id == GP_PROFILE_ALLOCS;
	int counts = x->prof.id == GP_PROFILE_THREADCREATE || x->prof.id == GP_PROFILE_GOROUTINE ||
		x->prof.id >= GP_PROFILE_CUSTOM;

	/*
	 * Mapping 1 must be the main executable: pprof names the profile after it. A PIE's
	 * addresses are given as if it had been loaded at its link address, the ones objdump
	 * prints: go tool pprof's disassembler (-disasm, the web UI's) takes sample addresses
	 * for the file's own (it has no notion of a load address), and pprof's binutils find
	 * a base of 0 from such a mapping. The shared objects keep their run-time addresses,
	 * so that no two mappings overlap.
	 */
	uint64_t link;
	if (db->nmaps > 1 && db->maps[1].present && c->lines &&
	    gp_lines_link_start(c->lines, 1, &link) == 0 && link <= db->maps[1].start)
		c->exe_shift = db->maps[1].start - link;
	for (size_t i = 1; i < db->nmaps; i++) {
		const struct gp_db_mapping *m = &db->maps[i];
		uint64_t shift = i == 1 ? c->exe_shift : 0;
		if (m->present &&
		    !(c->map_of[i] = gp_pprof_mapping(c->b, m->start - shift, m->limit - shift,
						      m->offset, m->path, m->build_id,
						      ALL_SYMBOLS)))
			return -1;
	}
	if (db->nmaps <= 1 &&
	    !gp_pprof_mapping(c->b, 0, 0, 0, db->exe, db->build_id, ALL_SYMBOLS))
		return -1;

	if (x->prof.id == GP_PROFILE_GOROUTINE)
		return add_groups(c);
	/* stack 0, the empty one, only ever has threads (threadcreate of the main thread) */
	for (uint32_t s = 0; s < db->nstacks; s++) {
		/* heap: every stack that ever allocated, all-zero records too, as Go does */
		if (heap ? !x->ever[s] : !x->sums[s].count && !x->sums[s].value)
			continue;
		int64_t values[4] = { x->sums[s].count * scale, x->sums[s].value * scale };
		if (counts)
			values[1] = 0;	/* one sample type: only values[0] is written */
		if (heap) {
			gp_export_unsample(x->sums[s].count, x->sums[s].value, x->prof.rate,
					   values);
			gp_export_unsample(x->inuse[s].count, x->inuse[s].value, x->prof.rate,
					   values + 2);
		}
		if (add_sample(c, s, values, NULL) != 0)
			return -1;
		/* Go's label: the record's average object size, raw */
		if (heap && x->sums[s].count > 0 &&
		    gp_pprof_sample_label_num(c->b, "bytes", x->sums[s].value / x->sums[s].count))
			return -1;
	}
	return 0;
}

static int write_pprof(struct gp_export *x)
{
	struct gp_db *db = x->db;
	struct build c = {
		.x = x,
		.b = gp_pprof_new(),
		.loc_of = calloc(db->nfuncs, sizeof(*c.loc_of)),	/* function id -> location */
		.map_of = calloc(db->nmaps ? db->nmaps : 1, sizeof(*c.map_of)),
		.lines = gp_lines_new(db),
	};
	int64_t scale = 1;	/* mutex: Go multiplies by the fraction when it writes */
	int rc = -1;

	if (!c.b || !c.loc_of || !c.map_of || !c.lines || gp_strtab_init(&c.keys) != 0) {
		gp_err_oom(x->err);
		goto out_free;
	}
	rc = describe(x, c.b, &scale);
	if (rc == -2)
		gp_errf(x->err, "%s: exporting %s profiles is not supported", db->path, x->type);
	else if (rc == 0)
		rc = add_samples(&c, scale);
	if (rc == -1)
		gp_err_oom(x->err);
	if (rc != 0)
		goto out_free;
	rc = gp_pprof_write(c.b, x->fd);
	if (rc < 0)
		gp_errf(x->err, "writing the profile: %s", strerror(-rc));
out_free:
	gp_strtab_destroy(&c.keys);
	free(c.id_of_key);
	gp_lines_free(c.lines);
	free(c.locs);
	free(c.map_of);
	free(c.loc_of);
	gp_pprof_free(c.b);
	return rc < 0 ? -1 : 0;
}

const struct gp_exporter gp_exporter_pprof = {
	.name = "pprof",
	.binary = 1,
	.write = write_pprof,
};
