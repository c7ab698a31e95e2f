/*
 * Types and functions private to libgoprof (never installed).
 */
#ifndef GOPROF_RT_GP_INTERNAL_H
#define GOPROF_RT_GP_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "goprof.h"
#include "gp-abi.h"
#include "util.h"

struct gp_ring;

#define GP_HIDDEN __attribute__((visibility("hidden")))
#define GP_LIKELY(x) __builtin_expect(!!(x), 1)
#define GP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The shadow stack pointer the plugin's code pushes through (rt/gp-abi.h). */
extern GOPROF_API __thread const void **__goprof_sp __attribute__((tls_model("initial-exec")));

/*
 * The stack of threads not set up yet, and of threads whose own array could not be mapped,
 * shared (see shadow.c): deep enough for a default 8 MiB machine stack, followed by a guard
 * page inside the same array.
 */
#define GP_SCRATCH_SLOTS ((8u << 20) / 16 + 8192u)
#define GP_SCRATCH_GUARD_BYTES 4096u
extern GP_HIDDEN const void *gp_scratch[GP_SCRATCH_SLOTS + GP_SCRATCH_GUARD_BYTES / sizeof(void *)];

/*
 * A thread's own shadow stack: slots [base, base + cap), followed by one guard page. Owned
 * by the thread; other threads only read it (the goroutine profile) without stopping it.
 */
struct gp_stack {
	const void **base;	/* first slot (the outermost frame) */
	size_t cap;		/* slots */
	size_t map_bytes;	/* the whole mapping, guard page included */
	int fallback;		/* no array could be mapped: on the scratch stack for good */
	uintptr_t mstack_lo;	/* the thread's machine stack [lo, hi), 0 if unknown */
	uintptr_t mstack_hi;
};

/* A decoded function record (see gp-abi.h for the layout). */
struct gp_func {
	const char *name;
	const char *file;
	uint32_t line;
	uint32_t flags;
};

/*
 * Gives the calling thread its own shadow stack, sized for a machine stack of
 * stack_bytes (0: the calling thread's own), and moves any frames it already pushed onto
 * the shared scratch stack over. Returns 0 or -errno; on failure the thread keeps using
 * the scratch stack. Cold path.
 */
GP_HIDDEN int gp_stack_attach(size_t stack_bytes);

/* Makes the scratch stack's guard page inaccessible; once, at start. */
GP_HIDDEN void gp_stack_init(void);

/* Points the calling thread back at the scratch stack and unmaps its own. Cold path. */
GP_HIDDEN void gp_stack_detach(void);

/*
 * The calling thread's stack bounds: slots [*base, *top). Async-signal-safe.
 */
GP_HIDDEN void gp_stack_bounds(const void ***base, const void ***top);

/*
 * The words of the calling thread's machine stack from sp upwards that may be return
 * addresses (they point into the executable segment of a loaded object), nearest first,
 * at most max of them, put into ring's record at (ring.h) from its word first on. They are candidates
 * only: a caller's line is chosen among them by the writer (callsite.c), which checks the
 * call instruction before each. Returns their number; 0 when sp is not on the thread's
 * own stack. A run of equal words is one word: the address, with the run's length - 1 in
 * the bits from GP_RETURN_REPEATS_SHIFT up (user-space addresses stay below them).
 * Async-signal-safe.
 */
#define GP_RETURN_REPEATS_SHIFT 48
#define GP_RETURN_REPEATS_MAX 0xffffu
GP_HIDDEN uint64_t gp_stack_scan_returns(uintptr_t sp, struct gp_ring *ring, uint64_t at,
					 uint64_t first, uint64_t max);

/*
 * The same search into out[] (at most max words) from fp upwards: the heap, lock and
 * thread-creation profiles' sampled paths call it on the thread itself to give each caller
 * its call line (callsite.c matches them in the writer). fp is the caller's
 * __builtin_frame_address(0): the words above it, not its locals, out[] among them.
 * Async-signal-safe.
 */
/*
 * The same search over n words copied from a machine stack (another thread's, read by the
 * goroutine snapshot). Writer thread.
 */
GP_HIDDEN uint32_t gp_stack_scan_words(const uintptr_t *words, size_t n, uintptr_t *out,
				       uint32_t max);

/* The top of the calling thread's machine stack (its outermost end), 0 if unknown. */
GP_HIDDEN uintptr_t gp_stack_machine_top(void);

#define GP_SITE_RETURNS_MAX 192u
/* how many to keep for a stack of depth frames: each frame's, and as many again of others */
#define GP_SITE_RETURNS(depth)                                                             \
	((uint32_t)(2 * (uint64_t)(depth) + 64 < GP_SITE_RETURNS_MAX ? 2 * (depth) + 64      \
								      : GP_SITE_RETURNS_MAX))
GP_HIDDEN uint32_t gp_stack_scan_site(uintptr_t fp, uintptr_t *out, uint32_t max);

/* Republishes the executable ranges gp_stack_scan_returns() accepts when objects were loaded
 * or unloaded since the last call. Cold path (the sampler's init, the writer). */
GP_HIDDEN void gp_stack_text_refresh(void);

/* ---- stacks as keys: the heap and lock profiles' buckets, the trace's stacks ------------ */

/* seed mixed with the n innermost frames below top (a shadow stack read in place). */
static inline uint64_t gp_frames_hash(uint64_t seed, const void *const *top, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		seed = gp_mix(seed ^ (uintptr_t)top[-1 - (int64_t)i]);
	return seed;
}

/* Are frames[0..n) (innermost first) the n innermost frames below top? */
static inline int gp_frames_equal(const void *const *frames, const void *const *top, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (frames[i] != top[-1 - (int64_t)i])
			return 0;
	return 1;
}

/* Copies the n innermost frames below top into frames, innermost first. */
static inline void gp_frames_copy(const void **frames, const void *const *top, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		frames[i] = top[-1 - (int64_t)i];
}

/*
 * How every stack bucket begins (struct gp_heap_bucket, struct gp_lock_bucket: their first
 * members, the same in the same order), then the profile's own key (gp_bucket_get()), its
 * counts, and its frames last. Never unmapped; frames never change while the bucket is on
 * the list. A table with free lists (the lock profiles') may take a bucket off its list and
 * reuse its memory (gp_bucket_recycle()); the heap's buckets stay for good.
 */
struct gp_bucket {
	struct gp_bucket *next;		/* the table's list, newest first; fixed once pushed */
	struct gp_bucket *chain;	/* hash chain; the table's lock */
	uint64_t hash;
	const struct gp_labels *labels;	/* the recording thread's labels; part of the key */
	uint32_t nframes;		/* frames[] entries, innermost first */
	uint32_t truncated;		/* frames left out at the root end */
	uint32_t nreturns;		/* return-address candidates after the frames
					   (gp_stack_scan_site); part of the key */
};

