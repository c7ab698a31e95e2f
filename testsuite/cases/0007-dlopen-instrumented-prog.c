/*
 * The uninstrumented program of 0007-dlopen-instrumented.sh: it loads the library given as
 * argument, runs its checks on the main thread and on a new thread, unloads it, and does it
 * all again.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static int (*lib_run)(void);

static void *on_thread(void *arg)
{
	*(int *)arg = lib_run();
	return NULL;
}

static int round_trip(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	pthread_t t;
	int rc_thread = -1;

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&lib_run = dlsym(h, "lib_run");
	if (!lib_run) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	int rc = lib_run();
	if (pthread_create(&t, NULL, on_thread, &rc_thread) != 0)
		return 1;
	pthread_join(t, NULL);
	rc |= lib_run() | rc_thread;
	dlclose(h);
	return rc;
}

int main(int argc, char **argv)
{
	int rounds = 0;

	if (argc != 2)
		return 99;
	for (int i = 0; i < 3; i++) {
		if (round_trip(argv[1]) != 0)
			break;
		rounds++;
	}
	printf("%d rounds ok\n", rounds);
	return rounds == 3 ? 0 : 1;
}
