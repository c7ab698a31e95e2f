/*
 * goprof.h - the public interface of libgoprof, the runtime of the goprof profiler.
 *
 * Build a program with `gcc -fplugin=goprof ... -lgoprof` (or `pkg-config --cflags --libs
 * goprof`): the plugin keeps an exact shadow call stack per thread, and libgoprof turns it
 * into Go-style profiles. Nothing here needs to be called for profiling to work; these
 * functions are for programs that want to look at their own stacks or steer the profiler.
 */
#ifndef GOPROF_H
#define GOPROF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GOPROF_API __attribute__((visibility("default")))
#else
#define GOPROF_API
#endif

/* One frame of a shadow stack. The strings live as long as the code they describe. */
struct goprof_frame {
	const char *function;	/* source-level name; clones (f.constprop.0) read as f */
	const char *file;	/* source file, absolute as the compiler saw it */
	int line;		/* line where the function is defined; 0 if unknown */
};

/*
 * goprof_callers - the calling thread's current instrumented call stack.
 * @frames: filled innermost first: frames[0] is the function that called goprof_callers
 * @max: room in @frames
 *
 * Returns the number of frames filled (0 when the program was built without the plugin).
 * A stack deeper than @max fills @max - 1 frames and ends with one frame whose function is
 * "[truncated]". Functions the plugin did not instrument (no_instrument_function, excluded,
 * uninstrumented libraries, leaves under -fplugin-arg-goprof-skip-leaf) do not appear.
 * Async-signal-safe; allocates nothing.
 */
GOPROF_API int goprof_callers(struct goprof_frame *frames, int max);

/*
 * goprof_depth - the number of frames on the calling thread's shadow stack.
 * Async-signal-safe.
 */
GOPROF_API int goprof_depth(void);

/*
 * goprof_alloc_record - reports a block handed out by the program's own allocator (a pool,
 * an arena) so that it appears in the heap and allocs profiles like a malloc'd one.
 * @ptr: the block's address (NULL: ignored)
 * @size: its size in bytes
 *
 * The block is sampled like a malloc'd block (GOPROF_MEMPROFILE_RATE) and charged to the
 * caller's stack. Do not report blocks that come from malloc: those are seen already.
 * Thread-safe; not async-signal-safe. Does nothing while heap profiling is off.
 */
GOPROF_API void goprof_alloc_record(const void *ptr, size_t size);

/*
 * goprof_free_record - reports that a block given to goprof_alloc_record() was released,
 * so that it leaves the in-use figures. A pointer never reported is ignored.
 * Thread-safe; not async-signal-safe.
 */
GOPROF_API void goprof_free_record(const void *ptr);

/*
 * goprof_block_rate_set - sets the block profile's rate, like Go's
 * runtime.SetBlockProfileRate: a wait (a contended mutex or rwlock, a condition variable,
 * semaphore, barrier or join) of at least @ns nanoseconds is always recorded, a shorter one
 * with probability duration / @ns (and then weighted so that totals stay unbiased); 1
 * records every wait; 0 or less turns the profile off. The start value is
 * GOPROF_BLOCK_RATE (default 0, off).
 *
 * Returns the previous rate. Works only while goprof writes a database (GOPROF_DB set and
 * usable); otherwise it changes nothing and returns 0. Thread-safe; takes effect for waits
 * that begin afterwards; not async-signal-safe.
 */
GOPROF_API int64_t goprof_block_rate_set(int64_t ns);

/* goprof_block_rate_get - the block profile's rate in ns, 0 when off. Thread-safe. */
GOPROF_API int64_t goprof_block_rate_get(void);

/*
 * goprof_mutex_fraction_set - sets the mutex profile's fraction, like Go's
 * runtime.SetMutexProfileFraction: on average 1 of @n contention events is recorded, with
 * the time the waiters spent, at the stack of the thread that released the lock; 0 turns
 * the profile off; a negative @n only reads the current value. The start value is
 * GOPROF_MUTEX_FRACTION (default 0, off).
 *
 * Returns the previous fraction. Works only while goprof writes a database (GOPROF_DB set
 * and usable); otherwise it changes nothing and returns 0. Thread-safe; not
 * async-signal-safe.
 */