/* Checks at compile time that a bucket type begins as struct gp_bucket. */
#define GP_BUCKET_LAYOUT(type)                                                             \
	_Static_assert(offsetof(type, next) == offsetof(struct gp_bucket, next) &&         \
			       offsetof(type, chain) == offsetof(struct gp_bucket, chain) &&  \
			       offsetof(type, hash) == offsetof(struct gp_bucket, hash) &&    \
			       offsetof(type, labels) == offsetof(struct gp_bucket, labels) && \
			       offsetof(type, nframes) == offsetof(struct gp_bucket, nframes) && \
			       offsetof(type, truncated) ==                                  \
				       offsetof(struct gp_bucket, truncated) &&              \
			       offsetof(type, nreturns) == offsetof(struct gp_bucket, nreturns), \
		       #type " begins as struct gp_bucket")

/* The buckets of one profile, keyed by stack, labels and key (bucket.h). */
struct gp_bucket_table {
	struct gp_bucket **slots;	/* nslots hash chains; the owner's lock */
	uint32_t nslots;		/* a power of two */
	size_t frames_offset;		/* offsetof(bucket type, frames) */
	struct gp_bucket **list;	/* the list's head; push: the owner's lock + release;
					   walk: acquire */
	struct gp_pool *pool;		/* new buckets' memory (pool.c); NULL: __libc_calloc */
	struct gp_bucket **spare;	/* GP_BUCKET_FREE_BINS lists of recycled buckets by
					   their words (frames and candidates), chained by
					   chain; the owner's lock. NULL: none */
};

#define GP_BUCKET_FREE_BINS 64u

/* Decodes the record at p; returns 0, or -1 if p is not a function record. Signal-safe. */
GP_HIDDEN int gp_func_decode(const void *p, struct gp_func *out);
/* The record a shadow-stack word stands for: the word, or the record a GOT offset names. */
GP_HIDDEN const void *gp_record_of(const void *word);

/* Installs the pthread_create interposition (thread.c); called once from the constructor. */
GP_HIDDEN void gp_thread_init(void);
/*
 * At the start of a thread goprof made with the real pthread_create (the writer, internal
 * threads): under --enable-sanitizers, clears what ASan's pthread_create would have, the
 * shadow of the thread's stack, which may still hold the poison of frames of a thread
 * that vanished at fork (glibc gives the child's new threads those stacks). Nothing
 * otherwise. May allocate (thread.c).
 */
GP_HIDDEN void gp_thread_clear_stack_shadow(void);

/* ---- labels (labels.c): the calling thread's key=value set, carried by every stack ------ */

/*
 * One push: key=value on top of parent. The set a node stands for is the path to the
 * root, the innermost value of a key winning. Interned, immutable, never freed: anything
 * recorded may keep the address.
 */
struct gp_labels {
	const struct gp_labels *parent;	/* the set this push extended; NULL: none */
	struct gp_labels *chain;	/* intern table chain; fixed once published */
	uint64_t hash;
	uint32_t depth;			/* pushes from the empty set (parent's + 1) */
	const char *key, *value;	/* copies, in the same allocation */
};

/* The calling thread's labels, NULL for none. Signal-safe to read on the thread itself. */
extern GP_HIDDEN __thread const struct gp_labels *gp_labels_cur
	__attribute__((tls_model("initial-exec")));

/* A new thread starts with its creator's labels (thread.c's trampoline), which it cannot pop. */
GP_HIDDEN void gp_labels_adopt(const struct gp_labels *inherited);

/* A push (push = 1) or pop of node n as a log of the execution trace ("label" category). */
GP_HIDDEN void gp_labels_trace(const struct gp_labels *n, int push);

GP_HIDDEN void gp_labels_atfork_child(void);

/* ---- custom profiles (custom.c): goprof_profile_new and its entries --------------------- */

/*
 * One goprof_profile_add(): the key, the adder's stack and labels, and when it was added
 * and removed. Fields are fixed once the entry is in its profile's table, but for those
 * marked with the profile's lock.
 */
struct gp_custom_entry {
	struct gp_custom_entry *chain;	/* key table chain; lock */
	struct gp_custom_entry *pend_next;	/* pending list; lock */
	const void *key;
	uint64_t added_ns;		/* CLOCK_REALTIME */
	uint64_t removed_ns;		/* 0 while in the table; lock */
	int pending;			/* on the pending list; lock */
	int counted;			/* the writer counted it live; lock */
	const struct gp_labels *labels;
	uint32_t nframes, truncated;	/* frames[], innermost first; root end left out */
	const void *frames[];
};

struct goprof_profile {
	struct goprof_profile *next;	/* gp_custom_profiles()' list; fixed once pushed */
	int id;				/* profiles.id: GP_PROFILE_CUSTOM + n; fixed */
	char name[64];			/* fixed */
	pthread_mutex_t lock;
	struct gp_custom_entry **slots;	/* key table, cap chains; lock */
	size_t cap;			/* lock */
	size_t n;			/* live entries; lock to write, read relaxed */
	struct gp_custom_entry *pending;	/* added or removed since the writer looked; lock */
};

/* The newest profile; follow ->next for the others. Any thread, lock-free. */
GP_HIDDEN struct goprof_profile *gp_custom_profiles(void);

/*
 * Hands every entry added or removed since the last call to fn (under its profile's lock:
 * fn must not call goprof_profile_*), then frees the removed ones. Returns how many.
 * Writer thread.
 */
GP_HIDDEN size_t gp_custom_drain(void (*fn)(const struct goprof_profile *p,
					    struct gp_custom_entry *e, void *ctx),
				 void *ctx);

GP_HIDDEN void gp_custom_atfork_child(void);

/* ---- configuration (init.c): GOPROF_* read once at start ------------------------------ */

#define GP_MAX_STACK_DEPTH 4096		/* the most frames a sample may keep */
#define GP_TRACE_BUFFER_DEFAULT (4u << 20)	/* GOPROF_TRACE_BUFFER's default, bytes */
#define GP_TRACE_BUFFER_MIN 4096u
#define GP_DB_RETAIN_DEFAULT "7d,1GB"	/* GOPROF_DB_RETAIN's default */

/*
 * Every GOPROF_* variable, read and checked once by the constructor (init.c), before any
 * other part starts; no other file reads the environment for goprof (README's table lists
 * these fields, in this order). Written only then; read from any thread afterwards.
 */
struct gp_config {
	const char *db_pattern;		/* GOPROF_DB, NULL = no database */
	int64_t retain_age_s;		/* GOPROF_DB_RETAIN's age, seconds; 0 = no limit */
	int64_t retain_bytes;		/* GOPROF_DB_RETAIN's size, bytes; 0 = no limit */
	unsigned cpu_hz;		/* GOPROF_CPU_HZ, 0 = no CPU sampling */
	unsigned stack_depth;		/* GOPROF_STACK_DEPTH: frames kept per sample */
	unsigned mem_rate;		/* GOPROF_MEMPROFILE_RATE: bytes per heap sample, 0 = off */
	int64_t block_rate_ns;		/* GOPROF_BLOCK_RATE: ns, 0 = no block profile */
	int block_io;			/* GOPROF_BLOCK_IO: 1 = I/O waits in the block profile */
	unsigned mutex_fraction;	/* GOPROF_MUTEX_FRACTION: 1 in N events, 0 = off */
	const char *http_listen;	/* GOPROF_HTTP: HOST:PORT, NULL = no server */
	int http_allow_remote;		/* GOPROF_HTTP_ALLOW_REMOTE=1 */
	const char *http_token;		/* GOPROF_HTTP_TOKEN, NULL = none */
	int http_cmdline;		/* GOPROF_HTTP_CMDLINE=1 */
	const char *trace_path;		/* GOPROF_TRACE: path pattern, NULL = no trace */
	int trace_json;			/* GOPROF_TRACE_FORMAT=json (else go) */
	size_t trace_buffer;		/* GOPROF_TRACE_BUFFER: bytes per thread */
	int clock_monotonic;		/* GOPROF_CLOCK=monotonic: never the TSC */
	int db_temporary;		/* db_pattern is goprof's own (GOPROF_HTTP without
					   GOPROF_DB): removed at exit */
	int database;			/* the writer started: a database is written (set
					   once by the constructor) */
};

extern GP_HIDDEN struct gp_config gp_config;

/*
 * getenv() for goprof's own variables (GOPROF_*): NULL when the program runs set-user-ID or
 * set-group-ID (AT_SECURE), whose environment comes from a user the program does not trust,
 * as glibc ignores its own variables there; the first one set there is named on stderr,
 * once. Cold path.
 */
GP_HIDDEN const char *gp_env(const char *name);

/* One line "goprof: ..." on stderr, written at once. Not signal-safe (vsnprintf). */
GP_HIDDEN void gp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* gp_warn, but only the first time this call site is reached. */
#define gp_warn_once(...)                                                                  \
	do {                                                                               \
		static _Atomic int gp_warned_;                                             \
		if (!__atomic_exchange_n(&gp_warned_, 1, __ATOMIC_RELAXED))                \
			gp_warn(__VA_ARGS__);                                              \
	} while (0)

/* ---- CPU samples (sampler.c): signal handler -> per-thread ring -> collector ------------- */

/* One sample as gp_cpu_drain() hands it over; valid only during the callback. */
struct gp_sample {
	uint64_t time_ns;		/* CLOCK_REALTIME when taken */
	uint64_t count;			/* periods it stands for (1 + timer overruns), or lost */
	uintptr_t pc;			/* interrupted PC; 0 for a lost-samples record */
	uint32_t tid;			/* kernel thread id of the sampled thread */
	uint32_t nframes;		/* frames[] entries, innermost first */
	uint32_t truncated;		/* frames left out at the root end (deep stacks) */
	int lost;			/* 1: count samples were dropped (ring full) */
	const struct gp_labels *labels;	/* the thread's labels then, NULL: none */
	const void *const *frames;	/* function records (gp_func_decode) */
	uint32_t nreturns;		/* returns[] entries */
	const uintptr_t *returns;	/* machine-stack words that may be return addresses,
					   innermost first (gp_stack_scan_returns) */
};

/*
 * Turns CPU sampling on when it is configured (a database, a non-zero rate): takes the
 * sampling signal (gp_prof_signal).
 * Called once by the constructor before any thread registers. Returns 0 or -1.
 */
GP_HIDDEN int gp_sampler_init(void);

/* Sampling-signal handler body: 1 when the signal was a goprof tick (and was sampled). */
GP_HIDDEN int gp_sampler_handle(int sig, siginfo_t *si, void *uctx);

/*
 * A registry entry's CPU sampling (thread.c calls these for the thread itself): _new gives
 * it a ring before it is registered, when sampling is on; _arm creates and arms its timer
 * (again in a fork child, which does not inherit timers); _disarm deletes the timer at
 * thread exit; _forked drops the ring's samples in a fork child (reg_lock held). Cold path.
 */
struct gp_thread;
GP_HIDDEN void gp_sampler_thread_new(struct gp_thread *t);
GP_HIDDEN void gp_sampler_thread_arm(struct gp_thread *t);
GP_HIDDEN void gp_sampler_thread_disarm(struct gp_thread *t);
GP_HIDDEN void gp_sampler_thread_forked(struct gp_thread *t);

/* ---- signals (signals.c) ---------------------------------------------------------------- */

/* The CPU timers' signal (SIGRTMAX - 2), valid once gp_signals_take_sigprof() ran. */
extern GP_HIDDEN int gp_prof_signal;

/* Installs goprof's sampling-signal handler, keeping what was there for forwarding. 0/-1. */
GP_HIDDEN int gp_signals_take_sigprof(void);

/* Installs the flush-then-die handler for fatal signals left at their default. */
GP_HIDDEN void gp_signals_take_fatal(void);

typedef void (*gp_sample_fn)(const struct gp_sample *s, void *ctx);

/*
 * Hands every sample waiting in every thread's ring to fn, oldest first per thread, and
 * reports each thread's drops as one lost record. Returns the number of records handed
 * over. Called by the collector thread only (one reader).
 */
GP_HIDDEN size_t gp_cpu_drain(gp_sample_fn fn, void *ctx);

/* Does the calling thread's ring hold samples or drops not drained yet? Any thread. */
GP_HIDDEN int gp_cpu_pending(void);

/* ---- symbols (symbolize.c): what lies at a PC, from the ELF symbol tables --------------- */

struct gp_pc_info {
	const char *function;		/* symbol name, clone suffix removed; NULL if unknown */
	const char *object;		/* path of the object file holding pc */
	const char *build_id;		/* lowercase hex GNU build ID, "" if none */
	uintptr_t map_start, map_end;	/* the object's executable mapping */
	uint64_t map_offset;		/* file offset of map_start */
};

/*
 * Looks pc up in the objects loaded now. Strings stay valid for the life of the process.
 * Returns 0, or -1 when pc lies in no known object. Collector thread (not signal-safe).
 */
GP_HIDDEN int gp_pc_lookup(uintptr_t pc, struct gp_pc_info *out);

/*
 * The span of every loaded segment of the object holding pc (its code, data and the
 * function records of instrumented code), without reading its symbols: 0, or -1 when pc
 * lies in no known object. Collector thread.
 */
GP_HIDDEN int gp_pc_object(uintptr_t pc, uintptr_t *lo, uintptr_t *hi);

/* The symbol cache's lock, held across fork() (after the writer's); the child's is free. */
GP_HIDDEN void gp_symbolize_atfork_prepare(void);
GP_HIDDEN void gp_symbolize_atfork_parent(void);
GP_HIDDEN void gp_symbolize_atfork_child(void);

/* ---- signal-safe memory (pool.c) ----------------------------------------------------------- */

/* Never-freed records carved from anonymous mappings; zero-filled. Zero-initialise. */
struct gp_pool {
	char *next;			/* the caller's lock */
	size_t left;			/* bytes left at next */
};

/*
 * bytes of zeroed memory, 16-byte aligned, from p; NULL when mmap fails. No malloc, no lock
 * of its own: safe in a signal handler when the caller's lock, held around it, is.
 */
GP_HIDDEN void *gp_pool_take(struct gp_pool *p, size_t bytes);

/* ---- threads (thread.c): their creation, and the registry of live and ended threads ---- */

struct gp_thread_info {
	uint32_t tid;
	char name[16];			/* pthread_getname_np at the time of the call */
	uint64_t start_ns;		/* CLOCK_REALTIME when it started */
	uint64_t end_ns;		/* 0 while it runs */
	uint32_t creator_tid;		/* who called pthread_create; 0 = none (main) */
	const char *create_call;	/* "pthread_create" or "thrd_create"; NULL: main */
	uintptr_t create_site;		/* return address of that call, 0 if unknown */
	uint32_t create_nframes;	/* create_frames[] entries, innermost first */
	uint32_t create_truncated;	/* frames left out at the root end */
	const void *const *create_frames;	/* the creator's stack; fixed for good; then
						   create_nreturns return-address candidates */
	uint32_t create_nreturns;	/* (gp_stack_scan_site), as uintptr_t */
	const struct gp_labels *create_labels;	/* the creator's labels then, NULL: none */
	struct {
		int queued;		/* a row of this thread went to the database */
		uint64_t end_ns;	/* as queued */
		char name[16];
		uint32_t create_stack;	/* stacks.id, 0 = none */
	} written;			/* the writer thread's alone */
};

/* How a thread came to be: what gp_thread_started() records for the threadcreate profile. */
struct gp_thread_origin {
	uint32_t creator_tid;
	const char *call;		/* the creating call, a string literal */
	uintptr_t site;			/* its return address in the program, 0: unknown */
	uint32_t nframes, truncated;
	uint32_t nreturns;		/* return-address candidates after frames[] */
	const void *const *frames;	/* innermost first, then the candidates; copied */
	const struct gp_labels *labels;	/* the creator's labels */
};

/*
 * Registers the calling thread (its CPU timer, sample ring, name, creator) once its shadow
 * stack is set up; origin NULL: the main thread. gp_thread_ended() marks it ended at thread
 * exit; keep_stack = 1 (the main thread at exit) says its shadow stack stays mapped, so that
 * the last snapshot still shows it. Cold path, the thread itself.
 */
GP_HIDDEN void gp_thread_started(const struct gp_thread_origin *origin);
GP_HIDDEN void gp_thread_ended(int keep_stack);

/*
 * Calls fn for every thread known now; collector thread. An ended thread's entry is freed
 * once fn returned 0 for it (its last row is the collector's) and its samples were drained.
 */
GP_HIDDEN void gp_threads_foreach(int (*fn)(struct gp_thread_info *t, void *ctx), void *ctx);

/*
 * Ended threads whose entries wait for the collector. A program that starts and ends
 * threads faster than the commits free them would hold tens of thousands of entries
 * between two commits (9601: 12 MB of peak RSS at 50,000 threads a second); at
 * GP_ENDED_COMMIT the ending thread wakes the writer, which then commits at once.
 */
#define GP_ENDED_COMMIT 2048u
GP_HIDDEN unsigned gp_threads_ended_waiting(void);

/* What a thread is doing, for the goroutine profile. */
struct gp_wait_state {
	int state;			/* enum gp_thread_state */
	uintptr_t object;		/* the mutex, condvar... waited on; 0 = none */
	uint64_t since_ns;		/* when the wait began, 0 = running: CLOCK_REALTIME
					   from gp_wait_read(), gp_clock_ns() in gp_wait.cur */
	const char *call;		/* the interposed call waiting ("pthread_cond_wait"),
					   a string that lives as long as the process */
	uintptr_t site;			/* the program's call of it, 0: unknown */
	uintptr_t frame;		/* a word of the waiting wrapper's frame: the
					   machine stack above it is the callers', fixed
					   while the wait lasts; 0: not known */
};

/*
 * A thread's waits, part of its registry entry (never freed). cur is written only by the
 * thread itself (lock-profile.c, wrap-io.c) inside a sequence count; the rest belongs to the mutex
 * waiter table, under the lock of the slot the entry is linked in.
 */
struct gp_wait {
	uint32_t tid;			/* the thread's; fixed (but for a fork child's) */
	unsigned seq;			/* odd while cur changes */
	struct gp_wait_state cur;
	struct gp_io_now *io;		/* the thread's I/O wait (its TLS); NULL once it
					   ended; reg_lock */
	struct gp_wait *next;		/* waiter table chain */
	uintptr_t waiting_on;		/* the lock this waiter is linked for */
	uint64_t charge_from_ns;	/* its wait not yet charged to an unlocker starts
					   here; gp_clock_ns() */
	int linked;			/* owning thread */
};

/*
 * Publishes the calling thread's state in its own record w (a sequence count: the writer
 * reads it with gp_wait_read(), without a lock). Hot path; async-signal-safe.
 */
static inline void gp_wait_store(struct gp_wait *w, const struct gp_wait_state *s)
{
	unsigned seq = w->seq;

	__atomic_store_n(&w->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&w->cur.state, s->state, __ATOMIC_RELAXED);
	__atomic_store_n(&w->cur.object, s->object, __ATOMIC_RELAXED);
	__atomic_store_n(&w->cur.since_ns, s->since_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&w->cur.call, s->call, __ATOMIC_RELAXED);
	__atomic_store_n(&w->cur.site, s->site, __ATOMIC_RELAXED);
	__atomic_store_n(&w->cur.frame, s->frame, __ATOMIC_RELAXED);
	__atomic_store_n(&w->seq, seq + 2, __ATOMIC_RELEASE);
}

/* The calling thread's wait record, NULL for a thread goprof does not know (its own). */
GP_HIDDEN struct gp_wait *gp_thread_wait(void);

/*
 * Reads a thread's state consistently, without stopping it (writer thread, reg_lock held).
 * A wait in an I/O call (struct gp_io_now) reads as running until a reader has seen it for
 * about 10 ms (in practice: until the next snapshot sees it again): a read of a cached file
 * is work, not a wait.
 */
GP_HIDDEN void gp_wait_read(const struct gp_wait *w, struct gp_wait_state *out);

/* An interposed I/O call as a thread state shows it (wrap-io.c: one constant per call). */
struct gp_io_call {
	int state;			/* GP_STATE_IO, _SELECT or _SYSCALL */
	const char *name;		/* "read", "epoll_wait"... */
};

/*
 * The I/O call a thread is in, kept in the thread's own TLS block (wrap-io.c), which the
 * system call's C library wrapper touches anyway, with two plain stores and no clock read:
 * the wait is timed lazily, by its readers. call is written only by the thread; seen_ns is
 * zeroed by the thread when a wait begins and set once by the first reader that sees the
 * wait (gp_wait_read(), a compare-and-swap), so that a wait shows from its second sighting
 * on, its age counted from the first: the duration has the readers' resolution (a snapshot
 * each commit, at least every second). The thread puts both words back after the call, so
 * that a call made by a signal handler leaves the wait it interrupted as it was.
 */
struct gp_io_now {
	const struct gp_io_call *call;	/* NULL: in no I/O call */
	uint64_t seen_ns;		/* gp_clock_ns() of the first sighting, 0: not seen */
};

/* The calling thread's gp_io_now (its TLS); for its registry entry (thread.c). */
GP_HIDDEN struct gp_io_now *gp_io_now_self(void);

/* One interposed I/O call as a block-profile event (GOPROF_BLOCK_IO=1), start to end. */
struct gp_io_wait {
	struct gp_wait *w;		/* the thread's record */
	const char *call;
	uint64_t t0;			/* gp_clock_ns(); block profile only */
	uint64_t draw;			/* block profile: uniform in [0, rate) */
	int block;			/* 1: a block-profile event (GOPROF_BLOCK_IO) */
};

/*
 * With GOPROF_BLOCK_IO=1 and the block profile on, c (its w and call set) becomes a block
 * event: _begin() sets c->block and the start, _end() records it. errno kept.
 */
GP_HIDDEN void gp_io_block_begin(struct gp_io_wait *c);
GP_HIDDEN void gp_io_block_end(struct gp_io_wait *c);

/* One live thread as a snapshot sees it; valid only during the callback. */
struct gp_thread_snap {
	uint32_t tid;
	uint64_t start_ns;		/* threads.start_ns */
	struct gp_wait_state wait;
	uint32_t nframes, truncated;	/* frames[], innermost first; root end left out */
	const void *const *frames;
	uint32_t nreturns;		/* a waiting thread's return-address candidates, */
	const uintptr_t *returns;	/* read from its machine stack above wait.frame */
	const struct gp_labels *labels;	/* its labels then, NULL: none */
};

/*
 * Calls fn for every live thread with its state and a copy of its shadow stack taken while
 * it runs (the registry lock keeps the stack mapped). Writer thread.
 */
GP_HIDDEN void gp_threads_snapshot(void (*fn)(const struct gp_thread_snap *s, void *ctx),
				   void *ctx);

/*
 * A thread's registry entry (thread.c); freed after the thread ended, once the collector
 * took its last row and samples (gp_threads_foreach), at once without a database.
 */
struct gp_thread {
	struct gp_thread *next, *prev;	/* reg_lock */
	struct gp_thread_info info;	/* reg_lock; tid fixed at start */
	struct gp_ring *ring;		/* NULL when not sampled; freed by the collector */
	timer_t timer;			/* owning thread */
	int has_timer;			/* owning thread */
	int ended;			/* reg_lock */
	int stack_live;			/* reg_lock: stack_base may be read */
	const void **const *sp_addr;	/* the thread's __goprof_sp; fixed */
	const struct gp_labels *const *labels_addr;	/* its gp_labels_cur; fixed */
	const void **stack_base;	/* its slot array, NULL: scratch; fixed */
	uintptr_t mstack_top;		/* its machine stack's outer end, 0: unknown; fixed */
	size_t stack_cap;		/* slots */
	struct gp_wait wait;		/* lock-profile.c; see struct gp_wait */
	struct gp_io_now io_seen;	/* the I/O wait whose system call's stack pointer */
	uintptr_t io_sp;		/* io_sp is, as the last snapshot found it; writer */
	const void *create_frames[];	/* the creator's stack (info.create_frames) */
};

/* The calling thread's entry, NULL while it has none (any context, signal handlers too). */
extern GP_HIDDEN __thread struct gp_thread *gp_thread_self
	__attribute__((tls_model("initial-exec")));

/*
 * Takes the registry lock (under the heap guard, so that the lock wrappers never record it;
 * gp_writer_lock(): the writer only) and returns the newest entry, NULL if none or if a
 * crash flush leaves the registry out; entries link through next. gp_threads_unlock()
 * lets go (how: what gp_threads_lock() set). Never in signal context.
 */
GP_HIDDEN struct gp_thread *gp_threads_lock(int *how);
GP_HIDDEN void gp_threads_unlock(int how);

/* fork() handlers: the registry lock across fork; in the child, every other thread ended. */
GP_HIDDEN void gp_thread_atfork_prepare(void);
GP_HIDDEN void gp_thread_atfork_parent(void);
GP_HIDDEN void gp_thread_atfork_child(void);

/*
 * The calling thread's shadow stack array: slots [*base, *base + *cap), or *base NULL when
 * it runs on the shared scratch stack. Cold path.
 */
GP_HIDDEN void gp_stack_region(const void ***base, size_t *cap);

/* ---- block and mutex profiles (lock-profile.c), the blocking calls (wrap-lock.c) -------- */

/* One count unit of struct gp_lock_bucket: counts are fixed point, 16 fractional bits. */
#define GP_LOCK_COUNT_ONE 65536u

/* The rounded count of a lock bucket's count_fp, as the database holds it. */
static inline uint64_t gp_lock_count(uint64_t count_fp)
{
	return (count_fp + GP_LOCK_COUNT_ONE / 2) / GP_LOCK_COUNT_ONE;
}

/* struct gp_lock_bucket.state: who the bucket is of (profile lock) */
enum {
	GP_LOCK_BUCKET_NEW,		/* just made, or of tid 0: kept for good */
	GP_LOCK_BUCKET_OWNED,		/* on its thread's list (mine); in a fork child, a
					   parent thread's: kept for good */
	GP_LOCK_BUCKET_RETIRED,		/* its thread ended: out of the hash, to be folded */
};

/*
 * One (profile, thread, stack) of the block or mutex profile, cumulative; like the heap's
 * buckets: updated atomically under the profile lock, read atomically by the writer;
 * frames never change while the bucket is on the list. When its thread has ended and the
 * writer has written its counts, it is added to the bucket of its stack with tid 0 (the
 * ended threads') and its memory reused (gp_lock_fold_ended()).
 */
struct gp_lock_bucket {
	struct gp_lock_bucket *next;	/* gp_lock_buckets()' list; set when pushed */
	struct gp_lock_bucket *chain;	/* hash chain; profile lock */
	uint64_t hash;
	const struct gp_labels *labels;	/* the recording thread's labels; part of the key */
	uint32_t nframes;		/* frames[] entries, innermost first */
	uint32_t truncated;		/* frames left out at the root end */
	uint32_t nreturns;		/* candidates after frames[] (gp_bucket_returns) */
	uint32_t state;			/* GP_LOCK_BUCKET_*; profile lock */
	/* the rest of the key, call to profile (struct gp_bucket_table.key_bytes) */
	const char *call;		/* the interposed call that waited or released,
					   the stack's leaf; a string of the process's life */
	uint32_t tid;			/* the waiter (block) or the unlocker (mutex) */
	int profile;			/* GP_PROFILE_BLOCK or GP_PROFILE_MUTEX */
	uintptr_t site;			/* return address of the program's call of call,
					   0 if unknown */
	uint64_t count_fp;		/* events, GP_LOCK_COUNT_ONE each (block: unbiased) */
	uint64_t delay_ns;		/* their delay */
	struct {
		uint64_t count, delay_ns;	/* rounded count and delay in the database */
		uint32_t stack;		/* stacks.id of frames, 0 = not interned yet */
		uint32_t leaf;		/* stacks.id of stack below call, 0 = not yet */
		uint32_t labelled;	/* stacks.id of the leaf with labels, 0 = not yet */
	} written;			/* writer thread only */
	struct gp_lock_bucket *mine;	/* OWNED: the thread's next bucket; profile lock */
	const void *frames[];		/* function records (gp_func_decode), then the
					   return-address candidates */
};

/* The settings as the writer records them in the profiles table. */
struct gp_lock_profiles {
	int64_t block_rate_ns;		/* 0 = off */
	uint64_t block_since_ns;	/* when first switched on, 0 = never */
	int mutex_fraction;		/* 0 = off */
	uint64_t mutex_since_ns;
};

/* Looks the real blocking functions up; constructor, first thing. */
GP_HIDDEN void gp_lock_resolve(void);

/* Turns thread states and the configured profiles on when there is a database. */
GP_HIDDEN void gp_lock_init(int database);
/* The calling thread begins (the main thread: gp_lock_resolve() does it). */
GP_HIDDEN void gp_lock_thread_start(void);

/* The newest bucket; follow ->next for the others. Any thread, lock-free. */
GP_HIDDEN struct gp_lock_bucket *gp_lock_buckets(void);

GP_HIDDEN void gp_lock_profiles(struct gp_lock_profiles *out);

/*
 * The calling thread ends: its wait record leaves the waiter table, its buckets the hash
 * (retired, for gp_lock_fold_ended()).
 */
GP_HIDDEN void gp_lock_thread_ended(struct gp_wait *w);

/*
 * The writer's work, after gp_collect_lock(): each retired bucket whose counts are written
 * is added to its stack's bucket of tid 0 and its memory kept for reuse. Returns how many.
 */
GP_HIDDEN size_t gp_lock_fold_ended(void);

GP_HIDDEN void gp_lock_atfork_prepare(void);
GP_HIDDEN void gp_lock_atfork_parent(void);
GP_HIDDEN void gp_lock_atfork_child(void);

/* ---- heap profile (wrap-malloc.c): the interposed malloc family --------------------------- */

/*
 * One allocation stack (Go's memory-profile bucket): cumulative sampled counts, updated
 * atomically under the heap lock and read atomically by the writer. Never freed; frames
 * never change once the bucket is on the list.
 */
/*
 * The return address of the calling function's own call: where the program called an
 * interposed function (the line of a heap, block, mutex or threadcreate sample's innermost
 * frame). Only in the exported function itself, never in a helper it may tail-call.
 */
#define GP_CALL_SITE() ((uintptr_t)__builtin_return_address(0))

struct gp_heap_bucket {
	struct gp_heap_bucket *next;	/* gp_heap_buckets()' list; fixed once pushed */
	struct gp_heap_bucket *chain;	/* hash chain; heap lock */
	uint64_t hash;
	const struct gp_labels *labels;	/* the allocating thread's labels; part of the key */
	uint32_t nframes;		/* frames[] entries, innermost first */
	uint32_t truncated;		/* frames left out at the root end */
	uint32_t nreturns;		/* candidates after frames[] (gp_bucket_returns) */
	uintptr_t site;			/* the rest of the key: return address of the
					   allocating call, 0 if unknown */
	uint64_t alloc_objects, alloc_bytes;	/* sampled allocations, ever */
	uint64_t free_objects, free_bytes;	/* sampled blocks freed, ever */
	struct {
		uint64_t alloc_objects, alloc_bytes, free_objects, free_bytes;
		uint32_t stack;		/* stacks.id, 0 = not interned yet */
	} written;			/* writer thread only: what is in the database */
	const void *frames[];		/* function records (gp_func_decode), then the
					   return-address candidates */
};

/* Turns heap sampling on when configured (a database, a non-zero rate). Constructor. */
GP_HIDDEN int gp_heap_init(void);

/* The sampling rate in bytes when heap profiling is on, else 0. */
GP_HIDDEN uint64_t gp_heap_rate(void);

/* The newest bucket; follow ->next for the others. Any thread, lock-free. */
GP_HIDDEN struct gp_heap_bucket *gp_heap_buckets(void);

/*
 * on = 1: the calling thread's allocations are goprof's own from now on (never sampled,
 * never looked up); on = 0 undoes one such call. Nests.
 */
GP_HIDDEN void gp_heap_guard(int on);

/* Non-zero while the calling thread does goprof's own work (gp_heap_guard). */
GP_HIDDEN int gp_heap_guarded(void);

/*
 * A crash flush begins (signal context, async-signal-safe): from now on the writer gives
 * glibc back none of glibc's blocks, whose arena locks the dying thread may hold.
 * gp_heap_crashing() says whether it began.
 */
GP_HIDDEN void gp_heap_crash(void);
GP_HIDDEN int gp_heap_crashing(void);

/*
 * on = 1: the calling thread allocates only from own-alloc.c from now on, never from
 * glibc (the writer thread, for its life; start-up's database open before that thread
 * exists); on = 0 undoes it. One thread at a time.
 */
GP_HIDDEN void gp_heap_own(int on);

/*
 * own-alloc.c: the writer's allocator. gp_own_alloc/calloc/memalign/realloc and
 * gp_own_free(p, 1) only on the owning thread (gp_heap_own); gp_own_free(p, 0) on any
 * thread; gp_own_contains() (whether p is one of its blocks) and gp_own_usable() on any.
 * Never waits for a lock; NULL when no memory can be mapped.
 */
GP_HIDDEN void *gp_own_alloc(size_t n);
GP_HIDDEN void *gp_own_calloc(size_t n);
GP_HIDDEN void *gp_own_memalign(size_t align, size_t n);
GP_HIDDEN void *gp_own_realloc(void *old, size_t n, int owner);
GP_HIDDEN void gp_own_free(void *p, int owner);
GP_HIDDEN int gp_own_contains(const void *p);
GP_HIDDEN size_t gp_own_usable(const void *p);

/*
 * goprof's own calls of malloc, calloc, realloc, free and strdup (every rt file but the
 * allocators' own: the macros at the end of this file). They are the program's malloc's,
 * except in private mode (gp_alloc_private_on, for good): a fork child that writes its
 * database on its exiting thread under AddressSanitizer (writer.c), where that allocator's
 * locks may be held for ever. There the calling thread owns own-alloc.c, whose blocks the
 * calls use, and a block of the program's allocator that goprof frees is left where it is.
 * The SQLite allocator the writer uses (gp_alloc_sqlite_methods) follows the same rule.
 */
GP_HIDDEN void *gp_malloc(size_t n);
GP_HIDDEN void *gp_calloc(size_t n, size_t size);
GP_HIDDEN void *gp_realloc(void *p, size_t n);
GP_HIDDEN void gp_free(void *p);
GP_HIDDEN char *gp_strdup(const char *s);
GP_HIDDEN void gp_alloc_private_on(void);
GP_HIDDEN int gp_alloc_private(void);
GP_HIDDEN int gp_alloc_sqlite_methods(void);

/*
 * The calling thread's call counters join the totals (gp_heap_stats) from now on; at its
 * end, gp_heap_thread_end() folds them into the ended threads' totals. Cold path, the
 * thread itself (thread.c's trampoline and exit key); no-ops while heap profiling is off.
 */
GP_HIDDEN void gp_heap_thread_start(void);
GP_HIDDEN void gp_heap_thread_end(void);

/* The allocator's call counters, over all threads goprof set up, since heap_on. */
struct gp_heap_stats {
	uint64_t mallocs;		/* allocation calls (malloc family, custom API) */
	uint64_t frees;			/* free calls with a non-NULL pointer */
	uint64_t alloc_bytes;		/* bytes requested by those allocations */
};

/*
 * Fills out and returns 0; -1 when heap profiling is off or the heap lock stayed taken for
 * 100 ms (a thread died holding it). Writer thread.
 */
GP_HIDDEN int gp_heap_stats(struct gp_heap_stats *out);

GP_HIDDEN void gp_heap_atfork_prepare(void);
GP_HIDDEN void gp_heap_atfork_parent(void);
GP_HIDDEN void gp_heap_atfork_child(void);

/* ---- database writer (writer.c; intern.c, collect.c, db.c: writer.h) ---------------------- */

/* Starts the collector/writer thread when gp_config.db_pattern is set. Returns 0 or -errno. */
GP_HIDDEN int gp_writer_start(void);

/* Drains everything and commits; at exit (destructor) and before exec. Cold path. */
GP_HIDDEN void gp_writer_stop(void);

/*
 * From a fatal-signal handler: asks the writer thread to commit what it has and waits at
 * most timeout_ms for it. Async-signal-safe.
 */
GP_HIDDEN void gp_writer_crash_flush(unsigned timeout_ms);

/*
 * Around fork(), first of goprof's handlers: prepare waits until the writer thread is
 * between two rounds of work and holds it there; parent lets it go on.
 */
GP_HIDDEN void gp_writer_atfork_prepare(void);
GP_HIDDEN void gp_writer_atfork_parent(void);

/* Is the caller the writer thread? Any thread. */
GP_HIDDEN int gp_writer_is_self(void);

/*
 * goprof's locks on the writer thread, which a crash flush must not wait for: the dying
 * thread may hold any of them, and it never runs again. gp_writer_lock() takes m and
 * returns GP_LOCK_TAKEN, as pthread_mutex_lock() would, until a crash flush begins; from
 * then on a lock it cannot get within a few milliseconds is GP_LOCK_WITHOUT when a
 * thread is inside fork() (goprof's prepare handler took goprof's locks there, between
 * two changes: the data under them is whole, and nobody changes it; that thread is the
 * dying one or waits for a lock the dying one holds), else GP_LOCK_SKIP: the caller
 * leaves out what needs it. Either is counted and said once, at the end of the flush
 * (what). gp_writer_unlock() lets go of what gp_writer_lock() took. Other threads than the
 * writer just lock. gp_writer_crashing(): the caller is the writer in a crash flush.
 */
enum { GP_LOCK_TAKEN, GP_LOCK_WITHOUT, GP_LOCK_SKIP };
GP_HIDDEN int gp_writer_lock(pthread_mutex_t *m, const char *what);
GP_HIDDEN void gp_writer_unlock(pthread_mutex_t *m, int how);
GP_HIDDEN int gp_writer_crashing(void);

/*
 * The program is about to put another file on fd, a descriptor of the database (dup2):
 * waits until the writer is between two rounds, then stops it writing for good, with one
 * line on stderr; its descriptors are the program's from then on. Any program thread.
 */
GP_HIDDEN void gp_writer_fd_lost(int fd);

/*
 * Descriptors goprof writes through (fds.c), kept from the program's close(), close_range()
 * and closefrom(); a dup2() onto one calls gp_writer_fd_lost() first. gp_fd_own() adds one
 * (writer or constructor, when the database opens), gp_fd_disown() one before goprof
 * closes it, gp_fd_forget_all() forgets them all
 * (before the database closes, in a fork child).
 */
GP_HIDDEN void gp_fd_own(int fd);
GP_HIDDEN void gp_fd_disown(int fd);
GP_HIDDEN void gp_fd_forget_all(void);
/*
 * real_open(path, flags | O_CLOEXEC, mode) at a high number, safe against the program's
 * threads closing or dup2()ing the low number it first gets (fds.c). Writer thread or
 * constructor. Returns the descriptor or -1 with errno.
 */
typedef int (*gp_open_fn)(const char *, int, int);
GP_HIDDEN int gp_fd_open_high(gp_open_fn real_open, const char *path, int flags, int mode);

/*
 * In the child after fork(): a fresh database (the pattern's %p is the new pid). Under
 * AddressSanitizer it only notes the child, whose thread gp_writer_forked_start() starts.
 */
GP_HIDDEN void gp_writer_atfork_child(void);

/*
 * In a fork child whose thread is not started yet (AddressSanitizer): starts it; else
 * nothing. The program's ordinary context (never a signal handler or a fork handler).
 */
GP_HIDDEN void gp_writer_forked_start(void);

/*
 * At the exit of a fork child whose thread never started (AddressSanitizer): writes what
 * the child recorded on the calling thread itself, in private mode (gp_malloc), without a
 * thread and without the loader's or stdio's locks (gp_writer_careful). The exit path.
 */
GP_HIDDEN void gp_writer_forked_exit(void);

/*
 * The writer's work keeps off the locks another thread may hold for ever (the loader's,
 * stdio's, the program's allocator's): in a crash flush, and in gp_writer_forked_exit().
 */
GP_HIDDEN int gp_writer_careful(void);

/*
 * Asks the writer thread to commit everything it has now and waits at most timeout_ms.
 * Returns 0 once committed, -1 on timeout or when no writer runs. Not signal-safe.
 */
GP_HIDDEN int gp_writer_sync(unsigned timeout_ms);

/* Wakes the writer thread for a round now, without waiting for it. */
GP_HIDDEN void gp_writer_wake(void);

/*
 * A GOPROF_DB or GOPROF_TRACE path pattern with %p = pid, %h = host name, %% = %, into out;
 * 0, or -ENAMETOOLONG if it does not fit.
 */
GP_HIDDEN int gp_path_expand(const char *pat, char *out, size_t len);

/*
 * A finished execution trace in Go's format (data: malloc'd, the writer frees it) for the
 * traces table, written at the next commit; start_ns and end_ns CLOCK_REALTIME, source a
 * string literal. 0, or -1 when no database is written (data is freed then too). Any
 * thread but the writer's; gp_writer_wants_traces() says beforehand whether to bother.
 */
GP_HIDDEN int gp_writer_add_trace(uint64_t start_ns, uint64_t end_ns, const char *source,
				  void *data, size_t len);
GP_HIDDEN int gp_writer_wants_traces(void);

/* The database file being written, into buf; 0, or -1 if there is none. */
GP_HIDDEN int gp_writer_db_path(char *buf, size_t len);

/*
 * Between these two calls, the threads the calling thread creates are goprof's own: kept
 * out of the registry and every profile, and so are the threads they create. Nest.
 */
GP_HIDDEN void gp_thread_internal_begin(void);
GP_HIDDEN void gp_thread_internal_end(void);

/* ---- the /debug/pprof server (http-host.c), when GOPROF_HTTP asks for it ------------------ */

/* Loads the server module and starts serving; warns and returns on any failure. */
GP_HIDDEN void gp_http_host_start(void);

/* Stops the server (at exit, before the writer stops). */
GP_HIDDEN void gp_http_host_stop(void);

/* fork() child handler: the child has no server (its threads stayed in the parent). */
GP_HIDDEN void gp_http_host_atfork_child(void);

/* ---- the cheap clock (clock.c) ---------------------------------------------------------- */

/* Set once by gp_clock_calibrate(), read by gp_clock_ns(); see clock.c. */
struct gp_clock {
	int on;				/* the TSC is used; set last, with release */
	uint64_t base_tsc, base_ns;	/* a TSC reading and CLOCK_MONOTONIC then */
	uint64_t mult;			/* ns per TSC tick, 32.32 fixed point */
};

extern GP_HIDDEN struct gp_clock gp_clock;

/*
 * Decides once whether gp_clock_ns() may read the TSC and measures its rate (500 us, on
 * the calling thread; later callers wait for the first). Cold path: the constructor, the
 * start of a trace. Before it, and when the TSC is not usable, gp_clock_ns() is
 * gp_mono_ns().
 */
GP_HIDDEN void gp_clock_calibrate(void);

/* fork() child handler: forgets a calibration the parent had under way. */
GP_HIDDEN void gp_clock_atfork_child(void);

#ifdef __x86_64__
static inline uint64_t gp_clock_tsc_ns(uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - gp_clock.base_tsc);

	/* another CPU's counter a few ticks behind the base, just after calibration */
	if (GP_UNLIKELY(d < 0))
		d = 0;
	return gp_clock.base_ns +
	       (uint64_t)(((unsigned __int128)(uint64_t)d * gp_clock.mult) >> 32);
}
#endif

