/*
 * Trace-event JSON writer (the format of chrome://tracing, Perfetto UI and go tool trace's
 * viewer): turns a struct gp_trace into one JSON object.
 *
 * LAYOUT.
 *
 *   {"displayTimeUnit":"ns",
 *    "otherData":{"program":..., "pid":..., "dropped_events":...},
 *    "traceEvents":[ metadata..., events... ]}
 *
 * - One process: pid = the traced process id, named "<program> (pid N)" by a process_name
 *   record. One row per thread: tid = the thread number (the G of the Go trace), named
 *   "T<number> <name, or start function if it has none>" by a thread_name record and
 *   sorted by number. Threads numbered 0, or twice, are left out as in the Go writer.
 * - ts and dur are microseconds since the capture's start with three decimals, so the
 *   nanoseconds are kept exactly.
 * - Blocking in a call: an "X" slice, cat "block", named after the call
 *   ("pthread_mutex_lock"), args: why (mutex, cond...), object (address as a hex string),
 *   stack (["function file:line", ...], innermost first) and woken_by ("T1") when known.
 *   A thread blocked when the capture starts gets a slice "blocked" from the start.
 * - A blocking system call: an "X" slice, cat "syscall", named after the call ("read").
 * - User regions: "B"/"E" pairs, cat "region", on the thread's own row. They nest with the
 *   blocking and syscall slices without a row of their own: a thread opens and closes
 *   regions only while it runs, so a region either contains a whole blocking interval or
 *   none of it. Region events seen while the thread is blocked (odd input) are dropped to
 *   keep that true, as is an end without an open region; regions still open when the
 *   thread exits or the capture stops are closed there.
 * - User tasks: nestable async "b"/"e" pairs, cat "task", id = the task id as a hex
 *   string, args.parent; a task may begin and end on different threads. Tasks still open
 *   at the end are closed there with args.unfinished.
 * - Logs: thread instants ("i", s "t"), cat "log", named "category=message".
 * - CPU samples: thread instants named "CPU sample", cat "cpu", args.stack (kept: they show
 *   where a thread was busy between blocking slices).
 * - Lost events: a thread instant "N events dropped", cat "goprof"; the total of the
 *   capture is otherData.dropped_events.
 * - Thread creation: a thread instant "create T<n>" on the creator, cat "thread".
 *
 * Strings are escaped fully: quotes, backslashes and control characters, and bytes that
 * are not valid UTF-8 become U+FFFD.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace-walk.h"
#include "trace.h"

#define MAX_FRAMES 100

struct open_task {
	uint64_t id;
	uint32_t tid;			/* the thread that began it */
	const char *name;
	int open;
};

struct jw {
	FILE *out;
	const struct gp_trace *t;
	uint64_t pid;
	int first;			/* no event written yet */
	struct open_task *tasks;	/* every TASK_BEGIN written, in order */
	size_t ntasks;
	const char **regions;		/* open regions of the current thread */
	size_t nregions;
	size_t skipped;			/* odd events dropped */
};

/* Length of the valid UTF-8 sequence at s (1-4), 0 if it is not valid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Writes the bytes of s escaped, without quotes. */
static void json_chars(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		size_t n = utf8_len(s);

		if (!n) {
			fputs("\\ufffd", out);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				fprintf(out, "\\u%04x", *s);
			else
				putc(*s, out);
		}
		s++;
	}
}

static void json_str(FILE *out, const char *s)
{
	putc('"', out);
	json_chars(out, s);
	putc('"', out);
}

