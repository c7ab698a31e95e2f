/*
 * goprof-cc and goprof-c++: GCC with goprof, as one compiler command for CC and CXX.
 *
 * The driver runs the GCC the plugin was built for (or GOPROF_CC / GOPROF_CXX) with the
 * caller's arguments unchanged and in order, and adds:
 *  - when GCC may compile (any run with an input): -fplugin=<goprof.so>, and goprof.h's
 *    directory with -idirafter, so that it never hides a header of the program's own;
 *  - when GCC links (no -c, -S, -E, -M, -MM, -fsyntax-only, -r): the runtime, after every
 *    argument of the caller's, inside -Wl,--push-state,--no-as-needed ... -Wl,--pop-state,
 *    so that neither the order of the caller's objects and libraries nor as-needed linking
 *    can drop it, and an rpath when its directory is not one the dynamic loader searches.
 *    -nostdlib, -nodefaultlibs and -nolibc links get it as-needed: only when an object
 *    refers to it. The plugin stays on the link line, where -flto runs it. -static and
 *    -static-pie links get libgoprof-static.a instead, with its interposers wrapped in
 *    (push_static).
 * Runs that only ask GCC about itself (--version, -dumpversion, -print-*, -v alone...)
 * get nothing added, so configure, CMake and meson see plain GCC. A goprof configured with
 * --enable-sanitizers also adds the sanitizers' flags wherever it adds the plugin: its
 * runtime needs libasan loaded first.
 *
 * A C program rather than a shell script: the caller's arguments go to GCC as the very
 * strings it received (no word splitting, no quoting rules, nothing to escape), and a
 * configure run's hundreds of probes pay one exec, not a shell start.
 *
 * The paths are fixed at build time. A driver run from the build tree (its own executable
 * is tools/goprof-cc there) uses the build tree's plugin and runtime, so the test suite and
 * scripts/dev.sh need nothing installed. An installed driver that is not in the configured
 * bindir (make install prefix=..., DESTDIR) finds them relative to itself (paths_find).
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ME (cxx ? "goprof-c++" : "goprof-cc")

static int cxx; /* run as goprof-c++ */

struct paths {
	const char *plugin; /* goprof.so */
	const char *libdir; /* libgoprof.so's directory */
	const char *incdir; /* goprof.h's directory */
	int build_tree;     /* the driver runs from the build tree */
};

struct argv_buf {
	char **v;
	int n, cap;
};

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s: ", ME);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

static void push(struct argv_buf *b, const char *s)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->v = realloc(b->v, b->cap * sizeof(*b->v));
		if (!b->v)
			die("out of memory%s%s", "", "");
	}
	b->v[b->n++] = (char *)s;
	b->v[b->n] = NULL;
}

static char *concat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	if (!s)
		die("out of memory%s%s", "", "");
	return strcat(strcpy(s, a), b);
}

/* the compiler command: the words of GOPROF_CC (GOPROF_CXX), or the configured one */
static void push_compiler(struct argv_buf *b, const char *cmd)
{
	char *copy = strdup(cmd), *save = NULL, *w;

	if (!copy)
		die("out of memory%s%s", "", "");
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		push(b, w);
	if (b->n == 0)
		die("%s is empty%s", cxx ? "GOPROF_CXX" : "GOPROF_CC", "");
}

static int env_on(const char *name)
{
	const char *s = getenv(name);

	return s && *s && strcmp(s, "0") != 0;
}

/* the words of PATH between slashes, "" and "." left out; at most MAX of them */
static int path_split(char *path, char **parts, int max)
{
	char *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(path, "/", &save); w && n < max; w = strtok_r(NULL, "/", &save))
		if (strcmp(w, ".") != 0)
			parts[n++] = w;
	return n;
}

/*
 * Where the configured path TO is for a driver in SELF, its configured directory GP_BINDIR
 * having moved there with everything else (a DESTDIR tree, make install prefix=..., a tree
 * copied whole): SELF, then ".." for each directory of GP_BINDIR past what it shares with TO,
 * then the rest of TO. The caller frees it.
 */
