/*
 * The GCC headers the plugin needs, in the order GCC requires, and the one place that may
 * test BUILDING_GCC_VERSION. goprof is built and tested against GCC 12; other versions
 * refuse to load (see plugin_init), so no compatibility shims are needed yet.
 */
#ifndef GOPROF_PLUGIN_GCC_COMPAT_H
#define GOPROF_PLUGIN_GCC_COMPAT_H

#include "gcc-plugin.h"
#include "tree.h"
#include "stringpool.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "cfghooks.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "ssa.h"
#include "tree-cfg.h"
#include "tree-eh.h"
#include "tree-into-ssa.h"
#include "cgraph.h"
#include "varasm.h"
#include "attribs.h"
#include "langhooks.h"
#include "diagnostic-core.h"
#include "builtins.h"
#include "calls.h"
#include "ggc.h"
#include "toplev.h"
#include "output.h"

/*
 * libiberty's demangler is linked into cc1, cc1plus and lto1, but the plugin headers do not
 * ship demangle.h; these two flags and the prototype are its stable interface.
 */
#define GP_DMGL_PARAMS (1 << 0)
#define GP_DMGL_ANSI (1 << 1)
extern "C" char *cplus_demangle(const char *mangled, int options);

#if BUILDING_GCC_VERSION < 12000
#error "goprof needs GCC 12 or later"
#endif

#endif
