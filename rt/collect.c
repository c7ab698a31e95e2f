/*
 * The writer's collectors, one per profile (writer thread only): CPU samples from the
 * rings, the heap and lock buckets' growth, custom profiles' entries, the thread table and
 * the goroutine snapshot, aggregated per time bucket; then the rows each of them writes
 * inside gp_db_commit()'s transaction. Custom profiles' entries (custom.c) are drained
 * with the rings into live counts per (profile, stack); a commit writes the counts that
 * changed.
 */

#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "writer.h"
#include "gp-schema.h"

static uint64_t agg_hash(uint32_t bucket, uint32_t stack, uint32_t tid, int profile)
{
	return gp_mix(((uint64_t)bucket << 40) ^ ((uint64_t)stack << 8) ^
		     ((uint64_t)tid << 20) ^ (uint64_t)profile);
}

uint32_t gp_collect_bucket(uint64_t time_ns)
{
	uint64_t rel = time_ns > gp_w.start_ns ? time_ns - gp_w.start_ns : 0;

	return (uint32_t)(rel / GP_BUCKET_NS);
}

static int agg_add(int profile, uint64_t time_ns, uint32_t stack, uint32_t tid,
		   uint64_t count, uint64_t value)
{
	uint32_t bucket = gp_collect_bucket(time_ns);

	if ((gp_w.naggs + 1) * 2 > gp_w.nagg_slots) {
		size_t n = gp_w.nagg_slots ? gp_w.nagg_slots * 2 : 4096;
		uint32_t *slots = calloc(n, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < gp_w.naggs; i++) {
			const struct agg *a = &gp_w.aggs[i];
			size_t j = agg_hash(a->bucket, a->stack, a->tid, a->profile) & (n - 1);
			while (slots[j])
				j = (j + 1) & (n - 1);
			slots[j] = (uint32_t)i + 1;
		}
		free(gp_w.agg_slots);
		gp_w.agg_slots = slots;
		gp_w.nagg_slots = n;
	}
	size_t j = agg_hash(bucket, stack, tid, profile) & (gp_w.nagg_slots - 1);
	for (; gp_w.agg_slots[j]; j = (j + 1) & (gp_w.nagg_slots - 1)) {
		struct agg *a = &gp_w.aggs[gp_w.agg_slots[j] - 1];
		if (a->bucket == bucket && a->stack == stack && a->tid == tid &&
		    a->profile == profile) {
			a->count += count;
			a->value += value;
			return 0;
		}
	}
	if (gp_grow(&gp_w.aggs, &gp_w.capaggs, gp_w.naggs + 1, sizeof(*gp_w.aggs)) != 0)
		return -ENOMEM;
	gp_w.aggs[gp_w.naggs] = (struct agg){ bucket, stack, tid, (uint8_t)profile, count, value };
	gp_w.agg_slots[j] = (uint32_t)++gp_w.naggs;
	return 0;
}

void gp_collect_drop_pending(void)
{
	struct agg *keep = gp_w.aggs;
	size_t n = gp_w.naggs;

	gp_w.naggs = 0;
	if (gp_w.agg_slots)
		memset(gp_w.agg_slots, 0, gp_w.nagg_slots * sizeof(*gp_w.agg_slots));
	for (size_t i = 0; i < n; i++) {
		struct agg a = keep[i];
		if (a.profile == GP_PROFILE_CPU)
			gp_w.fail.cpu_samples += a.count;
		else if (a.profile == GP_PROFILE_BLOCK || a.profile == GP_PROFILE_MUTEX)
			gp_w.fail.lock_events += a.count;
		/* allocs and frees: one row per stack at most, as long as writes fail */
		else if ((a.profile == GP_PROFILE_ALLOCS || a.profile == GP_PROFILE_FREES) &&
			 agg_add(a.profile, gp_w.fail.since_ns, a.stack, a.tid, a.count,
				 a.value) != 0)
			gp_w.err = -ENOMEM;
	}
	for (size_t i = 0; i < gp_w.ncustoms; i++)
		gp_w.customs[i].written = INT64_MIN;
	gp_w.custom_profiles_written = 0;
	gp_w.block_rate_written = 0;
	gp_w.mutex_fraction_written = 0;
	gp_w.fail.traces += gp_w.batch_traces;
	gp_w.batch_traces = 0;
	int how = gp_writer_lock(&gp_writer_traces_lock, "the traces handed over");
	if (how == GP_LOCK_SKIP)
		return;
	struct pending_trace *t = gp_writer_traces;
	gp_writer_traces = NULL;
	gp_writer_unlock(&gp_writer_traces_lock, how);
	for (struct pending_trace *next; t; t = next) {
		next = t->next;
		free(t->data);
		free(t);
		gp_w.fail.traces++;
	}
}

