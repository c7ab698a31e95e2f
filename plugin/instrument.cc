/*
 * The late GIMPLE pass that keeps the shadow stack: an inline push where a function starts
 * and a restore-pop wherever it leaves, no calls (rt/gp-abi.h has the contract).
 *
 * It runs right after "optimized", just before expansion: inlining is done, so inlined
 * callees cost nothing (their code is the caller's), and tail calls are already marked.
 *
 *	int f(int x)			int f(int x)
 *	{				{
 *					  p = __goprof_sp;	(volatile)
 *					  *p = &record_f;	(volatile)
 *					  __goprof_sp = p + 1;	(volatile)
 *	  if (x < 0)			  if (x < 0) {
 *	    return -1;			    __goprof_sp = p; return -1; }
 *	  if (setjmp(jb))		  r = setjmp(jb); __goprof_sp = p + 1;
 *	    ...				  if (r) ...
 *	  g(x);				  g(x);
 *	  return h(x);	(tail call)	  __goprof_sp = p; return h(x);
 *	}				}
 *
 * and `__goprof_sp = p + 1` at the top of every EH landing pad. In code for an executable, a
 * function without tail calls, setjmp or landing pads counts instead (can_count()):
 * `*p = &record_f; __goprof_sp += 1` at the push and `__goprof_sp -= 1` at each pop, each
 * step one instruction on the word in memory, so that no register holds p. Every access is volatile:
 * in a leaf, GCC would otherwise see two stores to the same word with no read between and
 * drop the first; the slot store must also stay ahead of the pointer bump, so that a signal
 * handler reading the stack never sees a slot that is not written yet. A statement placed
 * after a call marked tail is dropped at expansion, hence the pop before tail calls; and the
 * pop restores rather than decrements, so a missed pop (longjmp, exception) heals itself.
 *
 * The push need not be at entry (place_pushes()): it goes to the block that dominates every
 * call, or, where the calls sit in separate branches off a path that makes none, into each
 * such branch right before its first call, with pops on every way out of each region:
 *
 *	int g(int k)			int g(int k)
 *	{				{
 *	  switch (k) {			  switch (k) {
 *	  case 0: return 1;		  case 0: return 1;
 *	  case 1: return a(k) + 1;	  case 1: push; r = a(k); pop; return r + 1;
 *	  case 2: return b(k) * 2;	  case 2: push; r = b(k); pop; return r * 2;
 *	  default: return k;		  default: return k;
 *	  }				  }
 *	}				}
 */
#include "plugin.h"
#include "../rt/gp-abi.h"

/* The thread-local stack pointer, one decl per translation unit (a GC root). */
static tree sp_decl;
/* sp_decl is local-exec: this translation unit is compiled for an executable. */
static bool sp_local_exec;
/* The weak definition of the LTO guard, once per lto1 run. */
static tree lto_guard_def;

