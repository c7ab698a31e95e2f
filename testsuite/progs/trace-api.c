/*
 * trace-api: the trace's control calls and their errors (testsuite/cases/7004). Prints
 * one line per check. Built with -DWITH_CAPTURE and linked with the static libgoprof, it
 * also calls gp_trace_capture(), the HTTP server's entry point, while a capture is on:
 * argv[1] = directory for the files it writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <goprof.h>

#ifdef WITH_CAPTURE
int gp_trace_capture(double seconds, int json, int fd, int (*cancelled)(void *ctx), void *ctx,
		     char *err, size_t errlen);

static int fd1;
static int rc1;
static char err1[128];

static void *capture(void *arg)
{
	rc1 = gp_trace_capture(1.0, 0, fd1, NULL, NULL, err1, sizeof(err1));
	return arg;
}

static int polls;

static int cancel_soon(void *ctx)
{
	(void)ctx;
	return ++polls >= 3;
}
#endif

static void show(const char *what, int rc)
{
	printf("%s: %s\n", what, rc == 0 ? "0" : rc == -EBUSY ? "-EBUSY" : rc == -EINVAL ?
	       "-EINVAL" : rc == -ENOENT ? "-ENOENT" : "other");
}

int main(int argc, char **argv)
{
	char path[4096];
	const char *dir = argc > 1 ? argv[1] : ".";

	snprintf(path, sizeof(path), "%s/api.trace", dir);
	show("start", goprof_trace_start(path, GOPROF_TRACE_GO));
	show("second start", goprof_trace_start(path, GOPROF_TRACE_JSON));
	printf("enabled: %d\n", goprof_trace_enabled() != 0);
	show("stop", goprof_trace_stop());
	show("second stop", goprof_trace_stop());
	show("no path", goprof_trace_start(NULL, GOPROF_TRACE_GO));
	show("bad format", goprof_trace_start(path, 7));
	show("missing directory", goprof_trace_start("/nonexistent/dir/x.trace", GOPROF_TRACE_GO));
	printf("task ids: %d\n", goprof_task_create(0, "t") != goprof_task_create(0, "t"));
#ifdef WITH_CAPTURE
	pthread_t t;
	char err[128];
	struct timespec ts = { 0, 200000000 };

	snprintf(path, sizeof(path), "%s/capture.trace", dir);
	fd1 = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pthread_create(&t, NULL, capture, NULL);
	nanosleep(&ts, NULL);
	int rc = gp_trace_capture(1.0, 1, 1, NULL, NULL, err, sizeof(err));
	show("capture during capture", rc);
	printf("its error: %s\n", err);
	show("start during capture", goprof_trace_start(path, GOPROF_TRACE_GO));
	show("stop during capture", goprof_trace_stop());
	pthread_join(t, NULL);
	show("capture", rc1);
	close(fd1);
	snprintf(path, sizeof(path), "%s/cancel.json", dir);
	int fd2 = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	show("cancelled capture", gp_trace_capture(30.0, 1, fd2, cancel_soon, NULL, err,
						   sizeof(err)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("stopped early: %d\n", t1.tv_sec - t0.tv_sec < 5);
	close(fd2);
#endif
	return 0;
}