static char *relocate(const char *self, const char *to)
{
	char *from_copy = strdup(GP_BINDIR), *to_copy = strdup(to), *from_parts[64], *to_parts[64];
	char *s;
	int nfrom, nto, common = 0, i;

	if (!from_copy || !to_copy)
		die("out of memory%s%s", "", "");
	nfrom = path_split(from_copy, from_parts, 64);
	nto = path_split(to_copy, to_parts, 64);
	while (common < nfrom && common < nto && strcmp(from_parts[common], to_parts[common]) == 0)
		common++;
	s = malloc(strlen(self) + 3 * (nfrom - common) + strlen(to) + 2);
	if (!s)
		die("out of memory%s%s", "", "");
	strcpy(s, self);
	for (i = common; i < nfrom; i++)
		strcat(s, "/..");
	for (i = common; i < nto; i++)
		strcat(strcat(s, "/"), to_parts[i]);
	free(from_copy);
	free(to_copy);
	return s;
}

/* DIR, made canonical (the caller's copy is freed), when it holds NAME; NULL when not */
static char *with_file(char *dir, const char *name)
{
	char *slash, *f, *real = NULL;

	if (!dir)
		return NULL;
	slash = concat(dir, "/");
	f = concat(slash, name);
	if (access(f, R_OK) == 0)
		real = realpath(dir, NULL);
	free(slash);
	free(f);
	free(dir);
	return real;
}

/* the plugin directory make install wrote into PCDIR/goprof.pc, or NULL; frees PCDIR */
static char *pc_plugindir(char *pcdir)
{
	char *pc = concat(pcdir, "/goprof.pc"), line[PATH_MAX + 16], *dir = NULL;
	FILE *f = fopen(pc, "r");

	free(pc);
	free(pcdir);
	if (!f)
		return NULL;
	while (!dir && fgets(line, sizeof(line), f))
		if (strncmp(line, "plugindir=", 10) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			dir = strdup(line + 10);
		}
	fclose(f);
	return dir;
}

/*
 * The build tree's plugin, runtime and header for the build tree's driver; the configured
 * ones for a driver in the configured bindir. A driver installed anywhere else looks for each
 * where the configured layout puts it relative to its own directory (as GCC's driver does),
 * then (the plugin) in the directory the goprof.pc installed beside libgoprof names, since
 * make install writes that file with the install's own paths, then at the configured path.
 */
static void paths_find(struct paths *p)
{
	char self[PATH_MAX], dir[PATH_MAX], *moved, *plugindir;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	p->build_tree = 0;
	p->plugin = GP_PLUGINDIR "/goprof.so";
	p->libdir = GP_LIBDIR;
	p->incdir = GP_INCDIR;
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if (realpath(GP_BUILD_TOOLS, dir) && strcmp(self, dir) == 0) {
		p->build_tree = 1;
		p->plugin = GP_BUILD_PLUGIN;
		p->libdir = GP_BUILD_LIBDIR;
		p->incdir = GP_BUILD_INCDIR;
		return;
	}
	if (realpath(GP_BINDIR, dir) && strcmp(self, dir) == 0)
		return;
	if ((moved = with_file(relocate(self, GP_LIBDIR), "libgoprof.so")))
		p->libdir = moved;
	if ((moved = with_file(relocate(self, GP_INCDIR), "goprof.h")))
		p->incdir = moved;
	if ((plugindir = with_file(relocate(self, GP_PLUGINDIR), "goprof.so")) ||
	    (plugindir = with_file(pc_plugindir(relocate(self, GP_PKGCONFIGDIR)), "goprof.so")))
		p->plugin = concat(plugindir, "/goprof.so");
}

/* is DIR one the dynamic loader searches without an rpath (ld.so.conf or a default)? */
static int ld_conf_has(const char *conf, const char *dir, int depth)
{
	FILE *f = fopen(conf, "r");
	char line[PATH_MAX + 16], real[PATH_MAX];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t"), *e = s + strcspn(s, "#\r\n");

		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
			glob_t g;
			size_t i;

			s += 8 + strspn(s + 8, " \t");
			if (depth < 4 && glob(s, 0, NULL, &g) == 0) {
				for (i = 0; !found && i < g.gl_pathc; i++)
					found = ld_conf_has(g.gl_pathv[i], dir, depth + 1);
				globfree(&g);
			}
		} else if (*s == '/' && realpath(s, real)) {
			found = strcmp(real, dir) == 0;
		}
	}
	fclose(f);
	return found;
}

static int loader_searches(const char *dir)
{
	static const char *const defaults[] = {"/lib", "/usr/lib", "/lib64", "/usr/lib64"};
	char real[PATH_MAX], d[PATH_MAX];
	size_t i;

	if (!realpath(dir, real))
		return 0;
	for (i = 0; i < sizeof(defaults) / sizeof(*defaults); i++)
		if (realpath(defaults[i], d) && strcmp(d, real) == 0)
			return 1;
	return ld_conf_has("/etc/ld.so.conf", real, 0);
}

