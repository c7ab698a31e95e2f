/*
 * The collector and database writer: one background thread that drains the CPU sample
 * rings and reads the heap, block and mutex buckets, interns functions and stacks,
 * aggregates samples per time bucket and commits them to the process's SQLite database
 * (schema: gp-schema.h) in one transaction at least every second, each with a snapshot of
 * what every live thread is doing (the goroutine profile).
 *
 * DESIGN. Threads and contexts:
 *  - the writer thread (created with the real pthread_create, so it is neither registered
 *    nor sampled; every signal blocked) owns everything below: the sqlite handle, the
 *    prepared statements, the intern tables and the pending rows. It wakes every 100 ms
 *    (or when posted), calls gp_cpu_drain() and, when a second has passed or a flush was
 *    asked for, writes everything pending in one transaction;
 *  - gp_writer_start() (constructor) makes the database file and opens its descriptors
 *    (gp_db_create) and starts the thread, which writes the schema while main() runs:
 *    what is sampled meanwhile waits in the rings and buckets as it would between two
 *    rounds; gp_writer_stop() (destructor, before exec) asks the thread to finish and
 *    joins it, so the last drain, commit and close happen on the thread;
 *  - gp_writer_crash_flush() runs in a fatal-signal handler: it only notes the dying
 *    thread, posts the semaphore (async-signal-safe) and polls flush_done with nanosleep;
 *    the thread never allocates from glibc's malloc (own-alloc.c), whose arena locks the
 *    dying thread may hold, not even before the crash, and its last round takes goprof's locks
 *    with gp_writer_lock(), which never waits long for one: the dying thread may hold any
 *    (busy_lock, the registry's, the symbol cache's, the traces', a custom profile's).
 *    It does not call dl_iterate_phdr (the loader's lock) or fopen (stdio's), which a
 *    thread dying inside fork() holds;
 *  - gp_writer_atfork_child() runs in a forked child, where the thread does not exist: it
 *    forgets the parent's state without touching its sqlite handle and starts over. A
 *    child opens its database lazily, on its first sample, so that fork+exec children
 *    leave no empty database behind. Under AddressSanitizer the child's thread starts
 *    later (gp_writer_forked_start): ASan's allocator does not reset its locks in a fork
 *    child, and another thread may have held one at the fork (one inside malloc, or ending,
 *    whose last frees take the allocator's global lock), so a thread started inside fork()
 *    would wait for ever at its first malloc, and the child with it, even one that only
 *    calls _exit or exec as POSIX allows. A child that ends without having made a thread
 *    writes at its exit on the exiting thread itself (gp_writer_forked_exit): one round as
 *    the thread would run it, in own-alloc.c's memory (gp_malloc's private mode; SQLite's
 *    allocator is goprof's under ASan for this, gp_writer_start), since ASan's allocator
 *    is the program's malloc there and any call of it, on any thread, may wait for a lock
 *    another thread held at the fork; and, as a crash flush, without the loader's or
 *    stdio's locks (gp_writer_careful).
 * A failure that may pass (disk full, read-only, no permission) drops and counts what
 * cannot be written and is retried every second (db.c); any other SQLite error stops the
 * database for good (one line on stderr). The program goes on either way.
 *
 * The work is split by responsibility: this file is the thread (its life, its loop, the
 * fork and crash handshakes); intern.c gives rows their ids, collect.c holds one collector
 * per profile and writes its rows, db.c owns the database file (writer.h).
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

#define POLL_NS 100000000ull		/* drain every 100 ms */
#define COMMIT_NS 500000000ull		/* commit twice a second: a crash loses < 1 s */
#define RETAIN_NS 2000000000ull		/* a retention pass every 2 s */

