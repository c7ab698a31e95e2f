/*
 * rt/own-alloc.c on its own (compiled into this program, no libgoprof): random
 * allocations, frees, reallocs and aligned allocations by the owning thread, each block
 * filled with a pattern checked (every 61st byte) before it goes (so two live blocks never
 * overlap and a realloc keeps the contents), zeroed calloc blocks, sizes as usable as asked, blocks of
 * glibc's and of the stack not taken for its own; then a second thread frees half the
 * blocks while the owner goes on allocating (the lock-free hand-back); then a million
 * allocations and frees of one size, which must reuse their blocks (the address space
 * grows by less than 16 MiB). Prints "ok" and the figures, or what went wrong (exit 1).
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* this program's malloc is glibc's */
#define GP_ALLOC_DIRECT
#include "gp-internal.h"

#define LIVE 2048
#define OPS 40000			/* each of the three rounds */
#define STRIDE 61			/* bytes between two checked ones */

struct blk {
	unsigned char *p;
	size_t n;
	unsigned char tag;
};

static struct blk live[LIVE];
static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void die(const char *what, size_t a, size_t b)
{
	printf("FAILED: %s (%zu, %zu)\n", what, a, b);
	exit(1);
}

static size_t some_size(void)
{
	uint64_t r = next();

	switch (r % 32) {
	case 0:
		return (size_t)(r >> 8) % 300000;
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
	case 6:
	case 7:
	case 8:
		return (size_t)(r >> 8) % 5000;
	default:
		return (size_t)(r >> 8) % 300;
	}
}

static void fill(struct blk *b)
{
	memset(b->p, b->tag, b->n);
}

/* every STRIDE-th byte and the last: an overlap of two blocks changes some of them */
static void check(const struct blk *b, const char *when)
{
	for (size_t i = 0; i < b->n; i += STRIDE)
		if (b->p[i] != b->tag)
			die(when, b->n, i);
	if (b->n && b->p[b->n - 1] != b->tag)
		die(when, b->n, b->n - 1);
}

static void made(struct blk *b, size_t n, unsigned align)
{
	if (n && !b->p)
		die("no memory", n, 0);
	if (!b->p)
		return;
	if (!gp_own_contains(b->p))
		die("a block not its own", n, 0);
	if (gp_own_usable(b->p) < n)
		die("usable size below the size asked", gp_own_usable(b->p), n);
	if ((uintptr_t)b->p % align)
		die("misaligned", n, align);
	b->n = n;
	b->tag = (unsigned char)(next() | 1);
	fill(b);
}

static void one_op(struct blk *b)
{
	uint64_t r = next() % 10;

	if (b->p) {
		check(b, "a live block changed");
		if (r < 3) {
			size_t n = some_size();
			unsigned char *q = gp_own_realloc(b->p, n, 1);
			if (n && !q)
				die("realloc failed", n, 0);
			for (size_t i = 0; i < (n < b->n ? n : b->n); i += STRIDE)
				if (q[i] != b->tag)
					die("realloc lost the contents", n, i);
			b->p = q;
			made(b, n, 16);
			return;
		}
		gp_own_free(b->p, 1);
		b->p = NULL;
		return;
	}
	size_t n = some_size();
	if (r < 2) {
		unsigned align = 32u << (next() % 8);
		b->p = gp_own_memalign(align, n);
		made(b, n, align);
	} else if (r < 4) {
		b->p = gp_own_calloc(n);
		for (size_t i = 0; b->p && i < n; i += STRIDE)
			if (b->p[i])
				die("calloc block not zeroed", n, i);
		made(b, n, 16);
	} else {
		b->p = gp_own_alloc(n);
		made(b, n, 16);
	}
}

static struct blk handed[LIVE];
static int handed_n;

static void *hand_back(void *unused)
{
	(void)unused;
	for (int i = 0; i < handed_n; i++) {
		check(&handed[i], "a block handed over changed");
		gp_own_free(handed[i].p, 0);
	}
	return NULL;
}

static long vm_kib(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld", &pages) != 1)
		pages = 0;
	if (f)
		fclose(f);
	return pages * 4;
}

int main(void)
{
	void *glibc = malloc(100);
	int on_stack;

	if (gp_own_contains(glibc) || gp_own_contains(&on_stack))
		die("a block of glibc's or the stack taken for its own", 0, 0);
	free(glibc);
	for (int i = 0; i < OPS; i++)
		one_op(&live[next() % LIVE]);

	/* every other live block to another thread, while this one allocates on */
	for (int i = 0; i < LIVE; i += 2)
		if (live[i].p && live[i].n) {
			handed[handed_n++] = live[i];
			live[i].p = NULL;
		}
	pthread_t t;
	if (pthread_create(&t, NULL, hand_back, NULL) != 0)
		die("pthread_create", 0, 0);
	for (int i = 0; i < OPS; i++)
		one_op(&live[1 + 2 * (next() % (LIVE / 2))]);
	pthread_join(t, NULL);
	for (int i = 0; i < OPS; i++)
		one_op(&live[next() % LIVE]);
	for (int i = 0; i < LIVE; i++)
		if (live[i].p) {
			check(&live[i], "a live block changed");
			gp_own_free(live[i].p, 1);
		}

	long before = vm_kib();
	for (int i = 0; i < 1000000; i++) {
		void *p = gp_own_alloc(100 + (size_t)(i & 7));
		if (!p)
			die("no memory", 100, i);
		gp_own_free(p, 1);
	}
	long grew = vm_kib() - before;
	if (grew > 16384)
		die("no reuse: KiB of address space more", (size_t)grew, 0);
	printf("ok: %d operations, %d blocks handed back, address space +%ld KiB after 1e6 "
	       "allocations\n", 3 * OPS, handed_n, grew);
	return 0;
}
