/*
 * Memory for records that live as long as the process and may be made in a signal handler
 * (a trace header, a block or mutex profile bucket): carved from anonymous mappings, never
 * from malloc. A handler that interrupts its thread inside malloc, or a thread that crashed
 * there, may hold an arena lock that a malloc from the handler would wait for forever;
 * mmap() takes no lock of the process.
 *
 * DESIGN. A pool is a current mapping and the bytes left in it. The caller serialises
 * gp_pool_take() with a lock of its own (the one that already guards the records the
 * pool's memory becomes) and makes sure that a signal handler never waits for that lock
 * while its own thread holds it. Nothing is ever given back.
 */
#include "config.h"

#include <stdint.h>
#include <sys/mman.h>

#include "gp-internal.h"

#define POOL_MAP_BYTES 65536u
#define POOL_ALIGN 16u

void *gp_pool_take(struct gp_pool *p, size_t bytes)
{
	bytes = (bytes + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
	if (bytes > p->left) {
		size_t map = bytes > POOL_MAP_BYTES ? bytes : POOL_MAP_BYTES;
		void *m = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		p->next = m;
		p->left = map;
	}
	void *r = p->next;
	p->next += bytes;
	p->left -= bytes;
	return r;
}
