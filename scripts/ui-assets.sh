#!/bin/sh
# Brings the web UI's libraries into tools/ui/vendor/ from the npm registry: pinned versions,
# each tarball checked against the SHA-256 recorded here, only the built files and the
# license kept. The result is committed, so that building goprof needs no network; run this
# again only to move to another version (then update the versions and sums below, and
# README.md's "Web UI" section).
#
#	sh scripts/ui-assets.sh
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/tools/ui/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name version sha256-of-the-npm-tarball files-to-keep (under package/)
fetch() {
	name=$1 version=$2 sum=$3
	shift 3
	(cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
	tgz=$tmp/$name-$version.tgz
	echo "$sum  $tgz" | sha256sum -c --quiet - ||
		{ echo "ui-assets.sh: $name-$version.tgz does not match its recorded sum" >&2; exit 1; }
	mkdir -p "$tmp/$name"
	tar xzf "$tgz" -C "$tmp/$name"
	for f in "$@"; do
		cp "$tmp/$name/package/$f" "$out/$(basename "$f")"
	done
	cp "$tmp/$name/package/LICENSE" "$out/LICENSE.$name"
	echo "$name $version" >>"$out/VERSIONS.new"
}

mkdir -p "$out"
rm -f "$out/VERSIONS.new"
fetch d3 7.9.0 7e36605710a2ba54846797c8c6d888911341b215ae53257dc32a49a0b824355e \
	dist/d3.min.js
fetch d3-flame-graph 5.0.0 f12f7540b6e6e787277908d70b7169da7ced5be8737bcff2bd27f3fe4b9961c9 \
	dist/d3-flamegraph.umd.min.js dist/d3-flamegraph.css
fetch uplot 1.6.32 4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d \
	dist/uPlot.iife.min.js dist/uPlot.min.css
mv "$out/VERSIONS.new" "$out/VERSIONS"
echo "ui-assets.sh: $(tr '\n' ' ' <"$out/VERSIONS")in $out"
