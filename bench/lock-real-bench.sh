#!/bin/bash
# Lock profiles on a real threaded program (issue 5's contended workload, beside the micro in
# lock-bench.sh): the zstd command from Debian's source package, built plain and with goprof,
# compresses about 45 MB with four worker threads (-T4 -6 -B1M, no asynchronous I/O). Each
# round runs every configuration once, interleaved; a ratio is the median over rounds of the
# ratio to the reference run of the same round. Wall time and process CPU time (user +
# system). Prints Markdown tables.
#
#	bench/lock-real-bench.sh [BUILDDIR]	(default: the current directory)
#	ROUNDS=... bench/lock-real-bench.sh BUILDDIR
set -eu
build=$(cd "${1:-.}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
rounds=${ROUNDS:-15}
plugin=$build/plugin/.libs/goprof.so
rt=$build/rt/.libs
[ -f "$plugin" ] && [ -d "$rt" ] || { echo "lock-real-bench: build first ($plugin)" >&2; exit 1; }
src=$build/real-src
"$here/../testsuite/real/get-sources.sh" "$src" >/dev/null ||
	{ echo "lock-real-bench: cannot fetch the Debian sources" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_zstd() { # DIR CC LIBS
	cp -R "$src/libzstd/" "$work/$1"
	make -j2 -C "$work/$1/programs" zstd HAVE_ZLIB=0 HAVE_LZMA=0 HAVE_LZ4=0 CC="$2" \
		LDLIBS="$3" >"$work/$1.log" 2>&1 ||
		{ tail "$work/$1.log" >&2; echo "lock-real-bench: building zstd failed" >&2; exit 1; }
}
make_zstd plain "${CC:-gcc}" ""
make_zstd goprof "${CC:-gcc} -fplugin=$plugin" "-L$rt -Wl,-rpath,$rt -lgoprof -lpthread"
for i in $(seq 16); do
	cat "$src"/libzstd/lib/*/*.c "$src"/libzstd/lib/*/*.h
done >"$work/input"

db="GOPROF_DB=$work/db GOPROF_CPU_HZ=0 GOPROF_MEMPROFILE_RATE=0"
# label|program|environment; the first two rows are the references
cfgs="plain build|plain|
goprof, GOPROF_DB, lock profiles off|goprof|$db
goprof, GOPROF_DB, block rate 10000 + mutex fraction 100|goprof|$db GOPROF_BLOCK_RATE=10000 GOPROF_MUTEX_FRACTION=100
goprof, GOPROF_DB, block rate 1 + mutex fraction 1|goprof|$db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1"

run() { # PROGRAM ENV: "wall cpu" in ms
	local out
	rm -f "$work"/db*
	TIMEFORMAT='%R %U %S'
	# shellcheck disable=SC2086
	out=$( { time env $2 "$work/$1/programs/zstd" -q -T4 --no-asyncio -6 -B1M -c \
		"$work/input" >/dev/null; } 2>&1)
	echo "$out" | awk '{ printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000 }'
}
. "$(dirname "$0")/lib.sh"
ratio() { # FILE REFFILE COLUMN
	paste "$1" "$2" | awk -v c="$3" '{ print $c / $(c + 2) }' | median |
		awk '{ printf "%.3f", $1 }'
}

r=0
while [ $r -lt "$rounds" ]; do
	i=0
	while IFS='|' read -r label prog envs; do
		run "$prog" "$envs" >>"$work/$i.ms"
		i=$((i + 1))
	done <<<"$cfgs"
	r=$((r + 1))
done
echo "zstd -T4 -6 -B1M, $(($(stat -c %s "$work/input") / 1000000)) MB; median of $rounds paired rounds"
echo
echo "| configuration | wall ms | vs plain | vs lock profiles off | CPU ms | CPU vs plain | CPU vs lock profiles off |"
echo "|---|---|---|---|---|---|---|"
i=0
while IFS='|' read -r label prog envs; do
	echo "| $label | $(cut -d' ' -f1 "$work/$i.ms" | median) | $(ratio "$work/$i.ms" "$work/0.ms" 1)x" \
		"| $(ratio "$work/$i.ms" "$work/1.ms" 1)x | $(cut -d' ' -f2 "$work/$i.ms" | median)" \
		"| $(ratio "$work/$i.ms" "$work/0.ms" 2)x | $(ratio "$work/$i.ms" "$work/1.ms" 2)x |"
	i=$((i + 1))
done <<<"$cfgs"
