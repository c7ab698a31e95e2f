#!/bin/sh
# goprof-cc as CC, with nothing else: a shared library (-shared) and a program linked the way
# Makefiles do it (-Wl,--as-needed, the runtime's users before their library) are instrumented
# and their CPU profile, read with go tool pprof, names the hot function of each; an argument
# with blanks and quotes reaches GCC whole; the build tree's runtime is found through an rpath;
# -flto runs the plugin at the link; goprof-c++ builds C++; -nostdlib links get the runtime
# only when an object needs it (-static: 9301).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
src=$GP_SRCDIR/testsuite/cases
cc=$GP_GOPROF_CC
[ -x "$cc" ] || gp_die "no $cc"

cp "$src/0030-driver-link-lib.c" libhot.c
cp "$src/0030-driver-link-prog.c" prog.c
msg="a  b 'c' \$HOME;*"
"$cc" -O2 -g -fPIC -shared -o libhot.so libhot.c || gp_fail "goprof-cc -shared failed"
"$cc" -O2 -g "-DMSG=\"$msg\"" -c prog.c || gp_fail "goprof-cc -c failed"
"$cc" -O2 -g -Wl,--as-needed -o prog prog.o -L. -lhot -Wl,-rpath,"$GP_WORK" ||
	gp_fail "the as-needed link failed"
for f in libhot.so prog; do
	readelf -d $f | grep -q 'NEEDED.*libgoprof' || gp_fail "$f does not need libgoprof"
done
readelf -d prog | grep -q "R.*PATH.*$GP_RTDIR" || gp_fail "prog has no rpath to $GP_RTDIR"

gp_cpu_profile run ./prog
[ ! -s run.err ] || { cat run.err >&2; gp_fail "the program complained"; }
[ "$(head -n 1 run.out)" = "$msg" ] || gp_fail "MSG arrived as '$(head -n 1 run.out)'"
gp_traces run.pb.gz >cpu.txt
cat cpu.txt >&2
spin=$(gp_trace_value cpu.txt "main;prog_spin")
burn=$(awk '$2 ~ /^main;lib_burn(;lib_step)?$/ { n += $1 } END { print n + 0 }' cpu.txt)
[ "$spin" -ge 200 ] || gp_fail "main;prog_spin has $spin ms, want at least 200"
[ "$burn" -ge 100 ] || gp_fail "main;lib_burn has $burn ms, want at least 100"

# the same sources with the driver switched off: the same output, and nothing of goprof
GOPROF_CC_OFF=1 "$cc" -O2 -g "-DMSG=\"$msg\"" -o plain prog.c libhot.c || gp_fail "plain build"
readelf -d plain | grep -q libgoprof && gp_fail "GOPROF_CC_OFF=1 still linked the runtime"
nm plain | grep -q __goprof && gp_fail "GOPROF_CC_OFF=1 still instrumented"
./plain >plain.out || gp_fail "the plain program failed"
cmp -s plain.out run.out || gp_fail "the instrumented program's output differs"

# -flto: the instrumentation happens at the link, which fails without the plugin. lto_spin
# makes no call, so, as every leaf, it is left uninstrumented and named by the sampled PC
# under main's frame; it spins about 0.45 s, twice the 200 ms asked (300 million rounds did
# 0.23 s of CPU, which a few ticks lost at start and end put below 200 ms under ASan)
cat >lto.c <<'C'
__attribute__((noinline)) static long lto_spin(volatile long n)
{
	long s = 0;

	for (long i = 0; i < n; i++)
		s += i % 5;
	return s;
}
int main(void) { return lto_spin(600000000) == 42; }
C
"$cc" -O2 -g -flto -c lto.c && "$cc" -O2 -g -flto -o lto lto.o || gp_fail "the -flto build failed"
gp_cpu_profile lto ./lto
gp_traces lto.pb.gz >lto.txt
[ "$(gp_trace_value lto.txt "main;lto_spin")" -ge 200 ] ||
	{ cat lto.txt >&2; gp_fail "the -flto program's profile lacks main;lto_spin"; }

# goprof-c++
cat >cxx.cc <<'C'
#include <cstdio>
#include <vector>
struct Hot {
	__attribute__((noinline)) long spin(volatile long n)
	{
		std::vector<long> v(16);
		for (long i = 0; i < n; i++)
			v[i % 16] += i % 3;
		return v[3];
	}
};
int main() { Hot h; std::printf("%ld\n", h.spin(300000000)); }
C
"$GP_GOPROF_CXX" -O2 -g -o cxx cxx.cc || gp_fail "goprof-c++ failed"
gp_cpu_profile cxx ./cxx
gp_traces cxx.pb.gz >cxx.txt
# Hot::spin's own time includes the code inlined into it (std::vector's operator[], where
# ASan's check of each access sits), which the export shows as inline frames below it
spin_ms=$(awk '{ v = $1; s = $0; sub(/^[^ ]+ /, "", s) }
	s == "main;Hot::spin" || s ~ /^main;Hot::spin;[^;]+ \(inline\)$/ { n += v }
	END { print n + 0 }' cxx.txt)
[ "$spin_ms" -ge 200 ] ||
	{ cat cxx.txt >&2; gp_fail "the C++ program's profile lacks main;Hot::spin"; }

# -nostdlib: the runtime only where an object refers to it
cat >ns.c <<'C'
__attribute__((noinline)) int ns_leaf(int x) { return x + 1; }
int ns_call(int x) { return ns_leaf(x) * 2; }
C
"$cc" -O2 -fPIC -nostdlib -shared -o libns.so ns.c || gp_fail "the -nostdlib link failed"
readelf -d libns.so | grep -q 'NEEDED.*libgoprof' || gp_fail "-nostdlib: libns.so lacks libgoprof"
GOPROF_CC_OFF=1 "$cc" -O2 -fPIC -c -o ns-plain.o ns.c
"$cc" -nostdlib -shared -o libns-plain.so ns-plain.o || gp_fail "the plain -nostdlib link failed"
readelf -d libns-plain.so | grep -q 'NEEDED.*libgoprof' &&
	gp_fail "-nostdlib: a library no object of which uses goprof needs libgoprof"

echo "ok: main;prog_spin $spin ms, main;lib_burn $burn ms"
exit 0