struct writer gp_w;
pthread_mutex_t gp_writer_traces_lock = PTHREAD_MUTEX_INITIALIZER;
struct pending_trace *gp_writer_traces;	/* gp_writer_traces_lock; newest first */
static pthread_t thread;
static int running;			/* the thread exists (owner: start/stop/atfork) */
static pid_t running_pid;		/* the process the thread belongs to */
static sem_t wake;
static sem_t up;			/* posted once the thread has its malloc arena */
static sem_t go;			/* posted once start_thread() has noted the thread */
/*
 * Held by the writer thread while it works (SQLite, the symbol cache, its own tables) and
 * taken across fork(), so that a child never inherits a lock or a half-made change of that
 * work: between two rounds the writer holds nothing.
 */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static int busy_held;			/* the forking thread took busy_lock */
static volatile sig_atomic_t stop_req;
static unsigned flush_req;		/* atomics: crash flush handshake */
static unsigned flush_done;
/*
 * The crash flush's locks (gp_writer_lock()). The fatal-signal handler notes the dying
 * thread. forking_tid: the thread between goprof's fork handlers, set once it holds
 * busy_lock (so one at a time); it holds goprof's locks there or waits in the prepare
 * handler for one that the dying thread may hold, and will not let go in either case.
 */
#define CRASH_LOCK_NS 5000000ull	/* a live thread's hold ends within this */
static pid_t crash_tid;			/* atomics; 0: no crash */
static pid_t forking_tid;		/* atomics */
static char crash_without[160], crash_skipped[160];	/* the writer's: what it did */
/*
 * A fork child's thread, when started later (AddressSanitizer): the fork handler notes the
 * child here, and gp_writer_forked_start() starts the thread from the child's own code.
 */
static int defer_forked;		/* set at start: the allocator is ASan's */
static int sqlite_set_up;		/* gp_writer_start() configured SQLite */
static int private_sqlite;		/* SQLite allocates through gp_malloc */
static int forked_exiting;		/* gp_writer_forked_exit() writes on this thread */
static int forked_pending;		/* a fork child's thread is not started yet */
static pid_t forked_pid;		/* that child */
static uint64_t forked_ns;		/* when it forked: the origin of its buckets */
static uint64_t forked_mark;		/* history_mark() at the fork */
static char forked_avoid[PATH_MAX];	/* the parent's database */

/*
 * A figure that changes with every heap or lock event recorded: the totals of the buckets,
 * which only grow.
 */
static uint64_t history_mark(void)
{
	uint64_t m = 0;

	for (struct gp_heap_bucket *b = gp_heap_buckets(); b; b = b->next)
		m += __atomic_load_n(&b->alloc_objects, __ATOMIC_RELAXED) +
		     __atomic_load_n(&b->free_objects, __ATOMIC_RELAXED) + 1;
	for (struct gp_lock_bucket *b = gp_lock_buckets(); b; b = b->next)
		m += __atomic_load_n(&b->count_fp, __ATOMIC_RELAXED) + 1;
	return m;
}

/*
 * Drains the rings; opens a lazily opened database once there is something to write. A
 * fork child's database holds the heap and lock history it inherited, but only once the
 * child has events of its own: one that only calls exec() leaves no copy behind.
 */
static void collect(void)
{
	/* nothing more can be written: the rings fill and count their drops, memory stays put */
	if (gp_w.broken)
		return;
	size_t n = gp_cpu_drain(gp_collect_sample, NULL);

	if (gp_w.lazy_open && !n && !__atomic_load_n(&gp_writer_traces, __ATOMIC_RELAXED) &&
	    history_mark() == gp_w.fork_mark)
		return;
	n += gp_collect_heap();
	n += gp_collect_lock();
	gp_lock_fold_ended();
	n += gp_custom_drain(gp_collect_custom, NULL);

	if ((n || __atomic_load_n(&gp_writer_traces, __ATOMIC_RELAXED)) && gp_w.lazy_open &&
	    !gp_w.broken) {
		gp_w.lazy_open = 0;
		if (gp_db_open() != 0 && !gp_w.fail.active)
			gp_w.broken = 1;
	}
}

