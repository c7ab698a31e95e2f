/*
 * Threads: pthread_create (and C11 thrd_create, which glibc does not route through the
 * interposable pthread_create) are interposed so that every new thread, whoever creates it,
 * gets its own shadow stack before its start routine runs, and gives it back when it ends.
 *
 * DESIGN. The wrapper allocates a small start record (cold path, may fail: then the thread
 * simply starts on the scratch stack). The trampoline runs on the new thread, attaches its
 * shadow stack and marks a pthread key whose destructor detaches it at thread exit, however
 * the thread ends (return or pthread_exit); code that still runs after that, such as other
 * keys' destructors, pushes onto the scratch stack again. The start record also carries
 * the creator's tid, a copy of its shadow stack and, while a database is written, the
 * words of its machine stack that may be its callers' return addresses (the threadcreate
 * profile's lines, gp_stack_scan_site()).
 *
 * The registry (the second half of this file) lists the live threads and the ended ones
 * whose last row and samples the collector has not taken yet: the threadcreate profile
 * counts them all (the database keeps a row per thread), the goroutine profile snapshots
 * the live ones, and sampler.c hangs each one's CPU timer and sample ring on its entry. An
 * ended thread's entry is freed by gp_threads_foreach() once its last row went to the
 * collector and its ring was drained, or at its end when there is no database; so a
 * program that creates threads for months keeps as many entries as it has threads alive,
 * and a thread's start and end cost the same after the millionth thread as after the
 * first (a list with back links: unlinking is constant time). Locks: reg_lock guards the
 * list and each entry's lifetime; it is taken on thread start and end, by gp_cpu_drain(),
 * gp_threads_foreach() and gp_threads_snapshot(), never in signal context, always under
 * the heap guard so that the lock wrappers never record it.
 *
 * Snapshots (the goroutine profile) read other threads' shadow stacks while they run: the
 * entry keeps the address of the thread's stack pointer (its TLS word) and the bounds of
 * its slot array. A thread's array is unmapped only after gp_thread_ended() cleared
 * stack_live under reg_lock, so a reader holding reg_lock never touches unmapped memory; it
 * clamps the racily read pointer into the array, and a slot it copies holds a function
 * record's address or NULL (gp_func_decode refuses NULL).
 */
#include "config.h"

#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <threads.h>
#include <unistd.h>

#include "gp-internal.h"
#include "ring.h"

/* the most of a waiting thread's machine stack a snapshot reads for its callers' lines */
#define SNAP_SCAN_BYTES (16u << 10)

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
				 void *);

static pthread_create_fn real_pthread_create;
/* > 0: threads this thread creates are goprof's own (gp_thread_internal_begin) */
static __thread int internal_depth __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

struct start {
	void *(*fn)(void *);
	void *arg;
	size_t stack_bytes;	/* the new thread's machine stack */
	uint64_t trace_token;	/* its CREATE in the execution trace, 0 = none */
	const struct gp_labels *labels;	/* the creator's, the new thread's to start with */
	struct gp_thread_origin origin;	/* origin.frames points at frames[] */
	const void *frames[];	/* the creator's stack, innermost first */
};

static void on_thread_exit(void *unused)
{
	(void)unused;
	gp_trace_thread_end();
	gp_thread_ended(0);
	gp_heap_thread_end();
	gp_stack_detach();
}

static void resolve(void)
{
	real_pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
	pthread_key_create(&exit_key, on_thread_exit);
}

void gp_thread_init(void)
{
	pthread_once(&once, resolve);
}

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;

	gp_labels_adopt(s.labels);
	gp_heap_guard(1);
	gp_lock_thread_start();
	gp_stack_attach(s.stack_bytes);
	s.origin.frames = ((struct start *)p)->frames;
	gp_thread_started(&s.origin);
	gp_heap_thread_start();
	free(p);
	pthread_setspecific(exit_key, (void *)1);
	gp_heap_guard(0);
	gp_trace_thread_start(s.trace_token, s.fn);
	return s.fn(s.arg);
}

