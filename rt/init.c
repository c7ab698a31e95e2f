/*
 * Start-up: the definition of the thread-local word every instrumented function touches,
 * and the constructor that sets libgoprof up before the program's own constructors run
 * (priority 101; libgoprof.so is initialised before the objects that depend on it). Both
 * live in this file so that linking the static library pulls the constructor in with the
 * first reference to __goprof_sp.
 */
#include "config.h"

#include "gp-internal.h"

const void *gp_scratch[GP_SCRATCH_SLOTS];

GOPROF_API __thread const void **__goprof_sp __attribute__((tls_model("initial-exec"))) =
	gp_scratch;

__attribute__((constructor(101))) static void gp_init(void)
{
	gp_thread_init();
	gp_stack_attach(0);
}