const struct ggc_root_tab gp_instrument_roots[] = {
	{ &sp_decl, 1, sizeof(sp_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
	{ &lto_guard_def, 1, sizeof(lto_guard_def), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
	LAST_GGC_ROOT_TAB
};

static tree slot_ptr_type(void)
{
	return build_pointer_type(ptr_type_node);
}

/*
 * Is this object headed for an executable? cc1 cannot see the link, so it goes by the
 * code it is asked for: -fPIC/-fpic code (flag_shlib) may end up in a shared library,
 * -fPIE and non-PIC code only in an executable. A one-command `gcc -shared x.c` compiles
 * -fPIE code where PIE is the default (Debian) and links it into a library anyway, so a
 * -shared on the driver's command line (COLLECT_GCC_OPTIONS, which the driver passes to
 * cc1) counts too; lto1 knows the link's output and sets flag_shlib itself.
 */
static bool for_executable(void)
{
	if (flag_shlib || gp_opts.initial_exec)
		return false;
	const char *opts = getenv("COLLECT_GCC_OPTIONS");
	return !(opts && strstr(opts, "'-shared'"));
}

/* A declaration of a variable another object defines. */
static tree extern_variable(const char *name, tree type)
{
	tree decl = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier(name), type);
	TREE_PUBLIC(decl) = 1;
	DECL_EXTERNAL(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	return decl;
}

/*
 * The stack pointer. In code for a shared library it is an external initial-exec word,
 * defined by libgoprof.so: two instructions to reach (its offset from the GOT, then the
 * word), and a register holding the offset while the function runs, for the pops.
 *
 * In code for an executable it is local-exec (one instruction, %fs:OFFSET, no register),
 * which the linker resolves only against a definition in the executable itself. So each
 * such object also carries a weak definition, initialised like the runtime's own to the
 * shared scratch stack: the linker keeps one, the executable exports it because
 * libgoprof.so defines the same name, and the runtime and every shared library then reach
 * the executable's word through their initial-exec GOT entries. An executable that was not
 * compiled with the plugin has no definition, and libgoprof.so's own serves everyone, as
 * for a dlopen()ed instrumented library. Linked statically, the runtime's strong
 * definition wins over the weak ones.
 */
static tree get_sp_decl(void)
{
	if (sp_decl)
		return sp_decl;
	tree decl = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier(GP_SP_SYMBOL),
			       slot_ptr_type());
	TREE_PUBLIC(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	TREE_THIS_VOLATILE(decl) = 1;
	TREE_SIDE_EFFECTS(decl) = 1;
	if (for_executable()) {
		tree scratch = extern_variable(GP_SCRATCH_SYMBOL, ptr_type_node);
		TREE_STATIC(decl) = 1;
		DECL_WEAK(decl) = 1;
		DECL_PRESERVE_P(decl) = 1;
		DECL_INITIAL(decl) = build_fold_addr_expr_with_type(scratch, slot_ptr_type());
		set_decl_tls_model(decl, TLS_MODEL_LOCAL_EXEC);
		TREE_ADDRESSABLE(decl) = 1;
		varpool_node::add(decl);
		sp_local_exec = true;
	} else {
		DECL_EXTERNAL(decl) = 1;
		set_decl_tls_model(decl, TLS_MODEL_INITIAL_EXEC);
	}
	sp_decl = decl;
	return decl;
}

/* Whether pushes store GOT offsets instead of addresses (rt/gp-abi.h). */
static bool got_records(void)
{
	return gp_opts.got_record && flag_pic && for_executable();
}

/*
 * A variable the plugin defines in this unit, holding init and kept even if unreferenced;
 * the caller sets what else it is (public, weak, section) and then adds it to the varpool.
 */
static tree new_kept_variable(const char *name, tree type, tree init)
{
	tree decl = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier(name), type);
	TREE_STATIC(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	DECL_PRESERVE_P(decl) = 1;
	DECL_INITIAL(decl) = init;
	return decl;
}

/* A weak, public definition of name, kept even if unreferenced, added to this unit. */
static tree add_weak_definition(const char *name, tree type, tree init, bool visible)
{
	tree decl = new_kept_variable(name, type, init);
	TREE_PUBLIC(decl) = 1;
	DECL_WEAK(decl) = 1;
	if (visible) {
		DECL_VISIBILITY(decl) = VISIBILITY_DEFAULT;
		DECL_VISIBILITY_SPECIFIED(decl) = 1;
	}
	varpool_node::add(decl);
	return decl;
}

/*
 * The object's weak GP_GOT_SYMBOL: _GLOBAL_OFFSET_TABLE_ as the initial value, which the
 * assembler makes PC-relative (R_X86_64_GOTPC64): the table's address minus the word's.
 * Visible whatever -fvisibility says, so that the executable exports it to libgoprof.
 */
static tree got_anchor_decl;

static void get_got_anchor(void)
{
	if (got_anchor_decl)
		return;
	tree got = extern_variable("_GLOBAL_OFFSET_TABLE_", char_type_node);
	got_anchor_decl = add_weak_definition(
		GP_GOT_SYMBOL, ptr_type_node, build_fold_addr_expr_with_type(got, ptr_type_node),
		true);
}

static void put_le32(char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* The source file as an absolute path, like DW_AT_comp_dir joined with DW_AT_name. */
static char *absolute_file(const char *file)
{
	if (!file || !*file)
		return xstrdup("");
	if (IS_ABSOLUTE_PATH(file))
		return xstrdup(file);
	return concat(get_src_pwd(), "/", file, NULL);
}

/* One read-only record in GP_FUNC_SECTION: header, name, file, padding. */
static tree build_record(tree fndecl, unsigned flags)
{
	static unsigned counter;
	const char *name = gp_function_name(fndecl);
	char *file = absolute_file(DECL_SOURCE_FILE(fndecl));
	size_t name_len = strlen(name) + 1, file_len = strlen(file) + 1;
	size_t size = (GP_FUNC_HEADER_SIZE + name_len + file_len + GP_FUNC_ALIGN - 1) &
		      ~(size_t)(GP_FUNC_ALIGN - 1);
	char *buf = XCNEWVEC(char, size);

	put_le32(buf, GP_FUNC_MAGIC);
	put_le32(buf + 4, size);
	put_le32(buf + 8, DECL_SOURCE_LINE(fndecl));
	put_le32(buf + 12, flags);
	memcpy(buf + GP_FUNC_HEADER_SIZE, name, name_len);
	memcpy(buf + GP_FUNC_HEADER_SIZE + name_len, file, file_len);

	tree type = build_array_type_nelts(char_type_node, size);
	tree init = build_string(size, buf);
	TREE_TYPE(init) = type;
	TREE_CONSTANT(init) = 1;
	TREE_STATIC(init) = 1;
	free(buf);
	free(file);

	char label[64];
	snprintf(label, sizeof(label), "__goprof_func.%u", counter++);
	tree decl = new_kept_variable(label, type, init);
	TREE_READONLY(decl) = 1;
	TREE_USED(decl) = 1;
	TREE_ADDRESSABLE(decl) = 1;
	DECL_IGNORED_P(decl) = 1;
	SET_DECL_ALIGN(decl, GP_FUNC_ALIGN * BITS_PER_UNIT);
	DECL_USER_ALIGN(decl) = 1;
	set_decl_section_name(decl, GP_FUNC_SECTION);
	varpool_node::add(decl);
	return decl;
}

/*
 * Objects compiled with -flto reference the guard symbol (see goprof-plugin.cc), which
 * exists only where this pass ran after the LTO code was written: in lto1, and in cc1 for
 * the machine code of a fat LTO object (a definition added now is no part of its LTO code).
 */
static void define_lto_guard(void)
{
	if (!(in_lto_p || (flag_generate_lto && flag_fat_lto_objects)) || lto_guard_def)
		return;
	lto_guard_def = add_weak_definition(GP_LTO_GUARD_SYMBOL, char_type_node,
					    build_zero_cst(char_type_node), false);
}

/* A call that leaves this frame on the stack while the callee runs. */
static bool is_real_call(gimple *stmt)
{
	if (gimple_call_internal_p(stmt))
		return false;
	tree fndecl = gimple_call_fndecl(stmt);
	if (fndecl && fndecl_built_in_p(fndecl) && is_inexpensive_builtin(fndecl))
		return false;
	/*
	 * A const function of a system library cannot allocate, lock or call back into the
	 * program: its frame is only ever the innermost, where a sample names it from its PC.
	 * (isalpha() and errno are calls to glibc's const __ctype_b_loc() and
	 * __errno_location().) Not the program's own const functions: they may call others,
	 * and GCC also finds functions const by itself (a recursive fib is one).
	 */
	if (fndecl && DECL_EXTERNAL(fndecl) && DECL_IN_SYSTEM_HEADER(fndecl) &&
	    (flags_from_decl_or_type(fndecl) & ECF_CONST))
		return false;
	return true;
}

/*
 * A part that ipa-split cut off this function (f.part.0 of f). The part is instrumented
 * and named f, because its header is often inlined into f's callers, which then call the
 * part directly: without its own frame its callees would show under f's caller. When f
 * itself calls the part, f steps aside for the call (a pop before, a re-push after: the
 * part is the cold path), so that the stack reads caller > f, never caller > f > f.
 */
static bool is_own_split_part(tree fndecl, tree callee)
{
	cgraph_node *node = callee ? cgraph_node::get(callee) : NULL;
	if (!node || !node->split_part)
		return false;
	return strcmp(gp_function_name(callee), gp_function_name(fndecl)) == 0;
}

/*
 * A tail call of a function the runtime profiles (gp_keeps_caller) becomes an ordinary
 * call: its caller must be on the stack the profile records (a thread created, a lock
 * waited for, a block allocated by a function that ends with that call). These calls cost
 * far more than the frame the tail call would have saved.
 */
static void keep_callers(function *fun)
{
	basic_block bb;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gcall *call = dyn_cast<gcall *>(gsi_stmt(gsi));
			if (call && gimple_call_tail_p(call) && !gimple_call_must_tail_p(call) &&
			    gp_keeps_caller(gimple_call_fndecl(call)))
				gimple_call_set_tail(call, false);
		}
	}
}

struct call_census {
	unsigned real;		/* calls that keep this frame on the stack */
	unsigned tail;		/* tail calls and calls of the function's own split part */
	unsigned own_part;	/* of which calls of the function's own split part */
};

static call_census count_calls(function *fun)
{
	call_census c = { 0, 0, 0 };
	basic_block bb;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (!is_gimple_call(stmt) || !is_real_call(stmt))
				continue;
			/* f steps aside while its own split part runs, as for a tail call. */
			if (is_own_split_part(fun->decl, gimple_call_fndecl(stmt))) {
				c.tail++;
				c.own_part++;
			} else if (gimple_call_tail_p(as_a<gcall *>(stmt))) {
				c.tail++;
			} else {
				c.real++;
			}
		}
	}
	return c;
}