/*
 * CLOCK_MONOTONIC in ns, cheaply: from the TSC at the rate measured by
 * gp_clock_calibrate(). Never steps back on a thread; comparable across threads. Hot
 * paths and signal handlers.
 */
static inline uint64_t gp_clock_ns(void)
{
#ifdef __x86_64__
	if (GP_LIKELY(__atomic_load_n(&gp_clock.on, __ATOMIC_ACQUIRE)))
		return gp_clock_tsc_ns(__builtin_ia32_rdtsc());
#endif
	return gp_mono_ns();
}

/*
 * The raw clock, for a duration that is usually only compared with a bound: TSC ticks,
 * or CLOCK_MONOTONIC ns when the TSC is not used. Two readings compare only when both
 * were taken after gp_clock_calibrate() returned; gp_clock_ticks_ns() turns one into
 * gp_clock_ns() time, gp_clock_ns_ticks() a duration in ns into ticks.
 */
static inline uint64_t gp_clock_ticks(void)
{
#ifdef __x86_64__
	if (GP_LIKELY(__atomic_load_n(&gp_clock.on, __ATOMIC_ACQUIRE)))
		return __builtin_ia32_rdtsc();
#endif
	return gp_mono_ns();
}

static inline uint64_t gp_clock_ticks_ns(uint64_t ticks)
{
#ifdef __x86_64__
	if (GP_LIKELY(__atomic_load_n(&gp_clock.on, __ATOMIC_ACQUIRE)))
		return gp_clock_tsc_ns(ticks);
#endif
	return ticks;
}

