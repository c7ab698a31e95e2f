#!/bin/sh
# A plugin built for another GCC version refuses to load, and the error names both the
# version it was built for and the one it was loaded into. The mismatch is simulated by
# building the plugin with GP_TEST_FAKE_BASEVER, which only changes the version it claims.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
LC_ALL=C
export LC_ALL

plugin_inc=$($GP_CC -print-file-name=plugin)/include
[ -f "$plugin_inc/gcc-plugin.h" ] || gp_skip "no GCC plugin headers in $plugin_inc"
fake=0.0.1-goprof-test
# shellcheck disable=SC2086
$GP_CXX -shared -fPIC -fno-rtti -fno-exceptions -I"$plugin_inc" \
	-DGP_TEST_FAKE_BASEVER="\"$fake\"" -o fake.so \
	"$GP_SRCDIR/plugin/goprof-plugin.cc" "$GP_SRCDIR/plugin/instrument.cc" \
	"$GP_SRCDIR/plugin/filter.cc" || gp_fail "the test plugin does not build"

echo 'int f(int x) { return x + 1; }' >t.c
if $GP_CC -fplugin="$GP_WORK/fake.so" -c t.c -o t.o 2>err; then
	gp_fail "a plugin built for GCC $fake was loaded"
fi
real=$($GP_CC -dumpfullversion)
grep "error:" err | grep "$fake" | grep -q "$real" ||
	{ cat err >&2; gp_fail "the error does not name both $fake and $real"; }
echo "ok: refused, naming $fake and $real"
exit 0
