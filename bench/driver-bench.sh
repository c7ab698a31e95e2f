#!/bin/sh
# Compiler-driver benchmark (issue 12): what goprof-cc costs a build. Wall time of the same
# small jobs run through gcc, through goprof-cc with GOPROF_CC_OFF=1 (the driver's own exec
# and argument scan, nothing added), and through goprof-cc (plugin and runtime added):
#  - probe: `-dumpversion`, the kind of question configure and CMake ask many times;
#  - compile: `-O2 -c` of bench/calls.c;
#  - link: linking that object into a program;
#  - configure: autoconf's configure of the sample project in testsuite/build-systems
#    (about a hundred probes, each compiling, linking or running a test program).
# ROUNDS paired rounds, each running every variant of a job once, interleaved; a ratio is the
# median over rounds of the ratio to gcc's time in the same round. Prints a Markdown table.
#
#	bench/driver-bench.sh [BUILDDIR]	(default: the current directory)
#	N=... ROUNDS=... bench/driver-bench.sh BUILDDIR
set -eu
build=$(cd "${1:-.}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-20}		# runs of a job per timing (probe, compile, link)
rounds=${ROUNDS:-7}
drv=$build/tools/goprof-cc
[ -x "$drv" ] || { echo "driver-bench: build first ($drv)" >&2; exit 1; }
cc=${CC:-gcc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp -R "$src/testsuite/build-systems" proj
(cd proj && autoreconf -fi >/dev/null 2>&1) || { echo "driver-bench: autoreconf failed" >&2; exit 1; }
$cc -O2 -c -o calls.o "$src/bench/calls.c"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# job VARIANT NAME: runs job NAME with variant VARIANT's compiler; prints its milliseconds
job() {
	case $1 in
	gcc) set -- "$2" env "$cc" ;;
	off) set -- "$2" env GOPROF_CC_OFF=1 "$drv" ;;
	on) set -- "$2" env "$drv" ;;
	esac
	name=$1
	shift
	t0=$(now_ms)
	case $name in
	probe) i=0; while [ $i -lt "$n" ]; do "$@" -dumpversion >/dev/null; i=$((i + 1)); done ;;
	compile) i=0; while [ $i -lt "$n" ]; do "$@" -O2 -c -o c.o "$src/bench/calls.c"; i=$((i + 1)); done ;;
	link) i=0; while [ $i -lt "$n" ]; do "$@" -o prog calls.o; i=$((i + 1)); done ;;
	configure) (cd proj && ./configure CC="$*" >/dev/null) ;;
	esac
	echo $(($(now_ms) - t0))
}

. "$src/bench/lib.sh"

echo "| job | gcc (ms) | goprof-cc, GOPROF_CC_OFF=1 | goprof-cc |"
echo "| --- | ---: | ---: | ---: |"
for name in probe compile link configure; do
	: >"$name.gcc"
	: >"$name.off"
	: >"$name.on"
	r=0
	while [ $r -lt "$rounds" ]; do
		g=$(job gcc $name)
		o=$(job off $name)
		d=$(job on $name)
		echo "$g" >>"$name.gcc"
		awk -v a="$o" -v b="$g" 'BEGIN { printf "%.3f\n", a / b }' >>"$name.off"
		awk -v a="$d" -v b="$g" 'BEGIN { printf "%.3f\n", a / b }' >>"$name.on"
		r=$((r + 1))
	done
	per=""
	[ $name = configure ] || per=" / $n"
	printf '| %s%s | %s | %.2fx | %.2fx |\n' "$name" "$per" "$(median <"$name.gcc")" \
		"$(median <"$name.off")" "$(median <"$name.on")"
done
