# GP_GCC_PLUGIN
# Finds the plugin headers of the configured $CC and checks that $CXX can build a plugin
# against them. Sets GCC_PLUGIN_INCLUDE (for building) and GCC_PLUGIN_DIR (where the
# plugin is installed; --with-gcc-plugin-dir overrides it), and GCC_FULL_VERSION (the
# version the plugin is built for, which goprof-cc checks another GCC against).
AC_DEFUN([GP_GCC_PLUGIN], [
	AC_REQUIRE([AC_PROG_CC])
	AC_REQUIRE([AC_PROG_CXX])
	AC_MSG_CHECKING([for the GCC plugin directory of $CC])
	gp_cc_plugin_dir=`$CC -print-file-name=plugin 2>/dev/null`
	gp_cc_major=`$CC -dumpversion 2>/dev/null | sed 's/\..*//'`
	GCC_FULL_VERSION=`$CC -dumpfullversion 2>/dev/null`
	AC_MSG_RESULT([$gp_cc_plugin_dir])
	AS_IF([test "x$gp_cc_plugin_dir" = "xplugin" || test ! -f "$gp_cc_plugin_dir/include/gcc-plugin.h"],
		[AC_MSG_ERROR([the GCC plugin headers of $CC are missing; on Debian install gcc-$gp_cc_major-plugin-dev])])
	GCC_PLUGIN_INCLUDE="$gp_cc_plugin_dir/include"

	AC_MSG_CHECKING([whether $CXX builds plugins for $CC])
	AC_LANG_PUSH([C++])
	gp_save_CPPFLAGS=$CPPFLAGS
	CPPFLAGS="$CPPFLAGS -I$GCC_PLUGIN_INCLUDE"
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree.h"
		]], [[return (int)sizeof(gcc_version);]])],
		[AC_MSG_RESULT([yes])],
		[AC_MSG_RESULT([no])
		 AC_MSG_ERROR([$CXX cannot compile against the plugin headers in $GCC_PLUGIN_INCLUDE; use the g++ of the same GCC version as $CC (for Debian: g++-$gp_cc_major and gcc-$gp_cc_major-plugin-dev)])])
	CPPFLAGS=$gp_save_CPPFLAGS
	AC_LANG_POP([C++])

	AC_ARG_WITH([gcc-plugin-dir],
		[AS_HELP_STRING([--with-gcc-plugin-dir=DIR],
			[install goprof.so into DIR (default: the plugin directory of $CC, so that -fplugin=goprof finds it)])],
		[GCC_PLUGIN_DIR=$withval], [GCC_PLUGIN_DIR=$gp_cc_plugin_dir])
	AC_SUBST([GCC_PLUGIN_INCLUDE])
	AC_SUBST([GCC_PLUGIN_DIR])
	AC_SUBST([GCC_FULL_VERSION])
])