static size_t stack_bytes_of(const pthread_attr_t *attr)
{
	pthread_attr_t def;
	size_t bytes = 0;

	if (attr)
		pthread_attr_getstacksize(attr, &bytes);
	else if (pthread_getattr_default_np(&def) == 0) {
		pthread_attr_getstacksize(&def, &bytes);
		pthread_attr_destroy(&def);
	}
	return bytes;
}

void gp_thread_internal_begin(void)
{
	internal_depth++;
}

void gp_thread_internal_end(void)
{
	internal_depth--;
}

struct internal_start {
	void *(*fn)(void *);
	void *arg;
};

/*
 * A thread of goprof's own (the HTTP server's): not in the registry, no CPU timer, no
 * shadow stack of its own (it runs no instrumented code), its allocations and waits never
 * recorded, and the threads it creates are goprof's too.
 */
#ifdef GP_SANITIZE
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);

#define STALE_BELOW_BYTES 16384	/* the stack the bound-finding calls below need, and more */

void gp_thread_clear_stack_shadow(void)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;
	char *here = __builtin_frame_address(0);

	/*
	 * The calls below that find the stack's bounds run on the stale shadow too, and
	 * ASan's pthread_attr_getstack checks its writes into this frame against it: in a
	 * fork child, a false stack-buffer-overflow on a redzone of a frame of the parent
	 * thread whose stack the child's new thread got. The shadow of the few pages they use
	 * is cleared first, from just above this frame down.
	 */
	__asan_unpoison_memory_region(here - STALE_BELOW_BYTES, STALE_BELOW_BYTES + 256);
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &addr, &size) == 0)
		__asan_unpoison_memory_region(addr, size);
	pthread_attr_destroy(&attr);
}
#else
void gp_thread_clear_stack_shadow(void)
{
}
#endif

static void *internal_trampoline(void *p)
{
	struct internal_start s = *(struct internal_start *)p;

	internal_depth = 1;
	gp_heap_guard(1);
	gp_thread_clear_stack_shadow();
	free(p);
	return s.fn(s.arg);
}

static int create_internal(pthread_t *thread, const pthread_attr_t *attr,
			   void *(*fn)(void *), void *arg)
{
	gp_heap_guard(1);
	struct internal_start *s = malloc(sizeof(*s));
	if (!s) {
		gp_heap_guard(0);
		return EAGAIN;
	}
	s->fn = fn;
	s->arg = arg;
	/* the program's signals stay with the program's threads: the new one blocks them all */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = real_pthread_create(thread, attr, internal_trampoline, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		free(s);
	gp_heap_guard(0);
	return rc;
}

/* pthread_create or thrd_create (call) from the program: the new thread records its origin. */
static int create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
		  const char *call, uintptr_t site)
{
	gp_thread_init();
	if (!real_pthread_create)
		return EAGAIN;
	/* a fork child that makes threads is past fork's constraints: its writer starts now */
	if (gp_config.db_pattern)
		gp_writer_forked_start();
	if (internal_depth)
		return create_internal(thread, attr, fn, arg);

	const void **base, **top;
	uintptr_t returns[GP_SITE_RETURNS_MAX];
	gp_stack_bounds(&base, &top);
	size_t depth = (size_t)(top - base);
	size_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;
	/* each caller's call line (collect.c): only when a database will take the profile */
	uint32_t nreturns = gp_config.database ?
		gp_stack_scan_site((uintptr_t)__builtin_frame_address(0), returns,
				   GP_SITE_RETURNS(keep)) : 0;

	/* goprof's own block, freed by the new thread: never sampled */
	gp_heap_guard(1);
	struct start *s = malloc(sizeof(*s) + (keep + nreturns) * sizeof(s->frames[0]));
	gp_heap_guard(0);
	if (!s)
		return real_pthread_create(thread, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	s->stack_bytes = stack_bytes_of(attr);
	s->origin.creator_tid = (uint32_t)gettid();
	s->origin.call = call;
	s->origin.site = site;
	s->origin.labels = s->labels = gp_labels_cur;
	s->trace_token = gp_trace_thread_create();
	s->origin.nframes = (uint32_t)keep;
	s->origin.truncated = (uint32_t)(depth - keep);
	s->origin.nreturns = nreturns;
	gp_frames_copy(s->frames, top, (uint32_t)keep);
	memcpy(s->frames + keep, returns, nreturns * sizeof(returns[0]));
	int rc = real_pthread_create(thread, attr, trampoline, s);
	if (rc != 0) {
		gp_heap_guard(1);
		free(s);
		gp_heap_guard(0);
	}
	return rc;
}

GOPROF_API int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			      void *(*fn)(void *), void *arg)
{
	return create(thread, attr, fn, arg, "pthread_create", GP_CALL_SITE());
}

