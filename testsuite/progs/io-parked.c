/*
 * Threads parked in the blocking calls goprof interposes, each in a function named after
 * its place (in_read() in read on a pipe, in_epoll() in epoll_wait, in_fcntl() for a record
 * lock...) and in a thread named after it, until the commands on standard input release
 * them: 's' makes a signal handler that itself calls poll() interrupt the thread in
 * in_nested()'s read, 'r' releases every thread into after_io(), where it waits at a
 * barrier, and 'q' (or the end of the input) lets them finish. fast-reader reads a small
 * file over and over until then, working on each block for some tens of us (on a busy
 * machine, a thread read()ing and nothing else waits for a CPU at the end of its calls,
 * still in them); in_read() tells on standard error how long it waited (read_ms=). Before
 * all that, main checks that the wrappers keep results, errno, EINTR and cancellation;
 * every result is printed, so that a profiled run's output can be compared with a plain
 * one's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parked.h"
#include "wait-clock.h"

#define NPARKED 13			/* threads parked in a call; fast-reader is one more */

static int p_read[2], p_poll[2], p_select[2], p_epoll[2], p_nested[2], pair[2];
static int listen_accept, listen_connect, epfd, lock_fd, fast_fd;
static struct sockaddr_un addr_accept, addr_connect;
static pid_t child;
static volatile sig_atomic_t handled, released;
static volatile int pause_done;
static pthread_barrier_t barrier;
static char results[NPARKED + 1][96];

static void say(int slot, const char *what, long rc, int err)
{
	snprintf(results[slot], sizeof(results[slot]), "%s: %ld%s%s", what, rc, rc < 0 ? " " : "",
		 rc < 0 ? strerror(err) : "");
}

__attribute__((noinline)) void after_io(void)
{
	pthread_barrier_wait(&barrier);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void in_read(void)
{
	char c = 0;
	uint64_t t0 = mono_ns();
	long rc = read(p_read[0], &c, 1);
	int err = errno;
	fprintf(stderr, "read_ms=%llu\n", (unsigned long long)((mono_ns() - t0) / 1000000));
	say(0, c == 'x' ? "read x" : "read ?", rc, err);
}

__attribute__((noinline)) void in_recv(void)
{
	char c = 0;
	long rc = recv(pair[0], &c, 1, 0);
	say(1, c == 'y' ? "recv y" : "recv ?", rc, errno);
}

__attribute__((noinline)) void in_accept(void)
{
	int fd = accept(listen_accept, NULL, NULL);
	say(2, "accept", fd < 0 ? fd : 0, errno);
	if (fd >= 0)
		close(fd);
}

__attribute__((noinline)) void in_connect(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	long rc = connect(fd, (struct sockaddr *)&addr_connect, sizeof(addr_connect));
	say(3, "connect", rc, errno);
	close(fd);
}

__attribute__((noinline)) void in_poll(void)
{
	struct pollfd p = { .fd = p_poll[0], .events = POLLIN };
	long rc = poll(&p, 1, -1);
	say(4, "poll", rc, errno);
}

__attribute__((noinline)) void in_select(void)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p_select[0], &r);
	long rc = select(p_select[0] + 1, &r, NULL, NULL, NULL);
	say(5, "select", rc, errno);
}

__attribute__((noinline)) void in_epoll(void)
{
	struct epoll_event e;
	long rc = epoll_wait(epfd, &e, 1, -1);
	say(6, "epoll_wait", rc, errno);
}

__attribute__((noinline)) void in_waitpid(void)
{
	int status = 0;
	pid_t rc = waitpid(child, &status, 0);
	say(7, WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? "waitpid SIGTERM" : "waitpid ?",
	    rc == child ? 0 : -1, errno);
}

__attribute__((noinline)) void in_sigwait(void)
{
	sigset_t s;
	int sig = 0;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	long rc = sigwait(&s, &sig);
	say(8, sig == SIGUSR2 ? "sigwait SIGUSR2" : "sigwait ?", rc, errno);
}

__attribute__((noinline)) void in_pause(void)
{
	long rc = pause();
	say(9, "pause", rc, errno);
	pause_done = 1;
}

__attribute__((noinline)) void in_flock(void)
{
	int fd = open("io-parked.lock", O_RDWR | O_CLOEXEC);
	long rc = flock(fd, LOCK_EX);
	say(10, "flock", rc, errno);
	close(fd);
}

__attribute__((noinline)) void in_fcntl(void)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open("io-parked.lock", O_RDWR | O_CLOEXEC);
	long rc = fcntl(fd, F_OFD_SETLKW, &l);
	say(12, "fcntl F_OFD_SETLKW", rc, errno);
	close(fd);
}

__attribute__((noinline)) void in_nested(void)
{
	char c = 0;
	long rc = read(p_nested[0], &c, 1);
	snprintf(results[11], sizeof(results[11]), "nested read %c: %ld, handler ran: %s", c, rc,
		 handled ? "yes" : "no");
}

static volatile unsigned long digest;

/* what a reader does with what it read: some tens of microseconds of work per block */
__attribute__((noinline)) void parse(const char *buf, size_t len)
{
	unsigned long h = digest;

	for (int round = 0; round < 2000; round++)
		for (size_t i = 0; i < len; i += 8)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ul;
	digest = h;
}

__attribute__((noinline)) void in_fast(void)
{
	char buf[64];
	long n = 0, bytes = 0;
	do {
		lseek(fast_fd, 0, SEEK_SET);
		long got = read(fast_fd, buf, sizeof(buf));
		parse(buf, sizeof(buf));
		bytes += got;
		n++;
	} while (!released);
	snprintf(results[13], sizeof(results[13]), "fast reads: %s",
		 n > 0 && bytes == n * 64 ? "all 64 bytes" : "short");
}