GP_HIDDEN uint64_t gp_clock_ns_ticks(uint64_t ns);

/* ---- execution trace (trace.c; hooks in wrap-lock.c, wrap-io.c, thread.c, sampler.c) ---- */

/* Non-zero while a trace is on: the one word every hook tests first. Read relaxed. */
extern GP_HIDDEN int gp_trace_on;

/* The trace's clock: gp_clock_ns(). Async-signal-safe. */
GP_HIDDEN uint64_t gp_trace_now(void);

/*
 * The calling thread blocks in call (a static string: "pthread_mutex_lock") on obj, for
 * why (enum gp_trace_block, lib/trace.h); gp_trace_unblock(): it runs again. Hot path of
 * a wait; errno kept; nothing happens when no trace is on or for goprof's own threads.
 */
GP_HIDDEN void gp_trace_block(int why, const char *call, const void *obj);
GP_HIDDEN void gp_trace_unblock(void);
/*
 * The calling thread, in call, may have woken a thread blocked on obj (an unlock that found
 * waiters, a condvar signal, a sem_post, its own exit for a join): the stop matches it
 * with the waiter's wake-up, which then names this thread and stack as its waker.
 */
GP_HIDDEN void gp_trace_wake(const char *call, const void *obj);

/*
 * A system call that blocks for gp_trace_syscall_ticks (10 us in gp_clock_ticks(), set
 * before a trace starts) or longer is recorded: the I/O wrappers take gp_clock_ticks()
 * before (t0) and after (t1) the call and, when t1 - t0 reaches the bound, call
 * gp_trace_syscall() with call (a static string), fd and the two readings. errno kept.
 */