struct thrd_start {
	thrd_start_t fn;
	void *arg;
};

static void *thrd_trampoline(void *p)
{
	struct thrd_start s = *(struct thrd_start *)p;

	free(p);
	return (void *)(intptr_t)s.fn(s.arg);
}

GOPROF_API int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
	struct thrd_start *s = malloc(sizeof(*s));

	if (!s)
		return thrd_nomem;
	s->fn = fn;
	s->arg = arg;
	int rc = create((pthread_t *)thr, NULL, thrd_trampoline, s, "thrd_create", GP_CALL_SITE());
	if (rc == 0)
		return thrd_success;
	free(s);
	return rc == ENOMEM ? thrd_nomem : thrd_error;
}

/* ---- the registry of live and ended threads ------------------------------------------------- */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gp_thread *threads;	/* reg_lock; newest first */
static unsigned ended_waiting;		/* reg_lock writes; ended entries not yet freed */

/* reg_lock held: t leaves the list; the caller frees it. */
static void unlink_entry(struct gp_thread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		threads = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

__thread struct gp_thread *gp_thread_self __attribute__((tls_model("initial-exec")));

struct gp_thread *gp_threads_lock(int *how)
{
	gp_heap_guard(1);
	*how = gp_writer_lock(&reg_lock, "the thread registry");
	return *how == GP_LOCK_SKIP ? NULL : threads;
}

void gp_threads_unlock(int how)
{
	gp_writer_unlock(&reg_lock, how);
	gp_heap_guard(0);
}

void gp_thread_started(const struct gp_thread_origin *origin)
{
	uint32_t n = origin ? origin->nframes + origin->nreturns : 0;
	struct gp_thread *t = calloc(1, sizeof(*t) + n * sizeof(t->create_frames[0]));

	if (!t)
		return;
	t->info.tid = (uint32_t)gettid();
	t->wait.tid = t->info.tid;
	t->wait.io = gp_io_now_self();
	t->info.start_ns = gp_real_ns();
	pthread_getname_np(pthread_self(), t->info.name, sizeof(t->info.name));
	if (origin) {
		t->info.creator_tid = origin->creator_tid;
		t->info.create_call = origin->call;
		t->info.create_site = origin->site;
		t->info.create_labels = origin->labels;
		t->info.create_nframes = origin->nframes;
		t->info.create_nreturns = origin->nreturns;
		t->info.create_truncated = origin->truncated;
		memcpy(t->create_frames, origin->frames, n * sizeof(t->create_frames[0]));
	}
	t->info.create_frames = t->create_frames;
	t->sp_addr = (const void **const *)&__goprof_sp;
	t->labels_addr = &gp_labels_cur;
	gp_stack_region(&t->stack_base, &t->stack_cap);
	t->mstack_top = gp_stack_machine_top();
	t->stack_live = 1;
	gp_sampler_thread_new(t);

	pthread_mutex_lock(&reg_lock);
	t->prev = NULL;
	t->next = threads;
	if (threads)
		threads->prev = t;
	threads = t;
	pthread_mutex_unlock(&reg_lock);

	gp_thread_self = t;
	gp_sampler_thread_arm(t);
}

void gp_thread_ended(int keep_stack)
{
	struct gp_thread *t = gp_thread_self;

	if (!t)
		return;
	gp_heap_guard(1);
	gp_sampler_thread_disarm(t);
	gp_lock_thread_ended(&t->wait);
	gp_thread_self = NULL;
	pthread_mutex_lock(&reg_lock);
	t->ended = 1;
	t->stack_live = keep_stack;
	t->wait.io = NULL;
	t->info.end_ns = gp_real_ns();
	/* no database, no collector: nobody reads an ended thread's entry */
	int drop = !gp_config.database && !keep_stack;
	unsigned waiting = 0;
	if (drop)
		unlink_entry(t);
	else
		__atomic_store_n(&ended_waiting, waiting = ended_waiting + 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&reg_lock);
	if (waiting == GP_ENDED_COMMIT)
		gp_writer_wake();
	if (drop) {
		if (t->ring)
			gp_ring_free(t->ring);
		free(t);
	}
	gp_heap_guard(0);
}

struct gp_wait *gp_thread_wait(void)
{
	return gp_thread_self ? &gp_thread_self->wait : NULL;
}

/* Reads a live thread's current name (threads often name themselves after they start). */
static void refresh_name(struct gp_thread *t)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%u/comm", t->info.tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(t->info.name, sizeof(t->info.name), f))
		t->info.name[strcspn(t->info.name, "\n")] = '\0';
	fclose(f);
}

