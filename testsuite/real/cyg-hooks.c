/* cyg-hooks.c - empty hooks for gcc -finstrument-functions.
 *
 * Linked into the "cyg" flavour of the real-world tests and benchmarks:
 * it gives the cost of GCC's own function instrumentation with hooks that
 * do nothing, as a yardstick for goprof.  Compile it without
 * -finstrument-functions (the attribute keeps it safe either way). */

#define NO_INSTR __attribute__((no_instrument_function, noinline, used))

NO_INSTR void __cyg_profile_func_enter(void *fn, void *call_site);
NO_INSTR void __cyg_profile_func_exit(void *fn, void *call_site);

void __cyg_profile_func_enter(void *fn, void *call_site)
{
	(void)fn;
	(void)call_site;
}

void __cyg_profile_func_exit(void *fn, void *call_site)
{
	(void)fn;
	(void)call_site;
}
