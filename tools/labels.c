/*
 * The labels goprof puts on samples: for now the goroutine profile's "state" of each
 * thread (Go's words: "IO wait", "select", "running"...), so that `pprof -tagfocus
 * state=...` and the `# labels:` lines of debug=1 show what threads wait for. Every
 * output format asks here, so that a sample's labels read the same in each.
 */
#include "config.h"

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

size_t gp_export_group_labels(const struct gp_export_group *g, struct gp_export_label *out,
			      size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct gp_export_label){ "state", gp_export_state_name(g->state) };
	return 1;
}
