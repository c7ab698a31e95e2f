/*
 * The dynamic linker's lookups, for a statically linked program (goprof-cc -static).
 *
 * Only libgoprof.a holds this file. There the interposers are renamed __wrap_fn
 * (rt/static-wrap.def; the Makefile renames libgoprof.a's symbols) and goprof-cc links with
 * -Wl,--wrap=fn for each, so that the program's calls, and the C library's own calls
 * between its archive members, reach them, while __real_fn is the C library's fn. The
 * same renaming makes the runtime's dlsym, dlvsym, dlopen, dladdr and dlerror these
 * functions:
 *  - dlsym(RTLD_NEXT, fn) is __real_fn for an interposed fn, fn itself for one libgoprof
 *    only calls, so that every wrapper finds what it forwards to exactly as it does in a
 *    shared libgoprof; any other name (RTLD_DEFAULT: the C++ demangler) is a weak
 *    reference, there when the program links it;
 *  - dlopen fails (the HTTP module needs the shared C library a static program does not
 *    have; GOPROF_HTTP says so in one line), dladdr knows nothing.
 * The functions run wherever the real ones would (constructor, first use in a wrapper);
 * they take no lock and allocate nothing.
 */
#include "config.h"

#include <dlfcn.h>
#include <string.h>

#define GP_WRAP(fn) extern char __real_##fn[];
#define GP_NEXT(fn) extern char fn[];
#include "static-wrap.def"
#undef GP_WRAP
#undef GP_NEXT

extern char __cxa_demangle[] __attribute__((weak));

struct next {
	const char *name;
	void *fn;
};

static const struct next nexts[] = {
#define GP_WRAP(fn) { #fn, __real_##fn },
#define GP_NEXT(fn) { #fn, fn },
#include "static-wrap.def"
#undef GP_WRAP
#undef GP_NEXT
	{ "__cxa_demangle", __cxa_demangle },
};

/* what the runtime calls instead of libdl (hidden, as everything but the API is) */
void *gp_static_dlsym(void *handle, const char *name);
void *gp_static_dlvsym(void *handle, const char *name, const char *version);
void *gp_static_dlopen(const char *path, int flags);
int gp_static_dladdr(const void *addr, Dl_info *info);
char *gp_static_dlerror(void);

/* dlsym, for RTLD_NEXT and RTLD_DEFAULT: the table; NULL for anything else */
void *gp_static_dlsym(void *handle, const char *name)
{
	if (handle != RTLD_NEXT && handle != RTLD_DEFAULT)
		return NULL;
	for (size_t i = 0; i < sizeof(nexts) / sizeof(nexts[0]); i++)
		if (strcmp(nexts[i].name, name) == 0)
			return nexts[i].fn;
	return NULL;
}

/* dlvsym: a static C library has one version of each function, the current one */
void *gp_static_dlvsym(void *handle, const char *name, const char *version)
{
	(void)version;
	return gp_static_dlsym(handle, name);
}

void *gp_static_dlopen(const char *path, int flags)
{
	(void)path;
	(void)flags;
	return NULL;
}

int gp_static_dladdr(const void *addr, Dl_info *info)
{
	(void)addr;
	memset(info, 0, sizeof(*info));
	return 0;
}

char *gp_static_dlerror(void)
{
	return (char *)"a statically linked program cannot load shared objects (link it "
		       "dynamically to serve /debug/pprof)";
}
