/*
 * trace-gen: builds a known execution trace in memory and writes it with one of the two
 * trace writers, for testsuite/cases/7001-trace-writers.sh.
 *
 *   trace-gen [-m normal|odd] [-l] -f go|json -o FILE
 *
 * -l writes the Go file with the sequence goprof wrote around blocking system calls before
 * it followed the runtime: no ProcStop after GoSysBlock and no ProcStart before GoSysExit.
 * Go 1.19 reads that file; Go >= 1.23's viewer panics on it, which check-trace-go.go must
 * tell (case 7008).
 *
 * normal: three threads. main (T1) is asleep when the capture starts, wakes, opens task 1
 * "request" and region "setup", creates worker_a (T2) and worker_b (T3) and logs
 * phase=workers started. worker_a opens regions "handle" and, inside it, "compute", blocks
 * on a mutex that main releases (main wakes it), takes two CPU samples, loses 7 events and
 * exits. worker_b blocks in read() on a pipe, then signals the condition variable main
 * waits on (worker_b wakes main), logs and exits. main ends task 1 and is still running
 * when the capture stops. Times in the comments below are microseconds after the start.
 *
 * odd: the same plus input the writers must survive: an UNBLOCK without BLOCK, a region end
 * without begin, a thread whose creator is outside the trace, a CREATE of a thread that
 * ran already, a thread without START, events after END, threads numbered 0 or twice, a
 * task ended twice or never begun, unknown block reasons, a 300-frame stack, an empty stack,
 * names with quotes, backslashes, control characters and invalid UTF-8.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

#define T0 5000000000ULL	/* CLOCK_MONOTONIC at the capture's start, ns */
#define US(x) (T0 + (x) * 1000ULL)

static const struct gp_trace_frame f_sleep[] = {
	{ 0x7f0000001010, "nanosleep", "nanosleep.c", 10 },
	{ 0x401020, "main", "demo.c", 20 },
};
static const struct gp_trace_frame f_create[] = {
	{ 0x7f0000002010, "pthread_create", "pthread_create.c", 600 },
	{ 0x401030, "main", "demo.c", 25 },
};
static const struct gp_trace_frame f_main[] = {
	{ 0x401040, "main", "demo.c", 30 },
};
static const struct gp_trace_frame f_lock[] = {
	{ 0x7f0000003010, "pthread_mutex_lock", "pthread_mutex_lock.c", 80 },
	{ 0x402010, "worker_a", "demo.c", 42 },
};
static const struct gp_trace_frame f_cond[] = {
	{ 0x7f0000004010, "pthread_cond_wait", "pthread_cond_wait.c", 500 },
	{ 0x401050, "main", "demo.c", 35 },
};
static const struct gp_trace_frame f_read[] = {
	{ 0x7f0000005010, "read", "read.c", 26 },
	{ 0x403010, "worker_b", "demo.c", 60 },
};
static const struct gp_trace_frame f_worker_a[] = {
	{ 0x402020, "worker_a", "demo.c", 44 },
};
static const struct gp_trace_frame f_spin[] = {
	{ 0x402110, "spin", "demo.c", 50 },
	{ 0x402030, "worker_a", "demo.c", 46 },
};
static const struct gp_trace_frame f_main_cpu[] = {
	{ 0x401060, "main", "demo.c", 33 },
};
static const struct gp_trace_frame f_worker_b[] = {
	{ 0x403020, "worker_b", "demo.c", 62 },
};
static const struct gp_trace_frame f_odd[] = {
	{ 0, "operator\"<<\\(std::ostream&)\n\t\x01", "dir\\with \"quotes\".cc", 7 },
	{ 0x404010, "bad\xff\xfeutf8\xc3(", "caf\xc3\xa9.c", 8 },
};

enum {
	S_SLEEP = 1, S_CREATE, S_MAIN, S_LOCK, S_COND, S_READ, S_WORKER_A, S_SPIN, S_MAIN_CPU,
	S_WORKER_B, S_ODD, S_EMPTY, S_DEEP, NSTACKS = S_DEEP
};