int gp_writer_wants_traces(void)
{
	/* a fork child waiting to start its thread keeps them for it, or for its exit */
	int waiting = forked_pending && forked_pid == getpid();

	return ((running && running_pid == getpid()) || waiting) && !gp_w.broken &&
	       !gp_config.db_temporary;
}

int gp_writer_add_trace(uint64_t start_ns, uint64_t end_ns, const char *source, void *data,
			size_t len)
{
	struct pending_trace *t = gp_writer_wants_traces() ? malloc(sizeof(*t)) : NULL;

	if (!t) {
		free(data);
		return -1;
	}
	*t = (struct pending_trace){ NULL, start_ns, end_ns, source, data, len };
	pthread_mutex_lock(&gp_writer_traces_lock);
	t->next = gp_writer_traces;
	gp_writer_traces = t;
	pthread_mutex_unlock(&gp_writer_traces_lock);
	return 0;
}

/*
 * A retention pass every few seconds (and when force), between two commits. A failure that may pass (a full
 * disk: deleting writes too) waits for the next pass; any other is said once and ends
 * retention. The stacks the pass deletes leave the intern tables at once, and those the
 * writer still holds are never deleted (gp_intern_pin).
 */
static void retain(int force)
{
	static int failed;
	uint64_t now = gp_real_ns();
	/* seconds of age are buckets (GP_BUCKET_NS) */
	struct gp_retain_limits lim = { gp_config.retain_age_s, gp_config.retain_bytes };

	if (failed || (!lim.age_buckets && !lim.max_bytes) ||
	    (now < gp_w.retain_next_ns && !force))
		return;
	/* no room to note what a pass deletes: no pass this time */
	if (gp_intern_gone_room() != 0)
		return;
	gp_w.retain_next_ns = now + RETAIN_NS;
	struct gp_retain_pins pins = { gp_intern_pin, NULL };
	int rc = gp_retain_pass_pinned(gp_w.db, &lim, (int64_t)gp_collect_bucket(now),
				       &gp_w.retain, &pins);
	/* what the steps that committed deleted, even if a later one failed */
	gp_intern_forget_gone(gp_w.db);
	if (rc != SQLITE_OK && rc != SQLITE_FULL && (rc & 0xff) != SQLITE_IOERR &&
	    rc != SQLITE_BUSY) {
		failed = 1;
		gp_warn("GOPROF_DB %s: GOPROF_DB_RETAIN: %s; old data is no longer removed",
			gp_w.path, sqlite3_errstr(rc));
	}
}

int gp_writer_crashing(void)
{
	return __atomic_load_n(&crash_tid, __ATOMIC_ACQUIRE) && gp_writer_is_self();
}

int gp_writer_careful(void)
{
	return forked_exiting || gp_writer_crashing();
}

/* what, once, into the list of a crash flush's locks gone without or skipped */
static void crash_note(char *list, size_t size, const char *what)
{
	size_t n = strlen(list);

	if (!strstr(list, what))
		snprintf(list + n, size - n, "%s%s", n ? ", " : "", what);
}

int gp_writer_lock(pthread_mutex_t *m, const char *what)
{
	uint64_t since = 0, quiet = 0;

	if (!gp_writer_is_self()) {
		pthread_mutex_lock(m);
		return GP_LOCK_TAKEN;
	}
	/*
	 * A timed wait, also before any crash: the writer may already wait for a lock when the
	 * thread that holds it dies, and it must then see the crash begin.
	 */
	for (;;) {
		int crashing = __atomic_load_n(&crash_tid, __ATOMIC_ACQUIRE) != 0;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += crashing ? 1000000 : 20000000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int rc = pthread_mutex_timedlock(m, &until);
		if (rc == 0)
			return GP_LOCK_TAKEN;
		if (rc != ETIMEDOUT) {
			pthread_mutex_lock(m);
			return GP_LOCK_TAKEN;
		}
		if (!crashing)
			continue;
		uint64_t now = gp_real_ns();
		if (!since)
			since = now;
		if (now - since < CRASH_LOCK_NS)
			continue;
		if (__atomic_load_n(&forking_tid, __ATOMIC_ACQUIRE)) {
			crash_note(crash_without, sizeof(crash_without), what);
			return GP_LOCK_WITHOUT;
		}
		/*
		 * Nobody inside fork() now: a live thread that forked may just be letting go
		 * (a fork takes milliseconds on a loaded machine); the lock must stay taken
		 * as long again.
		 */
		if (!quiet)
			quiet = now;
		else if (now - quiet >= CRASH_LOCK_NS)
			break;
	}
	crash_note(crash_skipped, sizeof(crash_skipped), what);
	return GP_LOCK_SKIP;
}

