/*
 * Allocation of sample rings (ring.h has the protocol). Cold path.
 */
#include "config.h"

#include <sys/mman.h>

#include "ring.h"

struct gp_ring *gp_ring_new(unsigned order)
{
	size_t bytes = sizeof(struct gp_ring) + ((size_t)1 << order) * sizeof(uint64_t);
	struct gp_ring *r = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	r->mask = ((uint64_t)1 << order) - 1;
	return r;
}

void gp_ring_free(struct gp_ring *r)
{
	if (r)
		munmap(r, sizeof(struct gp_ring) + (r->mask + 1) * sizeof(uint64_t));
}
