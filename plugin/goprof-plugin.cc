/*
 * goprof.so: the GCC plugin. plugin_init checks the GCC version, parses the
 * -fplugin-arg-goprof-* options strictly and registers the instrumentation pass right after
 * "optimized" (instrument.cc), plus the LTO guard that makes an LTO link without the plugin
 * fail by name.
 */
#include "plugin.h"
#include "plugin-version.h"
#include "../rt/gp-abi.h"

int plugin_is_GPL_compatible;

/*
 * Leaves are skipped by default: a function that makes no non-tail call can only ever be the
 * innermost frame, where a CPU sample names it from its PC, and nothing else it does can look
 * at the stack. Measured with callgrind (bench/bench.sh): speedtest1 +13 % instructions over
 * plain with leaves, +7 % without; Lua +19 % and +12 %.
 */
struct gp_options gp_opts = { .skip_leaf = true, .branch_push = true, .count_pops = true,
			      .got_record = true };

static const char help_text[] =
	"goprof: shadow-stack instrumentation for Go-style profiles (link with -lgoprof)\n"
	"  -fplugin-arg-goprof-exclude=NAME[,NAME...]       never instrument these functions\n"
	"  -fplugin-arg-goprof-exclude-file=SUBSTR[,...]    never instrument functions whose\n"
	"                                                   source path contains SUBSTR\n"
	"  -fplugin-arg-goprof-leaves                       instrument leaf and tail-call-only\n"
	"                                                   functions too (exact stacks for\n"
	"                                                   signal handlers, dearer)\n"
	"  -fplugin-arg-goprof-skip-leaf                    leave them alone (the default)\n"
	"  -fplugin-arg-goprof-no-branch-push               one push for all of a function's\n"
	"                                                   calls, never one per branch\n"
	"  -fplugin-arg-goprof-branch-push                  a push per branch where the\n"
	"                                                   estimated profile favours it\n"
	"                                                   (the default)\n"
	"  -fplugin-arg-goprof-initial-exec                 code for a shared library though\n"
	"                                                   compiled without -fPIC (otherwise\n"
	"                                                   such code is taken to be for an\n"
	"                                                   executable: local-exec TLS)\n"
	"  -fplugin-arg-goprof-no-got-record                in a PIE executable push the\n"
	"                                                   record's address (lea and store)\n"
	"                                                   instead of its GOT offset\n"
	"  -fplugin-arg-goprof-got-record                   push the GOT offset, one\n"
	"                                                   instruction (the default)\n"
	"  -fplugin-arg-goprof-verbose                      note every function skipped,\n"
	"                                                   and each pushed per branch\n"
	"  -fplugin-arg-goprof-restore-pops                 in an executable, every pop stores\n"
	"                                                   the pointer the push read back: one\n"
	"                                                   instruction and a saved register more\n"
	"                                                   a call, no wait from a pop to the\n"
	"                                                   next push (tight loops of calls)\n"
	"  -fplugin-arg-goprof-count-pops                   pops decrement where they may (the\n"
	"                                                   default)\n"
	"  -fplugin-arg-goprof-measure-nops=WHAT            for measuring only, the stacks\n"
	"                                                   are wrong: the push's store of the\n"
	"                                                   record (WHAT=record), the adds and\n"
	"                                                   subtracts of the stack pointer\n"
	"                                                   (pointer) or both (both) become NOPs\n"
	"                                                   of the same size (a PIE executable's\n"
	"                                                   default push and pop)\n"
	"  -fplugin-arg-goprof-help                         print this text\n";

static struct plugin_info gp_plugin_info = { "0.1.0", help_text };

/* Splits a comma-separated value into list; false if an element is empty. */
static bool split_list(const char *value, vec<const char *> *list)
{
	char *copy = xstrdup(value);
	bool ok = true;

	for (char *s = copy, *comma; s; s = comma) {
		comma = strchr(s, ',');
		if (comma)
			*comma++ = '\0';
		if (!*s)
			ok = false;
		else
			list->safe_push(xstrdup(s));
	}
	free(copy);
	return ok;
}