static gassign *set_sp(tree value)
{
	return gimple_build_assign(get_sp_decl(), value);
}

/*
 * sp += delta slots, as one instruction that adds to the word in memory (addq $8,
 * %fs:__goprof_sp@tpoff). A volatile access in GIMPLE is a load, an add and a store in three
 * instructions, with a register; an asm statement is the only way to ask for the
 * read-modify-write form. Volatile asm with the word as memory output: it is neither
 * dropped nor moved across the volatile slot store before it (the scheduler treats a
 * volatile asm as a barrier for memory).
 */
static gasm *step_sp(int delta)
{
	const char *text = delta > 0 ? "{addq $8, %0|add %0, 8}" : "{subq $8, %0|sub %0, 8}";
	/* measure-nops=pointer: the same 10 bytes (an add of an immediate to a TLS word) */
	if (gp_opts.nop_pointer)
		text = "# %0\n\t.nops 10";
	vec<tree, va_gc> *outputs = NULL;
	vec_safe_push(outputs, build_tree_list(build_tree_list(NULL_TREE, build_string(3, "=m")),
					       get_sp_decl()));
	gasm *g = gimple_build_asm_vec(text, NULL, outputs, NULL, NULL);
	gimple_asm_set_volatile(g, true);
	return g;
}

/* After a statement that may end its block, on the edge taken when it returns normally. */
static void insert_after_call(gimple_stmt_iterator *gsi, gimple *g)
{
	gimple *stmt = gsi_stmt(*gsi);
	if (!stmt_ends_bb_p(stmt)) {
		gsi_insert_after(gsi, g, GSI_SAME_STMT);
		return;
	}
	edge e;
	edge_iterator ei;
	FOR_EACH_EDGE(e, ei, gimple_bb(stmt)->succs) {
		if (!(e->flags & (EDGE_ABNORMAL | EDGE_EH))) {
			gsi_insert_on_edge(e, g);
			return;
		}
	}
}

