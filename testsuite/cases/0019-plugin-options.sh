#!/bin/sh
# The plugin's options are parsed strictly: an unknown option and malformed ones (a list
# option without a value or with an empty element, a switch with a value) are compile
# errors naming the option; -fplugin-arg-goprof-measure-nops (for timing the push's parts,
# bench/floor-code.sh) turns exactly the parts it names into NOPs of their size;
# -fplugin-arg-goprof-help prints the help and compiles, and
# -fplugin-arg-goprof-verbose notes each function it leaves alone, and why. The constructor
# GCC adds for -fsanitize=address is left alone, without a note.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
LC_ALL=C
export LC_ALL

cat >t.c <<'EOT'
__attribute__((no_instrument_function)) int quiet(int x) { return x + 1; }
int loud(int x) { return quiet(x) * 2; }
EOT

# must_fail OPTION TEXT: compiling with OPTION fails and the error names TEXT.
must_fail() {
	# shellcheck disable=SC2086
	if $GP_CC $GP_FLAGS "$1" -c t.c -o t.o 2>err; then
		gp_fail "$1 was accepted"
	fi
	grep "error:" err | grep -q -e "$2" || { cat err >&2; gp_fail "the error for $1 does not name $2"; }
	echo "ok: $1 refused"
}

must_fail -fplugin-arg-goprof-bogus "-fplugin-arg-goprof-bogus"
must_fail -fplugin-arg-goprof-exclude "-fplugin-arg-goprof-exclude"
must_fail -fplugin-arg-goprof-exclude= "-fplugin-arg-goprof-exclude"
must_fail -fplugin-arg-goprof-exclude-file "-fplugin-arg-goprof-exclude-file"
must_fail -fplugin-arg-goprof-exclude=a,,b "-fplugin-arg-goprof-exclude.*a,,b"
must_fail -fplugin-arg-goprof-skip-leaf=3 "-fplugin-arg-goprof-skip-leaf.*3"
must_fail -fplugin-arg-goprof-verbose=yes "-fplugin-arg-goprof-verbose"
must_fail -fplugin-arg-goprof-no-branch-push=1 "-fplugin-arg-goprof-no-branch-push.*1"
must_fail -fplugin-arg-goprof-measure-nops "-fplugin-arg-goprof-measure-nops"
must_fail -fplugin-arg-goprof-measure-nops=all "-fplugin-arg-goprof-measure-nops"

cat >n.c <<'EOT'
__attribute__((noinline)) int leaf(int x) { __asm__ volatile("" : "+r"(x)); return x + 1; }
int caller(int x) { int r = leaf(x); return r * 3; }
EOT
# code WHAT: the disassembly of n.c built -O2 for a PIE with measure-nops=WHAT (none: without)
code() {
	nops=
	[ "$1" = none ] || nops=-fplugin-arg-goprof-measure-nops=$1
	# shellcheck disable=SC2086
	$GP_CC -O2 -fPIE $GP_FLAGS $nops -c n.c -o "nops-$1.o" || gp_fail "measure-nops=$1"
	objdump -d --no-show-raw-insn "nops-$1.o" | awk -F'\t' 'NF >= 2 { print $2 }' >"nops-$1.s"
	echo "$1: $(grep -c 'addq   $0x8,%fs:' "nops-$1.s" || true) add," \
		"$(grep -c 'subq   $0x8,%fs:' "nops-$1.s" || true) subtract," \
		"$(grep -c 'movq   $0x0,(%r' "nops-$1.s" || true) record store," \
		"$(size -A "nops-$1.o" | awk '$1 == ".text" { print $2 }') bytes" >>nops
}
for what in none record pointer both; do
	code $what
done
cat >nops.want <<EOT
none: 1 add, 1 subtract, 1 record store, $(sed -n 's/.*store, //p' nops | head -n 1)
record: 1 add, 1 subtract, 0 record store, $(sed -n 's/.*store, //p' nops | head -n 1)
pointer: 0 add, 0 subtract, 1 record store, $(sed -n 's/.*store, //p' nops | head -n 1)
both: 0 add, 0 subtract, 0 record store, $(sed -n 's/.*store, //p' nops | head -n 1)
EOT
diff nops.want nops >&2 || gp_fail "measure-nops: the code is not the default's with NOPs"
echo "ok: measure-nops"

# shellcheck disable=SC2086
$GP_CC $GP_FLAGS -fplugin-arg-goprof-help -c t.c -o t.o 2>help ||
	{ cat help >&2; gp_fail "-fplugin-arg-goprof-help stopped the compilation"; }
for opt in exclude= exclude-file= skip-leaf no-branch-push branch-push verbose measure-nops= \
	help; do
	grep -q -e "-fplugin-arg-goprof-$opt" help || gp_fail "the help does not mention $opt"
done
echo "ok: help"

# shellcheck disable=SC2086
$GP_CC $GP_FLAGS -fplugin-arg-goprof-verbose -c t.c -o t.o 2>verbose ||
	{ cat verbose >&2; gp_fail "-fplugin-arg-goprof-verbose stopped the compilation"; }
grep "note:" verbose | grep "quiet" | grep -q "no_instrument_function" ||
	{ cat verbose >&2; gp_fail "no note for the no_instrument_function function"; }
if grep -q "loud" verbose; then
	gp_fail "a note for a function that is instrumented"
fi
echo "ok: verbose"

# The module constructor GCC adds for -fsanitize=address is not the program's: a program
# with nothing to instrument still links without the runtime (a build system's probe)
printf 'int main(void)\n{\n\treturn 0;\n}\n' >probe.c
# shellcheck disable=SC2086
$GP_CC_PLAIN -fsanitize=address $GP_FLAGS -fplugin-arg-goprof-verbose -o probe probe.c \
	2>probe.err || { cat probe.err >&2; gp_fail "an ASan probe does not link without libgoprof"; }
! grep -q "_sub_" probe.err || { cat probe.err >&2; gp_fail "a note about GCC's own constructor"; }
echo "ok: ASan's constructor"
exit 0