static bool parse_args(const char *plugin_name, int argc, struct plugin_argument *argv)
{
	bool ok = true;

	for (int i = 0; i < argc; i++) {
		const char *key = argv[i].key, *value = argv[i].value;
		bool is_list = !strcmp(key, "exclude") || !strcmp(key, "exclude-file");
		bool is_nops = !strcmp(key, "measure-nops");
		bool is_switch = !strcmp(key, "skip-leaf") || !strcmp(key, "leaves") ||
				 !strcmp(key, "branch-push") || !strcmp(key, "no-branch-push") ||
				 !strcmp(key, "initial-exec") || !strcmp(key, "verbose") ||
				 !strcmp(key, "got-record") || !strcmp(key, "no-got-record") ||
				 !strcmp(key, "count-pops") || !strcmp(key, "restore-pops") ||
				 !strcmp(key, "help");

		if (is_nops) {
			bool both = value && !strcmp(value, "both");
			gp_opts.nop_record = both || (value && !strcmp(value, "record"));
			gp_opts.nop_pointer = both || (value && !strcmp(value, "pointer"));
			if (!gp_opts.nop_record && !gp_opts.nop_pointer) {
				error("option %<-fplugin-arg-%s-%s%> needs %<=record%>, "
				      "%<=pointer%> or %<=both%>", plugin_name, key);
				ok = false;
			}
		} else if (!is_list && !is_switch) {
			error("unknown option %<-fplugin-arg-%s-%s%> (see %<-fplugin-arg-%s-help%>)",
			      plugin_name, key, plugin_name);
			ok = false;
		} else if (is_switch && value) {
			error("option %<-fplugin-arg-%s-%s%> takes no value, got %qs", plugin_name,
			      key, value);
			ok = false;
		} else if (is_list && (!value || !*value)) {
			error("option %<-fplugin-arg-%s-%s%> needs a value: %<%s=A,B,...%>",
			      plugin_name, key, key);
			ok = false;
		} else if (!strcmp(key, "exclude") || !strcmp(key, "exclude-file")) {
			vec<const char *> *list = !strcmp(key, "exclude") ? &gp_opts.exclude
									 : &gp_opts.exclude_file;
			if (!split_list(value, list)) {
				error("option %<-fplugin-arg-%s-%s%> has an empty element in %qs",
				      plugin_name, key, value);
				ok = false;
			}
		} else if (!strcmp(key, "skip-leaf") || !strcmp(key, "leaves")) {
			gp_opts.skip_leaf = !strcmp(key, "skip-leaf");
		} else if (!strcmp(key, "branch-push") || !strcmp(key, "no-branch-push")) {
			gp_opts.branch_push = !strcmp(key, "branch-push");
		} else if (!strcmp(key, "got-record") || !strcmp(key, "no-got-record")) {
			gp_opts.got_record = !strcmp(key, "got-record");
		} else if (!strcmp(key, "count-pops") || !strcmp(key, "restore-pops")) {
			gp_opts.count_pops = !strcmp(key, "count-pops");
		} else if (!strcmp(key, "initial-exec")) {
			gp_opts.initial_exec = true;
		} else if (!strcmp(key, "verbose")) {
			gp_opts.verbose = true;
		} else {
			fputs(help_text, stderr);
		}
	}
	return ok;
}

/*
 * When cc1 writes LTO objects, the pass runs again in lto1 at link time, and GCC's linker
 * plugin does that link-time optimisation whenever an object holds LTO code, with or
 * without -flto on the link line. Each such object gets a used, hidden reference to the
 * guard symbol, which only a run of the plugin defines after the LTO code is written (in
 * lto1, or for the machine code of -ffat-lto-objects in cc1): linking without
 * -fplugin=goprof then fails with "undefined reference to
 * __goprof_lto_link_needs_fplugin_goprof", while a fat object linked with -fno-lto
 * brings its own definition.
 */
static void add_lto_guard_reference(void *, void *)
{
	static bool done;
	if (done || in_lto_p || !flag_generate_lto)
		return;
	done = true;

	tree target = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier(GP_LTO_GUARD_SYMBOL),
				 char_type_node);
	TREE_PUBLIC(target) = 1;
	DECL_EXTERNAL(target) = 1;
	DECL_ARTIFICIAL(target) = 1;

	tree ref = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier("__goprof_lto_guard_ref"),
			      ptr_type_node);
	TREE_STATIC(ref) = 1;
	TREE_USED(ref) = 1;
	DECL_ARTIFICIAL(ref) = 1;
	DECL_PRESERVE_P(ref) = 1;
	TREE_READONLY(ref) = 1;
	DECL_INITIAL(ref) = build_fold_addr_expr_with_type(target, ptr_type_node);
	varpool_node::finalize_decl(ref);
	varpool_node *node = varpool_node::get(ref);
	node->force_output = 1;
	/*
	 * finalize_decl analyzes a variable only from state IPA_SSA on; this callback runs
	 * earlier, and without analysis the initializer's reference to the guard is never
	 * recorded, so the guard stays out of the object's LTO symbol table and the linker
	 * never asks for it.
	 */
	if (!node->analyzed)
		node->analyze();
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	struct plugin_gcc_version built_for = gcc_version;

#ifdef GP_TEST_FAKE_BASEVER
	/* Test builds only (testsuite/cases/0020-version-mismatch.sh): claim another GCC. */
	built_for.basever = GP_TEST_FAKE_BASEVER;
#endif
	if (!plugin_default_version_check(version, &built_for)) {
		error("goprof: plugin built for GCC %s cannot run in GCC %s; rebuild goprof with "
		      "this compiler",
		      built_for.basever, version->basever);
		return 1;
	}
	if (!parse_args(info->base_name, info->argc, info->argv))
		return 1;

	register_callback(info->base_name, PLUGIN_INFO, NULL, &gp_plugin_info);
	register_callback(info->base_name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
			  (void *)gp_instrument_roots);
	register_callback(info->base_name, PLUGIN_ALL_IPA_PASSES_START, add_lto_guard_reference,
			  NULL);

	struct register_pass_info pass = {
		gp_make_instrument_pass(g),
		"optimized",
		1,
		PASS_POS_INSERT_AFTER,
	};
	register_callback(info->base_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pass);
	return 0;
}
