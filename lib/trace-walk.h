/*
 * The walk both trace writers make over one thread's events (gotrace.c, chrome.c): each
 * event checked against the states Go's trace parser keeps for a goroutine (not started,
 * running, blocked, in a system call, dead), so that neither writer ever emits an event its
 * reader would reject, and both drop the same odd input.
 */
#ifndef GOPROF_LIB_TRACE_WALK_H
#define GOPROF_LIB_TRACE_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

enum gp_trace_state { GP_TS_NEW, GP_TS_RUNNING, GP_TS_BLOCKED, GP_TS_SYSCALL, GP_TS_DEAD };

struct gp_trace_walk {
	const struct gp_trace_thread *th;
	size_t next;			/* index of the next event in th->events */
	uint64_t ts;			/* the step's time: its event's, but never before the
					   trace's start or an earlier event of the thread */
	enum gp_trace_state from;	/* the thread's state before the step */
	enum gp_trace_state state;	/* and after it */
	size_t *odd;			/* counts every event skipped, and a missing START */
	struct gp_trace_event start;	/* the START of a thread that had none */
};

/* Begins the walk over th's events in trace t; odd events are counted in *odd. */
void gp_trace_walk_init(struct gp_trace_walk *w, const struct gp_trace *t,
			const struct gp_trace_thread *th, size_t *odd);

/*
 * The thread's next event that fits its state, with the state moved on (w->from, w->state
 * and w->ts say how); NULL after the last. The first is always a START: the thread's own,
 * or, when its first event is another, one made up (w->start, not blocked, counted odd)
 * before that event. Skipped, and counted odd: anything after END, a second START, BLOCK or
 * SYSCALL unless running, UNBLOCK unless blocked, SYSCALL_END unless in a system call, a
 * region's begin or end unless running, an unknown kind. The other kinds are returned in
 * any state: a writer that needs more checks them itself.
 */
const struct gp_trace_event *gp_trace_walk_next(struct gp_trace_walk *w);

#endif