/* gp_cpu_drain callback (writer thread): one sample into the pending aggregates. */
void gp_collect_sample(const struct gp_sample *s, void *ctx)
{
	uint32_t leaf = 0, innermost = 0;
	(void)ctx;

	if (s->lost) {
		leaf = gp_intern_node(0, gp_intern_func_by_name(GP_LOST_FUNCTION, 0,
								 GP_FUNC_KIND_SYNTHETIC));
	} else {
		static uintptr_t addrs[GP_MAX_STACK_DEPTH];
		struct pc_sym *sym = s->pc ? gp_intern_sym_of_pc(s->pc) : NULL;
		gp_callsite_match(s, sym ? sym->name : NULL, addrs);
		leaf = gp_intern_stack_at(s->frames, addrs, s->nframes, s->truncated, &innermost);
		/* the PC outside the innermost instrumented function: its symbol is the leaf */
		if (sym && (!innermost || strcmp(sym->name, gp_w.funcs[innermost - 1].name) != 0)) {
			if (!sym->func)
				sym->func = gp_intern_func_by_name(sym->name, sym->mapping,
							 GP_FUNC_KIND_SYMBOL);
			leaf = gp_intern_node_at(leaf, sym->func, s->pc);
		}
		if (!leaf)
			leaf = gp_intern_unknown_stack();
		else if (!s->truncated)
			gp_callsite_note(s->tid, s->frames, s->nframes, leaf);
		leaf = gp_intern_labelled(leaf, s->labels);
	}
	if (!leaf || agg_add(GP_PROFILE_CPU, s->time_ns, leaf, s->tid, s->count,
			     s->count * gp_w.period_ns) != 0 ||
	    agg_add(GP_PROFILE_CPU_THREADS, s->time_ns, 0, s->tid, s->count,
		    s->count * gp_w.period_ns) != 0)
		gp_w.err = -ENOMEM;
}

/*
 * The heap buckets' growth since the last call, as allocs and frees rows of the current
 * time bucket (thread 0: a block may be freed by another thread than its allocator).
 * Returns the number of buckets that changed. Writer thread.
 */
size_t gp_collect_heap(void)
{
	uint64_t now = gp_real_ns();
	size_t changed = 0;

	for (struct gp_heap_bucket *b = gp_heap_buckets(); b; b = b->next) {
		uint64_t ao = __atomic_load_n(&b->alloc_objects, __ATOMIC_RELAXED);
		uint64_t ab = __atomic_load_n(&b->alloc_bytes, __ATOMIC_RELAXED);
		uint64_t fo = __atomic_load_n(&b->free_objects, __ATOMIC_RELAXED);
		uint64_t fb = __atomic_load_n(&b->free_bytes, __ATOMIC_RELAXED);

		if (ao == b->written.alloc_objects && ab == b->written.alloc_bytes &&
		    fo == b->written.free_objects && fb == b->written.free_bytes)
			continue;
		if (!b->written.stack &&
		    !(b->written.stack = gp_intern_labelled(
			      gp_intern_site_stack(b->frames, b->nframes, b->truncated, b->site,
						   (const uintptr_t *)(b->frames + b->nframes),
						   b->nreturns),
			      b->labels))) {
			gp_w.err = -ENOMEM;
			return changed;
		}
		if ((ao != b->written.alloc_objects || ab != b->written.alloc_bytes) &&
		    agg_add(GP_PROFILE_ALLOCS, now, b->written.stack, 0,
			    ao - b->written.alloc_objects, ab - b->written.alloc_bytes) != 0)
			gp_w.err = -ENOMEM;
		if ((fo != b->written.free_objects || fb != b->written.free_bytes) &&
		    agg_add(GP_PROFILE_FREES, now, b->written.stack, 0,
			    fo - b->written.free_objects, fb - b->written.free_bytes) != 0)
			gp_w.err = -ENOMEM;
		b->written.alloc_objects = ao;
		b->written.alloc_bytes = ab;
		b->written.free_objects = fo;
		b->written.free_bytes = fb;
		changed++;
	}
	return changed;
}

