#!/bin/sh
# The shadow stack reached the right way in every build mode, with exact stacks across the
# program and its library: code for an executable (-fPIE, the default here, or -fno-pie)
# uses local-exec TLS, and the executable defines and exports the word; -fno-pie code stores
# the record's address as an immediate; -fPIC code, a one-command `-shared` build without
# -fPIC, and an -fPIE object with -fplugin-arg-goprof-initial-exec use initial-exec; an
# -fPIE object linked into a library without that option fails with the linker's
# "recompile with -fPIC" message. A PIE program pushes each record's GOT offset
# (`movq $record@GOT, (slot)`, R_X86_64_GOT32) and exports the anchor __goprof_got
# that turns it back into the record, with lazy and immediate binding (-z now); with
# -fplugin-arg-goprof-no-got-record, and in -fPIC code, no GOT32 relocation. (0021-shared-lib's
# program checks its own stacks.) An executable's pops decrement the word in memory, or,
# with -fplugin-arg-goprof-restore-pops, store back the pointer the push read.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
src=$GP_SRCDIR/testsuite/cases
lib=$src/0021-shared-lib-lib.c
prog=$src/0021-shared-lib-prog.c
# -fPIE code reaches stderr (the library's check messages) as if the program defined it;
# with this flag the library's only obstacle to a -shared link is the TLS model
pie_lib=-mno-direct-extern-access

# relocs FILE: the TLS relocation types against __goprof_sp, sorted, one per line
relocs() { readelf -rW "$1" | awk '/__goprof_sp/ { print $3 }' | sort -u; }
# got32 FILE: how many R_X86_64_GOT32 relocations FILE has
got32() { readelf -rW "$1" | grep -c 'R_X86_64_GOT32 ' || true; }

run_pair() {
	gp_run prog ./prog
	cat prog.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "$1: the program exited with $GP_RC"
	[ -s prog.err ] && gp_fail "$1: stack checks failed"
	grep -q '^r = 26$' prog.out || gp_fail "$1: unexpected output: $(cat prog.out)"
	echo "ok $1"
}