extern GP_HIDDEN uint64_t gp_trace_syscall_ticks;
GP_HIDDEN void gp_trace_syscall(int why, const char *call, int fd, uint64_t t0, uint64_t t1);

/*
 * Thread creation: gp_trace_thread_create() records the creator's CREATE and returns the
 * token that links it to the new thread (0 when no trace is on); the new thread calls
 * gp_trace_thread_start() with it and its start routine first thing, and
 * gp_trace_thread_end() when it exits (nothing is recorded for it afterwards).
 */
GP_HIDDEN uint64_t gp_trace_thread_create(void);
GP_HIDDEN void gp_trace_thread_start(uint64_t token, void *(*fn)(void *));
GP_HIDDEN void gp_trace_thread_end(void);

/* A CPU profile tick of the calling thread (signal context, sampler.c). */
GP_HIDDEN void gp_trace_cpu_sample(void);

/*
 * Constructor: reads GOPROF_TRACE_BUFFER, and starts the GOPROF_TRACE trace (one warning
 * line and no trace when its file cannot be written). gp_trace_fini() (destructor) stops it
 * and writes the file. gp_trace_atfork_child(): the child has no trace.
 */
GP_HIDDEN void gp_trace_init(void);
GP_HIDDEN void gp_trace_fini(void);
GP_HIDDEN void gp_trace_atfork_child(void);

