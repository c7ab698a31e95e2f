# Shell helpers for test cases (sourced by run-case.sh and by .sh cases).
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 harness error.
#
# Environment from `make check`: GP_SRCDIR, GP_BUILDDIR, GP_CC, GP_CXX.

: "${GP_SRCDIR:?run through make check}" "${GP_BUILDDIR:?run through make check}"
GP_CC=${GP_CC:-gcc}
GP_CXX=${GP_CXX:-g++}
GP_PLUGIN=$GP_BUILDDIR/plugin/.libs/goprof.so
GP_RTDIR=$GP_BUILDDIR/rt/.libs
GP_INC="-I$GP_SRCDIR/rt -I$GP_SRCDIR/testsuite"
GP_LIBS="-L$GP_RTDIR -Wl,-rpath,$GP_RTDIR -lgoprof -lpthread"
GP_FLAGS="-fplugin=$GP_PLUGIN -DGP_INSTRUMENTED=1"

gp_die() { echo "$GP_CASE: $*" >&2; exit 99; }
gp_fail() { echo "FAIL: $GP_CASE: $*" >&2; exit 1; }
gp_skip() { echo "SKIP: $GP_CASE: $*" >&2; exit 77; }

# gp_begin CASE_PATH: a fresh work directory, kept when the case fails.
gp_begin() {
	GP_CASE=$(basename "$1")
	GP_CASE=${GP_CASE%.*}
	GP_WORK=$GP_BUILDDIR/testsuite/work/$GP_CASE
	rm -rf "$GP_WORK"
	mkdir -p "$GP_WORK" || gp_die "cannot create $GP_WORK"
	cd "$GP_WORK" || gp_die "cannot enter $GP_WORK"
	[ -f "$GP_PLUGIN" ] || gp_die "plugin not built: $GP_PLUGIN"
	trap 'rc=$?; [ $rc = 0 ] && rm -rf "$GP_WORK"; exit $rc' EXIT
}

# gp_run OUT_PREFIX PROGRAM [ARGS...]: runs with a timeout, stdout/stderr to OUT_PREFIX.out/.err;
# the exit code is in GP_RC.
gp_run() {
	local out=$1
	shift
	GP_RC=0
	timeout 120 "$@" >"$out.out" 2>"$out.err" || GP_RC=$?
}

# gp_same_output A B: the stdout of two runs is identical.
gp_same_output() {
	cmp -s "$1.out" "$2.out" || {
		diff "$1.out" "$2.out" | head -20 >&2
		gp_fail "output of $1 and $2 differ"
	}
}
