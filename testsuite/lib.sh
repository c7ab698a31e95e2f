# Shell helpers for test cases (sourced by run-case.sh and by .sh cases).
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 harness error.
#
# Environment from `make check`: GP_SRCDIR, GP_BUILDDIR, GP_CC, GP_CXX, GP_SANITIZE.

: "${GP_SRCDIR:?run through make check}" "${GP_BUILDDIR:?run through make check}"
GP_CC=${GP_CC:-gcc}
GP_CXX=${GP_CXX:-g++}
# Under --enable-sanitizers GP_SANITIZE holds the sanitizers' flags, which GP_CC and GP_CXX
# end with; GP_CC_PLAIN is the compiler alone (what goprof-cc runs when it adds nothing).
GP_CC_PLAIN=${GP_CC%" ${GP_SANITIZE:-}"}
GP_PLUGIN=$GP_BUILDDIR/plugin/.libs/goprof.so
GP_RTDIR=$GP_BUILDDIR/rt/.libs
GP_INC="-I$GP_SRCDIR/rt -I$GP_SRCDIR/testsuite"
GP_LIBS="-L$GP_RTDIR -Wl,-rpath,$GP_RTDIR -lgoprof -lpthread"
GP_FLAGS="-fplugin=$GP_PLUGIN -DGP_INSTRUMENTED=1"

gp_die() { echo "$GP_CASE: $*" >&2; exit 99; }
gp_fail() { echo "FAIL: $GP_CASE: $*" >&2; exit 1; }
gp_skip() { echo "SKIP: $GP_CASE: $*" >&2; exit 77; }

# gp_need_cmd CMD WHAT: the case needs command CMD; without it the case skips, saying WHAT
# is not installed, except on CI (CI set), whose set-up installs it, where that is a failure.
gp_need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ -n "${CI:-}" ] && gp_fail "$2 is not installed"
	gp_skip "$2 is not installed"
}

# gp_at_exit COMMAND: COMMAND runs when the case exits, however it ends, the last added
# first, before gp_begin's work directory is removed (on success) or kept. The one EXIT trap
# of a case is gp_exit: a helper that must clean up adds to it here instead of trapping.
GP_AT_EXIT=:
gp_at_exit() {
	GP_AT_EXIT="$1
$GP_AT_EXIT"
}
gp_exit() {
	local rc=$?
	eval "$GP_AT_EXIT"
	[ $rc = 0 ] && [ -n "${GP_WORK:-}" ] && rm -rf "$GP_WORK"
	exit $rc
}
trap gp_exit EXIT

# gp_begin CASE_PATH: a fresh work directory, kept when the case fails.
gp_begin() {
	GP_CASE=$(basename "$1")
	GP_CASE=${GP_CASE%.*}
	GP_WORK=$GP_BUILDDIR/testsuite/work/$GP_CASE
	rm -rf "$GP_WORK"
	mkdir -p "$GP_WORK" || gp_die "cannot create $GP_WORK"
	cd "$GP_WORK" || gp_die "cannot enter $GP_WORK"
	[ -f "$GP_PLUGIN" ] || gp_die "plugin not built: $GP_PLUGIN"
}

# gp_build_c OUT SOURCE [FLAGS...]: the C file SOURCE built with the plugin at -O2 -g and
# linked with libgoprof; it may include the headers of testsuite/progs (burn.h).
gp_build_c() {
	local out=$1 src=$2
	shift 2
	# shellcheck disable=SC2086
	$GP_CC -O2 -g $GP_FLAGS "$@" $GP_INC -I"$GP_SRCDIR/testsuite/progs" -o "$out" "$src" \
		$GP_LIBS >"$out.cc-err" 2>&1 ||
		{ cat "$out.cc-err" >&2; gp_fail "building $(basename "$src") failed"; }
}

# gp_limit_memory KIB: the process (a subshell that then execs the program) may use KIB kB:
# an address-space limit (ulimit -v), under which an allocation beyond it fails. Under
# --enable-sanitizers ASan maps terabytes of shadow at start, so no such limit can exist
# there; ASan's allocator takes it instead: one allocation beyond it fails (returns NULL) as
# it would under the limit, and the process dies when its resident memory passes it.
gp_limit_memory() {
	if [ -z "${GP_SANITIZE:-}" ]; then
		ulimit -v "$1"
	else
		ASAN_OPTIONS=$ASAN_OPTIONS:allocator_may_return_null=1
		ASAN_OPTIONS=$ASAN_OPTIONS:max_allocation_size_mb=$(($1 / 1024))
		ASAN_OPTIONS=$ASAN_OPTIONS:hard_rss_limit_mb=$(($1 / 1024))
		export ASAN_OPTIONS
	fi
}

# gp_reuse_freed: for a case that measures resident memory. Under --enable-sanitizers ASan
# holds freed blocks back to catch late uses (its quarantine, up to 256 MB), so RSS would
# grow with what was freed; without the quarantine freed memory is reused as in the normal
# build, and a leak still shows.
gp_reuse_freed() {
	[ -z "${GP_SANITIZE:-}" ] || export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0"
}

# gp_hwm_growth RUN MARK: how much the peak RSS (KiB) grew from the program's line
# "hwm MARK-early KIB" to its line "hwm MARK KIB" in RUN.err (thread-churn.c, lock-churn.c).
gp_hwm_growth() {
	awk -v early="$2-early" -v late="$2" '$1 == "hwm" && $2 == early { e = $3 }
		$1 == "hwm" && $2 == late { l = $3 } END { print l - e }' "$1.err"
}

# gp_dynamic_symbols LIB: the names LIB defines for the dynamic linker, one a line. ASan gives
# each exported global NAME an indicator __odr_asan.NAME: it is listed as NAME.
gp_dynamic_symbols() {
	nm -D --defined-only "$1" | awk '{ print $3 }' | sed 's/^__odr_asan\.//' | sort -u
}

# gp_none_left PROGRAM WHAT: no process running PROGRAM (a path: its command line starts with
# it and a space) is alive within 10 s; else they are killed and the case fails, naming WHAT.
gp_none_left() {
	local left=
	for _ in $(seq 100); do
		left=$(pgrep -f "^$1 ") || return 0
		sleep 0.1
	done
	kill -KILL $left 2>/dev/null
	gp_fail "$2 still alive 10 s after the last run: $(echo $left)"
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

# gp_real_sources DEST PKG...: the Debian source packages PKG unpacked under DEST (see
# testsuite/real/get-sources.sh); when one cannot be fetched the case skips naming it (under
# CI it fails).
gp_real_sources() {
	local dest=$1 missing
	shift
	"$GP_SRCDIR/testsuite/real/get-sources.sh" "$dest" "$@" >get-sources.log 2>&1 && return 0
	cat get-sources.log >&2
	missing=$(sed -n 's/^get-sources.sh: could not fetch: //p' get-sources.log)
	[ -n "$missing" ] || missing="$* (get-sources.sh failed)"
	[ -n "${CI:-}" ] && gp_fail "could not fetch the Debian source package(s) $missing"
	gp_skip "could not fetch the Debian source package(s) $missing"
}

# The build tree's goprof-cc and goprof-c++.
GP_GOPROF_CC=$GP_BUILDDIR/tools/goprof-cc
GP_GOPROF_CXX=$GP_BUILDDIR/tools/goprof-c++
