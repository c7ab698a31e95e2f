/*
 * A custom pool allocator that reports its blocks with goprof_alloc_record and
 * goprof_free_record: pool_user takes 20 blocks of 64 bytes from the pool and gives 5 back.
 */
#include <stdio.h>
#include <goprof.h>

static char pool[64 * 32];
static int next_free;

__attribute__((noinline)) void *pool_get(void)
{
	void *p = &pool[64 * next_free++];
	goprof_alloc_record(p, 64);
	return p;
}

__attribute__((noinline)) void pool_put(void *p)
{
	goprof_free_record(p);
}

__attribute__((noinline)) void pool_user(void)
{
	void *blocks[20];

	for (int i = 0; i < 20; i++)
		blocks[i] = pool_get();
	for (int i = 0; i < 5; i++)
		pool_put(blocks[i]);
}

int main(void)
{
	pool_user();
	printf("%d\n", next_free);
	return 0;
}