/*
 * The block and mutex buckets' growth since the last call, as rows of the current time
 * bucket; a block count is written as the growth of its rounded running total. Returns the
 * number of buckets that changed. Writer thread.
 */
size_t gp_collect_lock(void)
{
	uint64_t now = gp_real_ns();
	size_t changed = 0;

	for (struct gp_lock_bucket *b = gp_lock_buckets(); b; b = b->next) {
		uint64_t fp = __atomic_load_n(&b->count_fp, __ATOMIC_RELAXED);
		uint64_t count = gp_lock_count(fp);
		uint64_t delay = __atomic_load_n(&b->delay_ns, __ATOMIC_RELAXED);

		if (count == b->written.count && delay == b->written.delay_ns)
			continue;
		if (!b->written.stack &&
		    !(b->written.stack = gp_intern_site_stack(
			      b->frames, b->nframes, b->truncated, b->site,
			      (const uintptr_t *)(b->frames + b->nframes), b->nreturns))) {
			gp_w.err = -ENOMEM;
			return changed;
		}
		if (b->call && !b->written.leaf &&
		    !(b->written.leaf = gp_intern_below_call(b->written.stack, b->call))) {
			gp_w.err = -ENOMEM;
			return changed;
		}
		if (!b->written.labelled &&
		    !(b->written.labelled = gp_intern_labelled(
			      b->call ? b->written.leaf : b->written.stack, b->labels))) {
			gp_w.err = -ENOMEM;
			return changed;
		}
		if (agg_add(b->profile, now, b->written.labelled, b->tid,
			    count - b->written.count,
			    delay - b->written.delay_ns) != 0)
			gp_w.err = -ENOMEM;
		b->written.count = count;
		b->written.delay_ns = delay;
		changed++;
	}
	return changed;
}

/*
 * gp_custom_drain callback: an entry added (counted in) or removed (counted out, if it was
 * in: one added and removed between two drains never counts).
 */
void gp_collect_custom(const struct goprof_profile *p, struct gp_custom_entry *e, void *ctx)
{
	int delta = !e->removed_ns ? !e->counted : -e->counted;

	(void)ctx;
	e->counted = !e->removed_ns;
	if (!delta)
		return;
	uint32_t stack = gp_intern_labelled(
		gp_intern_bucket_stack(e->frames, e->nframes, e->truncated), e->labels);
	uint64_t key = (uint64_t)p->id << 32 | stack;
	uint32_t i = stack ? gp_u64map_get(&gp_w.custom_by_key, key) : 0;
	if (!stack) {
		gp_w.err = -ENOMEM;
		return;
	}
	if (!i) {
		if (gp_grow(&gp_w.customs, &gp_w.capcustoms, gp_w.ncustoms + 1,
			    sizeof(*gp_w.customs)) ||
		    gp_u64map_put(&gp_w.custom_by_key, key, (uint32_t)gp_w.ncustoms + 1)) {
			gp_w.err = -ENOMEM;
			return;
		}
		gp_w.customs[gp_w.ncustoms] = (struct custom_count){ p->id, stack, 0, 0 };
		i = (uint32_t)++gp_w.ncustoms;
	}
	gp_w.customs[i - 1].live += delta;
}

/*
 * gp_threads_foreach callback: a thread whose row is new or changed is queued for this
 * commit; a new one gets its creator's stack interned (rows written in the same commit).
 * What was queued is kept in the registry entry itself (t->written), so that the work is
 * constant per thread and the writer keeps nothing of a thread once its entry is freed.
 * Returns 0, or -ENOMEM when the row could not be queued (the entry is kept).
 */
