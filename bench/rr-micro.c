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
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 4
#define REQ 32
#define REPLY 16

static int listen_fd;
static struct sockaddr_in addr;
static long per_client;

static double now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* reads exactly n bytes; 0 at end of file, -1 on error */
static ssize_t read_all(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return r;
		got += (size_t)r;
	}
	return (ssize_t)got;
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
	for (long i = 0; i < per_client; i++) {
		if (write(fd, req, sizeof(req)) != sizeof(req) ||
		    read_all(fd, reply, sizeof(reply)) != sizeof(reply))
			break;
		answered++;
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

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: rr-micro IGNORED N [thread]\n");
		return 2;
	}
	long n = atol(argv[2]);
	per_client = n / CLIENTS;
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
	printf("%.1f %.1f %ld\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n, answered);
	return served == answered && answered == per_client * CLIENTS ? 0 : 1;
}
