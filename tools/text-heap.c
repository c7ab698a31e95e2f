/*
 * goprof-export -t heap|allocs -f text: Go's `heap?debug=1` text (spec §7.4), which is the
 * same for both types and which `go tool pprof` reads as a legacy heap profile.
 *
 *	heap profile: <inuse objs>: <inuse bytes> [<alloc objs>: <alloc bytes>] @ heap/<2*rate>
 *	<inuse objs>: <inuse bytes> [<alloc objs>: <alloc bytes>] @ 0x<word> ...
 *	#	0x<word>	<function>+0x0	<file>:<line>
 *	<empty line>
 *	...
 *	<empty line>
 *	# runtime.MemStats
 *	# Alloc = <n>
 *	...
 *
 * Values are the raw sampled numbers (pprof unsamples them when it reads the file, after
 * halving the rate again); in use is as of the range's end, allocations are those within
 * the range. Every stack that allocated before the range's end has a record, all-zero
 * ones included, sorted by in-use bytes, largest first.
 *
 * The MemStats block keeps every line Go prints, in Go's order. The figures come from the
 * last heapstats row taken by the range's end: call counters from the malloc wrappers,
 * glibc's mallinfo2() for the heap sizes, the peak RSS. Go's collector and allocator
 * internals have no C counterpart and print as 0 (and DebugGC as false); a database
 * without heapstats prints zeros throughout.
 */
#include "config.h"

#include <stdlib.h>

#include "errors.h"
#include "export.h"
#include "legacy.h"

#define GC_PAUSES 256		/* entries of Go's PauseNs and PauseEnd arrays */

struct record {
	uint32_t stack;
	int64_t inuse_objects, inuse_bytes;	/* as of the range's end */
	int64_t alloc_objects, alloc_bytes;	/* within the range */
};

static int cmp_records(const void *a, const void *b)
{
	const struct record *l = a, *r = b;

	if (l->inuse_bytes != r->inuse_bytes)
		return l->inuse_bytes > r->inuse_bytes ? -1 : 1;
	/* Go's sort is not stable: any order of equal records is Go's; this one is fixed */
	return l->stack < r->stack ? -1 : l->stack > r->stack;
}

static void write_zeros(FILE *out, const char *name)
{
	fprintf(out, "# %s = [", name);
	for (int i = 0; i < GC_PAUSES; i++)
		fputs(i ? " 0" : "0", out);
	fputs("]\n", out);
}

static int write_memstats(struct gp_export *x)
{
	struct gp_db_heapstats hs = { 0 };
	FILE *out = x->out;

	if (gp_db_heapstats(x->db, x->to_ns, &hs) < 0)	/* none: zeros */
		return -1;
	long long sys = hs.arena + hs.hblkhd;
	long long inuse = hs.uordblks + hs.hblkhd;

	fputs("\n# runtime.MemStats\n", out);
	fprintf(out, "# Alloc = %lld\n", (long long)hs.live_bytes);
	fprintf(out, "# TotalAlloc = %lld\n", (long long)hs.alloc_bytes);
	fprintf(out, "# Sys = %lld\n", sys);
	fputs("# Lookups = 0\n", out);
	fprintf(out, "# Mallocs = %lld\n", (long long)hs.mallocs);
	fprintf(out, "# Frees = %lld\n", (long long)hs.frees);
	fprintf(out, "# HeapAlloc = %lld\n", (long long)hs.live_bytes);
	fprintf(out, "# HeapSys = %lld\n", sys);
	fprintf(out, "# HeapIdle = %lld\n", (long long)hs.fordblks);
	fprintf(out, "# HeapInuse = %lld\n", inuse);
	fputs("# HeapReleased = 0\n", out);
	fprintf(out, "# HeapObjects = %lld\n", (long long)(hs.mallocs - hs.frees));
	fputs("# Stack = 0 / 0\n", out);
	fputs("# MSpan = 0 / 0\n", out);
	fputs("# MCache = 0 / 0\n", out);
	fputs("# BuckHashSys = 0\n", out);
	fputs("# GCSys = 0\n", out);
	fputs("# OtherSys = 0\n", out);
	fputs("# NextGC = 0\n", out);
	fputs("# LastGC = 0\n", out);
	write_zeros(out, "PauseNs");
	write_zeros(out, "PauseEnd");
	fputs("# NumGC = 0\n", out);
	fputs("# NumForcedGC = 0\n", out);
	fputs("# GCCPUFraction = 0\n", out);
	fputs("# DebugGC = false\n", out);
	fprintf(out, "# MaxRSS = %lld\n", (long long)hs.max_rss);
	return 0;
}

int gp_text_heap(struct gp_export *x)
{
	struct gp_db *db = x->db;
	struct record *recs = malloc((db->nstacks ? db->nstacks : 1) * sizeof(*recs));
	struct record total = { 0 };
	size_t n = 0;

	if (!recs)
		return gp_err_oom(x->err);
	for (uint32_t s = 1; s < db->nstacks; s++) {
		if (!x->ever[s])
			continue;
		struct record *r = &recs[n++];
		r->stack = s;
		r->inuse_objects = x->inuse[s].count;
		r->inuse_bytes = x->inuse[s].value;
		r->alloc_objects = x->sums[s].count;
		r->alloc_bytes = x->sums[s].value;
		total.inuse_objects += r->inuse_objects;
		total.inuse_bytes += r->inuse_bytes;
		total.alloc_objects += r->alloc_objects;
		total.alloc_bytes += r->alloc_bytes;
	}
	qsort(recs, n, sizeof(*recs), cmp_records);

	/* the rate doubled, as Go prints it for the old C++ heap profiler's sake */
	fprintf(x->out, "heap profile: %lld: %lld [%lld: %lld] @ heap/%lld\n",
		(long long)total.inuse_objects, (long long)total.inuse_bytes,
		(long long)total.alloc_objects, (long long)total.alloc_bytes,
		(long long)(2 * x->prof.rate));
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		fprintf(x->out, "%lld: %lld [%lld: %lld] ", (long long)r->inuse_objects,
			(long long)r->inuse_bytes, (long long)r->alloc_objects,
			(long long)r->alloc_bytes);
		gp_legacy_stack_words(x, r->stack);
		gp_legacy_frame_lines(x, r->stack);
		putc('\n', x->out);
	}
	free(recs);
	return write_memstats(x);
}