int gp_collect_thread(struct gp_thread_info *t, void *ctx)
{
	struct thread_batch *b = ctx;

	if (t->written.queued && t->written.end_ns == t->end_ns &&
	    strncmp(t->written.name, t->name, sizeof(t->written.name)) == 0)
		return 0;
	if (gp_grow(&gp_w.pend_threads, &gp_w.cappend_threads, gp_w.npend_threads + 1,
		    sizeof(*gp_w.pend_threads))) {
		b->err = -ENOMEM;
		return -ENOMEM;
	}
	if (!t->written.queued) {
		/* the main thread has no creator: no stack */
		const uintptr_t *returns = (const uintptr_t *)(t->create_frames + t->create_nframes);
		uint32_t stack = t->create_nframes ?
			gp_intern_site_stack(t->create_frames, t->create_nframes,
					     t->create_truncated, t->create_site, returns,
					     t->create_nreturns) : 0;
		/* below it the creating call, as Go's end in runtime.newm */
		if (t->create_call)
			stack = gp_intern_below_call(stack ? stack : gp_intern_unknown_stack(),
						     t->create_call);
		t->written.create_stack = gp_intern_labelled(stack, t->create_labels);
		t->written.queued = 1;
	}
	t->written.end_ns = t->end_ns;
	memcpy(t->written.name, t->name, sizeof(t->written.name));
	t->written.name[sizeof(t->written.name) - 1] = '\0';
	struct thread_row *r = &gp_w.pend_threads[gp_w.npend_threads++];
	r->tid = t->tid;
	r->start_ns = t->start_ns;
	r->end_ns = t->end_ns;
	memcpy(r->name, t->written.name, sizeof(r->name));
	r->creator_tid = t->creator_tid;
	r->create_stack = t->written.create_stack;
	return 0;
}

int gp_collect_write_thread(const struct thread_row *r)
{
	sqlite3_stmt *st = gp_w.up_thread;

	sqlite3_bind_int64(st, 1, r->tid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->start_ns);
	if (r->end_ns)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)r->end_ns);
	sqlite3_bind_text(st, 4, r->name, -1, SQLITE_TRANSIENT);
	if (r->creator_tid)
		sqlite3_bind_int64(st, 5, r->creator_tid);
	sqlite3_bind_int64(st, 6, r->create_stack);
	return gp_db_step_reset(st);
}

/* gp_threads_snapshot callback: one live thread, its stack interned. */
void gp_collect_snap(const struct gp_thread_snap *s, void *ctx)
{
	struct thread_batch *b = ctx;
	uint32_t innermost;

	if (gp_grow(&gp_w.snaps, &gp_w.capsnaps, gp_w.nsnaps + 1, sizeof(*gp_w.snaps))) {
		b->err = -ENOMEM;
		return;
	}
	struct snap_row *r = &gp_w.snaps[gp_w.nsnaps++];
	r->tid = s->tid;
	r->start_ns = s->start_ns;
	r->wait = s->wait;
	/* running, and still in its latest CPU sample's frames: where that sample was */
	r->stack = s->wait.state == GP_STATE_RUNNING && !s->truncated ?
		gp_callsite_running(s->tid, s->frames, s->nframes) : 0;
	/* waiting: each frame at its call, from the machine stack above the wait */
	if (!r->stack && s->nreturns && s->nframes)
		r->stack = gp_intern_site_stack(s->frames, s->nframes, s->truncated, s->wait.site,
						s->returns, s->nreturns);
	if (!r->stack)
		r->stack = gp_intern_stack(s->frames, s->nframes, s->truncated, &innermost);
	if (r->stack && s->wait.state != GP_STATE_RUNNING && s->wait.call)
		r->stack = gp_intern_below_call(r->stack, s->wait.call);
	r->stack = gp_intern_labelled(r->stack, s->labels);
}

int gp_collect_write_snapshot(uint64_t time_ns)
{
	sqlite3_stmt *st = gp_w.ins_snap;

	sqlite3_bind_int64(st, 1, ++gp_w.last_snapshot);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time_ns);
	if (gp_db_step_reset(st) != 0)
		return -EIO;
	for (size_t i = 0; i < gp_w.nsnaps; i++) {
		const struct snap_row *r = &gp_w.snaps[i];
		st = gp_w.ins_snap_thread;
		sqlite3_bind_int64(st, 1, gp_w.last_snapshot);
		sqlite3_bind_int64(st, 2, r->tid);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)r->start_ns);
		sqlite3_bind_int(st, 4, r->wait.state);
		if (r->wait.object)
			sqlite3_bind_int64(st, 5, (sqlite3_int64)r->wait.object);
		if (r->wait.since_ns)
			sqlite3_bind_int64(st, 6, (sqlite3_int64)r->wait.since_ns);
		sqlite3_bind_int64(st, 7, r->stack);
		if (gp_db_step_reset(st) != 0)
			return -EIO;
	}
	gp_w.nsnaps = 0;
	return 0;
}