/* The block the function starts with (a loop may come back to it). */
static basic_block first_block(function *fun)
{
	return single_succ(ENTRY_BLOCK_PTR_FOR_FN(fun));
}

/*
 * A call that never comes back into this function: noreturn, and no exception from it
 * lands here. Error paths (Lua's luaL_error, abort) end with one; such a call gets a push
 * of its own right before it and needs no pop (the path ends: longjmp to a setjmp whose
 * re-sync fixes the stack, or exit), so it does not drag the push onto the fast path.
 */
static bool ends_path(function *fun, gimple *stmt)
{
	return (gimple_call_flags(stmt) & ECF_NORETURN) &&
	       !gimple_call_tail_p(as_a<gcall *>(stmt)) && !stmt_can_throw_internal(fun, stmt);
}

/*
 * Where the pushes go: the roots of regions (a root with every block it dominates), each
 * pushed at its top and popped on every way out, plus the calls that end a path outside
 * them (ends_path()), each pushed right before it. Outside the regions the function is not
 * on the shadow stack; a CPU sample there names it from its PC, as for a leaf. Every call
 * that keeps the frame on the stack is inside a region, so the stack is exact at each call.
 */
struct placement {
	auto_vec<basic_block> roots;	/* the first block: the whole function, one push */
	auto_vec<gimple *> local;	/* calls ending a path outside every region */
	unsigned branches;		/* roots that are a call each (branch_roots()), or 0 */
};

/*
 * The calls that keep this frame on the stack: the blocks of those that return into
 * with_calls, those that end a path into ends. False when the function calls itself.
 */
static bool find_calls(function *fun, bitmap with_calls, vec<gimple *> *ends)
{
	basic_block bb;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (!is_gimple_call(stmt) || !is_real_call(stmt) ||
			    gimple_call_tail_p(as_a<gcall *>(stmt)))
				continue;
			if (gimple_call_fndecl(stmt) == fun->decl)
				return false;
			if (ends_path(fun, stmt))
				ends->safe_push(stmt);
			else
				bitmap_set_bit(with_calls, bb->index);
		}
	}
	return true;
}

/* Can d be reached again from one of its successors? */
static bool in_loop(basic_block d)
{
	auto_bitmap seen;
	auto_vec<basic_block> work;
	work.safe_push(d);
	while (!work.is_empty()) {
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, work.pop()->succs) {
			if (e->dest == d)
				return true;
			if (bitmap_set_bit(seen, e->dest->index))
				work.safe_push(e->dest);
		}
	}
	return false;
}

/*
 * Does an EH or abnormal edge leave the region of root (no statement can go on it)? An
 * edge back to root itself counts as leaving when root is to be split (branch_roots()).
 */
static bool leaves_abnormally(function *fun, basic_block root, bool split)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun) {
		if (!dominated_by_p(CDI_DOMINATORS, bb, root))
			continue;
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->succs) {
			if ((e->flags & (EDGE_EH | EDGE_ABNORMAL)) &&
			    (!dominated_by_p(CDI_DOMINATORS, e->dest, root) ||
			     (split && e->dest == root)))
				return true;
		}
	}
	return false;
}

/*
 * One region: the block that dominates every call in with_calls. The first block (a push at
 * entry) when that is the first block anyway, when it is in a loop (it would push again
 * each time round without a pop between), when it is a landing pad or the target of an
 * abnormal edge, or when the region is left along an EH or abnormal edge.
 */
static basic_block single_root(function *fun, bitmap with_calls)
{
	basic_block first = first_block(fun);
	basic_block d = nearest_common_dominator_for_set(CDI_DOMINATORS, with_calls);
	if (!d || d == first || bb_has_abnormal_pred(d) || bb_has_eh_pred(d) || in_loop(d) ||
	    leaves_abnormally(fun, d, false))
		return first;
	return d;
}

