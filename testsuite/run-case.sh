#!/bin/sh
# C_LOG_COMPILER for test cases: builds a case plain and with the plugin at each
# optimisation level it asks for, runs both, and passes when the instrumented build's own
# checks pass (exit 0) and both builds print the same output.
#
# Directives, one per line anywhere in the case:
#   goprof-opts: -O0 -O2          optimisation levels (default: -O0 -O2)
#   goprof-cflags: ...            extra compiler flags for both builds
#   goprof-plugin-args: K[=V] ... -fplugin-arg-goprof-K[=V] for the instrumented build
#   goprof-env: VAR=VALUE ...     environment of the instrumented run
set -u
src=$1
. "$GP_SRCDIR/testsuite/lib.sh"
case $src in /*) ;; *) src=$PWD/$src ;; esac
gp_begin "$src"

# A directive may end a one-line comment: a trailing "*/" is not part of it.
directive() { sed -n "s/^.*goprof-$1: *//p" "$src" | sed 's|[[:space:]]*\*/.*$||' | tr '\n' ' '; }
opts=$(directive opts)
[ -n "$opts" ] || opts="-O0 -O2"
cflags=$(directive cflags)
env_vars=$(directive env)
pargs=
for a in $(directive plugin-args); do pargs="$pargs -fplugin-arg-goprof-$a"; done

case $src in
*.cc) cc=$GP_CXX ;;
*) cc=$GP_CC ;;
esac

for o in $opts; do
	tag=${o#-}
	# shellcheck disable=SC2086
	$cc $o -g $cflags $GP_INC -o plain$tag "$src" -lpthread -ldl 2>plain$tag.cc-err ||
		{ cat plain$tag.cc-err >&2; gp_fail "plain build at $o failed"; }
	# shellcheck disable=SC2086
	$cc $o -g $cflags $GP_FLAGS $pargs $GP_INC -o inst$tag "$src" $GP_LIBS -ldl \
		2>inst$tag.cc-err || { cat inst$tag.cc-err >&2; gp_fail "instrumented build at $o failed"; }
	gp_run plain$tag ./plain$tag
	plain_rc=$GP_RC
	# shellcheck disable=SC2086
	gp_run inst$tag env $env_vars ./inst$tag
	cat inst$tag.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "instrumented build at $o exited with $GP_RC"
	[ "$plain_rc" = 0 ] || gp_fail "plain build at $o exited with $plain_rc"
	gp_same_output plain$tag inst$tag
	echo "ok $o"
done
exit 0