#define STK(f) { f, sizeof(f) / sizeof(f[0]) }

static struct gp_trace_stack stacks[NSTACKS] = {
	STK(f_sleep), STK(f_create), STK(f_main), STK(f_lock), STK(f_cond), STK(f_read),
	STK(f_worker_a), STK(f_spin), STK(f_main_cpu), STK(f_worker_b), STK(f_odd),
	{ NULL, 0 },	/* S_EMPTY */
	{ NULL, 0 },	/* S_DEEP, filled by make_deep() */
};

#define MUTEX 0x5555aaaa0010ULL
#define COND 0x5555aaaa0040ULL
#define PIPE_FD 3

static const struct gp_trace_event ev_main[] = {
	{ .ts_ns = US(0), .kind = GP_TEV_START, .object = 1 },
	{ .ts_ns = US(10), .kind = GP_TEV_UNBLOCK },
	{ .ts_ns = US(20), .kind = GP_TEV_TASK_BEGIN, .object = 1, .name = "request",
	  .stack = S_MAIN },
	{ .ts_ns = US(30), .kind = GP_TEV_REGION_BEGIN, .object = 1, .name = "setup",
	  .stack = S_MAIN },
	{ .ts_ns = US(40), .kind = GP_TEV_CREATE, .other = 2, .stack = S_CREATE },
	{ .ts_ns = US(50), .kind = GP_TEV_CREATE, .other = 3, .stack = S_CREATE },
	{ .ts_ns = US(60), .kind = GP_TEV_LOG, .object = 1, .name = "phase",
	  .message = "workers started", .stack = S_MAIN },
	{ .ts_ns = US(70), .kind = GP_TEV_REGION_END, .stack = S_MAIN },
	{ .ts_ns = US(200), .kind = GP_TEV_BLOCK, .why = GP_TB_COND, .object = COND,
	  .name = "pthread_cond_wait", .stack = S_COND },
	{ .ts_ns = US(300), .kind = GP_TEV_UNBLOCK, .other = 3 },
	{ .ts_ns = US(350), .kind = GP_TEV_CPU_SAMPLE, .stack = S_MAIN_CPU },
	{ .ts_ns = US(400), .kind = GP_TEV_TASK_END, .object = 1, .stack = S_MAIN },
};

static const struct gp_trace_event ev_worker_a[] = {
	{ .ts_ns = US(45), .kind = GP_TEV_START },
	{ .ts_ns = US(60), .kind = GP_TEV_REGION_BEGIN, .object = 1, .name = "handle",
	  .stack = S_WORKER_A },
	{ .ts_ns = US(80), .kind = GP_TEV_REGION_BEGIN, .object = 1, .name = "compute",
	  .stack = S_WORKER_A },
	{ .ts_ns = US(120), .kind = GP_TEV_BLOCK, .why = GP_TB_MUTEX, .object = MUTEX,
	  .name = "pthread_mutex_lock", .stack = S_LOCK },
	{ .ts_ns = US(150), .kind = GP_TEV_UNBLOCK, .other = 1 },
	{ .ts_ns = US(160), .kind = GP_TEV_CPU_SAMPLE, .stack = S_SPIN },
	{ .ts_ns = US(170), .kind = GP_TEV_CPU_SAMPLE, .stack = S_SPIN },
	{ .ts_ns = US(180), .kind = GP_TEV_REGION_END },
	{ .ts_ns = US(190), .kind = GP_TEV_REGION_END },
	{ .ts_ns = US(195), .kind = GP_TEV_LOST, .object = 7 },
	{ .ts_ns = US(500), .kind = GP_TEV_END },
};

static const struct gp_trace_event ev_worker_b[] = {
	{ .ts_ns = US(55), .kind = GP_TEV_START },
	{ .ts_ns = US(100), .kind = GP_TEV_SYSCALL, .object = PIPE_FD, .name = "read",
	  .stack = S_READ },
	{ .ts_ns = US(250), .kind = GP_TEV_SYSCALL_END },
	{ .ts_ns = US(310), .kind = GP_TEV_LOG, .name = "io", .message = "read 64 bytes",
	  .stack = S_WORKER_B },
	{ .ts_ns = US(600), .kind = GP_TEV_END },
};