void gp_writer_unlock(pthread_mutex_t *m, int how)
{
	if (how == GP_LOCK_TAKEN)
		pthread_mutex_unlock(m);
}

/* Once, before the dying thread is let go: which locks the crash flush did without. */
static void crash_say(void)
{
	static int said;

	if (said || !gp_writer_crashing() || (!crash_without[0] && !crash_skipped[0]))
		return;
	said = 1;
	if (crash_without[0])
		gp_warn("crash flush: %s held by a thread inside fork(); written without them",
			crash_without);
	if (crash_skipped[0])
		gp_warn("crash flush: left out what needs %s, held by a thread at the signal",
			crash_skipped);
}

/*
 * A round's writing, after collect(): a commit when one is due (the last round, a flush
 * asked for, a second since the last, many ended threads waiting; after a failure only
 * once its retry is due, or at the end), then the retention that keeps the file within its
 * size, at the end too. The thread's rounds and a fork child's round at its exit.
 */
static void commit_round(int stopping, int flush_wanted)
{
	if (!gp_w.broken && !gp_w.lazy_open &&
	    (stopping || flush_wanted || gp_real_ns() - gp_w.last_commit_ns >= COMMIT_NS ||
	     gp_threads_ended_waiting() >= GP_ENDED_COMMIT) &&
	    (!gp_w.fail.active || gp_db_retry_due(stopping)))
		gp_db_commit();
	if (!gp_w.broken && !gp_w.lazy_open && !gp_w.fail.active)
		retain(stopping);
}

static void *writer_main(void *unused)
{
	int busy = GP_LOCK_TAKEN;

	(void)unused;
	/* sqlite's allocations on this thread are goprof's own: never sampled, never glibc's */
	gp_heap_guard(1);
	gp_heap_own(1);
	/*
	 * Here rather than in the constructor: the program does not wait for the 500 us.
	 * Under busy_lock, as all of this thread's work that allocates: fork's prepare
	 * handler takes it, so a child never starts with a lock of the allocator held by
	 * this thread (glibc's malloc resets its own in the child; ASan's and others' do
	 * not, and the child's first malloc waited for ever).
	 */
	pthread_mutex_lock(&busy_lock);
	gp_thread_clear_stack_shadow();
	/*
	 * This thread's first allocation maps own-alloc.c's first chunk, here while
	 * start_thread() waits, not at a moment the program did not choose: a program that
	 * caps its address space after start (RLIMIT_AS) may leave no room for it later.
	 */
	void *volatile first = malloc(1);
	free(first);
	gp_db_thread();
	sem_post(&up);
	gp_clock_calibrate();
	/* gp_writer_is_self() holds from here on */
	while (sem_wait(&go) != 0 && errno == EINTR)
		;
	if (gp_w.open_now) {
		gp_w.open_now = 0;
		if (gp_db_open() != 0 && !gp_w.fail.active)
			gp_w.broken = 1;
	}
	pthread_mutex_unlock(&busy_lock);
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)POLL_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		sem_timedwait(&wake, &ts);
		busy = gp_writer_lock(&busy_lock, "the writer's lock");
		int stopping = stop_req;
		unsigned want = __atomic_load_n(&flush_req, __ATOMIC_ACQUIRE);
		if (busy == GP_LOCK_SKIP) {
			/* the dying thread was in the writer's work itself (gp_writer_fd_lost) */
			crash_say();
			__atomic_store_n(&flush_done, want, __ATOMIC_RELEASE);
			if (stopping)
				break;
			continue;
		}
		collect();
		commit_round(stopping, want != flush_done);
		crash_say();
		__atomic_store_n(&flush_done, want, __ATOMIC_RELEASE);
		if (stopping)
			break;
		gp_writer_unlock(&busy_lock, busy);
	}
	if (gp_w.db)
		gp_db_close();
	gp_writer_unlock(&busy_lock, busy);
	return NULL;
}

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
				 void *);