static void put_ts(struct jw *j, const char *key, uint64_t ns)
{
	fprintf(j->out, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

/*
 * Starts an event record: name (or "name=value" when value is not NULL), cat, ph, pid,
 * tid, ts; the caller adds fields and the closing brace.
 */
static void begin_event2(struct jw *j, const char *name, const char *value, const char *cat,
			 const char *ph, uint32_t tid, uint64_t rel_ns)
{
	fputs(j->first ? "\n{\"name\":\"" : ",\n{\"name\":\"", j->out);
	j->first = 0;
	json_chars(j->out, name);
	if (value) {
		putc('=', j->out);
		json_chars(j->out, value);
	}
	fprintf(j->out, "\",\"cat\":\"%s\",\"ph\":\"%s\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu32,
		cat, ph, j->pid, tid);
	put_ts(j, "ts", rel_ns);
}

static void begin_event(struct jw *j, const char *name, const char *cat, const char *ph,
			uint32_t tid, uint64_t rel_ns)
{
	begin_event2(j, name, NULL, cat, ph, tid, rel_ns);
}

static void region_end(struct jw *j, uint32_t tid, uint64_t rel_ns)
{
	begin_event(j, j->regions[--j->nregions], "region", "E", tid, rel_ns);
	putc('}', j->out);
}

static const struct gp_trace_stack *get_stack(const struct jw *j, uint32_t stack)
{
	if (!stack || stack > j->t->nstacks || !j->t->stacks[stack - 1].frames ||
	    !j->t->stacks[stack - 1].nframes)
		return NULL;
	return &j->t->stacks[stack - 1];
}

/* sep"stack":["function file:line", ...] if the event has a stack. */
static void put_stack(struct jw *j, const char *sep, uint32_t stack)
{
	const struct gp_trace_stack *s = get_stack(j, stack);

	if (!s)
		return;
	fprintf(j->out, "%s\"stack\":[", sep);
	for (uint32_t i = 0; i < s->nframes && i < MAX_FRAMES; i++) {
		const struct gp_trace_frame *f = &s->frames[i];

		fputs(i ? ",\"" : "\"", j->out);
		json_chars(j->out, f->function ? f->function : "?");
		putc(' ', j->out);
		json_chars(j->out, f->file && *f->file ? f->file : "?");
		fprintf(j->out, ":%" PRIu32 "\"", f->line);
	}
	putc(']', j->out);
}

static void instant(struct jw *j, const char *name, const char *cat, uint32_t tid,
		    uint64_t rel_ns, uint32_t stack)
{
	begin_event(j, name, cat, "i", tid, rel_ns);
	fputs(",\"s\":\"t\"", j->out);
	if (get_stack(j, stack)) {
		fputs(",\"args\":{", j->out);
		put_stack(j, "", stack);
		fputs("}", j->out);
	}
	putc('}', j->out);
}

static const char *why_name(uint8_t why)
{
	static const char *const names[] = {
		[GP_TB_MUTEX] = "mutex", [GP_TB_COND] = "cond",	  [GP_TB_SYNC] = "sync",
		[GP_TB_SLEEP] = "sleep", [GP_TB_RECV] = "recv",	  [GP_TB_SEND] = "send",
		[GP_TB_SELECT] = "select", [GP_TB_NET] = "net",
	};

	return why < sizeof(names) / sizeof(names[0]) && names[why] ? names[why] : "other";
}

/* A blocking or syscall slice from the event that opened it (NULL: blocked at start). */
static void wait_slice(struct jw *j, const struct gp_trace_event *open, uint32_t tid,
		       uint64_t from, uint64_t to, uint32_t waker, int unfinished)
{
	int syscall = open && open->kind == GP_TEV_SYSCALL;
	const char *name = open && open->name && *open->name ? open->name :
			   syscall ? "syscall" : "blocked";

	begin_event(j, name, syscall ? "syscall" : "block", "X", tid, from);
	put_ts(j, "dur", to - from);
	fputs(",\"args\":{", j->out);
	if (open && !syscall) {
		fprintf(j->out, "\"why\":\"%s\",\"object\":\"0x%" PRIx64 "\"", why_name(open->why),
			open->object);
	} else {
		fprintf(j->out, "\"why\":\"%s\"", syscall ? "syscall" : "blocked at start");
	}
	if (open)
		put_stack(j, ",", open->stack);
	if (waker)
		fprintf(j->out, ",\"woken_by\":\"T%" PRIu32 "\"", waker);
	if (unfinished)
		fputs(",\"unfinished\":true", j->out);
	fputs("}}", j->out);
}

static struct open_task *find_task(struct jw *j, uint64_t id)
{
	for (size_t i = j->ntasks; i--;)
		if (j->tasks[i].id == id)
			return &j->tasks[i];
	return NULL;
}

static void task_end(struct jw *j, struct open_task *task, uint32_t tid, uint64_t rel_ns,
		     uint32_t stack, int unfinished)
{
	begin_event(j, task->name, "task", "e", tid, rel_ns);
	fprintf(j->out, ",\"id\":\"0x%" PRIx64 "\",\"args\":{", task->id);
	if (unfinished)
		fputs("\"unfinished\":true", j->out);
	else
		put_stack(j, "", stack);
	fputs("}}", j->out);
	task->open = 0;
}

static int push_region(struct jw *j, const char *name, size_t *cap)
{
	if (j->nregions == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		const char **r = realloc(j->regions, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		j->regions = r;
		*cap = n;
	}
	j->regions[j->nregions++] = name;
	return 0;
}

static int write_thread(struct jw *j, const struct gp_trace_thread *th)
{
	const struct gp_trace *t = j->t;
	const struct gp_trace_event *open = NULL;	/* the BLOCK or SYSCALL being waited */
	const struct gp_trace_event *ev;
	struct gp_trace_walk walk;
	uint64_t rel = 0, wait_from = 0;
	size_t capregions = 0;
	uint32_t tid = th->number;
	const char *msg;
	char name[64];

	j->nregions = 0;
	gp_trace_walk_init(&walk, t, th, &j->skipped);
	while ((ev = gp_trace_walk_next(&walk))) {
		rel = walk.ts - t->start_ns;
		switch (ev->kind) {
		case GP_TEV_START:
			if (walk.state == GP_TS_BLOCKED)
				wait_from = rel;
			break;
		case GP_TEV_END:
			if (walk.from == GP_TS_BLOCKED || walk.from == GP_TS_SYSCALL)
				wait_slice(j, open, tid, wait_from, rel, 0, 1);
			while (j->nregions)
				region_end(j, tid, rel);
			instant(j, "thread exit", "thread", tid, rel, ev->stack);
			break;
		case GP_TEV_BLOCK:
		case GP_TEV_SYSCALL:
			open = ev;
			wait_from = rel;
			break;
		case GP_TEV_UNBLOCK:
		case GP_TEV_SYSCALL_END:
			wait_slice(j, open, tid, wait_from, rel,
				   ev->kind == GP_TEV_UNBLOCK ? ev->other : 0, 0);
			open = NULL;
			break;
		case GP_TEV_CREATE:
			snprintf(name, sizeof(name), "create T%" PRIu32, ev->other);
			instant(j, name, "thread", tid, rel, ev->stack);
			break;
		case GP_TEV_TASK_BEGIN: {
			struct open_task *task = find_task(j, ev->object);

			if (task && task->open)
				goto skip;
			task = realloc(j->tasks, (j->ntasks + 1) * sizeof(*task));
			if (!task)
				return -ENOMEM;
			j->tasks = task;
			task = &j->tasks[j->ntasks++];
			task->id = ev->object;
			task->tid = tid;
			task->name = ev->name && *ev->name ? ev->name : "task";
			task->open = 1;
			begin_event(j, task->name, "task", "b", tid, rel);
			fprintf(j->out, ",\"id\":\"0x%" PRIx64 "\"", ev->object);
			fprintf(j->out, ",\"args\":{\"parent\":\"0x%" PRIx32 "\"", ev->other);
			put_stack(j, ",", ev->stack);
			fputs("}}", j->out);
			break;
		}
		case GP_TEV_TASK_END: {
			struct open_task *task = find_task(j, ev->object);

			if (!task || !task->open)
				goto skip;
			task_end(j, task, tid, rel, ev->stack, 0);
			break;
		}
		case GP_TEV_REGION_BEGIN: {
			const char *rname = ev->name && *ev->name ? ev->name : "region";

			if (push_region(j, rname, &capregions))
				return -ENOMEM;
			begin_event(j, rname, "region", "B", tid, rel);
			fprintf(j->out, ",\"args\":{\"task\":\"0x%" PRIx64 "\"", ev->object);
			put_stack(j, ",", ev->stack);
			fputs("}}", j->out);
			break;
		}
		case GP_TEV_REGION_END:
			if (!j->nregions)
				goto skip;
			region_end(j, tid, rel);
			break;
		case GP_TEV_LOG:
			msg = ev->message ? ev->message : "";
			if (ev->name && *ev->name)
				begin_event2(j, ev->name, msg, "log", "i", tid, rel);
			else
				begin_event(j, msg, "log", "i", tid, rel);
			fprintf(j->out, ",\"s\":\"t\",\"args\":{\"task\":\"0x%" PRIx64 "\"",
				ev->object);
			put_stack(j, ",", ev->stack);
			fputs("}}", j->out);
			break;
		case GP_TEV_CPU_SAMPLE:
			instant(j, "CPU sample", "cpu", tid, rel, ev->stack);
			break;
		case GP_TEV_LOST:
			snprintf(name, sizeof(name), "%" PRIu64 " events dropped", ev->object);
			instant(j, name, "goprof", tid, rel, 0);
			break;
		default:
skip:
			j->skipped++;
			break;
		}
	}
	rel = walk.ts - t->start_ns;	/* the skipped events' times too */
	if (walk.state != GP_TS_NEW && walk.state != GP_TS_DEAD) {
		uint64_t end = t->end_ns > t->start_ns ? t->end_ns - t->start_ns : 0;

		if (end < rel)
			end = rel;
		if (walk.state != GP_TS_RUNNING)
			wait_slice(j, open, tid, wait_from, end, 0, 1);
		while (j->nregions)
			region_end(j, tid, end);
	}
	return 0;
}

static int number_cmp(const void *a, const void *b)
{
	uint32_t x = (*(const struct gp_trace_thread *const *)a)->number;
	uint32_t y = (*(const struct gp_trace_thread *const *)b)->number;

	return x < y ? -1 : x > y;
}

/*
 * Writes t as trace-event JSON to out (layout at the top of this file). Returns 0, -ENOMEM,
 * or -EIO when out has an error; out is not flushed. Odd events that were dropped are
 * counted in *odd (when not NULL) for the caller to report.
 */
int gp_trace_write_json(const struct gp_trace *t, FILE *out, size_t *odd)
{
	struct jw j = { .out = out, .t = t, .pid = t->pid > 0 ? (uint64_t)t->pid : 1, .first = 1 };
	const struct gp_trace_thread **th;
	uint64_t end = t->end_ns > t->start_ns ? t->end_ns - t->start_ns : 0;
	size_t n = 0;
	char buf[64];
	int rc = 0;

	th = calloc(t->nthreads ? t->nthreads : 1, sizeof(*th));
	if (!th)
		return -ENOMEM;
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].number)
			th[n++] = &t->threads[i];
	qsort(th, n, sizeof(*th), number_cmp);

	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"program\":", out);
	json_str(out, t->program ? t->program : "");
	fprintf(out, ",\"pid\":\"%d\",\"dropped_events\":\"%" PRIu64 "\"},\"traceEvents\":[",
		t->pid, t->dropped);
	begin_event(&j, "process_name", "__metadata", "M", 0, 0);
	fputs(",\"args\":{\"name\":\"", out);
	json_chars(out, t->program && *t->program ? t->program : "program");
	fprintf(out, " (pid %d)\"}}", t->pid);
	for (size_t i = 0; i < n; i++) {
		const char *name = th[i]->name && *th[i]->name ? th[i]->name :
				   th[i]->start_function && *th[i]->start_function ?
				   th[i]->start_function : "thread";

		/* a number seen twice: the first thread keeps it, as in the Go writer */
		if (i && th[i]->number == th[i - 1]->number) {
			j.skipped += th[i]->nevents + 1;
			continue;
		}
		begin_event(&j, "thread_name", "__metadata", "M", th[i]->number, 0);
		snprintf(buf, sizeof(buf), "T%" PRIu32 " ", th[i]->number);
		fputs(",\"args\":{\"name\":", out);
		putc('"', out);
		json_chars(out, buf);
		json_chars(out, name);
		putc('"', out);
		fputs("}}", out);
		begin_event(&j, "thread_sort_index", "__metadata", "M", th[i]->number, 0);
		fprintf(out, ",\"args\":{\"sort_index\":%" PRIu32 "}}", th[i]->number);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		if (i && th[i]->number == th[i - 1]->number)
			continue;
		for (size_t k = 0; k < th[i]->nevents; k++)
			if (th[i]->events[k].ts_ns > t->start_ns &&
			    th[i]->events[k].ts_ns - t->start_ns > end)
				end = th[i]->events[k].ts_ns - t->start_ns;
		rc = write_thread(&j, th[i]);
	}
	for (size_t i = 0; i < j.ntasks && !rc; i++)
		if (j.tasks[i].open)
			task_end(&j, &j.tasks[i], j.tasks[i].tid, end, 0, 1);
	fputs("\n]}\n", out);
	if (!rc && ferror(out))
		rc = -EIO;
	if (odd)
		*odd = rc ? 0 : j.skipped;
	free(j.tasks);
	free(j.regions);
	free(th);
	return rc;
}
