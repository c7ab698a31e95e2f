/*
 * Declarations shared by the plugin's files: the parsed options and the pass factory.
 */
#ifndef GOPROF_PLUGIN_PLUGIN_H
#define GOPROF_PLUGIN_PLUGIN_H

#include "gcc-compat.h"

/* -fplugin-arg-goprof-* settings, fixed once plugin_init returns. */
struct gp_options {
	bool skip_leaf;			/* leave leaf and tail-call-only functions alone */
	bool branch_push;		/* a push per branch with calls, off a call-free path */
	bool initial_exec;		/* objects for a shared library built without -fPIC */
	bool count_pops;		/* executables' pops decrement where they may (can_count) */
	bool got_record;		/* PIE executables push GOT-relative records (gp-abi.h) */
	bool verbose;			/* a note for each function skipped, and why */
	bool nop_record;		/* measurement only: the record's store made NOPs */
	bool nop_pointer;		/* measurement only: the pointer's add and subtract NOPs */
	vec<const char *> exclude;	/* function names never instrumented */
	vec<const char *> exclude_file;	/* source-path substrings never instrumented */
};

extern struct gp_options gp_opts;

/* Whether a function is one GCC made for itself, a sanitizer's module constructor (filter.cc). */
bool gp_compiler_made(tree fndecl);

/* Why a function is not instrumented, or NULL when it is (filter.cc). */
const char *gp_filter_reason(tree fndecl);

/* The name a record carries: the source-level name, clone suffixes removed (filter.cc). */
const char *gp_function_name(tree fndecl);

/* Does a call of callee keep its caller on the shadow stack, even as a tail call? */
bool gp_keeps_caller(tree callee);

/* The late instrumentation pass (instrument.cc). */
gimple_opt_pass *gp_make_instrument_pass(gcc::context *ctxt);

/* GC roots for the trees instrument.cc keeps across functions. */
extern const struct ggc_root_tab gp_instrument_roots[];

#endif