/* The writer thread, with every signal blocked and kept out of the thread registry. */
static int start_thread(void)
{
	pthread_create_fn create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
	sigset_t all, old;

	if (!create)
		create = pthread_create;
	if (sem_init(&wake, 0, 0) != 0 || sem_init(&up, 0, 0) != 0 || sem_init(&go, 0, 0) != 0)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = create(&thread, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sem_destroy(&wake);
		sem_destroy(&up);
		sem_destroy(&go);
		return -rc;
	}
	while (sem_wait(&up) != 0 && errno == EINTR)
		;
	sem_destroy(&up);
	gp_collect_stats_start();
	running = 1;
	running_pid = getpid();
	sem_post(&go);
	return 0;
}

/* Forgets all state; owned strings are freed, the sqlite handle is not touched. */
static void reset_state(void)
{
	for (size_t i = 0; i < gp_w.nfuncs; i++)
		if (gp_w.funcs[i].owned)
			free((char *)gp_w.funcs[i].name);
	for (size_t i = 0; i < gp_w.nmaps; i++) {
		free(gp_w.maps[i].path);
		free(gp_w.maps[i].build_id);
	}
	free(gp_w.funcs);
	free(gp_w.maps);
	free(gp_w.new_nodes);
	free(gp_w.node_keys);
	free(gp_w.gone_bits);
	free(gp_w.revived);
	free(gp_w.new_labels);
	free(gp_w.aggs);
	free(gp_w.agg_slots);
	free(gp_w.pend_threads);
	free(gp_w.snaps);
	free(gp_w.customs);
	free(gp_w.syms);
	free(gp_w.sites);
	gp_u64map_free(&gp_w.site_by_addr);
	gp_u64map_free(&gp_w.func_by_record);
	gp_u64map_free(&gp_w.func_by_name);
	gp_u64map_free(&gp_w.func_by_call);
	gp_u64map_free(&gp_w.node_by_key);
	gp_u64map_free(&gp_w.labels_by_node);
	gp_u64map_free(&gp_w.labelled_by_key);
	gp_u64map_free(&gp_w.custom_by_key);
	gp_u64map_free(&gp_w.sym_by_pc);
	memset(&gp_w, 0, sizeof(gp_w));
}

/*
 * Sets up a fresh state; lazy: open the database at the first sample. avoid: a path that
 * must not be used (the parent's database, in a fork child). since_ns: the origin of the
 * time buckets.
 */
static int prepare(int lazy, const char *avoid, uint64_t since_ns)
{
	int rc;

	reset_state();
	stop_req = 0;
	gp_w.start_ns = since_ns;
	gp_w.last_commit_ns = gp_w.start_ns;
	gp_w.period_ns = gp_config.cpu_hz ? 1000000000u / gp_config.cpu_hz : 0;
	rc = gp_path_expand(gp_config.db_pattern, gp_w.path, sizeof(gp_w.path));
	if (rc != 0) {
		gp_warn("GOPROF_DB %s: the path is too long", gp_config.db_pattern);
		return rc;
	}
	/* a pattern without %p names the parent's file: never write into that one */
	if (avoid && strcmp(gp_w.path, avoid) == 0) {
		size_t l = strlen(gp_w.path);
		if (snprintf(gp_w.path + l, sizeof(gp_w.path) - l, ".%d", (int)getpid()) >=
		    (int)(sizeof(gp_w.path) - l))
			return -ENAMETOOLONG;
	}
	gp_w.lazy_open = lazy;
	/*
	 * SQLite's memory is the writer's own (own-alloc.c) from the start on, so that the
	 * writer never gives glibc a block back either; the thread does not exist yet.
	 */
	gp_heap_own(1);
	/* a failure that may pass (no permission, a full disk): the thread tries again */
	rc = !lazy ? gp_db_create() : 0;
	gp_w.open_now = !lazy && rc == 0;
	rc = rc != 0 && !gp_w.fail.active ? -EIO : 0;
	if (rc != 0)
		gp_db_close();
	gp_heap_own(0);
	return rc;
}

