/*
 * goprof-export -f folded: one line per stack, `root;caller;leaf count`, the input of
 * Brendan Gregg's flamegraph.pl (count = samples). Stacks whose names come out equal are
 * printed on separate lines; flamegraph.pl adds them up.
 */
#include "config.h"

#include <err.h>

#include "export.h"

static int write_folded(struct gp_export *x)
{
	struct gp_db *db = x->db;

	gp_export_heap_view(x);
	for (uint32_t s = 1; s < db->nstacks; s++) {
		if (!x->sums[s].count)
			continue;
		size_t n = gp_export_frames(x, s);
		while (n--) {
			fputs(db->funcs[x->frames[n]].name, x->out);
			if (n)
				putc(';', x->out);
		}
		fprintf(x->out, " %lld\n", (long long)x->sums[s].count);
	}
	return 0;
}

const struct gp_exporter gp_exporter_folded = {
	.name = "folded",
	.binary = 0,
	.write = write_folded,
};