/* The first call in bb that keeps the frame on the stack. */
static gimple *first_call(function *fun, basic_block bb)
{
	for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
		gimple *stmt = gsi_stmt(gsi);
		if (is_gimple_call(stmt) && is_real_call(stmt) &&
		    !gimple_call_tail_p(as_a<gcall *>(stmt)) && !ends_path(fun, stmt))
			return stmt;
	}
	gcc_unreachable();
}

/* Is there a way from entry to a return that passes none of the blocks in stop? */
static bool path_avoiding(function *fun, bitmap stop)
{
	auto_bitmap seen;
	auto_vec<basic_block> work;
	work.safe_push(ENTRY_BLOCK_PTR_FOR_FN(fun));
	while (!work.is_empty()) {
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, work.pop()->succs) {
			if (e->dest == EXIT_BLOCK_PTR_FOR_FN(fun))
				return true;
			if (!bitmap_bit_p(stop, e->dest->index) &&
			    bitmap_set_bit(seen, e->dest->index))
				work.safe_push(e->dest);
		}
	}
	return false;
}

/*
 * A push per branch: the functions whose calls sit in separate branches off a path that
 * makes none (a switch with a call in two cases, a lookup whose miss calls out) would
 * otherwise push at entry on every call, the call-free path too. Each block with calls
 * that no other such block dominates becomes a region of its own, split right before its
 * first call so that the region has one way in (its root then is never the target of a
 * loop's back edge, a landing pad or a computed goto). Chosen only when the estimated
 * profile says so: a way from entry to a return through none of them exists and the
 * blocks' estimated frequencies add up to less than that of the single region's root
 * (calls in a loop that runs often add up to more). Not with setjmp or nonlocal labels,
 * whose abnormal edges leave every region, nor around a call of the function's own split
 * part, which steps aside from one push. Returns the calls to split before in *calls.
 */
static bool branch_roots(function *fun, bitmap with_calls, basic_block single,
			 vec<gimple *> *calls)
{
	if (!gp_opts.branch_push || fun->calls_setjmp || fun->has_nonlocal_label)
		return false;
	auto_bitmap tops;
	unsigned i, j;
	bitmap_iterator bi, bj;
	int freq = 0;
	EXECUTE_IF_SET_IN_BITMAP(with_calls, 0, i, bi) {
		basic_block bb = BASIC_BLOCK_FOR_FN(fun, i);
		bool top = true;
		EXECUTE_IF_SET_IN_BITMAP(with_calls, 0, j, bj) {
			if (j != i && dominated_by_p(CDI_DOMINATORS, bb, BASIC_BLOCK_FOR_FN(fun, j))) {
				top = false;
				break;
			}
		}
		if (!top)
			continue;
		gimple *call = first_call(fun, bb);
		if (is_own_split_part(fun->decl, gimple_call_fndecl(call)) ||
		    leaves_abnormally(fun, bb, true))
			return false;
		bitmap_set_bit(tops, i);
		freq += bb->count.to_frequency(fun);
		calls->safe_push(call);
	}
	/* one push at entry happens once a call, however often a loop comes back to first */
	basic_block once = single == first_block(fun) ? ENTRY_BLOCK_PTR_FOR_FN(fun) : single;
	if (freq >= once->count.to_frequency(fun) || !path_avoiding(fun, tops)) {
		calls->truncate(0);
		return false;
	}
	return true;
}

/* Splits the block of each call in calls right before it; the new blocks become roots. */
static void split_before(const vec<gimple *> &calls, vec<basic_block> *roots)
{
	for (gimple *call : calls) {
		gimple_stmt_iterator gsi = gsi_for_stmt(call);
		gsi_prev(&gsi);
		while (!gsi_end_p(gsi) && gimple_code(gsi_stmt(gsi)) == GIMPLE_LABEL)
			gsi_prev(&gsi);
		gimple *before = gsi_end_p(gsi) ? NULL : gsi_stmt(gsi);
		roots->safe_push(split_block(gimple_bb(call), before)->dest);
	}
}

static void place_pushes(function *fun, struct placement *place)
{
	basic_block first = first_block(fun);
	auto_bitmap with_calls;
	auto_vec<gimple *> ends;

	place->branches = 0;
	if (!find_calls(fun, with_calls, &ends)) {
		place->roots.safe_push(first);
		return;
	}
	/* with only calls that end a path, each of them pushes and no region is needed */
	if (bitmap_empty_p(with_calls)) {
		if (ends.is_empty())
			place->roots.safe_push(first);
		else
			place->local.safe_splice(ends);
		return;
	}
	basic_block single = single_root(fun, with_calls);
	auto_vec<gimple *> calls;
	if (branch_roots(fun, with_calls, single, &calls)) {
		split_before(calls, &place->roots);
		place->branches = place->roots.length();
	} else {
		place->roots.safe_push(single);
	}
	for (gimple *stmt : ends) {
		bool covered = false;
		for (basic_block root : place->roots)
			covered |= dominated_by_p(CDI_DOMINATORS, gimple_bb(stmt), root);
		if (!covered)
			place->local.safe_push(stmt);
	}
}

