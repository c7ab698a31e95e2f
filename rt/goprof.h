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

#ifdef __cplusplus
}
#endif

#endif