/*
 * For the HTTP server's /debug/pprof/trace: traces for seconds (stopping early when
 * cancelled(ctx), polled about every 100 ms; cancelled may be NULL), then writes what was
 * captured to fd (left open) in Go's format, or as trace-event JSON when json is non-zero.
 * Returns 0, or -errno with a one-line reason in err (errlen bytes, always terminated):
 * -EBUSY and "tracing is already enabled" while another trace is on. Blocks the calling
 * thread for the whole time; the calling thread is not traced (it runs under the heap
 * guard). Any thread but a signal handler.
 */
GP_HIDDEN int gp_trace_capture(double seconds, int json, int fd, int (*cancelled)(void *ctx),
			       void *ctx, char *err, size_t errlen);

/* Turns the lock wrappers' trace events on or off (wrap-lock.c); trace.c only. */
GP_HIDDEN void gp_lock_trace(int on);

/* Looks the real I/O functions up; constructor, first thing (wrap-io.c). */
GP_HIDDEN void gp_io_resolve(void);

/* Turns the I/O calls' thread states on when there is a database (constructor). */
GP_HIDDEN void gp_io_init(int database);

/* goprof's own allocations go through gp_malloc and friends (see there) */
#ifndef GP_ALLOC_DIRECT
#define malloc gp_malloc
#define calloc gp_calloc
#define realloc gp_realloc
#define free gp_free
#define strdup gp_strdup
#endif

#endif
