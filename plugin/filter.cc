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
