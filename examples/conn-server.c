/*
 * A server-like example of labels and a custom profile: a listener opens "connections"
 * (plain structs, no sockets) and hands them to a pool of workers, which serve one request
 * each, of three kinds, and close the connection. Both sides work under a label naming the
 * request's kind. A custom profile "conns" holds every open connection with the stack (and
 * labels) that opened it, so a leak shows up where it was made and for which kind of
 * request: here one upload in eight is never closed.
 *
 *	gcc -O2 -fplugin=goprof -o conn-server conn-server.c -lgoprof -lpthread
 *	GOPROF_DB=server.db ./conn-server [SECONDS]
 *
 * See README.md ("Labels and custom profiles") for what to ask pprof.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <goprof.h>

#define WORKERS 3
#define QUEUE 64

struct conn {
	unsigned id;
	int kind;		/* index in kinds[] */
};

static const char *const kinds[] = { "search", "upload", "static" };

static goprof_profile *conns;
static struct conn *queue[QUEUE];
static unsigned head, tail;
static int done;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER, nonfull = PTHREAD_COND_INITIALIZER;
static volatile unsigned long sink;

/* CPU work standing for a request's real work: about us microseconds. */
__attribute__((noinline)) static void spend(unsigned us)
{
	struct timespec t0, t;
	unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 5000; i++)
			x = x * 6364136223846793005ul + 1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
	sink = x;
}

__attribute__((noinline)) static struct conn *open_conn(unsigned id)
{
	struct conn *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->id = id;
	c->kind = (int)(id % 3);
	goprof_profile_add(conns, c);
	return c;
}

__attribute__((noinline)) static void close_conn(struct conn *c)
{
	goprof_profile_remove(conns, c);
	free(c);
}

__attribute__((noinline)) static void search(struct conn *c)
{
	spend(400);
	close_conn(c);
}

__attribute__((noinline)) static void upload(struct conn *c)
{
	spend(200);
	/* the bug this example is about: an error path that forgets to close */
	if (c->id % 8 == 1)
		return;
	close_conn(c);
}

__attribute__((noinline)) static void serve_static(struct conn *c)
{
	spend(100);
	close_conn(c);
}

static void handle(struct conn *c)
{
	/* every sample, allocation and wait of this request carries handler=<kind> */
	GOPROF_LABEL_SCOPE("handler", kinds[c->kind]);

	switch (c->kind) {
	case 0:
		search(c);
		break;
	case 1:
		upload(c);
		break;
	default:
		serve_static(c);
	}
}

static void *worker(void *unused)
{
	(void)unused;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (head == tail && !done)
			pthread_cond_wait(&nonempty, &lock);
		if (head == tail) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		struct conn *c = queue[head++ % QUEUE];
		pthread_cond_signal(&nonfull);
		pthread_mutex_unlock(&lock);
		handle(c);
	}
}

__attribute__((noinline)) static void listen_loop(double seconds)
{
	struct timespec t0, t;
	unsigned id = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		/* the connection's entry in conns carries the kind of request it is for */
		GOPROF_LABEL_SCOPE("handler", kinds[id % 3]);
		struct conn *c = open_conn(id++);
		if (!c)
			break;
		pthread_mutex_lock(&lock);
		while (tail - head == QUEUE)
			pthread_cond_wait(&nonfull, &lock);
		queue[tail++ % QUEUE] = c;
		pthread_cond_signal(&nonempty);
		pthread_mutex_unlock(&lock);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	pthread_t workers[WORKERS];

	conns = goprof_profile_new("conns");
	if (!conns) {
		perror("goprof_profile_new");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&workers[i], NULL, worker, NULL);
	listen_loop(seconds > 0 ? seconds : 3);
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_broadcast(&nonempty);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	printf("%ld connections still open\n", goprof_profile_count(conns));
	return 0;
}