/* odd: extra events for the same three threads, merged in below, and more threads */
static const struct gp_trace_event odd_main[] = {
	{ .ts_ns = US(410), .kind = GP_TEV_UNBLOCK, .other = 2 },	/* no BLOCK */
	{ .ts_ns = US(420), .kind = GP_TEV_REGION_END },		/* no begin */
	{ .ts_ns = US(430), .kind = GP_TEV_CREATE, .other = 99 },	/* not in the trace */
	{ .ts_ns = US(440), .kind = GP_TEV_CREATE, .other = 2 },	/* ran already */
	{ .ts_ns = US(450), .kind = GP_TEV_TASK_END, .object = 1 },	/* ended twice */
	{ .ts_ns = US(455), .kind = GP_TEV_TASK_END, .object = 42 },	/* never begun */
	{ .ts_ns = US(460), .kind = GP_TEV_START },			/* second START */
	{ .ts_ns = US(470), .kind = GP_TEV_REGION_BEGIN, .name = "r\"q\\\x01\xff",
	  .stack = S_EMPTY },
	{ .ts_ns = US(480), .kind = GP_TEV_BLOCK, .why = 0, .name = "weird\twait",
	  .object = 1, .stack = S_ODD },
	{ .ts_ns = US(485), .kind = GP_TEV_LOST, .object = 3 },		/* while blocked */
	{ .ts_ns = US(490), .kind = GP_TEV_REGION_END },		/* while blocked */
	{ .ts_ns = US(495), .kind = GP_TEV_UNBLOCK, .other = 5 },
	{ .ts_ns = US(700), .kind = GP_TEV_CPU_SAMPLE, .stack = S_DEEP },
	{ .ts_ns = US(710), .kind = GP_TEV_LOG, .name = "k\"ey", .message = "m\\sg\n\x02\xe2\x82",
	  .stack = 1000 },					/* no such stack */
};

static const struct gp_trace_event odd_worker_a[] = {
	{ .ts_ns = US(510), .kind = GP_TEV_BLOCK, .why = GP_TB_SLEEP },	/* after END */
};

/* T4 "orphan": created by a thread outside the trace; never says START */
static const struct gp_trace_event ev_orphan[] = {
	{ .ts_ns = US(100), .kind = GP_TEV_TASK_BEGIN, .object = 7, .other = 1,
	  .name = "child task", .stack = S_ODD },
	{ .ts_ns = US(110), .kind = GP_TEV_SYSCALL, .name = "epoll_wait", .stack = S_ODD },
	{ .ts_ns = US(115), .kind = GP_TEV_SYSCALL },			/* already in one */
	{ .ts_ns = US(120), .kind = GP_TEV_TASK_BEGIN, .object = 7 },	/* begun twice */
	/* still in its system call when the capture stops */
};

/* T5: blocked at the start, wakes T1 at 495, loses events and ends while blocked */
static const struct gp_trace_event ev_t5[] = {
	{ .ts_ns = US(0), .kind = GP_TEV_START, .object = 1 },
	{ .ts_ns = US(300), .kind = GP_TEV_UNBLOCK, .other = 4 },	/* T4 is in a syscall */
	{ .ts_ns = US(490), .kind = GP_TEV_REGION_BEGIN, .name = "open at exit",
	  .stack = S_ODD },
	{ .ts_ns = US(496), .kind = GP_TEV_BLOCK, .why = GP_TB_NET, .name = "accept",
	  .stack = S_ODD },
	{ .ts_ns = US(700), .kind = GP_TEV_LOST, .object = 5 },		/* blocked to the END */
	{ .ts_ns = US(800), .kind = GP_TEV_END },
};

static const struct gp_trace_event ev_ignored[] = {
	{ .ts_ns = US(5), .kind = GP_TEV_START },
	{ .ts_ns = US(6), .kind = GP_TEV_END },
};