/* prepare(), then the thread */
static int start(int lazy, const char *avoid, uint64_t since_ns)
{
	int rc = prepare(lazy, avoid, since_ns);

	if (rc != 0)
		return rc;
	rc = start_thread();
	if (rc != 0) {
		gp_warn("GOPROF_DB %s: cannot start the writer thread: %s", gp_w.path,
			strerror(-rc));
		gp_heap_own(1);
		gp_db_close();
		gp_heap_own(0);
	}
	return rc;
}

int gp_writer_start(void)
{
	/* a fork child that waits to start its thread (after a failed exec) keeps waiting */
	if (running || forked_pending || !gp_config.db_pattern)
		return 0;
	defer_forked = dlsym(RTLD_DEFAULT, "__asan_init") != NULL;
	/* once, before SQLite is first used (again after a failed exec) */
	if (!sqlite_set_up) {
		sqlite_set_up = 1;
		/* its memory statistics take a global mutex on every allocation; fork safety */
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		/* a fork child's exit path needs it (DESIGN) */
		private_sqlite = defer_forked && gp_alloc_sqlite_methods() == 0;
	}
	return start(0, NULL, gp_real_ns());
}

void gp_writer_forked_start(void)
{
	if (!forked_pending || forked_pid != getpid())
		return;
	forked_pending = 0;
	/* the thread and its state are goprof's, not the program's allocations */
	gp_heap_guard(1);
	if (start(1, forked_avoid, forked_ns) == 0)
		gp_w.fork_mark = forked_mark;
	gp_heap_guard(0);
}

