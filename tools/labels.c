/*
 * The labels goprof puts on samples: those the program pushed (goprof_label_push, stored
 * with the stack) and the goroutine profile's "state" of each thread (Go's words: "IO
 * wait", "select", "running"...), so that `pprof -tagfocus state=...` and the `# labels:`
 * lines of debug=1 show what threads wait for. Every output format asks here, so that a
 * sample's labels read the same in each.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "gp-schema.h"

const char *gp_export_state_name(int state)
{
	static const char *const names[] = {
		[GP_STATE_RUNNING] = "running",	  [GP_STATE_MUTEX] = "mutex lock",
		[GP_STATE_RWLOCK] = "rwlock",	  [GP_STATE_COND] = "cond wait",
		[GP_STATE_SEM] = "semaphore wait", [GP_STATE_BARRIER] = "barrier wait",
		[GP_STATE_JOIN] = "join",	  [GP_STATE_SLEEP] = "sleep",
		[GP_STATE_IO] = "IO wait",	  [GP_STATE_SELECT] = "select",
		[GP_STATE_SYSCALL] = "syscall",
	};

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]) || !names[state])
		return "unknown";
	return names[state];
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct gp_export_label *)a)->key,
		      ((const struct gp_export_label *)b)->key);
}

size_t gp_export_labels(struct gp_export *x, uint32_t stack, const struct gp_export_group *g,
			struct gp_export_label *out, size_t max)
{
	struct gp_db_label set[GP_EXPORT_MAX_LABELS];
	size_t n = 0, nset = gp_db_label_set(x->db, stack, set, GP_EXPORT_MAX_LABELS);

	if (g && n < max)
		out[n++] = (struct gp_export_label){ "state", gp_export_state_name(g->state) };
	for (size_t i = 0; i < nset && n < max; i++)
		if (!g || strcmp(set[i].key, "state") != 0)
			out[n++] = (struct gp_export_label){ set[i].key, set[i].value };
	qsort(out, n, sizeof(*out), by_key);
	return n;
}