/*
 * The profiles row of a lock profile, when it is on and its rate is not the one *written
 * (0: no row yet); 0, or -EIO.
 */
static int write_lock_profile(int id, const char *name, int64_t rate, uint64_t since_ns,
			      int64_t *written)
{
	sqlite3_stmt *st = gp_w.up_profile;

	if (!rate || rate == *written)
		return 0;
	sqlite3_bind_int(st, 1, id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rate);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)since_ns);
	if (gp_db_step_reset(st) != 0)
		return -EIO;
	*written = rate;
	return 0;
}

/* profiles rows for block and mutex once they are on; the rate follows the setting. */
int gp_collect_write_lock_profiles(void)
{
	struct gp_lock_profiles p;

	gp_lock_profiles(&p);
	if (write_lock_profile(GP_PROFILE_BLOCK, "block", p.block_rate_ns, p.block_since_ns,
			       &gp_w.block_rate_written) != 0)
		return -EIO;
	return write_lock_profile(GP_PROFILE_MUTEX, "mutex", p.mutex_fraction, p.mutex_since_ns,
				  &gp_w.mutex_fraction_written);
}

/*
 * glibc's statistics (mallinfo2) walk every arena under its lock, which a thread that died
 * inside malloc holds for good: a thread of their own reads them when the writer asks, and
 * the writer waits for the answer STATS_WAIT_NS at most, so that it never waits for an arena
 * lock. That thread is made with the writer, by the thread that makes the writer (not by
 * the writer, whose allocations are its own: glibc frees a thread's records itself).
 */
#ifdef HAVE_MALLINFO2
typedef struct mallinfo2 glibc_stats;
#define glibc_stats_read mallinfo2
#else
typedef struct mallinfo glibc_stats;	/* int fields: wrong beyond 2 GiB */
#define glibc_stats_read mallinfo
#endif
#define STATS_WAIT_NS 100000000
static glibc_stats stats_last;		/* stats_seq */
static unsigned stats_seq;		/* atomics; odd while stats_last changes, 0: none yet */
static sem_t stats_ask, stats_told;
static pid_t stats_pid;			/* the process whose thread reads them; 0: none */

static void *stats_main(void *unused)
{
	(void)unused;
	/* goprof's own work: its allocations (pthread_getattr_np's, first) are never samples */
	gp_heap_guard(1);
	gp_thread_clear_stack_shadow();
	for (;;) {
		while (sem_wait(&stats_ask) != 0)
			;
		glibc_stats mi = glibc_stats_read();
		unsigned s = __atomic_load_n(&stats_seq, __ATOMIC_RELAXED) | 1;
		__atomic_store_n(&stats_seq, s, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		stats_last = mi;
		__atomic_store_n(&stats_seq, s + 1, __ATOMIC_RELEASE);
		sem_post(&stats_told);
	}
	return NULL;
}

void gp_collect_stats_start(void)
{
	typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	create_fn create = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;

	if (!gp_config.mem_rate || stats_pid == getpid())
		return;
	stats_pid = 0;
	stats_seq = 0;
	if (sem_init(&stats_ask, 0, 0) != 0 || sem_init(&stats_told, 0, 0) != 0)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (create && create(&t, &attr, stats_main, NULL) == 0)
		stats_pid = getpid();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

/* glibc's statistics now, or as last read; -1 when there are none */
static int glibc_stats_get(glibc_stats *out)
{
	struct timespec until;
	unsigned s;

	if (stats_pid != getpid())
		return -1;
	while (sem_trywait(&stats_told) == 0)
		;
	sem_post(&stats_ask);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += STATS_WAIT_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&stats_told, &until) != 0 && errno == EINTR)
		;
	for (int tries = 0; tries < 100; tries++) {
		s = __atomic_load_n(&stats_seq, __ATOMIC_ACQUIRE);
		*out = stats_last;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (s && !(s & 1) && s == __atomic_load_n(&stats_seq, __ATOMIC_RELAXED))
			return 0;
	}
	return -1;
}

