/*
 * With -fplugin-arg-goprof-leaves a function that makes no call (or calls only cheap
 * builtins) is on the stack while it runs, as every other function is: a signal handler
 * that interrupts it sees it under the handler. The program is 0016's, built for leaves.
 *
 * goprof-opts: -O0 -O2
 * goprof-plugin-args: leaves
 * goprof-cflags: -DGP_LEAVES
 */
#include "0016-skip-leaf.c"