/*
 * slot = &record. Position-independent code computes the address with a lea, and when two
 * pushes lie on one path (a branch's push and a later one, a push before an error call)
 * GCC computes it once and keeps it in a callee-saved register across the calls between:
 * a register saved and restored on every call of the function, fast path included. So
 * there the lea and the store are an asm of their own, volatile like the other accesses
 * (GCC neither merges nor moves it), with the slot as a memory output. Also in functions
 * with one push: measured, Lua's luaV_execute and speedtest1's getAndInitPage gain more
 * than the few functions where the asm's scratch register costs a move (luaM_free_) lose.
 * Without -fpic/-fpie the address is an immediate the store carries; in a PIE (code for an
 * executable with -fpie) the record's GOT offset is (got_records()), one instruction
 * instead of two.
 */
static gimple *store_record(tree slot, tree record)
{
	tree addr = build_fold_addr_expr_with_type(record, ptr_type_node);
	if (!flag_pic)
		return gimple_build_assign(slot, addr);
	if (got_records()) {
		/* the record's GOT offset, a 32-bit immediate the store carries (gp-abi.h) */
		get_got_anchor();
		vec<tree, va_gc> *outputs = NULL, *inputs = NULL;
		vec_safe_push(outputs, build_tree_list(build_tree_list(NULL_TREE,
								       build_string(3, "=m")),
						       slot));
		vec_safe_push(inputs, build_tree_list(build_tree_list(NULL_TREE,
								      build_string(2, "i")),
						      addr));
		/* measure-nops=record: 7 bytes, the store's size through a plain base register */
		const char *text = gp_opts.nop_record
			? "# %0 %c1\n\t.nops 7"
			: "{movq $%c1@GOT, %0|mov QWORD PTR %0, OFFSET FLAT:%c1@GOT}";
		gasm *g = gimple_build_asm_vec(text, inputs, outputs, NULL, NULL);
		gimple_asm_set_volatile(g, true);
		return g;
	}
	tree scratch = make_ssa_name(ptr_type_node);
	vec<tree, va_gc> *outputs = NULL, *inputs = NULL;
	vec_safe_push(outputs,
		      build_tree_list(build_tree_list(NULL_TREE, build_string(4, "=&r")), scratch));
	vec_safe_push(outputs, build_tree_list(build_tree_list(NULL_TREE, build_string(3, "=m")),
					       slot));
	vec_safe_push(inputs, build_tree_list(build_tree_list(NULL_TREE, build_string(2, "m")),
					      record));
	gasm *g = gimple_build_asm_vec("{leaq %2, %0\n\tmovq %0, %1|lea %0, %2\n\tmov %1, %0}",
				       inputs, outputs, NULL, NULL);
	gimple_asm_set_volatile(g, true);
	SSA_NAME_DEF_STMT(scratch) = g;
	return g;
}

/*
 * The push, before gsi. Returns the stack pointer before (p) and after (np) it; np is
 * NULL_TREE when counted (the bump is then the one-instruction add of step_sp()).
 */
static void insert_push(gimple_stmt_iterator *gsi, tree record, bool counted, tree *p, tree *np)
{
	tree type = slot_ptr_type();

	*p = make_ssa_name(type);
	*np = NULL_TREE;
	tree slot = build2(MEM_REF, ptr_type_node, *p, build_int_cst(type, 0));
	TREE_THIS_VOLATILE(slot) = 1;
	TREE_SIDE_EFFECTS(slot) = 1;

	gsi_insert_before(gsi, gimple_build_assign(*p, get_sp_decl()), GSI_SAME_STMT);
	gsi_insert_before(gsi, store_record(slot, record), GSI_SAME_STMT);
	/* one add on the word in memory where the pops count, and in an executable whose pops
	   restore by choice (-fplugin-arg-goprof-restore-pops): np is then for re-syncs only */
	bool add = counted || (sp_local_exec && !gp_opts.count_pops);
	if (add)
		gsi_insert_before(gsi, step_sp(1), GSI_SAME_STMT);
	if (counted)
		return;
	*np = make_ssa_name(type);
	gsi_insert_before(gsi,
			  gimple_build_assign(*np, POINTER_PLUS_EXPR, *p,
					      size_int(tree_to_uhwi(TYPE_SIZE_UNIT(ptr_type_node)))),
			  GSI_SAME_STMT);
	if (!add)
		gsi_insert_before(gsi, set_sp(*np), GSI_SAME_STMT);
}

/*
 * The push, at the top of block at (after its labels and PHIs), or on a block of its own
 * right after entry when at is the first block (which a loop may come back to).
 */
