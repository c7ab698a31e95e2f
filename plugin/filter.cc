/*
 * What is never instrumented, and the names records carry.
 *
 * Like gimplify_function_tree() for -finstrument-functions, the no_instrument_function
 * attribute is looked up on the declaration itself: DECL_NO_INSTRUMENT_FUNCTION_ENTRY_EXIT
 * is set on every function when -finstrument-functions is off, so it tells nothing here.
 */
#include "plugin.h"

/* The runtime's own entry points: instrumenting a caller of them is fine, them never. */
static bool is_runtime_name(const char *name)
{
	return strncmp(name, "__goprof_", 9) == 0 || strncmp(name, "goprof_", 7) == 0;
}

static bool in_list(const vec<const char *> &list, const char *s, bool substring)
{
	for (const char *item : list) {
		if (substring ? strstr(s, item) != NULL : strcmp(s, item) == 0)
			return true;
	}
	return false;
}

/*
 * A module constructor or destructor GCC writes for itself (_sub_I_00099_0: ASan's,
 * gcov's) holds no code of the program's. Instrumenting it made every object built with
 * -fsanitize=address need libgoprof to link, even a configure probe's.
 */
bool gp_compiler_made(tree fndecl)
{
	const char *asm_name = IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl));

	return DECL_ARTIFICIAL(fndecl) &&
	       (DECL_STATIC_CONSTRUCTOR(fndecl) || DECL_STATIC_DESTRUCTOR(fndecl)) &&
	       strncmp(asm_name, "_sub_", 5) == 0;
}

const char *gp_filter_reason(tree fndecl)
{
	const char *asm_name = IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl));
	const char *file = DECL_SOURCE_FILE(fndecl);

	if (lookup_attribute("no_instrument_function", DECL_ATTRIBUTES(fndecl)))
		return "no_instrument_function";
	if (lookup_attribute("naked", DECL_ATTRIBUTES(fndecl)))
		return "naked";
	if (is_runtime_name(asm_name))
		return "goprof runtime";
	if (cfun->has_nonlocal_label)
		return "has a nonlocal label";
	if (in_list(gp_opts.exclude, gp_function_name(fndecl), false) ||
	    in_list(gp_opts.exclude, asm_name, false))
		return "exclude=";
	if (file && in_list(gp_opts.exclude_file, file, true))
		return "exclude-file=";
	return NULL;
}

const char *gp_function_name(tree fndecl)
{
	const char *asm_name = IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl));
	/* f.constprop.0, f.isra.0, f.part.0, _Z1fi.cold: the origin is what came before the dot. */
	const char *dot = strchr(asm_name, '.');
	char *base = dot ? xstrndup(asm_name, dot - asm_name) : xstrdup(asm_name);

	if (base[0] == '_' && base[1] == 'Z') {
		char *pretty = cplus_demangle(base, GP_DMGL_PARAMS | GP_DMGL_ANSI);
		if (pretty) {
			free(base);
			base = pretty;
		}
	}
	const char *name = ggc_strdup(base);
	free(base);
	return name;
}

/*
 * The library calls goprof's runtime interposes to profile them: allocation, thread
 * creation, waiting, sleeping, blocking I/O. Their caller is what a profile names, so a
 * caller stays on the shadow stack while they run, even when the call is in tail position.
 */
bool gp_keeps_caller(tree callee)
{
	static const char *const names[] = {
		"malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
		"memalign", "valloc", "pvalloc", "strdup", "strndup",
		"pthread_create", "thrd_create", "pthread_join", "pthread_timedjoin_np",
		"pthread_clockjoin_np", "thrd_join",
		"pthread_mutex_lock", "pthread_mutex_timedlock", "pthread_mutex_clocklock",
		"pthread_mutex_unlock", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock",
		"pthread_rwlock_timedrdlock", "pthread_rwlock_timedwrlock",
		"pthread_rwlock_clockrdlock", "pthread_rwlock_clockwrlock", "pthread_rwlock_unlock",
		"pthread_cond_wait", "pthread_cond_timedwait", "pthread_cond_clockwait",
		"sem_wait", "sem_timedwait", "sem_clockwait", "pthread_barrier_wait",
		"mtx_lock", "mtx_timedlock", "mtx_unlock", "cnd_wait", "cnd_timedwait",
		"nanosleep", "clock_nanosleep", "sleep", "usleep",
		"read", "write", "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg",
		"accept", "accept4", "connect", "poll", "ppoll", "select", "pselect",
		"epoll_wait", "epoll_pwait",
	};

	if (!callee || !DECL_EXTERNAL(callee) || !TREE_PUBLIC(callee))
		return false;
	const char *name = IDENTIFIER_POINTER(DECL_NAME(callee));
	for (const char *n : names)
		if (strcmp(name, n) == 0)
			return true;
	return false;
}