void gp_writer_forked_exit(void)
{
	sigset_t all, old;

	if (!forked_pending || forked_pid != getpid())
		return;
	forked_pending = 0;
	/* GOPROF_HTTP's database of a child that ends: nobody will read it */
	if (gp_config.db_temporary)
		return;
	/* a child without samples or events of its own makes no database: collect() says */
	if (!private_sqlite) {
		if (!__atomic_load_n(&gp_writer_traces, __ATOMIC_RELAXED) &&
		    history_mark() == forked_mark)
			return;
		gp_warn("GOPROF_DB: fork child %d: what it recorded is not written (SQLite was "
			"set up before goprof, its allocator may wait for ever here)", (int)getpid());
		return;
	}
	/* the writer thread's conditions: no signal, goprof's own memory, the careful paths */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	gp_heap_guard(1);
	gp_alloc_private_on();
	forked_exiting = 1;
	if (prepare(1, forked_avoid, forked_ns) == 0) {
		gp_w.fork_mark = forked_mark;
		gp_db_thread();
		collect();
		commit_round(1, 1);
		if (gp_w.db)
			gp_db_close();
	}
	forked_exiting = 0;
	gp_heap_guard(0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void gp_writer_stop(void)
{
	/* After vfork() the child shares the parent's memory but not its threads. */
	if (!running || running_pid != getpid())
		return;
	running = 0;
	stop_req = 1;
	sem_post(&wake);
	pthread_join(thread, NULL);
	sem_destroy(&wake);
	if (gp_config.db_temporary) {
		char p[PATH_MAX + 8];
		static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(p, sizeof(p), "%s%s", gp_w.path, suffix[i]);
			unlink(p);
		}
		/* the private directory too, once no fork child's database is left in it */
		char *slash = strrchr(gp_w.path, '/');
		if (slash) {
			*slash = '\0';
			rmdir(gp_w.path);
			*slash = '/';
		}
	}
}

void gp_writer_wake(void)
{
	if (running && running_pid == getpid())
		sem_post(&wake);
}

int gp_writer_sync(unsigned timeout_ms)
{
	if (!running || gp_w.broken || pthread_equal(pthread_self(), thread))
		return -1;
	unsigned want = __atomic_add_fetch(&flush_req, 1, __ATOMIC_ACQ_REL);
	sem_post(&wake);
	for (unsigned waited = 0; waited < timeout_ms; waited++) {
		if ((int)(__atomic_load_n(&flush_done, __ATOMIC_ACQUIRE) - want) >= 0)
			return 0;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

int gp_writer_db_path(char *buf, size_t len)
{
	if (!running || !gp_w.path[0] || strlen(gp_w.path) >= len)
		return -1;
	strcpy(buf, gp_w.path);
	return 0;
}

void gp_writer_crash_flush(unsigned timeout_ms)
{
	/* atomics, gettid, sem_post and nanosleep only: safe in the signal handler */
	if (running && running_pid == getpid()) {
		/* the reserve's switch first: a writer that sees crash_tid enters it */
		gp_heap_crash();
		__atomic_store_n(&crash_tid, gettid(), __ATOMIC_RELEASE);
	}
	(void)gp_writer_sync(timeout_ms);
}

int gp_writer_is_self(void)
{
	return running && pthread_equal(pthread_self(), thread);
}

void gp_writer_fd_lost(int fd)
{
	gp_heap_guard(1);
	if (running && running_pid == getpid()) {
		/* between two rounds: no write of the writer is under way */
		pthread_mutex_lock(&busy_lock);
		if (!gp_w.lost) {
			/*
			 * The last round, here (the writer is parked): what was sampled so far
			 * is committed and the database closed while its descriptors are still
			 * its own.
			 */
			gp_w.lost = 1;
			if (!gp_w.broken && !gp_w.lazy_open && gp_w.db) {
				collect();
				gp_db_commit();
			}
			gp_w.broken = 1;
			gp_db_close();
			gp_warn("GOPROF_DB %s: the program put another file on descriptor %d of the "
				"database; goprof stops writing it", gp_w.path, fd);
		}
		gp_fd_forget_all();
		pthread_mutex_unlock(&busy_lock);
	} else {
		gp_fd_forget_all();
	}
	gp_heap_guard(0);
}

void gp_writer_atfork_prepare(void)
{
	if (running && running_pid == getpid() && !pthread_equal(pthread_self(), thread)) {
		pthread_mutex_lock(&busy_lock);
		busy_held = 1;
		__atomic_store_n(&forking_tid, gettid(), __ATOMIC_RELEASE);
	}
}

void gp_writer_atfork_parent(void)
{
	if (busy_held) {
		busy_held = 0;
		__atomic_store_n(&forking_tid, 0, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&busy_lock);
	}
}

void gp_writer_atfork_child(void)
{
	gp_writer_atfork_parent();
	/* the child of a child still waiting to start avoids the same parent's database */
	if (!running && !forked_pending)
		return;
	if (running)
		memcpy(forked_avoid, gp_w.path, sizeof(forked_avoid));
	running = 0;
	/* the parent's handle is not ours to close; its lock stays with its descriptor */
	gp_db_forget();
	/* the parent's traces are the parent's */
	pthread_mutex_init(&gp_writer_traces_lock, NULL);
	gp_writer_traces = NULL;
	flush_req = flush_done = 0;
	forked_ns = gp_real_ns();
	forked_mark = history_mark();
	if (defer_forked) {
		/* no allocation here: the child's own code starts the thread */
		forked_pending = 1;
		forked_pid = getpid();
		return;
	}
	if (start(1, forked_avoid, forked_ns) == 0)
		gp_w.fork_mark = forked_mark;
}
