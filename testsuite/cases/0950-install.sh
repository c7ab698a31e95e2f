#!/bin/sh
# `make install` puts the plugin, both runtime libraries, the header, goprof.pc and the man
# page where they belong; a program compiled with the pkg-config flags, against the shared
# and against the static runtime, gets exact stacks; libgoprof exports only its own names
# and the calls it interposes (thread creation, SIGPROF, exec). The installed goprof-cc, in a
# prefix other than the configured one, and in a DESTDIR tree, uses the plugin and runtime
# installed with it: the program it builds links the installed libgoprof (or, -static, the
# installed libgoprof-static.a), gets exact stacks, and its CPU profile, read with go tool
# pprof, puts the time in its hot function.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

stage=$GP_WORK/stage
make -s -C "$GP_BUILDDIR" install prefix="$stage/usr" GCC_PLUGIN_DIR="$stage/plugin" \
	>install.log 2>&1 || { cat install.log >&2; gp_fail "make install failed"; }
for f in plugin/goprof.so usr/lib/libgoprof.so usr/lib/libgoprof.a usr/lib/libgoprof-static.a \
	usr/include/goprof.h \
	usr/lib/pkgconfig/goprof.pc usr/share/man/man7/goprof.7; do
	[ -e "$stage/$f" ] || gp_fail "not installed: $f"
done
[ ! -e "$stage/plugin/goprof.la" ] || gp_fail "goprof.la left in the plugin directory"

export PKG_CONFIG_PATH=$stage/usr/lib/pkgconfig
cflags=$(pkg-config --cflags goprof) || gp_fail "pkg-config --cflags goprof failed"
libs=$(pkg-config --libs goprof) || gp_fail "pkg-config --libs goprof failed"
case $cflags in
*"-fplugin=$stage/plugin/goprof.so"*) ;;
*) gp_fail "pkg-config --cflags lacks the plugin: $cflags" ;;
esac

cat >prog.c <<'C'
#include <stdio.h>
#include <string.h>
#include <goprof.h>
__attribute__((noinline)) static int inner(void)
{
	struct goprof_frame f[8];
	int n = goprof_callers(f, 8);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "<" : "", f[i].function);
	printf("\n");
	return n;
}
__attribute__((noinline)) static int outer(void)
{
	return inner() + 1;
}
int main(void)
{
	return outer() == 4 ? 0 : 1;
}
C
# shellcheck disable=SC2086
$GP_CC -O2 $cflags -o shared prog.c $libs || gp_fail "build against the shared runtime failed"
# Under --enable-sanitizers the static runtime is not tried: linked into the executable, its
# malloc comes before ASan's and runs before ASan is set up, which cannot work.
runtimes="shared static"
if [ -n "${GP_SANITIZE:-}" ]; then
	runtimes=shared
	echo "$GP_CASE: sanitizers: the static runtime is not tried" >&2
fi
# shellcheck disable=SC2086
[ "$runtimes" = shared ] || $GP_CC -O2 $cflags -o static prog.c "$stage/usr/lib/libgoprof.a" \
	$(pkg-config --libs-only-l --static goprof | sed 's/-lgoprof//') ||
	gp_fail "build against the static runtime failed"
for p in $runtimes; do
	gp_run $p ./$p
	[ "$GP_RC" = 0 ] || gp_fail "$p exited with $GP_RC"
	[ "$(cat $p.out)" = "inner<outer<main" ] || gp_fail "$p printed: $(cat $p.out)"
done
ldd ./shared | grep -q "$stage/usr/lib/libgoprof.so" || gp_fail "shared build does not use the installed libgoprof"
[ "$runtimes" = shared ] || ! ldd ./static | grep -q libgoprof ||
	gp_fail "static build still needs libgoprof.so"

# GOPROF_HTTP finds the installed module next to the installed libgoprof
if [ -f "$GP_BUILDDIR/rt/goprof-module.la" ]; then
	[ -f "$stage/usr/lib/goprof/goprof-module.so" ] || gp_fail "no installed goprof-module.so"
	[ ! -e "$stage/usr/lib/goprof/goprof-module.la" ] || gp_fail "goprof-module.la installed"
	GOPROF_HTTP=127.0.0.1:0 gp_run http ./shared
	grep -q 'serving /debug/pprof on http://127.0.0.1:' http.err ||
		{ cat http.err >&2; gp_fail "the installed program did not serve /debug/pprof"; }
