/*
 * A custom profile "conns" of open connections, with known truths: open_reader() adds 5
 * entries under kind=read and open_writer() 3 under kind=write; 1.2 s later (or once the
 * file argv[1] exists) close_conn() removes 2 of the readers, so 3 + 3 stay. Before that,
 * 4 threads add and remove 2000 entries each at once (the count is 0 after), and the API's
 * error cases are checked; the program prints what went wrong and exits 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goprof.h"

#define STRESS_KEYS 2000

static goprof_profile *conns, *scratch;
static char readers[5], writers[3];
static int failed;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("wrong: %s\n", what);
		failed = 1;
	}
}

__attribute__((noinline)) void open_reader(volatile int i)
{
	expect(goprof_profile_add(conns, &readers[i]) == 0, "add reader");
	expect(goprof_profile_add(conns, &readers[i]) == -EEXIST, "add reader twice");
}

__attribute__((noinline)) void open_writer(volatile int i)
{
	expect(goprof_profile_add(conns, &writers[i]) == 0, "add writer");
}

__attribute__((noinline)) void close_conn(char *c)
{
	expect(goprof_profile_remove(conns, c) == 0, "remove");
	expect(goprof_profile_remove(conns, c) == -ENOENT, "remove twice");
}

static void *stress(void *arg)
{
	static char keys[4][STRESS_KEYS];
	char *mine = keys[(long)arg];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < STRESS_KEYS; i++)
			if (goprof_profile_add(scratch, &mine[i]) != 0)
				return (void *)1;
		for (int i = 0; i < STRESS_KEYS; i++)
			if (goprof_profile_remove(scratch, &mine[i]) != 0)
				return (void *)1;
	}
	return NULL;
}

static void check_api(void)
{
	errno = 0;
	expect(!goprof_profile_new(NULL) && errno == EINVAL, "new(NULL)");
	errno = 0;
	expect(!goprof_profile_new("") && errno == EINVAL, "new(\"\")");
	errno = 0;
	expect(!goprof_profile_new("open conns") && errno == EINVAL, "new with a space");
	errno = 0;
	expect(!goprof_profile_new("heap") && errno == EEXIST, "new(\"heap\")");
	errno = 0;
	expect(!goprof_profile_new("goroutine") && errno == EEXIST, "new(\"goroutine\")");
	conns = goprof_profile_new("conns");
	expect(conns != NULL, "new(\"conns\")");
	errno = 0;
	expect(!goprof_profile_new("conns") && errno == EEXIST, "new(\"conns\") twice");
	scratch = goprof_profile_new("scratch");
	expect(scratch != NULL, "new(\"scratch\")");
	expect(goprof_profile_add(NULL, readers) == -EINVAL, "add to NULL");
	expect(goprof_profile_remove(NULL, readers) == -EINVAL, "remove from NULL");
	expect(goprof_profile_remove(conns, readers) == -ENOENT, "remove of nothing");
	expect(goprof_profile_count(NULL) == 0, "count(NULL)");
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	void *rc;

	check_api();
	if (failed)
		return 1;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, stress, (void *)i);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &rc);
		expect(rc == NULL, "stress add/remove");
	}
	expect(goprof_profile_count(scratch) == 0, "stress count");

	goprof_label_push("kind", "read");
	for (int i = 0; i < 5; i++)
		open_reader(i);
	goprof_label_pop();
	goprof_label_push("kind", "write");
	for (int i = 0; i < 3; i++)
		open_writer(i);
	goprof_label_pop();
	expect(goprof_profile_count(conns) == 8, "count 8");

	if (argc > 1)
		while (access(argv[1], F_OK) != 0)
			usleep(20000);
	else
		usleep(1200000);
	close_conn(&readers[0]);
	close_conn(&readers[3]);
	expect(goprof_profile_count(conns) == 6, "count 6");
	if (failed)
		return 1;
	puts("done");
	return 0;
}
