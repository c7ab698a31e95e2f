#!/bin/sh
# The two Quick start commands of README.md, for a fresh Debian 12 machine (as root, or with
# sudo): `sh scripts/dev.sh demo` installs what is missing, builds goprof and profiles the
# bundled example; `sh scripts/dev.sh check` does the same set-up and runs the whole test
# suite, ending with the line "N passed, N failed".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${GOPROF_BUILD_DIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

# Debian packages the build, the tests and the real consumers (go tool pprof) need.
packages="gcc g++ make autoconf automake libtool pkg-config gcc-12-plugin-dev
	libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libsqlite3-dev sqlite3
	libelf-dev libdw-dev zlib1g-dev libmicrohttpd-dev golang-go curl valgrind strace dpkg-dev libc6-dbg
	tcl graphviz
	ccache clang cmake meson ninja-build chromium nodejs"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	missing=
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing$missing"
	as_root apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null
}

build() {
	cd "$top"
	[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
	mkdir -p "$build"
	cd "$build"
	[ -f Makefile ] || "$top/configure" -q
	make -s -j"$jobs" >/dev/null
}

demo() {
	cd "$build"
	rm -f demo.db demo.db-wal demo.db-shm
	"$build/tools/goprof-cc" -O2 -g -o primes "$top/examples/primes.c" -lpthread
	GOPROF_DB=$build/demo.db ./primes
	./tools/goprof-export -t cpu -f text demo.db
	./tools/goprof-export -t cpu -o cpu.pb.gz demo.db
	echo
	echo "CPU profile written to $build/cpu.pb.gz; look at it with: go tool pprof -top $build/cpu.pb.gz"
}

check() {
	cd "$build"
	status=0
	make -s -j"$jobs" check >check.log 2>&1 || status=$?
	grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' check.log || true
	[ "$status" = 0 ] || for f in $(grep -lE '^(FAIL|ERROR)' testsuite/cases/*.log 2>/dev/null); do
		echo "--- $f"
		tail -40 "$f"
	done
	pass=$(sed -n 's/^# PASS: *//p' check.log | tail -1)
	fail=$(sed -n 's/^# FAIL: *//p' check.log | tail -1)
	err=$(sed -n 's/^# ERROR: *//p' check.log | tail -1)
	echo "${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed"
	return "$status"
}

case ${1:-} in
demo) install_deps; build; demo ;;
check) install_deps; build; check ;;
deps) install_deps ;;
build) install_deps; build ;;
*) echo "usage: sh scripts/dev.sh demo|check|deps|build" >&2; exit 2 ;;
esac