/* the compiler's version (-dumpfullversion), or NULL when it cannot be run */
static char *compiler_version(char **cc)
{
	static char buf[128];
	int fd[2], status;
	ssize_t n, got = 0;
	pid_t pid;
	char *argv[64];
	int i;

	for (i = 0; cc[i] && i < 62; i++)
		argv[i] = cc[i];
	argv[i++] = "-dumpfullversion";
	argv[i] = NULL;
	if (pipe(fd) != 0)
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static void usage(void)
{
	printf("Usage: %s [GCC OPTIONS] FILE...\n"
	       "GCC with goprof: compiles with the goprof plugin and links the goprof runtime.\n"
	       "Every GCC option and input is passed to GCC unchanged; --help, --version and\n"
	       "the other GCC queries are GCC's own.\n"
	       "\n"
	       "Switches of its own:\n"
	       "  --goprof-help       print this help and exit\n"
	       "  --goprof-version    print goprof's version and the GCC version of its plugin\n"
	       "  --goprof-print      print the compiler command, plugin and runtime directory\n"
	       "\n"
	       "Environment:\n"
	       "  GOPROF_CC=CMD       the C compiler goprof-cc runs (default: %s)\n"
	       "  GOPROF_CXX=CMD      the C++ compiler goprof-c++ runs (default: %s)\n"
	       "                      it must be GCC %s, the version the plugin was built for\n"
	       "  GOPROF_CC_OFF=1     add nothing: run the compiler with the arguments as given\n"
	       "  GOPROF_CC_VERBOSE=1 print the command run to standard error\n"
	       "\n"
	       "See goprof-cc(1).\n",
	       ME, GP_DEFAULT_CC, GP_DEFAULT_CXX, GP_GCC_VERSION);
}

/*
 * A -static link: libgoprof-static.a, whole (its interposers must be there for the C
 * library's own calls, which the linker reaches after it), each interposed function
 * wrapped (rt/static-wrap.def, rt/static-dl.c), and the static libraries the runtime needs.
 */
static void push_static(struct argv_buf *b, const char *libdir)
{
	static const char *const wraps[] = {
#define GP_WRAP(fn) "-Wl,--wrap=" #fn,
#define GP_NEXT(fn)
#include "static-wrap.def"
#undef GP_WRAP
#undef GP_NEXT
	};
	/* what the runtime needs after it: SQLite, libelf and theirs (Debian ships each .a) */
	static const char *const libs[] = { "-lsqlite3", "-lelf", "-lz", "-lm", "-lpthread",
					    "-ldl" };
	size_t i;

	for (i = 0; i < sizeof(wraps) / sizeof(*wraps); i++)
		push(b, wraps[i]);
	push(b, "-Wl,--whole-archive");
	push(b, concat(libdir, "/libgoprof-static.a"));
	push(b, "-Wl,--no-whole-archive");
	for (i = 0; i < sizeof(libs) / sizeof(*libs); i++)
		push(b, libs[i]);
}

enum mode {
	M_QUERY, /* nothing compiled or linked: GCC is asked about itself */
	M_COMPILE,
	M_LINK,
};

/* options whose value is the next argument (GCC's, those that take a separate word) */
static int takes_value(const char *a)
{
	static const char *const opts[] = {
		"-o", "-x", "-I", "-L", "-D", "-U", "-include", "-imacros", "-idirafter",
		"-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isystem", "-isysroot",
		"-iquote", "-imultilib", "-MF", "-MT", "-MQ", "-Xlinker", "-Xassembler",
		"-Xpreprocessor", "-T", "-u", "-l", "-aux-info", "--param", "-z", "-A", "-e",
		"-specs", "-wrapper", "-B", "--sysroot", "-dumpbase", "-dumpbase-ext",
		"-dumpdir",
	};
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(*opts); i++)
		if (strcmp(a, opts[i]) == 0)
			return 1;
	return 0;
}