GOPROF_API int goprof_mutex_fraction_set(int n);

/* goprof_mutex_fraction_get - the mutex profile's fraction, 0 when off. Thread-safe. */
GOPROF_API int goprof_mutex_fraction_get(void);

/* ---- labels (Go's pprof.Do and pprof.Labels) -------------------------------------------- */

/*
 * goprof_label_push - adds the label @key=@value to the calling thread's set, on top of
 * what is there: a key pushed again shadows its outer value until goprof_label_pop().
 * Every stack goprof records on this thread from now on carries the set: CPU samples, heap
 * and allocs (a block keeps the labels it was allocated with until it is freed), block and
 * mutex events, the threads it creates (threadcreate), its goroutine-profile entry and
 * custom-profile entries; pprof shows them as sample labels (-tagfocus, -tags). A thread
 * created while labels are set starts with them, as a goroutine does (and cannot pop them).
 * While an execution trace is on, each push and pop is a "label" log in it.
 * @key: not NULL, not empty; @value: not NULL; each at most 4095 bytes, copied
 *
 * Returns 0; -EINVAL for a bad argument; -ENOMEM when out of memory, or when the process
 * already made 2^20 distinct (set, key, value) pushes (each one is kept for the life of the
 * process: a label should name a kind of work, not one request). The first push of a
 * given key and value on a given set allocates; later ones do not, and take no lock.
 * Without a database (GOPROF_DB, GOPROF_HTTP) it only checks its arguments.
 * Thread-safe; not async-signal-safe.
 */
GOPROF_API int goprof_label_push(const char *key, const char *value);

/*
 * goprof_label_pop - undoes the calling thread's last goprof_label_push() that succeeded.
 * Does nothing when the thread has pushed nothing. Thread-safe; allocates nothing.
 */
GOPROF_API void goprof_label_pop(void);

#if defined(__GNUC__)
/* The cleanup of GOPROF_LABEL_SCOPE: pops what the scope pushed. */
static inline void goprof_label_scope_end_(const int *pushed)
{
	if (*pushed == 0)
		goprof_label_pop();
}

#define GOPROF_LABEL_CAT2_(a, b) a##b
#define GOPROF_LABEL_CAT_(a, b) GOPROF_LABEL_CAT2_(a, b)

/*
 * GOPROF_LABEL_SCOPE(key, value) - a statement that pushes @key=@value until the end of
 * the enclosing block, however the block is left (return, break, goto), like Go's
 * pprof.Do: { GOPROF_LABEL_SCOPE("handler", "search"); serve(req); }. GCC and Clang.
 */
#define GOPROF_LABEL_SCOPE(key, value)                                                     \
	__attribute__((cleanup(goprof_label_scope_end_))) const int GOPROF_LABEL_CAT_(      \
		goprof_label_scope_, __COUNTER__) = goprof_label_push((key), (value))
#endif

/* ---- custom profiles (Go's pprof.NewProfile) --------------------------------------------- */

/* A profile of the program's own (open connections, files...): see goprof_profile_new(). */
typedef struct goprof_profile goprof_profile;

/*
 * goprof_profile_new - makes a profile @name of the program's own, like Go's
 * pprof.NewProfile: a set of entries, each the stack (and labels) of the code that added
 * it, listed with its count in /debug/pprof/, served at /debug/pprof/NAME (?debug=0 pprof
 * with sample type NAME/count, ?debug=1 Go's count-profile text), exported by
 * `goprof-export -t NAME` and kept in the database's history (--at T).
 * @name: 1 to 63 of [A-Za-z0-9._-], not the name of a built-in profile or endpoint
 *
 * Returns the profile, which lives as long as the process; NULL with errno EINVAL for a
 * bad name, EEXIST for a name taken (built-in or made before), ENOSPC beyond 128 profiles,
 * ENOMEM. Works without a database too (counts only). Thread-safe.
 */
GOPROF_API goprof_profile *goprof_profile_new(const char *name);

/*
 * goprof_profile_add - adds the entry @key (any pointer: the connection, the FILE *...) to
 * @p with the calling thread's stack and labels, like Go's Profile.Add.
 * Returns 0; -EEXIST when @key is in @p already (Go panics); -EINVAL when @p is NULL;
 * -ENOMEM. Copies the stack; @key is never dereferenced. Thread-safe; not
 * async-signal-safe.
 */