/*
 * One heapstats row: the interposer's call counters, glibc's own statistics and the
 * peak RSS, stamped with the commit's time (the end of the data it belongs to).
 */
int gp_collect_write_heapstats(uint64_t time_ns)
{
	struct gp_heap_stats hs;
	struct rusage ru;
	glibc_stats mi;

	/* a crash flush: the dying thread may hold an arena lock, so no row this time */
	if (gp_heap_crashing() || gp_heap_stats(&hs) != 0 || glibc_stats_get(&mi) != 0)
		return 0;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		ru.ru_maxrss = 0;

	sqlite3_stmt *st = gp_w.ins_heapstats;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time_ns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hs.mallocs);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)hs.frees);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)hs.alloc_bytes);
	/* bytes in blocks handed out: glibc's count, chunk sizes, mmapped blocks included */
	sqlite3_bind_int64(st, 5, (sqlite3_int64)mi.uordblks + (sqlite3_int64)mi.hblkhd);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)mi.arena);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)mi.hblkhd);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)mi.uordblks);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)mi.fordblks);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)mi.keepcost);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)ru.ru_maxrss * 1024);
	return gp_db_step_reset(st);
}
/* The traces handed over since the last commit, oldest first; they are gone either way. */
int gp_collect_write_traces(void)
{
	int how = gp_writer_lock(&gp_writer_traces_lock, "the traces handed over");
	if (how == GP_LOCK_SKIP)
		return 0;
	struct pending_trace *t = gp_writer_traces, *oldest = NULL;
	gp_writer_traces = NULL;
	gp_writer_unlock(&gp_writer_traces_lock, how);
	while (t) {
		struct pending_trace *next = t->next;
		t->next = oldest;
		oldest = t;
		t = next;
	}
	int rc = 0;
	for (t = oldest; t; t = oldest) {
		oldest = t->next;
		if (!rc) {
			sqlite3_stmt *st = gp_w.ins_trace;
			sqlite3_bind_int64(st, 1, (sqlite3_int64)t->start_ns);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)t->end_ns);
			sqlite3_bind_text(st, 3, t->source, -1, SQLITE_STATIC);
			sqlite3_bind_blob64(st, 4, t->data, t->len, SQLITE_STATIC);
			rc = gp_db_step_reset(st);
			gp_w.batch_traces++;
		}
		free(t->data);
		free(t);
	}
	return rc;
}

/* profiles rows for the custom profiles made since the last commit, then changed counts. */
int gp_collect_write_customs(uint64_t time_ns)
{
	const struct goprof_profile *p;
	sqlite3_stmt *st = gp_w.up_profile;
	int n = 0;

	for (p = gp_custom_profiles(); p; p = p->next)
		n++;
	/* newest first: the ones not written yet are the first n - written */
	for (p = gp_custom_profiles(); p && n > gp_w.custom_profiles_written; p = p->next, n--) {
		sqlite3_bind_int(st, 1, p->id);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, 1);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)gp_w.start_ns);
		if (gp_db_step_reset(st) != 0)
			return -EIO;
	}
	for (p = gp_custom_profiles(); p; p = p->next)
		if (p->id - GP_PROFILE_CUSTOM + 1 > gp_w.custom_profiles_written)
			gp_w.custom_profiles_written = p->id - GP_PROFILE_CUSTOM + 1;
	for (size_t i = 0; i < gp_w.ncustoms; i++) {
		struct custom_count *c = &gp_w.customs[i];
		if (c->live == c->written)
			continue;
		st = gp_w.up_custom;
		sqlite3_bind_int(st, 1, c->profile);
		sqlite3_bind_int64(st, 2, c->stack);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time_ns);
		sqlite3_bind_int64(st, 4, c->live);
		if (gp_db_step_reset(st) != 0)
			return -EIO;
		c->written = c->live;
	}
	return 0;
}

