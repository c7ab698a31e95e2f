# Shell helpers for the cases that build real projects (Debian source packages) twice, with
# GCC and with goprof-cc as the only change, and compare what their own tests say.
# Sourced after lib.sh and profile-lib.sh.

GP_REAL_SRC=$GP_BUILDDIR/real-src
# the project's makes are not part of the suite's (nor is its TESTS=)
unset MAKEFLAGS MFLAGS MAKELEVEL TESTS

# Under --enable-sanitizers both flavours build the project with ASan (libgoprof needs libasan
# loaded first) but without UBSan: the project's own undefined behaviour is its authors' to
# fix, not goprof's (libogg's bit packer shifts a byte into an int's sign bit, in the plain
# build as in goprof's). goprof's runtime keeps both sanitizers.
GP_PROJECT_FLAGS=${GP_SANITIZE:+$GP_SANITIZE -fno-sanitize=undefined}

# gp_project PKG FLAVOUR: a fresh copy of PKG's sources in $GP_WORK/FLAVOUR, timestamps kept
# (so that no build system regenerates itself), entered; CC_PROG is the flavour's compiler
# and CC the same with GP_PROJECT_FLAGS (for build systems that take a compiler and flags).
gp_project() {
	cd "$GP_WORK" || gp_die "cannot enter $GP_WORK"
	rm -rf "$2"
	cp -a "$GP_REAL_SRC/$1/" "$2" || gp_die "cannot copy $GP_REAL_SRC/$1"
	cd "$2" || gp_die "cannot enter $2"
	case $2 in
	plain) CC_PROG=$GP_CC_PLAIN ;;
	goprof) CC_PROG=$GP_GOPROF_CC ;;
	*) gp_die "no flavour $2" ;;
	esac
	CC="$CC_PROG${GP_PROJECT_FLAGS:+ $GP_PROJECT_FLAGS}"
}

# gp_project_run FLAVOUR WHAT CMD...: runs CMD in the project, its output appended to
# $GP_WORK/FLAVOUR.log; fails the case naming WHAT when it fails.
gp_project_run() {
	local f=$1 what=$2
	shift 2
	"$@" >>"$GP_WORK/$f.log" 2>&1 ||
		{ tail -30 "$GP_WORK/$f.log" >&2; gp_fail "$f: $what failed"; }
}

# gp_project_same WHAT: $GP_WORK/plain.WHAT and goprof.WHAT (the test results of each
# flavour) are the same and not empty.
gp_project_same() {
	[ -s "$GP_WORK/plain.$1" ] || gp_fail "plain: no $1"
	cmp -s "$GP_WORK/plain.$1" "$GP_WORK/goprof.$1" ||
		{ diff "$GP_WORK/plain.$1" "$GP_WORK/goprof.$1" >&2; gp_fail "the $1 differ"; }
}

# gp_project_instrumented FILE...: each names libgoprof as needed and refers to its hooks.
gp_project_instrumented() {
	local f
	for f; do
		readelf -d "$f" | grep -q 'NEEDED.*libgoprof' || gp_fail "$f does not need libgoprof"
		nm -D "$f" | grep -q ' U __goprof' || gp_fail "$f is not instrumented"
	done
}