static struct gp_trace_event *merge(const struct gp_trace_event *a, size_t na,
				    const struct gp_trace_event *b, size_t nb)
{
	struct gp_trace_event *m = malloc((na + nb) * sizeof(*m));

	if (!m)
		err(1, "malloc");
	memcpy(m, a, na * sizeof(*a));
	memcpy(m + na, b, nb * sizeof(*b));
	return m;
}

static void make_deep(void)
{
	static struct gp_trace_frame deep[300];
	static char names[300][220];

	for (size_t i = 0; i < 300; i++) {
		memset(names[i], 'x', sizeof(names[i]) - 1);
		snprintf(names[i], 32, "deep_%zu_", i);
		names[i][strlen(names[i])] = 'x';
		deep[i] = (struct gp_trace_frame){ 0x7ffff0000000ULL + i * 64, names[i],
						   "deep.c", (uint32_t)i };
	}
	stacks[S_DEEP - 1] = (struct gp_trace_stack){ deep, 300 };
}

#define N(a) (sizeof(a) / sizeof(a[0]))

/* One event of a Go trace file, as legacy() rewrites it. */
struct raw_ev {
	size_t off, end;		/* the whole event */
	size_t delta_off, delta_end;	/* its timestamp delta; delta_off = 0: not timed */
	uint64_t delta;
	uint8_t type, code, drop;
};

static size_t uvarint(const uint8_t *p, size_t len, size_t off, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (off < len && shift < 64) {
		*v |= (uint64_t)(p[off] & 0x7f) << shift;
		if (!(p[off++] & 0x80))
			return off;
		shift += 7;
	}
	errx(1, "legacy: bad varint at offset %zu", off);
}

static void put_uvarint(FILE *out, uint64_t v)
{
	while (v >= 0x80) {
		putc((int)(v | 0x80), out);
		v >>= 7;
	}
	putc((int)v, out);
}

static size_t uvarint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * Rewrites the Go file p (len bytes, from gp_trace_write_go) to out without the Proc pair
 * around blocking system calls; a dropped event's delta moves to the next one.
 */
static void legacy(const uint8_t *p, size_t len, FILE *out)
{
	struct raw_ev *ev = calloc(len, sizeof(*ev));
	size_t n = 0, off = 16;
	uint64_t v, carry = 0;

	if (!ev)
		err(1, "calloc");
	while (off < len) {
		struct raw_ev *e = &ev[n++];
		uint8_t type = p[off] & 0x3f, code = p[off] >> 6;

		e->off = off++;
		e->type = type;
		e->code = code;
		if (type == 37) {	/* String: id, length, bytes */
			off = uvarint(p, len, off, &v);
			off = uvarint(p, len, off, &v);
			off += v;
		} else if (code == 3) {
			off = uvarint(p, len, off, &v);
			if (type != 3) {	/* every length-prefixed event but Stack is timed */
				e->delta_off = off;
				e->delta_end = uvarint(p, len, off, &e->delta);
			}
			off += v;
			if (type == 48) {	/* UserLog: the message follows the body */
				off = uvarint(p, len, off, &v);
				off += v;
			}
		} else {
			for (unsigned i = 0; i <= code; i++) {
				size_t at = off;

				off = uvarint(p, len, off, &v);
				if (i == 0 && type != 1 && type != 2 && type != 35) {
					e->delta_off = at;
					e->delta_end = off;
					e->delta = v;
				}
			}
		}
		e->end = off;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		if (ev[i].type == 30 && ev[i + 1].type == 6)		/* GoSysBlock, ProcStop */
			ev[i + 1].drop = 1;
		if (ev[i].type == 5 && ev[i + 1].type == 29)		/* ProcStart, GoSysExit */
			ev[i].drop = 1;
	}
	fwrite(p, 1, 16, out);
	for (size_t i = 0; i < n; i++) {
		struct raw_ev *e = &ev[i];

		if (e->type == 1)
			carry = 0;
		if (e->drop) {
			carry += e->delta;
			continue;
		}
		if (!e->delta_off || !carry) {
			fwrite(p + e->off, 1, e->end - e->off, out);
			continue;
		}
		putc(p[e->off], out);
		if (e->code == 3) {
			uint64_t body;

			uvarint(p, len, e->off + 1, &body);
			put_uvarint(out, body - (e->delta_end - e->delta_off) +
					 uvarint_size(e->delta + carry));
		}
		put_uvarint(out, e->delta + carry);
		fwrite(p + e->delta_end, 1, e->end - e->delta_end, out);
		carry = 0;
	}
	free(ev);
}