for o in -O0 -O2; do
	# shellcheck disable=SC2086
	$GP_CC $o -g -fPIC $GP_FLAGS $GP_INC -c -o lib.o "$lib" || gp_fail "lib.o at $o"
	[ "$(relocs lib.o)" = R_X86_64_GOTTPOFF ] || gp_fail "-fPIC code at $o: $(relocs lib.o)"
	[ "$(got32 lib.o)" = 0 ] || gp_fail "-fPIC code at $o has GOT32 relocations"
	readelf -sW lib.o | awk '$8 == "__goprof_sp" && $7 != "UND" { f = 1 } END { exit !f }' &&
		gp_fail "-fPIC code at $o defines __goprof_sp"
	$GP_CC -shared -o libshared.so lib.o $GP_LIBS || gp_fail "libshared.so at $o"

	for mode in pie pie-now pie-nogot pie-restore nopie; do
		pf= lf= af=
		case $mode in
		nopie) pf="-fno-pie -no-pie" ;;
		pie-now) lf=-Wl,-z,now ;;
		pie-nogot) af=-fplugin-arg-goprof-no-got-record ;;
		pie-restore) af=-fplugin-arg-goprof-restore-pops ;;
		esac
		# shellcheck disable=SC2086
		$GP_CC $o -g $pf $GP_FLAGS $af $GP_INC -c -o prog.o "$prog" || gp_fail "prog.o $mode $o"
		[ "$(relocs prog.o)" = R_X86_64_TPOFF32 ] ||
			gp_fail "$mode code at $o: $(relocs prog.o), want R_X86_64_TPOFF32 only"
		# shellcheck disable=SC2086
		$GP_CC $pf $lf -o prog prog.o -L. -Wl,-rpath,"$GP_WORK" -lshared $GP_LIBS ||
			gp_fail "prog $mode at $o does not link"
		nm -D prog | grep -q ' [VW] __goprof_sp$' ||
			gp_fail "prog $mode at $o does not export its __goprof_sp"
		n=$(got32 prog.o)
		case $mode in
		pie | pie-now | pie-restore)
			[ "$n" -ge 3 ] || gp_fail "$mode code at $o: $n GOT32 relocations, want one a function"
			nm -D prog | grep -q ' [VW] __goprof_got$' ||
				gp_fail "prog $mode at $o does not export __goprof_got"
			# the push: the record's GOT offset, a small immediate stored
			objdump -d --no-show-raw-insn prog | awk '
				/<prog_outer>:/ { f = 1 } f && /^$/ { exit }
				f && /movq +\$0x[0-9a-f]+,(0x0)?\(%r/ { imm++ }
				END { exit !imm }' ||
				gp_fail "prog_outer ($mode, $o) does not push an immediate"
			;;
		*) [ "$n" = 0 ] || gp_fail "$mode code at $o: $n GOT32 relocations" ;;
		esac
		# the record's address as an immediate: movq $ADDR,(%reg), no lea of it first
		if [ $mode = nopie ]; then
			objdump -d prog | awk '/<prog_outer>:/ { f = 1 } f && /^$/ { exit }
				f && /movq +\$0x[0-9a-f]+,(0x[0-9a-f]+)?\(%r/ { n++ } END { exit !n }' ||
				gp_fail "-fno-pie code at $o stores no immediate record address"
		fi
		# pops: a decrement of the word in memory, or with restore-pops a store of the
		# pointer the push read (prog_outer: one push, one return)
		pops=$(objdump -d --no-show-raw-insn prog | awk '/<prog_outer>:/ { f = 1 } f && /^$/ { exit }
			f && /subq +\$0x8,%fs:/ { d++ } f && /mov +%r[a-z0-9]+,%fs:/ { r++ }
			END { printf "%d %d", d, r }')
		case $mode in
		pie-restore) [ "$pops" = "0 1" ] || gp_fail "$mode at $o: (decrements, stores) $pops, want 0 1" ;;
		*) [ "$pops" = "1 0" ] || gp_fail "$mode at $o: (decrements, stores) $pops, want 1 0" ;;
		esac
		run_pair "$mode program, -fPIC library, $o"
	done

	# one command, -shared without -fPIC: -fPIE code that knows it is for a library
	# shellcheck disable=SC2086
	$GP_CC $o -g -shared $pie_lib $GP_FLAGS $GP_INC -o libshared.so "$lib" $GP_LIBS ||
		gp_fail "gcc -shared without -fPIC at $o does not build"
	[ "$(relocs libshared.so)" = R_X86_64_TPOFF64 ] ||
		gp_fail "one-command -shared at $o: $(relocs libshared.so)"
	run_pair "pie program, one-command -shared library, $o"

	# -fPIE object, linked into a library later: a clear link error, or the option
	# shellcheck disable=SC2086
	$GP_CC $o -g $pie_lib $GP_FLAGS $GP_INC -c -o lib.o "$lib" || gp_fail "-fPIE lib.o at $o"
	$GP_CC -shared -o libbad.so lib.o $GP_LIBS 2>bad.err &&
		gp_fail "an -fPIE object with local-exec TLS linked into a library at $o"
	grep -q "__goprof_sp.*recompile with -fPIC" bad.err ||
		gp_fail "no clear message for an -fPIE object in a library: $(cat bad.err)"
	# shellcheck disable=SC2086
	$GP_CC $o -g $pie_lib $GP_FLAGS -fplugin-arg-goprof-initial-exec $GP_INC -c -o lib.o "$lib" ||
		gp_fail "-fplugin-arg-goprof-initial-exec at $o"
	[ "$(relocs lib.o)" = R_X86_64_GOTTPOFF ] || gp_fail "initial-exec at $o: $(relocs lib.o)"
	$GP_CC -shared -o libshared.so lib.o $GP_LIBS || gp_fail "initial-exec library at $o"
	run_pair "pie program, -fPIE library with initial-exec, $o"
done
exit 0
