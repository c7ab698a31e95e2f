/*
 * The Profile builder: collects the pieces of one pprof profile (perftools.profiles.Profile,
 * lib/profile.proto) and writes it gzip-compressed. Shared by goprof-export and the live
 * HTTP endpoints, so it knows nothing about the database.
 *
 * Ids: mappings, functions and locations are numbered 1..N in the order they are added
 * (Go's order of first use); the caller keeps its own map from its objects to these ids.
 * Strings are interned here (index 0 = "").
 *
 * Not thread-safe: one builder per thread.
 */
#ifndef GOPROF_LIB_PPROF_H
#define GOPROF_LIB_PPROF_H

#include <stddef.h>
#include <stdint.h>

struct gp_pprof;

/* Mapping flags (gp_pprof_mapping): what the profile says about the object's symbols. */
#define GP_PPROF_HAS_FUNCTIONS 0x1u
#define GP_PPROF_HAS_FILENAMES 0x2u
#define GP_PPROF_HAS_LINE_NUMBERS 0x4u
#define GP_PPROF_HAS_INLINE_FRAMES 0x8u

/* A new, empty builder; NULL when out of memory. Free with gp_pprof_free(). */
struct gp_pprof *gp_pprof_new(void);

void gp_pprof_free(struct gp_pprof *b);

/*
 * Adds a sample type (e.g. "cpu", "nanoseconds"). Every sample then carries one value per
 * type, in the order they were added. Returns 0 or -ENOMEM.
 */
int gp_pprof_sample_type(struct gp_pprof *b, const char *type, const char *unit);

/* Sets period_type and period. Returns 0 or -ENOMEM. */
int gp_pprof_period(struct gp_pprof *b, const char *type, const char *unit, int64_t period);

/* Sets default_sample_type: the sample type pprof shows first. Returns 0 or -ENOMEM. */
int gp_pprof_default_type(struct gp_pprof *b, const char *type);

/*
 * Gives the sample added last one numeric label {key, num} (Go's heap profile: "bytes").
 * Returns 0 or -ENOMEM.
 */
int gp_pprof_sample_label_num(struct gp_pprof *b, const char *key, int64_t num);

/*
 * Gives the sample added last one more string label {key, str} (a goprof_label_push label,
 * which pprof filters with -tagfocus). Returns 0 or -ENOMEM.
 */
int gp_pprof_sample_label_str(struct gp_pprof *b, const char *key, const char *value);

/* Sets time_nanos (start, ns since the epoch) and duration_nanos (0: not set). */
void gp_pprof_time(struct gp_pprof *b, int64_t time_ns, int64_t duration_ns);

/*
 * Adds a mapping; path and build_id may be NULL. flags: GP_PPROF_HAS_*. Returns its id
 * (>= 1) or 0 when out of memory.
 */
uint64_t gp_pprof_mapping(struct gp_pprof *b, uint64_t start, uint64_t limit, uint64_t offset,
			  const char *path, const char *build_id, unsigned flags);

/*
 * Adds a function: name, system_name (NULL: the same as name), source file (NULL: none)
 * and start line. Returns its id (>= 1) or 0 when out of memory.
 */
uint64_t gp_pprof_function(struct gp_pprof *b, const char *name, const char *system_name,
			   const char *file, int64_t start_line);

/*
 * Adds a location with one Line {function_id, line}; mapping_id 0 = none. Returns its id
 * (>= 1) or 0 when out of memory.
 */
uint64_t gp_pprof_location(struct gp_pprof *b, uint64_t mapping_id, uint64_t address,
			   uint64_t function_id, int64_t line);

/*
 * Adds a sample: nloc location ids, leaf first, and one value per sample type. Returns 0
 * or -ENOMEM.
 */
/*
 * Adds a location with n Lines {function_ids[i], lines[i]}, innermost first (the calls
 * inlined at address, then the function they were inlined into). Returns its id (>= 1)
 * or 0 when out of memory.
 */
uint64_t gp_pprof_location_lines(struct gp_pprof *b, uint64_t mapping_id, uint64_t address,
				 const uint64_t *function_ids, const int64_t *lines, size_t n);

int gp_pprof_sample(struct gp_pprof *b, const uint64_t *loc_ids, size_t nloc,
		    const int64_t *values);

/*
 * Writes the profile to fd as gzip-compressed protobuf (level: zlib's best speed, as Go).
 * Returns 0, -errno for a write error, or -EIO/-ENOMEM for a zlib failure.
 */
int gp_pprof_write(struct gp_pprof *b, int fd);

#endif
