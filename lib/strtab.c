/*
 * String interning for the pprof string table (see strtab.h): an open-addressing hash of
 * indices into an array of strings whose bytes live in a chunked arena, so that adding a
 * string never moves the ones already handed out.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strtab.h"

#define CHUNK_BYTES (64u * 1024)

struct gp_strtab_chunk {
	struct gp_strtab_chunk *next;
	size_t used;		/* bytes of data[] handed out */
	size_t size;		/* bytes of data[] */
	char data[];
};

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static char *arena_copy(struct gp_strtab *t, const char *s, size_t len)
{
	struct gp_strtab_chunk *c = t->chunks;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > CHUNK_BYTES ? len + 1 : CHUNK_BYTES;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = t->chunks;
		c->used = 0;
		c->size = size;
		t->chunks = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static int grow_slots(struct gp_strtab *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = hash_bytes(t->strs[i], strlen(t->strs[i])) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

int gp_strtab_init(struct gp_strtab *t)
{
	memset(t, 0, sizeof(*t));
	return gp_strtab_add_len(t, "", 0) == 0 ? 0 : -ENOMEM;
}

void gp_strtab_destroy(struct gp_strtab *t)
{
	struct gp_strtab_chunk *c = t->chunks;

	while (c) {
		struct gp_strtab_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(t->strs);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int64_t gp_strtab_add_len(struct gp_strtab *t, const char *s, size_t len)
{
	if ((t->n + 1) * 2 > t->nslots && grow_slots(t) != 0)
		return -1;

	size_t j = hash_bytes(s, len) & (t->nslots - 1);
	for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
		const char *have = t->strs[t->slots[j] - 1];
		if (strncmp(have, s, len) == 0 && have[len] == '\0')
			return t->slots[j] - 1;
	}

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		char **strs = realloc(t->strs, cap * sizeof(*strs));
		if (!strs)
			return -1;
		t->strs = strs;
		t->cap = cap;
	}
	char *copy = arena_copy(t, s, len);
	if (!copy)
		return -1;
	t->strs[t->n] = copy;
	t->slots[j] = (uint32_t)t->n + 1;
	return (int64_t)t->n++;
}

int64_t gp_strtab_add(struct gp_strtab *t, const char *s)
{
	return s ? gp_strtab_add_len(t, s, strlen(s)) : 0;
}
