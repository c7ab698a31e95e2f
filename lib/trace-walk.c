/*
 * One thread's events through the states Go's trace parser keeps (trace-walk.h).
 */
#include "config.h"

#include "trace-walk.h"

void gp_trace_walk_init(struct gp_trace_walk *w, const struct gp_trace *t,
			const struct gp_trace_thread *th, size_t *odd)
{
	*w = (struct gp_trace_walk){ .th = th, .ts = t->start_ns, .odd = odd };
}

/* The state after ev in state st, or st itself when ev does not fit it (-1). */
static int state_after(enum gp_trace_state st, const struct gp_trace_event *ev)
{
	switch (ev->kind) {
	case GP_TEV_END:
		return GP_TS_DEAD;
	case GP_TEV_BLOCK:
		return st == GP_TS_RUNNING ? GP_TS_BLOCKED : -1;
	case GP_TEV_SYSCALL:
		return st == GP_TS_RUNNING ? GP_TS_SYSCALL : -1;
	case GP_TEV_UNBLOCK:
		return st == GP_TS_BLOCKED ? GP_TS_RUNNING : -1;
	case GP_TEV_SYSCALL_END:
		return st == GP_TS_SYSCALL ? GP_TS_RUNNING : -1;
	case GP_TEV_REGION_BEGIN:
	case GP_TEV_REGION_END:
		return st == GP_TS_RUNNING ? (int)st : -1;
	case GP_TEV_CREATE:
	case GP_TEV_TASK_BEGIN:
	case GP_TEV_TASK_END:
	case GP_TEV_LOG:
	case GP_TEV_CPU_SAMPLE:
	case GP_TEV_LOST:
		return st;
	default:			/* a second START, an unknown kind */
		return -1;
	}
}

const struct gp_trace_event *gp_trace_walk_next(struct gp_trace_walk *w)
{
	while (w->next < w->th->nevents) {
		const struct gp_trace_event *ev = &w->th->events[w->next++];

		if (ev->ts_ns > w->ts)
			w->ts = ev->ts_ns;
		w->from = w->state;
		if (w->state == GP_TS_DEAD) {
			(*w->odd)++;
			continue;
		}
		if (w->state == GP_TS_NEW) {
			if (ev->kind != GP_TEV_START) {
				/* it ran without saying so: started here, then ev again */
				(*w->odd)++;
				w->next--;
				w->start = (struct gp_trace_event){ .ts_ns = w->ts,
								    .kind = GP_TEV_START };
				ev = &w->start;
			}
			w->state = ev->object == 1 ? GP_TS_BLOCKED : GP_TS_RUNNING;
			return ev;
		}
		int next = state_after(w->state, ev);
		if (next >= 0) {
			w->state = (enum gp_trace_state)next;
			return ev;
		}
		(*w->odd)++;
	}
	return NULL;
}
