#!/bin/sh
# Which compiler goprof-cc runs: GOPROF_CC and GOPROF_CXX name another one (its words split at
# blanks), a GCC of another version than the plugin's is refused with one error naming both,
# GOPROF_CC_OFF=1 runs GCC untouched, and CC="ccache goprof-cc" caches instrumented objects:
# a second build is served from the cache and its program's CPU profile still names its hot
# function.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
LC_ALL=C
export LC_ALL
cc=$GP_GOPROF_CC
want=$($GP_CC -dumpfullversion)

cat >hot.c <<'C'
#include <stdio.h>
__attribute__((noinline)) static long env_spin(volatile long n)
{
	long s = 0;

	for (long i = 0; i < n; i++)
		s += i % 9;
	return s;
}
int main(void) { printf("%ld\n", env_spin(1000000000)); return 0; }
C

# GOPROF_CC: a compiler command of two words, the first a script that logs its runs
cat >logcc <<SH
#!/bin/sh
echo "\$@" >>"$GP_WORK/logcc.log"
exec $GP_CC "\$@"
SH
chmod +x logcc
GOPROF_CC="$GP_WORK/logcc -DVIA_LOGCC=1" "$cc" -O2 -o hot hot.c || gp_fail "GOPROF_CC build"
grep -q -- '-DVIA_LOGCC=1 .*-fplugin=' logcc.log || gp_fail "GOPROF_CC was not run with the plugin"
nm hot | grep -q __goprof || gp_fail "the GOPROF_CC build is not instrumented"
cat >logcxx <<SH
#!/bin/sh
echo "\$@" >>"$GP_WORK/logcc.log"
exec $GP_CXX "\$@"
SH
chmod +x logcxx
echo 'int main() { return 0; }' >t.cc
GOPROF_CXX="$GP_WORK/logcxx" "$GP_GOPROF_CXX" -o t t.cc || gp_fail "GOPROF_CXX build"
grep -q 't.cc' logcc.log || gp_fail "GOPROF_CXX was not run"

# a GCC of another version: one error naming both
cat >oldgcc <<SH
#!/bin/sh
case "\$1" in -dumpfullversion) echo 11.9.1; exit 0 ;; esac
exec $GP_CC "\$@"
SH
chmod +x oldgcc
if GOPROF_CC=$GP_WORK/oldgcc "$cc" -c hot.c 2>ver.err; then
	gp_fail "a GCC 11.9.1 was accepted"
fi
cat ver.err >&2
[ "$(wc -l <ver.err)" = 1 ] || gp_fail "the version error is not one line"
grep -q "GCC 11.9.1.*GCC $want" ver.err || gp_fail "the error does not name 11.9.1 and $want"
GOPROF_CC=/nonexistent/gcc "$cc" -c hot.c 2>none.err && gp_fail "a missing GOPROF_CC worked"
grep -q 'goprof-cc: .*/nonexistent/gcc' none.err || gp_fail "no clear error for a missing GOPROF_CC"

# GOPROF_CC_OFF=1: exactly gcc's object
GOPROF_CC_OFF=1 "$cc" -O2 -c -o off.o hot.c && $GP_CC_PLAIN -O2 -c -o gcc.o hot.c &&
	cmp -s off.o gcc.o || gp_fail "GOPROF_CC_OFF=1 did not build gcc's object"
GOPROF_CC_OFF=0 "$cc" -O2 -c -o on.o hot.c && nm on.o | grep -q __goprof ||
	gp_fail "GOPROF_CC_OFF=0 is not off"

# ccache
gp_need_cmd ccache ccache
CCACHE_DIR=$GP_WORK/ccache
CCACHE_NOHASHDIR=1
export CCACHE_DIR CCACHE_NOHASHDIR
for n in 1 2; do
	rm -f hot.o
	ccache "$cc" -O2 -g -c hot.c -o hot.o || gp_fail "ccache goprof-cc -c failed ($n)"
	ccache "$cc" -O2 -g -o hot$n hot.o || gp_fail "ccache goprof-cc link failed ($n)"
done
ccache --print-stats >stats.txt 2>&1 || ccache -s >stats.txt
cat stats.txt >&2
hits=$(awk -F'\t' '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { n += $2 }
	END { print n + 0 }' stats.txt)
[ "$hits" -ge 1 ] || gp_fail "the second build was not served from the cache"
gp_need_go
gp_cpu_profile cached ./hot2
gp_traces cached.pb.gz >cached.txt
[ "$(gp_trace_value cached.txt "main;env_spin")" -ge 200 ] ||
	{ cat cached.txt >&2; gp_fail "the cached build's profile lacks main;env_spin"; }
echo "ok"
exit 0