unsigned gp_threads_ended_waiting(void)
{
	return __atomic_load_n(&ended_waiting, __ATOMIC_RELAXED);
}

void gp_threads_foreach(int (*fn)(struct gp_thread_info *t, void *ctx), void *ctx)
{
	struct gp_thread *next;
	int how;

	for (struct gp_thread *t = gp_threads_lock(&how); t; t = next) {
		next = t->next;
		/* fopen() takes stdio's lock: a thread dying inside fork() holds it (careful) */
		if (!t->ended && !gp_writer_careful())
			refresh_name(t);
		/* the last row taken, the samples drained (sampler.c frees the ring then) */
		if (fn(&t->info, ctx) == 0 && t->ended && !t->stack_live && !t->ring) {
			unlink_entry(t);
			free(t);
			if (ended_waiting)
				__atomic_store_n(&ended_waiting, ended_waiting - 1, __ATOMIC_RELAXED);
		}
	}
	gp_threads_unlock(how);
}

/*
 * The return-address candidates of a waiting thread: its machine stack from a word of the
 * waiting wrapper's frame up, copied with process_vm_readv (an error, not a fault, should
 * the thread have left and its stack gone), kept only when the thread is still in that
 * wait afterwards: the words above a waiting frame do not change. A lock wrapper publishes
 * that word (w->frame); an I/O wrapper does not, to keep its fast path as it is: its
 * thread, once seen waiting (a while after the call began), is blocked in the system call,
 * and the kernel tells where its stack pointer was then (asked once per wait: 15 us, four
 * times the copy, BENCHMARKS.md); the call and the time of the wait's first sighting, read
 * again after the copy, say that it is still the same wait.
 */