static void emit_push(function *fun, basic_block at, tree record, bool counted, tree *p,
		      tree *np)
{
	if (at == first_block(fun))
		at = split_edge(single_succ_edge(ENTRY_BLOCK_PTR_FOR_FN(fun)));
	gimple_stmt_iterator gsi = gsi_after_labels(at);
	insert_push(&gsi, record, counted, p, np);
}

/* Skips debug statements and clobbers (which may follow a tail call) backwards. */
static void prev_real(gimple_stmt_iterator *gsi)
{
	while (!gsi_end_p(*gsi) &&
	       (is_gimple_debug(gsi_stmt(*gsi)) || gimple_clobber_p(gsi_stmt(*gsi))))
		gsi_prev(gsi);
}

/* Does bb end with a call marked tail (before its return, if it has one)? */
static bool ends_in_tail_call(basic_block bb)
{
	gimple_stmt_iterator gsi = gsi_last_bb(bb);
	prev_real(&gsi);
	if (!gsi_end_p(gsi) && gimple_code(gsi_stmt(gsi)) == GIMPLE_RETURN) {
		gsi_prev(&gsi);
		prev_real(&gsi);
	}
	if (gsi_end_p(gsi))
		return false;
	gcall *call = dyn_cast<gcall *>(gsi_stmt(gsi));
	return call && gimple_call_tail_p(call);
}

/* The return statement bb starts with (after labels, debug statements and clobbers). */
static bool starts_with_return(basic_block bb)
{
	for (gimple_stmt_iterator gsi = gsi_after_labels(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
		gimple *stmt = gsi_stmt(gsi);
		if (is_gimple_debug(stmt) || gimple_clobber_p(stmt))
			continue;
		return gimple_code(stmt) == GIMPLE_RETURN;
	}
	return false;
}

/*
 * The decrement for a return in a counted function (see can_count()): none when a tail call
 * before it in its block has popped already; on the incoming edges that do not come from a
 * tail call when some do; else right before it.
 */
static void pop_at_counted_return(basic_block bb, gimple_stmt_iterator *ret)
{
	if (ends_in_tail_call(bb))
		return;
	bool after_tail = false;
	edge e;
	edge_iterator ei;
	FOR_EACH_EDGE(e, ei, bb->preds)
		after_tail |= ends_in_tail_call(e->src);
	if (!after_tail) {
		gsi_insert_before(ret, step_sp(-1), GSI_SAME_STMT);
		return;
	}
	FOR_EACH_EDGE(e, ei, bb->preds) {
		if (!ends_in_tail_call(e->src))
			gsi_insert_on_edge(e, step_sp(-1));
	}
}

/*
 * Inside the region root dominates (the whole function when region is NULL): pops before
 * returns and tail calls and on every edge that leaves the region, re-syncs after setjmp and
 * at landing pads. The pops on edges wait for the caller's gsi_commit_edge_inserts(), so that
 * the blocks of every region are still those place_pushes() saw.
 */
static void emit_pops(function *fun, basic_block region, tree p, tree np)
{
	/* counted (np is NULL): every pop a decrement, see can_count() */
	auto pop = [p, np]() -> gimple * { return np ? (gimple *)set_sp(p) : step_sp(-1); };
	auto_bitmap inside;
	basic_block bb;

	FOR_EACH_BB_FN(bb, fun) {
		if (!region || dominated_by_p(CDI_DOMINATORS, bb, region))
			bitmap_set_bit(inside, bb->index);
	}
	FOR_EACH_BB_FN(bb, fun) {
		if (!bitmap_bit_p(inside, bb->index))
			continue;
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->succs) {
			/* a tail call that ends bb has popped (counted: only once) */
			if (e->dest != EXIT_BLOCK_PTR_FOR_FN(fun) &&
			    !bitmap_bit_p(inside, e->dest->index) && (np || !ends_in_tail_call(bb)))
				gsi_insert_on_edge(e, pop());
		}
		if (bb_has_eh_pred(bb)) {
			gimple_stmt_iterator gsi = gsi_after_labels(bb);
			gsi_insert_before(&gsi, set_sp(np), GSI_SAME_STMT);
		}
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (gimple_code(stmt) == GIMPLE_RETURN) {
				if (np)
					gsi_insert_before(&gsi, pop(), GSI_SAME_STMT);
				else
					pop_at_counted_return(bb, &gsi);
			} else if (is_gimple_call(stmt)) {
				if (gimple_call_tail_p(as_a<gcall *>(stmt))) {
					gsi_insert_before(&gsi, pop(), GSI_SAME_STMT);
				} else if (gimple_call_flags(stmt) & ECF_RETURNS_TWICE) {
					insert_after_call(&gsi, set_sp(np));
				} else if (is_own_split_part(fun->decl, gimple_call_fndecl(stmt))) {
					gsi_insert_before(&gsi, set_sp(p), GSI_SAME_STMT);
					insert_after_call(&gsi, set_sp(np));
				}
			}
		}
	}
}

