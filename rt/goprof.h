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

#ifdef __cplusplus
}
#endif

#endif
