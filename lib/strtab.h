/*
 * String interning for the pprof string table: each distinct string gets one index, in
 * order of first use, and index 0 is always "".
 */
#ifndef GOPROF_LIB_STRTAB_H
#define GOPROF_LIB_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct gp_strtab {
	char **strs;		/* strs[i] = string i, NUL-terminated, owned by the table */
	size_t n;		/* strings in strs */
	size_t cap;		/* room in strs */
	uint32_t *slots;	/* hash slots: string index + 1, 0 = empty */
	size_t nslots;		/* power of two */
	struct gp_strtab_chunk *chunks;	/* arena holding the string bytes */
};

/* Sets up an empty table holding only "" at index 0. Returns 0 or -ENOMEM. */
int gp_strtab_init(struct gp_strtab *t);

/* Frees everything the table owns; the table may be initialised again. */
void gp_strtab_destroy(struct gp_strtab *t);

/*
 * Returns the index of s (len bytes, need not be NUL-terminated), adding a copy of it if
 * it is new; -1 when out of memory.
 */
int64_t gp_strtab_add_len(struct gp_strtab *t, const char *s, size_t len);

/* Same for a NUL-terminated string; NULL counts as "". */
int64_t gp_strtab_add(struct gp_strtab *t, const char *s);

#endif