static void waiting_returns(struct gp_thread *t, struct gp_thread_snap *s)
{
	static uintptr_t words[SNAP_SCAN_BYTES / sizeof(uintptr_t)];	/* writer's alone */
	static uintptr_t returns[GP_SITE_RETURNS_MAX];
	struct gp_wait_state again;
	struct gp_io_now io = { 0 };
	uintptr_t from = s->wait.frame;

	if (!s->wait.since_ns)
		return;
	if (!from && t->wait.io) {
		io.call = __atomic_load_n(&t->wait.io->call, __ATOMIC_ACQUIRE);
		io.seen_ns = __atomic_load_n(&t->wait.io->seen_ns, __ATOMIC_RELAXED);
		if (!io.call || !io.seen_ns || io.call->name != s->wait.call)
			return;
		/* the same wait as at the last snapshot that found it: the same system call */
		if (t->io_seen.call != io.call || t->io_seen.seen_ns != io.seen_ns || !t->io_sp) {
			t->io_seen = io;
			t->io_sp = gp_syscall_sp(t->info.tid);
		}
		from = t->io_sp;
	}
	from &= ~(uintptr_t)7;
	if (!from || from >= t->mstack_top)
		return;
	size_t bytes = t->mstack_top - from < sizeof(words) ? t->mstack_top - from : sizeof(words);
	struct iovec local = { words, bytes }, remote = { (void *)from, bytes };
	ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (got < (ssize_t)sizeof(uintptr_t))
		return;
	if (io.call) {
		if (__atomic_load_n(&t->wait.io->call, __ATOMIC_ACQUIRE) != io.call ||
		    __atomic_load_n(&t->wait.io->seen_ns, __ATOMIC_RELAXED) != io.seen_ns)
			return;
	} else {
		gp_wait_read(&t->wait, &again);
		if (again.frame != s->wait.frame || again.state != s->wait.state ||
		    again.call != s->wait.call || again.site != s->wait.site)
			return;
	}
	s->nreturns = gp_stack_scan_words(words, (size_t)got / sizeof(uintptr_t), returns,
					  GP_SITE_RETURNS(s->nframes));
	s->returns = returns;
}

void gp_threads_snapshot(void (*fn)(const struct gp_thread_snap *s, void *ctx), void *ctx)
{
	static const void *frames[GP_MAX_STACK_DEPTH];	/* the writer thread's alone */
	struct gp_thread_snap s;
	int how;

	for (struct gp_thread *t = gp_threads_lock(&how); t; t = t->next) {
		if (!t->stack_live)
			continue;
		memset(&s, 0, sizeof(s));
		s.tid = t->info.tid;
		s.start_ns = t->info.start_ns;
		gp_wait_read(&t->wait, &s.wait);
		s.labels = __atomic_load_n(t->labels_addr, __ATOMIC_ACQUIRE);
		if (t->stack_base) {
			const void **sp = __atomic_load_n(t->sp_addr, __ATOMIC_RELAXED);
			if (sp < t->stack_base || sp > t->stack_base + t->stack_cap)
				sp = t->stack_base;
			size_t depth = (size_t)(sp - t->stack_base);
			size_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;
			for (size_t i = 0; i < keep; i++)
				frames[i] = __atomic_load_n(&sp[-1 - (ptrdiff_t)i],
							    __ATOMIC_RELAXED);
			s.nframes = (uint32_t)keep;
			s.truncated = (uint32_t)(depth - keep);
			s.frames = frames;
			waiting_returns(t, &s);
		}
		fn(&s, ctx);
	}
	gp_threads_unlock(how);
}

void gp_thread_atfork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
}

void gp_thread_atfork_parent(void)
{
	pthread_mutex_unlock(&reg_lock);
}

/*
 * In the child only the forking thread exists: every other entry has ended, their rings
 * hold the parent's samples (dropped, the parent reports them), and the timer, which
 * fork() does not inherit, is armed again (sampler.c).
 */
void gp_thread_atfork_child(void)
{
	uint64_t now = gp_real_ns();

	for (struct gp_thread *t = threads; t; t = t->next) {
		gp_sampler_thread_forked(t);
		/* the child's database starts empty: every thread gets its row there again */
		memset(&t->info.written, 0, sizeof(t->info.written));
		if (t != gp_thread_self && !t->ended) {
			t->ended = 1;
			t->stack_live = 0;
			t->wait.io = NULL;
			t->info.end_ns = now;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	struct gp_thread *self = gp_thread_self;
	if (self) {
		self->info.tid = (uint32_t)gettid();
		self->wait.tid = self->info.tid;
		gp_sampler_thread_arm(self);
	}
}