/*
 * May the pops decrement (sp -= 1, one instruction on the word in memory; not with
 * -fplugin-arg-goprof-restore-pops, see BENCHMARKS.md "Pops that restore") instead of
 * restoring (sp = p, which keeps p in a callee-saved register for the whole function, a
 * register saved and restored on every call)? Only where every way from the push to an
 * exit runs exactly one pop and no re-sync needs p: code for an executable (the asm form is
 * the local-exec one), no call of the function's own split part (it steps aside and back),
 * no setjmp-like call or nonlocal label and no EH landing pad (their re-sync sets
 * sp = p + 1); the other abnormal edges (computed goto, as in an interpreter's dispatch)
 * never carry a pop, place_pushes() sees to that. A call marked tail may still be emitted as
 * an ordinary call (expansion has the last word), and then the return after it runs too:
 * so its pop goes before the call and none goes to that return, which must be in the call's
 * block or start its only successor (emit_pops() then pops on the return block's other
 * incoming edges), never a region's root. A missed pop in a counted function (longjmp, an
 * exception passing through) is healed by the re-sync of the setjmp caller or landing pad
 * that stops it.
 */
static bool can_count(function *fun, const call_census &calls, const vec<basic_block> &roots)
{
	if (!sp_local_exec || !gp_opts.count_pops || calls.own_part || fun->calls_setjmp ||
	    fun->has_nonlocal_label)
		return false;
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun) {
		if (bb_has_eh_pred(bb))
			return false;
		bool has_return = false, has_tail = false;
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			has_return |= gimple_code(stmt) == GIMPLE_RETURN;
			if (!is_gimple_call(stmt))
				continue;
			if (gimple_call_flags(stmt) & ECF_RETURNS_TWICE)
				return false;
			has_tail |= gimple_call_tail_p(as_a<gcall *>(stmt));
		}
		if (!has_tail || has_return || EDGE_COUNT(bb->succs) == 0)
			continue;
		if (!ends_in_tail_call(bb) || !single_succ_p(bb))
			return false;
		basic_block r = single_succ(bb);
		if (r == EXIT_BLOCK_PTR_FOR_FN(fun))
			continue;
		/* pops go on r's other incoming edges: none may be abnormal */
		if (roots.contains(r) || !starts_with_return(r) || bb_has_abnormal_pred(r))
			return false;
	}
	return true;
}

/* A push right before a call that ends its path (ends_path()): no pop follows. */
static void emit_local_push(gimple *call, tree record)
{
	gimple_stmt_iterator gsi = gsi_for_stmt(call);
	tree p, np;
	insert_push(&gsi, record, sp_local_exec, &p, &np);
}

namespace {

const pass_data instrument_pass_data = {
	GIMPLE_PASS,
	"goprof",
	OPTGROUP_NONE,
	TV_NONE,
	PROP_ssa | PROP_cfg,
	0,
	0,
	0,
	0,
};

class instrument_pass : public gimple_opt_pass {
public:
	instrument_pass(gcc::context *ctxt) : gimple_opt_pass(instrument_pass_data, ctxt)
	{
	}

	unsigned int execute(function *fun) final override
	{
		define_lto_guard();
		/* not the program's: left alone without a note, even under verbose */
		if (gp_compiler_made(fun->decl))
			return 0;

		const char *why = gp_filter_reason(fun->decl);
		if (!why)
			keep_callers(fun);
		call_census calls = count_calls(fun);
		bool leaf = calls.real == 0;
		if (!why && leaf && gp_opts.skip_leaf)
			why = calls.tail ? "calls only in tail position" : "leaf";
		if (why) {
			if (gp_opts.verbose)
				inform(DECL_SOURCE_LOCATION(fun->decl), "goprof: not instrumenting %qs: %s",
				       gp_function_name(fun->decl), why);
			return 0;
		}

		tree record = build_record(fun->decl, leaf ? GP_FUNC_LEAF : 0);
		calculate_dominance_info(CDI_DOMINATORS);
		struct placement place;
		place_pushes(fun, &place);
		if (place.branches && gp_opts.verbose)
			inform_n(DECL_SOURCE_LOCATION(fun->decl), place.branches,
				 "goprof: %qs pushes in %u branch of its own",
				 "goprof: %qs pushes in each of %u branches",
				 gp_function_name(fun->decl), place.branches);
		get_sp_decl();
		for (gimple *call : place.local)
			emit_local_push(call, record);
		bool counted = can_count(fun, calls, place.roots);
		for (basic_block root : place.roots) {
			bool whole = root == first_block(fun);
			tree p, np;
			emit_push(fun, root, record, counted, &p, &np);
			emit_pops(fun, whole ? NULL : root, p, np);
		}
		gsi_commit_edge_inserts();
		free_dominance_info(CDI_DOMINATORS);
		mark_virtual_operands_for_renaming(fun);
		return TODO_update_ssa_only_virtuals;
	}
};

} /* namespace */

gimple_opt_pass *gp_make_instrument_pass(gcc::context *ctxt)
{
	return new instrument_pass(ctxt);
}