fi

# the installed driver, in the prefix given to make install
cat >spin.c <<'C'
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) static unsigned long spin(unsigned long n)
{
	unsigned long x = n;
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + i;
	return x;
}
int main(int argc, char **argv)
{
	unsigned long x = spin(argc > 1 ? strtoul(argv[1], NULL, 10) : 1);
	printf("%lu\n", x & 1);
	return 0;
}
C
drv=$stage/usr/bin/goprof-cc
"$drv" --goprof-print >print.out || gp_fail "goprof-cc --goprof-print failed"
for want in "plugin $stage/plugin/goprof.so" "runtime $stage/usr/lib" \
	"include $stage/usr/include"; do
	grep -qx "$want" print.out || { cat print.out >&2; gp_fail "the installed driver lacks: $want"; }
done
"$drv" -O2 -o spin spin.c || gp_fail "the installed goprof-cc cannot build a program"
ldd ./spin | grep -q "$stage/usr/lib/libgoprof.so" ||
	gp_fail "spin does not use the installed libgoprof"
gp_cpu_profile spin ./spin 400000000
gp_hot spin.pb.gz spin 80
if [ "$runtimes" != shared ]; then
	"$drv" -O2 -static -o spin-static spin.c 2>static.err ||
		{ cat static.err >&2; gp_fail "the installed goprof-cc cannot link -static"; }
	gp_cpu_profile spin-static ./spin-static 400000000
	gp_hot spin-static.pb.gz spin 80
fi

# the installed driver in a DESTDIR tree: everything where the configured layout puts it
dest=$GP_WORK/dest
make -s -C "$GP_BUILDDIR" install DESTDIR="$dest" >install-dest.log 2>&1 ||
	{ cat install-dest.log >&2; gp_fail "make install DESTDIR= failed"; }
drv=$(find "$dest" -name goprof-cc -type f)
[ -x "$drv" ] || gp_fail "no goprof-cc under $dest"
"$drv" --goprof-print >print-dest.out || gp_fail "goprof-cc --goprof-print failed"
[ "$(grep -c " $dest/" print-dest.out)" = 3 ] ||
	{ cat print-dest.out >&2; gp_fail "the DESTDIR driver does not use the DESTDIR tree"; }
"$drv" -O2 -o staged prog.c || gp_fail "the DESTDIR goprof-cc cannot build a program"
gp_run staged ./staged
[ "$GP_RC" = 0 ] && [ "$(cat staged.out)" = "inner<outer<main" ] ||
	gp_fail "the DESTDIR build exited with $GP_RC and printed: $(cat staged.out)"
ldd ./staged | grep -q "$dest/.*/libgoprof.so" ||
	gp_fail "staged does not use the DESTDIR libgoprof"

extra=$(gp_dynamic_symbols "$stage/usr/lib/libgoprof.so" | grep -vE '^(goprof_|__goprof_|pthread_create$|thrd_create$|sigaction$|signal$|exec(ve|v|vp|vpe|l|lp|le)$|(malloc|calloc|realloc|free|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|malloc_usable_size)$|pthread_(mutex_(lock|timedlock|clocklock|unlock)|rwlock_(rdlock|wrlock|timedrdlock|timedwrlock|clockrdlock|clockwrlock|unlock)|cond_(wait|timedwait|clockwait|signal|broadcast)|barrier_wait|join|timedjoin_np|clockjoin_np)$|sem_(wait|timedwait|clockwait|post)$|(mtx_(lock|timedlock|unlock)|cnd_(wait|timedwait|signal|broadcast)|thrd_join)$|(nanosleep|clock_nanosleep|sleep|usleep)$|(read|write|recv|recvfrom|recvmsg|send|sendto|sendmsg|accept|accept4|connect|poll|ppoll|epoll_wait|epoll_pwait|epoll_pwait2|recvmmsg|sendmmsg|select|pselect)$|(wait|waitpid|wait4|waitid|sigwait|sigwaitinfo|sigtimedwait|sigsuspend|pause|flock|fcntl|fcntl64)$|__(read|recv|recvfrom|poll|ppoll)_chk$|(close|close_range|closefrom|dup2|dup3)$)')
[ -z "$extra" ] || gp_fail "libgoprof exports more than it should: $extra"
exit 0
