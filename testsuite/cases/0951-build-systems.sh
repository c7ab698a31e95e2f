#!/bin/sh
# The README's recipe for each build system, tried on one small project (a shared library
# and a program, testsuite/build-systems/): a plain Makefile, autotools with libtool, CMake
# with ctest and meson with meson test each build it with goprof-cc as the only change, and,
# after a make install into a temporary prefix, CMake's find_package(goprof) (the target
# goprof::goprof) and meson's dependency('goprof') (goprof.pc) build it with plain GCC. Every
# build passes the project's own test, and its program's CPU profile, read with go tool pprof,
# names the hot function, work_spin, under main.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
proj=$GP_SRCDIR/testsuite/build-systems
cc=$GP_GOPROF_CC

# the project's makes are not part of this one (nor is its TESTS=)
unset MAKEFLAGS MFLAGS MAKELEVEL TESTS
stage=$GP_WORK/stage
make -s -C "$GP_BUILDDIR" install prefix="$stage/usr" GCC_PLUGIN_DIR="$stage/plugin" \
	>install.log 2>&1 || { cat install.log >&2; gp_fail "make install failed"; }
for f in usr/bin/goprof-cc usr/bin/goprof-c++ usr/share/man/man1/goprof-cc.1 \
	usr/lib/cmake/goprof/goprof-config.cmake usr/lib/cmake/goprof/goprof-config-version.cmake; do
	[ -e "$stage/$f" ] || gp_fail "not installed: $f"
done
"$stage/usr/bin/goprof-c++" --goprof-version | grep -q '^goprof-c++ (goprof)' ||
	gp_fail "the installed goprof-c++ does not run as goprof-c++"

# hot_ok NAME PROGRAM: (back in $GP_WORK) the program passes, and its profile names main;work_spin
hot_ok() {
	prog=$(pwd)/$2
	cd "$GP_WORK" || gp_die "cannot enter $GP_WORK"
	gp_cpu_profile "$1" "$prog" 150000000
	grep -q '^work_spin(150000000) = ' "$1.out" || gp_fail "$1: hot printed $(cat "$1.out")"
	gp_traces "$1.pb.gz" >"$1.txt"
	ms=$(awk '$2 ~ /^main;work_spin(;|$)/ { n += $1 } END { print n + 0 }' "$1.txt")
	[ "$ms" -ge 100 ] || { cat "$1.txt" >&2; gp_fail "$1: main;work_spin has $ms ms"; }
	echo "$1: main;work_spin $ms ms"
}
fresh() { rm -rf "$1" && cp -R "$proj" "$1" && cd "$1"; }

# make
fresh "$GP_WORK/make"
make CC="$cc" >build.log 2>&1 && make CC="$cc" check >>build.log 2>&1 ||
	{ cat build.log >&2; gp_fail "make: the build or its check failed"; }
hot_ok make ./hot

# autotools and libtool
fresh "$GP_WORK/autotools"
{ autoreconf -fi && ./configure CC="$cc" && make && make check; } >build.log 2>&1 ||
	{ cat build.log >&2; gp_fail "autotools: the build or make check failed"; }
grep -q '^# PASS: *1$' test-suite.log build.log || gp_fail "autotools: make check passed no test"
hot_ok autotools ./hot

# CMake: the compiler, then the package
for how in compiler package; do
	fresh "$GP_WORK/cmake-$how"
	if [ $how = compiler ]; then
		set -- -DCMAKE_C_COMPILER="$cc" -DCMAKE_DISABLE_FIND_PACKAGE_goprof=ON
	else
		# CMake takes a compiler without its flags: the sanitizers' go in CMAKE_C_FLAGS
		set -- -DCMAKE_C_COMPILER="$GP_CC_PLAIN" ${GP_SANITIZE:+"-DCMAKE_C_FLAGS=$GP_SANITIZE"} \
			-DCMAKE_PREFIX_PATH="$stage/usr"
	fi
	{ cmake -S . -B b "$@" && cmake --build b && (cd b && ctest); } >build.log 2>&1 ||
		{ cat build.log >&2; gp_fail "cmake ($how): the build or ctest failed"; }
	grep -q '100% tests passed, 0 tests failed out of 1' build.log ||
		gp_fail "cmake ($how): ctest did not pass its test"
	if [ $how = package ]; then
		grep -q 'goprof.so' b/CMakeFiles/work.dir/flags.make ||
			gp_fail "cmake: goprof::goprof did not add the plugin"
	fi
	hot_ok "cmake-$how" ./b/hot
done

# meson: the compiler, then goprof.pc
for how in compiler package; do
	fresh "$GP_WORK/meson-$how"
	if [ $how = compiler ]; then
		env CC="$cc" PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=/nonexistent meson setup b >build.log 2>&1
	else
		env CC="$GP_CC" PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig" meson setup b >build.log 2>&1
	fi || { cat build.log >&2; gp_fail "meson setup ($how) failed"; }
	{ meson compile -C b && meson test -C b; } >>build.log 2>&1 ||
		{ cat build.log >&2; gp_fail "meson ($how): the build or meson test failed"; }
	grep -q '^Ok: *1 *$' build.log || gp_fail "meson ($how): meson test passed no test"
	if [ $how = package ]; then
		grep -q 'Run-time dependency goprof found: YES' build.log ||
			gp_fail "meson: dependency('goprof') not found"
	fi
	hot_ok "meson-$how" ./b/hot
done
exit 0