/* SIGUSR1: wakes pause(); interrupting in_nested()'s read, it makes an I/O call of its own */
static void on_usr1(int sig)
{
	(void)sig;
	poll(NULL, 0, 0);
	handled = handled + 1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int unix_listener(struct sockaddr_un *a, const char *path, int backlog)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) != 0 || listen(fd, backlog) != 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void *cancel_me(void *arg)
{
	char c;
	(void)arg;
	read(p_nested[0], &c, 1);
	return NULL;
}

/* The wrappers keep errno, EINTR and cancellation as the real calls have them. */
static void exactness(void)
{
	char c;
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 100000 } };
	int empty[2];

	errno = 0;
	long rc = read(-1, &c, 1);
	printf("read(-1): %ld %s\n", rc, strerror(errno));
	rc = waitpid(-1, NULL, WNOHANG);
	printf("waitpid without children: %ld %s\n", rc, strerror(errno));
	rc = flock(-1, LOCK_EX);
	printf("flock(-1): %ld %s\n", rc, strerror(errno));
	sigaction(SIGALRM, &sa, NULL);
	pipe(empty);
	setitimer(ITIMER_REAL, &it, NULL);
	rc = read(empty[0], &c, 1);
	printf("read interrupted: %ld %s\n", rc, strerror(errno));
	setitimer(ITIMER_REAL, &it, NULL);
	struct pollfd p = { .fd = empty[0], .events = POLLIN };
	rc = poll(&p, 1, 5000);
	printf("poll interrupted: %ld %s\n", rc, strerror(errno));
	close(empty[0]);
	close(empty[1]);

	pthread_t t;
	void *ret = NULL;
	pthread_create(&t, NULL, cancel_me, NULL);
	usleep(50000);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancelled in read: %s\n", ret == PTHREAD_CANCELED ? "yes" : "no");
	fflush(stdout);
}

/* 'r': every parked thread gets what it waits for */
static void release(const pthread_t *t, int held)
{
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	released = 1;
	write(p_read[1], "x", 1);
	send(pair[1], "y", 1, 0);
	connect(c2, (struct sockaddr *)&addr_accept, sizeof(addr_accept));
	close(accept(listen_connect, NULL, NULL));
	close(accept(listen_connect, NULL, NULL));
	write(p_poll[1], "p", 1);
	write(p_select[1], "s", 1);
	write(p_epoll[1], "e", 1);
	kill(child, SIGTERM);
	pthread_kill(t[8], SIGUSR2);
	while (!pause_done) {
		pthread_kill(t[9], SIGUSR1);
		usleep(10000);
	}
	flock(held, LOCK_UN);
	fcntl(held, F_OFD_SETLK, &(struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET });
	write(p_nested[1], "n", 1);
	close(c2);
	printf("released\n");
}

int main(void)
{
	static void (*const places[NPARKED + 1])(void) = {
		in_read, in_recv, in_accept, in_connect, in_poll, in_select, in_epoll,
		in_waitpid, in_sigwait, in_pause, in_flock, in_nested, in_fcntl, in_fast,
	};
	static const char *const names[NPARKED + 1] = {
		"pipe-reader", "recver", "acceptor", "connector", "poller", "selector", "epoller",
		"reaper", "sigwaiter", "pauser", "locker", "nester", "recordlocker", "fast-reader",
	};
	pthread_t t[NPARKED + 1];
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigset_t usr2;
	char file[4096];

	if (pipe(p_read) || pipe(p_poll) || pipe(p_select) || pipe(p_epoll) || pipe(p_nested) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, pair)) {
		perror("pipe");
		return 1;
	}
	exactness();

	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	listen_accept = unix_listener(&addr_accept, "io-parked.accept", 4);
	/* a backlog of 0 holds one connection: the next connect() waits for an accept() */
	listen_connect = unix_listener(&addr_connect, "io-parked.connect", 0);
	int first = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(first, (struct sockaddr *)&addr_connect, sizeof(addr_connect)) != 0) {
		perror("connect");
		return 1;
	}
	epfd = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(epfd, EPOLL_CTL_ADD, p_epoll[0], &ev);
	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	int held = open("io-parked.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	flock(held, LOCK_EX);
	/* a record lock of the same file, which conflicts with in_fcntl()'s */
	fcntl(held, F_OFD_SETLK, &(struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET });
	memset(file, 'f', sizeof(file));
	fast_fd = open("io-parked.data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	write(fast_fd, file, sizeof(file));

	parked_after = after_io;
	pthread_barrier_init(&barrier, NULL, NPARKED + 2);
	for (int i = 0; i <= NPARKED; i++)
		t[i] = park(places[i], names[i]);
	printf("parked\n");
	fflush(stdout);

	char cmd;
	int quit = 0;
	while (!quit && read(0, &cmd, 1) == 1) {
		switch (cmd) {
		case 's':
			pthread_kill(t[11], SIGUSR1);
			while (!handled)
				usleep(1000);
			printf("signalled\n");
			break;
		case 'r':
			if (!released)
				release(t, held);
			break;
		case 'q':
			quit = 1;
			break;
		}
		fflush(stdout);
	}
	if (!released)
		release(t, held);
	pthread_barrier_wait(&barrier);
	for (int i = 0; i <= NPARKED; i++) {
		pthread_join(t[i], NULL);
		printf("%s\n", results[i]);
	}
	close(first);
	unlink("io-parked.accept");
	unlink("io-parked.connect");
	unlink("io-parked.lock");
	unlink("io-parked.data");
	return 0;
}