static int is_query(const char *a)
{
	return strcmp(a, "--version") == 0 || strncmp(a, "-dump", 5) == 0 ||
	       strncmp(a, "-print-", 7) == 0 || strncmp(a, "--print-", 8) == 0 ||
	       strncmp(a, "--help", 6) == 0 || strcmp(a, "--target-help") == 0 ||
	       strcmp(a, "-###") == 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	struct argv_buf out = {0};
	struct paths p;
	const char *cc_env, *cc_cmd;
	enum mode mode = M_LINK;
	int inputs = 0, nostdlib = 0, stat = 0, i;

	base = base ? base + 1 : argv[0];
	cxx = strlen(base) >= 2 && strcmp(base + strlen(base) - 2, "++") == 0;
	cc_env = getenv(cxx ? "GOPROF_CXX" : "GOPROF_CC");
	cc_cmd = cc_env && *cc_env ? cc_env : cxx ? GP_DEFAULT_CXX : GP_DEFAULT_CC;
	paths_find(&p);

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "--goprof-", 9) != 0)
			continue;
		if (strcmp(a, "--goprof-help") == 0) {
			usage();
			return 0;
		} else if (strcmp(a, "--goprof-version") == 0) {
			printf("%s (goprof) %s, plugin for GCC %s\n", ME, PACKAGE_VERSION,
			       GP_GCC_VERSION);
			return 0;
		} else if (strcmp(a, "--goprof-print") == 0) {
			printf("compiler %s\nplugin %s\nruntime %s\ninclude %s\n", cc_cmd, p.plugin,
			       p.libdir, p.incdir);
			return 0;
		}
		die("unknown switch %s (see %s --goprof-help)", a, ME);
	}

	push_compiler(&out, cc_cmd);
	if (env_on("GOPROF_CC_OFF")) {
		for (i = 1; i < argc; i++)
			push(&out, argv[i]);
		goto run;
	}

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0') {
			inputs++;
		} else if (takes_value(a)) {
			i++;
		} else if (is_query(a)) {
			mode = M_QUERY;
			break;
		} else if (!strcmp(a, "-c") || !strcmp(a, "-S") || !strcmp(a, "-E") ||
			   !strcmp(a, "-M") || !strcmp(a, "-MM") || !strcmp(a, "-fsyntax-only") ||
			   !strcmp(a, "-r")) {
			if (mode == M_LINK)
				mode = M_COMPILE;
		} else if (!strcmp(a, "-nostdlib") || !strcmp(a, "-nodefaultlibs") ||
			   !strcmp(a, "-nolibc")) {
			nostdlib = 1;
		} else if (!strcmp(a, "-static") || !strcmp(a, "-static-pie")) {
			stat = 1;
		}
	}
	if (inputs == 0)
		mode = M_QUERY;

	if (mode != M_QUERY) {
		if (cc_env && *cc_env) {
			char *v = compiler_version(out.v);

			if (!v)
				die("cannot run %s=%s -dumpfullversion", cxx ? "GOPROF_CXX" : "GOPROF_CC",
				    cc_env);
			if (strcmp(v, GP_GCC_VERSION) != 0) {
				fprintf(stderr,
					"%s: %s=%s is GCC %s, but goprof's plugin was built for GCC "
					"%s; name a GCC %s (or build goprof with that GCC)\n",
					ME, cxx ? "GOPROF_CXX" : "GOPROF_CC", cc_env, v, GP_GCC_VERSION,
					GP_GCC_VERSION);
				return 1;
			}
		}
		push(&out, concat("-fplugin=", p.plugin));
#ifdef GP_SANITIZE
		/*
		 * --enable-sanitizers (configure.ac's GP_SANITIZE_FLAGS): the runtime needs
		 * libasan loaded before it, and so ahead of the program's other libraries
		 */
		push(&out, "-fsanitize=address,undefined");
		push(&out, "-fno-sanitize-recover=undefined");
		push(&out, "-fno-omit-frame-pointer");
#endif
	}
	for (i = 1; i < argc; i++)
		push(&out, argv[i]);
	if (mode != M_QUERY)
		push(&out, concat("-idirafter", p.incdir));
	if (mode == M_LINK) {
		if (stat) {
			push_static(&out, p.libdir);
			goto run;
		}
		push(&out, concat("-L", p.libdir));
		if (p.build_tree || !loader_searches(p.libdir))
			push(&out, concat("-Wl,-rpath,", p.libdir));
		push(&out, nostdlib ? "-Wl,--push-state,--as-needed" : "-Wl,--push-state,--no-as-needed");
		push(&out, "-lgoprof");
		push(&out, "-Wl,--pop-state");
	}

run:
	if (env_on("GOPROF_CC_VERBOSE")) {
		fprintf(stderr, "%s:", ME);
		for (i = 0; i < out.n; i++)
			fprintf(stderr, " %s", out.v[i]);
		fputc('\n', stderr);
	}
	execvp(out.v[0], out.v);
	fprintf(stderr, "%s: cannot run %s: %s\n", ME, out.v[0], strerror(errno));
	return 127;
}
