#!/bin/sh
# goprof-cc -static: a statically linked, multi-threaded program builds with the driver alone,
# prints what the plain static build prints, and its profiles, read with go tool pprof, hold
# the truth: the CPU profile names each thread's hot function, the heap profile the 4 MiB
# it kept (every allocation sampled), the block and mutex profiles the contended lock;
# GOPROF_HTTP says in one line that a static program cannot serve. Every function the shared
# runtime interposes is wrapped in the static one (rt/static-wrap.def).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
cc=$GP_GOPROF_CC
[ -x "$cc" ] || gp_die "no $cc"
for lib in libc libsqlite3 libelf libz; do
	[ -f "$($GP_CC -print-file-name=$lib.a)" ] || gp_skip "no static $lib.a (its -dev package)"
done

# the list of wrapped functions is the shared runtime's interposers, no more, no less
gp_dynamic_symbols "$GP_RTDIR/libgoprof.so" | grep -v '^goprof_\|^__goprof_' >exported.txt
sed -n 's/^GP_WRAP(\(.*\))$/\1/p' "$GP_SRCDIR/rt/static-wrap.def" | sort >wrapped.txt
cmp -s exported.txt wrapped.txt ||
	{ diff exported.txt wrapped.txt >&2; gp_fail "rt/static-wrap.def is not the interposers"; }
# AddressSanitizer's run-time library cannot be linked into a static executable
[ -n "${GP_SANITIZE:-}" ] && gp_skip "sanitizers: GCC cannot link -static with -fsanitize=address"

cp "$GP_SRCDIR/testsuite/cases/9301-driver-static-prog.c" prog.c
"$cc" -O2 -g -static -o prog prog.c -lpthread 2>cc.err || { cat cc.err >&2; gp_fail "goprof-cc -static"; }
GOPROF_CC_OFF=1 "$cc" -O2 -g -static -o plain prog.c -lpthread || gp_fail "plain -static build"
for p in prog plain; do
	readelf -l $p | grep -q INTERP && gp_fail "$p is not statically linked"
done
nm prog | grep -q ' __wrap_malloc$' || gp_fail "prog has no goprof malloc"
nm prog | grep -q ' __goprof_' || gp_fail "prog is not instrumented"

gp_run plain ./plain
[ "$GP_RC" = 0 ] || gp_fail "the plain program exited with $GP_RC"
GOPROF_MEMPROFILE_RATE=1 GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 gp_cpu_profile run ./prog
[ ! -s run.err ] || { cat run.err >&2; gp_fail "the static program complained"; }
gp_same_output plain run

gp_top run.pb.gz >cpu.txt
main=$(gp_flat_ms cpu.txt burn_main) thread=$(gp_flat_ms cpu.txt burn_thread)
[ "$main" -ge 200 ] && [ "$thread" -ge 200 ] ||
	{ cat cpu.txt >&2; gp_fail "burn_main has $main ms, burn_thread $thread ms"; }
gp_traces run.pb.gz >traces.txt
[ "$(gp_trace_value traces.txt 'main;burn_main')" -ge 200 ] ||
	{ cat traces.txt >&2; gp_fail "no stack main;burn_main"; }

gp_export run.db heap.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_space >inuse.txt
gp_heap_top heap.pb.gz alloc_space >alloc.txt
[ "$(gp_flat inuse.txt keep_block)" = $((64 * 65536)) ] ||
	{ cat inuse.txt >&2; gp_fail "keep_block does not hold 4 MiB in use"; }
[ "$(gp_flat inuse.txt drop_block)" = 0 ] && [ "$(gp_flat alloc.txt drop_block)" = $((32 * 65536)) ] ||
	{ cat inuse.txt alloc.txt >&2; gp_fail "drop_block's 2 MiB are not allocated and freed"; }

# 20 holds of 20 ms by two threads: the waits add up to well over 100 ms
for t in block mutex; do
	gp_export run.db $t.pb.gz -t $t
	gp_top $t.pb.gz >$t.txt
	ms=$(gp_cum_ms $t.txt hold_lock)
	[ "${ms%.*}" -ge 100 ] ||
		{ cat $t.txt >&2; gp_fail "the $t profile lacks hold_lock's waits"; }
done

GOPROF_DB=$GP_WORK/http.db GOPROF_HTTP=127.0.0.1:0 gp_run http ./prog
[ "$GP_RC" = 0 ] || gp_fail "with GOPROF_HTTP the program exited with $GP_RC"
gp_same_output plain http
[ "$(wc -l <http.err)" = 1 ] && grep -q '^goprof: .*statically linked' http.err ||
	{ cat http.err >&2; gp_fail "GOPROF_HTTP in a static program: no one-line message"; }
exit 0
