/*
 * Types and functions private to libgoprof (never installed).
 */
#ifndef GOPROF_RT_GP_INTERNAL_H
#define GOPROF_RT_GP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "goprof.h"
#include "gp-abi.h"

#define GP_HIDDEN __attribute__((visibility("hidden")))
#define GP_LIKELY(x) __builtin_expect(!!(x), 1)
#define GP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The shadow stack pointer the plugin's code pushes through (rt/gp-abi.h). */
extern GOPROF_API __thread const void **__goprof_sp __attribute__((tls_model("initial-exec")));

/* The stack of threads not set up yet, shared (see shadow.c). */
#define GP_SCRATCH_SLOTS (1u << 18)
extern GP_HIDDEN const void *gp_scratch[GP_SCRATCH_SLOTS];

/*
 * A thread's own shadow stack: slots [base, base + cap), followed by one guard page. Owned
 * by the thread; other threads only read it (the goroutine profile) without stopping it.
 */
struct gp_stack {
	const void **base;	/* first slot (the outermost frame) */
	size_t cap;		/* slots */
	size_t map_bytes;	/* the whole mapping, guard page included */
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

/* Points the calling thread back at the scratch stack and unmaps its own. Cold path. */
GP_HIDDEN void gp_stack_detach(void);

/*
 * The calling thread's stack bounds: slots [*base, *top). Async-signal-safe.
 */
GP_HIDDEN void gp_stack_bounds(const void ***base, const void ***top);

/* Decodes the record at p; returns 0, or -1 if p is not a function record. Signal-safe. */
GP_HIDDEN int gp_func_decode(const void *p, struct gp_func *out);

/* Installs the pthread_create interposition (thread.c); called once from the constructor. */
GP_HIDDEN void gp_thread_init(void);

#endif