static void usage(void)
{
	fprintf(stderr, "usage: trace-gen [-m normal|odd] [-l] -f go|json -o FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *format = NULL, *path = NULL, *mode = "normal";
	struct gp_trace_thread threads[8];
	struct gp_trace t = {
		.start_ns = T0,
		.end_ns = US(1000),
		.start_realtime_ns = 1700000000000000000ULL,
		.pid = 4242,
		.program = "demo",
		.threads = threads,
		.stacks = stacks,
		.nstacks = NSTACKS - 1,
	};
	FILE *out;
	char *mem = NULL;
	size_t memlen = 0, repaired = 0;
	int c, rc, odd, old = 0;

	while ((c = getopt(argc, argv, "f:lm:o:")) != -1) {
		switch (c) {
		case 'l':
			old = 1;
			break;
		case 'f':
			format = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'o':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (!format || !path || optind != argc ||
	    (strcmp(format, "go") && strcmp(format, "json")) ||
	    (strcmp(mode, "normal") && strcmp(mode, "odd")) || (old && strcmp(format, "go")))
		usage();
	odd = !strcmp(mode, "odd");

	threads[0] = (struct gp_trace_thread){ 1, 1001, "main", "main", 0x401000, ev_main,
					       N(ev_main) };
	threads[1] = (struct gp_trace_thread){ 2, 1002, "worker-a", "worker_a", 0x402000,
					       ev_worker_a, N(ev_worker_a) };
	threads[2] = (struct gp_trace_thread){ 3, 1003, "", "worker_b", 0x403000, ev_worker_b,
					       N(ev_worker_b) };
	t.nthreads = 3;
	if (odd) {
		make_deep();
		t.nstacks = NSTACKS;
		t.dropped = 10;
		threads[0].events = merge(ev_main, N(ev_main), odd_main, N(odd_main));
		threads[0].nevents = N(ev_main) + N(odd_main);
		threads[1].events = merge(ev_worker_a, N(ev_worker_a), odd_worker_a,
					  N(odd_worker_a));
		threads[1].nevents = N(ev_worker_a) + N(odd_worker_a);
		threads[3] = (struct gp_trace_thread){ 4, 1004, "orph\"an\n", NULL, 0, ev_orphan,
						       N(ev_orphan) };
		threads[4] = (struct gp_trace_thread){ 5, 1005, "", "t5_loop", 0x405000, ev_t5,
						       N(ev_t5) };
		threads[5] = (struct gp_trace_thread){ 0, 1006, "zero", "zero", 0x406000,
						       ev_ignored, N(ev_ignored) };
		threads[6] = (struct gp_trace_thread){ 2, 1007, "dup", "dup", 0x407000,
						       ev_ignored, N(ev_ignored) };
		threads[7] = (struct gp_trace_thread){ 8, 1008, NULL, NULL, 0, NULL, 0 };
		t.nthreads = 8;
	}

	out = old ? open_memstream(&mem, &memlen) : fopen(path, "w");
	if (!out)
		err(1, "%s", path);
	rc = !strcmp(format, "go") ? gp_trace_write_go(&t, out, &repaired) :
		gp_trace_write_json(&t, out, &repaired);
	if (!rc && repaired)
		fprintf(stderr, "trace-gen: %s trace: %zu odd events skipped or repaired\n", format,
			repaired);
	if (rc)
		errx(1, "writing %s: %s", path, strerror(-rc));
	if (fclose(out))
		err(1, "%s", path);
	if (old) {
		out = fopen(path, "w");
		if (!out)
			err(1, "%s", path);
		legacy((const uint8_t *)mem, memlen, out);
		if (fclose(out))
			err(1, "%s", path);
		free(mem);
	}
	return 0;
}