GOPROF_API int goprof_profile_add(goprof_profile *p, const void *key);

/*
 * goprof_profile_remove - removes the entry @key from @p (Go's Profile.Remove).
 * Returns 0; -ENOENT when @key is not in @p; -EINVAL when @p is NULL. Thread-safe; not
 * async-signal-safe.
 */
GOPROF_API int goprof_profile_remove(goprof_profile *p, const void *key);

/* goprof_profile_count - the entries in @p now (Go's Profile.Count); 0 for NULL. Thread-safe. */
GOPROF_API long goprof_profile_count(const goprof_profile *p);

/* ---- execution trace (Go's runtime/trace) ----------------------------------------------- */

#define GOPROF_TRACE_GO 0	/* Go 1.19's execution-trace format, for `go tool trace` */
#define GOPROF_TRACE_JSON 1	/* trace-event JSON, for Perfetto and chrome://tracing */

/*
 * goprof_trace_start - starts an execution trace, like Go's trace.Start: from now on every
 * thread records when it blocks and wakes (locks, condition variables, sleeps, joins, and
 * reads, writes, polls, accepts... that take 10 us or more), creates or ends threads, the
 * tasks, regions and logs below, and, when CPU profiling is on, its CPU samples, each with
 * its call stack (the 64 innermost frames).
 * @path: the file goprof_trace_stop() writes; created (truncated) now
 * @format: GOPROF_TRACE_GO or GOPROF_TRACE_JSON
 *
 * Returns 0; -EBUSY when a trace is on already (Go says "tracing is already enabled"):
 * there is one trace at a time, GOPROF_TRACE's and the HTTP server's included; -EINVAL for
 * a bad argument; or the -errno of opening @path. Memory: each thread buffers at most
 * GOPROF_TRACE_BUFFER bytes (default 4 MiB); events beyond that are dropped and counted in
 * the trace. Thread-safe; not async-signal-safe.
 */
GOPROF_API int goprof_trace_start(const char *path, int format);

/*
 * goprof_trace_stop - stops the trace goprof_trace_start() (or GOPROF_TRACE) started and
 * writes its file. Returns 0, -EINVAL when no trace is on, -EBUSY when the trace on is the
 * HTTP server's, or -errno when writing failed. Thread-safe; not async-signal-safe.
 */
GOPROF_API int goprof_trace_stop(void);

/* goprof_trace_enabled - non-zero while a trace is on (Go's trace.IsEnabled). Signal-safe. */
GOPROF_API int goprof_trace_enabled(void);

/*
 * goprof_task_create - begins a task, a logical operation that may span threads (Go's
 * trace.NewTask).
 * @parent: the enclosing task's id, 0 for none
 * @name: the task's type, copied (the trace groups tasks by it)
 *
 * Returns the new task's id, never 0, also when no trace is on (then nothing is recorded).
 * End it with goprof_task_end(). Thread-safe; allocates nothing.
 */
GOPROF_API uint64_t goprof_task_create(uint64_t parent, const char *name);

/* goprof_task_end - ends the task @task (Go's Task.End). Thread-safe. */
GOPROF_API void goprof_task_end(uint64_t task);

/*
 * goprof_region_begin, goprof_region_end - a region of the calling thread's time (Go's
 * trace.StartRegion and Region.End), in task @task (0: none), named @name (copied).
 * Regions nest and end innermost first on the thread that began them, with the same task
 * and name. Thread-safe; allocate nothing.
 */
GOPROF_API void goprof_region_begin(uint64_t task, const char *name);
GOPROF_API void goprof_region_end(uint64_t task, const char *name);

/*
 * goprof_trace_log - a message in the trace (Go's trace.Log): @category (may be NULL) and
 * @message are copied, at most 4095 bytes each; @task is the task it belongs to, 0 for none.
 * Thread-safe; allocates nothing.
 */
GOPROF_API void goprof_trace_log(uint64_t task, const char *category, const char *message);

#ifdef __cplusplus
}
#endif

#endif
