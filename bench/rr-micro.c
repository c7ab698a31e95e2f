/*
 * Request/response micro benchmark, the traffic of a small in-memory server such as redis
 * under redis-benchmark: rr-micro IGNORED N [thread] runs an epoll server thread and
 * CLIENTS client threads connected to it over loopback TCP; each client sends its share of
 * N requests of 32 bytes, one at a time, waiting for each 16-byte reply. The server reads
 * each request and answers it from its epoll_wait() loop. Every request is five interposed
 * calls (the client's write and read, the server's epoll_wait, read and write), two of them
 * waits. Prints wall and process CPU nanoseconds per request (all threads, user and
 * kernel) and the requests answered, which must be N. The first argument and "thread" are
 * accepted for the command line io-bench.sh gives bench/io-micro.c.
 *
 * With "pairs", each client makes its requests in batches of BATCH, alternately through
 * write() and read() (interposed when goprof is linked) and through syscall(SYS_write)
 * and syscall(SYS_read), timing each batch by its thread's CPU clock (the server always
 * uses the interposed calls, so its part slows both kinds alike). Prints the client's CPU
 * nanoseconds per request of the interposed batches and of the syscall() batches (medians
 * over all clients' batches) and the median of the per-pair differences: the cost of the
 * path from write() and read() to the system calls, two calls a request.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 4
#define REQ 32
#define REPLY 16
#define BATCH 50

static int listen_fd;
static struct sockaddr_in addr;
static long per_client;
static int paired;

/* "pairs": every client's batch times, ns per request; under pairs_lock */
static pthread_mutex_t pairs_lock = PTHREAD_MUTEX_INITIALIZER;
static double *pair_wrapped, *pair_raw, *pair_diff;
static long npairs;

static double now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, long n)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* reads exactly n bytes, through read() or (raw) the system call; 0 at end, -1 on error */
static ssize_t read_all(int fd, char *buf, size_t n, int raw)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = raw ? syscall(SYS_read, fd, buf + got, n - got) :
				  read(fd, buf + got, n - got);
		if (r <= 0)
			return r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* one request and its reply; 0 when answered */
static int request(int fd, const char *req, char *reply, int raw)
{
	ssize_t w = raw ? syscall(SYS_write, fd, req, REQ) : write(fd, req, REQ);

	return w != REQ || read_all(fd, reply, REPLY, raw) != REPLY;
}

static void *client(void *arg)
{
	char req[REQ], reply[REPLY];
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	long answered = 0;

	memset(req, 'q', sizeof(req));
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return arg;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!paired) {
		for (long i = 0; i < per_client; i++) {
			if (request(fd, req, reply, 0))
				break;
			answered++;
		}
		close(fd);
		return (void *)answered;
	}
	/* pairs of batches, the order within a pair alternating */
	double times[2];
	for (long p = 0; p < per_client / (2 * BATCH); p++) {
		for (int k = 0; k < 2; k++) {
			int raw = (k ^ (int)(p & 1)) != 0;
			double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
			for (int i = 0; i < BATCH && !request(fd, req, reply, raw); i++)
				answered++;
			times[raw] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / BATCH;
		}
		pthread_mutex_lock(&pairs_lock);
		pair_wrapped[npairs] = times[0];
		pair_raw[npairs] = times[1];
		pair_diff[npairs++] = times[0] - times[1];
		pthread_mutex_unlock(&pairs_lock);
	}
	close(fd);
	return (void *)answered;
}

/* answers whole requests; a connection's partial request waits for the rest */
static long serve(void)
{
	struct epoll_event evs[CLIENTS + 1], ev = { .events = EPOLLIN };
	char bufs[64][REQ];
	size_t have[64] = { 0 };
	int ep = epoll_create1(0), open_conns = 0, accepted = 0, one = 1;
	long served = 0;

	ev.data.fd = listen_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
	while (accepted < CLIENTS || open_conns > 0) {
		int n = epoll_wait(ep, evs, CLIENTS + 1, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == listen_fd) {
				int c = accept(listen_fd, NULL, NULL);
				if (c < 0 || c >= 64)
					return -1;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				accepted++;
				open_conns++;
				continue;
			}
			ssize_t r = read(fd, bufs[fd] + have[fd], REQ - have[fd]);
			if (r <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				open_conns--;
				continue;
			}
			have[fd] += (size_t)r;
			if (have[fd] == REQ) {
				have[fd] = 0;
				if (write(fd, "+OK, answered.\r\n", REPLY) != REPLY)
					return -1;
				served++;
			}
		}
	}
	close(ep);
	return served;
}

int main(int argc, char **argv)
{
	pthread_t t[CLIENTS];
	socklen_t len = sizeof(addr);
	long answered = 0;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "pairs") == 0)
			paired = 1;
		else if (strcmp(argv[i], "thread") != 0)
			argc = 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: rr-micro IGNORED N [thread] [pairs]\n");
		return 2;
	}
	long n = atol(argv[2]);
	per_client = n / CLIENTS;
	if (paired) {
		per_client = per_client / (2 * BATCH) * 2 * BATCH;
		pair_wrapped = malloc(3 * (size_t)(n / BATCH + 1) * sizeof(double));
		if (!pair_wrapped)
			return 1;
		pair_raw = pair_wrapped + n / BATCH + 1;
		pair_diff = pair_raw + n / BATCH + 1;
	}
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(listen_fd, CLIENTS) != 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&addr, &len) != 0) {
		perror("rr-micro: listen");
		return 1;
	}
	double t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < CLIENTS; i++)
		if (pthread_create(&t[i], NULL, client, NULL) != 0)
			return 1;
	long served = serve();
	if (served < 0)
		shutdown(listen_fd, SHUT_RDWR);
	for (int i = 0; i < CLIENTS; i++) {
		void *r;
		pthread_join(t[i], &r);
		answered += (long)r;
	}
	double t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (paired)
		printf("%.1f %.1f %.1f %ld\n", median(pair_wrapped, npairs), median(pair_raw, npairs),
		       median(pair_diff, npairs), answered);
	else
		printf("%.1f %.1f %ld\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n, answered);
	return served == answered && answered == per_client * CLIENTS ? 0 : 1;
}
