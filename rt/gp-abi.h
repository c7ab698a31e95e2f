/*
 * The contract between the plugin (which emits code against it) and the runtime (which
 * implements it). Included by plugin/ (C++) and rt/ (C); never installed.
 *
 * Instrumented code touches exactly one thread-local word, GP_SP_SYMBOL: a pointer one past
 * the innermost slot of the calling thread's shadow stack. Each slot holds the address of
 * the function record of the frame it stands for (or, in a PIE, its GOT offset: below). The push and pop the plugin inlines are
 *
 *	entry:			p = sp; *p = &record; sp = p + 1;
 *	each return / tail call: sp = p;		(restore, never decrement)
 *	after setjmp-like calls
 *	and EH landing pads:	sp = p + 1;		(re-sync after longjmp / exceptions)
 *
 * all three accesses volatile, so that no store is dropped or reordered. In code for an
 * executable (local-exec) a function with no tail call, setjmp-like call or EH landing pad
 * pushes with `*sp = &record; sp += 1` and pops with `sp -= 1`, each step one instruction on
 * the word in memory; the restores and re-syncs of the functions below it heal any drift.
 * The runtime points
 * a new thread's sp at a private array sized so that it cannot overflow before the thread's
 * machine stack does; until then sp points into a shared scratch array.
 */
#ifndef GOPROF_RT_GP_ABI_H
#define GOPROF_RT_GP_ABI_H

/*
 * The thread-local shadow stack pointer (type: const void **). libgoprof defines it, and
 * shared libraries reach it with the initial-exec TLS model. Code compiled for an
 * executable uses local-exec instead, and each such object carries a weak definition
 * initialised to GP_SCRATCH_SYMBOL, the start of the runtime's shared scratch stack: the
 * executable's word then serves the whole process.
 */
#define GP_SP_SYMBOL "__goprof_sp"
#define GP_SCRATCH_SYMBOL "__goprof_scratch"

/*
 * Records as GOT offsets. In code for a position-independent executable a record's address
 * is known only once the program is loaded, and pushing it takes a lea and a store. There
 * the plugin instead stores a 32-bit constant the linker computes, the offset of the
 * record's GOT slot from _GLOBAL_OFFSET_TABLE_ (`movq $record@GOT, (slot)`,
 * R_X86_64_GOT32); the slot holds the record's address once the dynamic linker has
 * relocated it. Such a word is a small integer, |w| < GP_GOT_SPAN, never a record's
 * address: a PIE and every shared library load high, and a non-PIE executable's
 * addresses start at 0x400000. Each such object also carries a weak definition of
 * GP_GOT_SYMBOL, a 64-bit word holding _GLOBAL_OFFSET_TABLE_ minus its own address (a
 * link-time constant: the assembler makes any reference to _GLOBAL_OFFSET_TABLE_
 * PC-relative), which the executable exports because libgoprof refers to it; the runtime
 * turns a small word w back into the record at *(anchor + *anchor + w) (gp_record_of()).
 * Shared libraries, dlopen()ed objects and non-PIE executables push addresses.
 */
#define GP_GOT_SYMBOL "__goprof_got"
#define GP_GOT_SPAN 0x400000

/*
 * Defined only by the plugin when it runs at link time under LTO; referenced by every object
 * compiled with the plugin and -flto, so that an LTO link without the plugin fails by name
 * instead of giving a silently uninstrumented program.
 */
#define GP_LTO_GUARD_SYMBOL "__goprof_lto_link_needs_fplugin_goprof"

/* The ELF section that holds the function records, readable by name, kept by strip. */
#define GP_FUNC_SECTION "goprof_funcs"

/*
 * A function record: a 16-byte header followed by the NUL-terminated name and the
 * NUL-terminated source file, padded with NULs to a multiple of 4 bytes. All fields are
 * little-endian uint32 and the record holds no address, so it needs no relocation.
 */
#define GP_FUNC_MAGIC 0x31465047u	/* "GPF1" */
#define GP_FUNC_HEADER_SIZE 16
#define GP_FUNC_ALIGN 4

/* Bits of the record's flags word. */
#define GP_FUNC_LEAF 0x1u		/* the function makes no non-tail call */

#endif
