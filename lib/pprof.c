/*
 * The Profile builder (see pprof.h), shaped like Go's runtime/pprof/proto.go: a builder
 * struct, an interned string table, one small function per message. The messages are kept
 * in growable arrays of protobuf-c structs; the pointer arrays protobuf-c wants are made
 * only at write time, so that growing an array never leaves a dangling pointer. The packed
 * message streams through a ProtobufCBuffer into deflate and out to the file descriptor.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof.h"
#include "profile.pb-c.h"
#include "strtab.h"

struct sample_rec {
	size_t loc_off;		/* first location id in loc_pool */
	size_t nloc;
	size_t label_off;	/* first label in label_pool */
	size_t nlabels;
};

struct label_rec {
	int64_t key, str;	/* string indexes; str 0 for a numeric label */
	int64_t num;
};

struct gp_pprof {
	struct gp_strtab strtab;
	Perftools__Profiles__Profile msg;		/* only the scalar fields are used */
	Perftools__Profiles__ValueType period_type;
	Perftools__Profiles__ValueType *types;		/* sample types */
	size_t ntypes;
	Perftools__Profiles__Mapping *maps;
	size_t nmaps, capmaps;
	Perftools__Profiles__Function *funcs;
	size_t nfuncs, capfuncs;
	Perftools__Profiles__Location *locs;
	size_t *line_off;				/* locs[i]'s first line in lines */
	size_t nlocs, caplocs;
	Perftools__Profiles__Line *lines;		/* every location's, in order */
	size_t nlines, caplines;
	struct sample_rec *samples;
	size_t nsamples, capsamples;
	uint64_t *loc_pool;				/* location ids of all samples */
	size_t nloc_pool, caploc_pool;
	int64_t *val_pool;				/* ntypes values per sample */
	size_t capval_pool;
	struct label_rec *label_pool;			/* labels of all samples */
	size_t nlabel_pool, caplabel_pool;
};

/* Makes room for one more element in an array of elements of size sz. */
static int grow(void **arr, size_t *cap, size_t n, size_t more, size_t sz)
{
	if (n + more <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < n + more)
		ncap *= 2;
	void *p = realloc(*arr, ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct gp_pprof *gp_pprof_new(void)
{
	struct gp_pprof *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (gp_strtab_init(&b->strtab) != 0) {
		free(b);
		return NULL;
	}
	perftools__profiles__profile__init(&b->msg);
	perftools__profiles__value_type__init(&b->period_type);
	return b;
}

void gp_pprof_free(struct gp_pprof *b)
{
	if (!b)
		return;
	gp_strtab_destroy(&b->strtab);
	free(b->types);
	free(b->maps);
	free(b->funcs);
	free(b->locs);
	free(b->line_off);
	free(b->lines);
	free(b->samples);
	free(b->loc_pool);
	free(b->val_pool);
	free(b->label_pool);
	free(b);
}

static int set_value_type(struct gp_pprof *b, Perftools__Profiles__ValueType *vt,
			  const char *type, const char *unit)
{
	perftools__profiles__value_type__init(vt);
	vt->type = gp_strtab_add(&b->strtab, type);
	vt->unit = gp_strtab_add(&b->strtab, unit);
	return vt->type < 0 || vt->unit < 0 ? -ENOMEM : 0;
}

int gp_pprof_sample_type(struct gp_pprof *b, const char *type, const char *unit)
{
	void *p = realloc(b->types, (b->ntypes + 1) * sizeof(*b->types));

	if (!p)
		return -ENOMEM;
	b->types = p;
	if (set_value_type(b, &b->types[b->ntypes], type, unit) != 0)
		return -ENOMEM;
	b->ntypes++;
	return 0;
}

int gp_pprof_period(struct gp_pprof *b, const char *type, const char *unit, int64_t period)
{
	b->msg.period = period;
	return set_value_type(b, &b->period_type, type, unit);
}

int gp_pprof_default_type(struct gp_pprof *b, const char *type)
{
	b->msg.default_sample_type = gp_strtab_add(&b->strtab, type);
	return b->msg.default_sample_type < 0 ? -ENOMEM : 0;
}

/* Appends a label to the sample added last (its labels are contiguous in the pool). */
static int add_label(struct gp_pprof *b, const char *key, const char *str, int64_t num)
{
	int64_t k = gp_strtab_add(&b->strtab, key);
	int64_t v = str ? gp_strtab_add(&b->strtab, str) : 0;

	if (k < 0 || v < 0 || grow((void **)&b->label_pool, &b->caplabel_pool, b->nlabel_pool, 1,
				   sizeof(*b->label_pool)))
		return -ENOMEM;
	b->label_pool[b->nlabel_pool++] = (struct label_rec){ k, v, num };
	b->samples[b->nsamples - 1].nlabels++;
	return 0;
}

int gp_pprof_sample_label_num(struct gp_pprof *b, const char *key, int64_t num)
{
	return add_label(b, key, NULL, num);
}

int gp_pprof_sample_label_str(struct gp_pprof *b, const char *key, const char *value)
{
	return add_label(b, key, value, 0);
}

void gp_pprof_time(struct gp_pprof *b, int64_t time_ns, int64_t duration_ns)
{
	b->msg.time_nanos = time_ns;
	b->msg.duration_nanos = duration_ns;
}

uint64_t gp_pprof_mapping(struct gp_pprof *b, uint64_t start, uint64_t limit, uint64_t offset,
			  const char *path, const char *build_id, unsigned flags)
{
	if (grow((void **)&b->maps, &b->capmaps, b->nmaps, 1, sizeof(*b->maps)) != 0)
		return 0;
	Perftools__Profiles__Mapping *m = &b->maps[b->nmaps];
	perftools__profiles__mapping__init(m);
	m->id = b->nmaps + 1;
	m->memory_start = start;
	m->memory_limit = limit;
	m->file_offset = offset;
	m->filename = gp_strtab_add(&b->strtab, path);
	m->build_id = gp_strtab_add(&b->strtab, build_id);
	if (m->filename < 0 || m->build_id < 0)
		return 0;
	m->has_functions = !!(flags & GP_PPROF_HAS_FUNCTIONS);
	m->has_filenames = !!(flags & GP_PPROF_HAS_FILENAMES);
	m->has_line_numbers = !!(flags & GP_PPROF_HAS_LINE_NUMBERS);
	m->has_inline_frames = !!(flags & GP_PPROF_HAS_INLINE_FRAMES);
	return ++b->nmaps;
}

uint64_t gp_pprof_function(struct gp_pprof *b, const char *name, const char *system_name,
			   const char *file, int64_t start_line)
{
	if (grow((void **)&b->funcs, &b->capfuncs, b->nfuncs, 1, sizeof(*b->funcs)) != 0)
		return 0;
	Perftools__Profiles__Function *f = &b->funcs[b->nfuncs];
	perftools__profiles__function__init(f);
	f->id = b->nfuncs + 1;
	f->name = gp_strtab_add(&b->strtab, name);
	f->system_name = system_name ? gp_strtab_add(&b->strtab, system_name) : f->name;
	f->filename = gp_strtab_add(&b->strtab, file);
	f->start_line = start_line;
	if (f->name < 0 || f->system_name < 0 || f->filename < 0)
		return 0;
	return ++b->nfuncs;
}

uint64_t gp_pprof_location(struct gp_pprof *b, uint64_t mapping_id, uint64_t address,
			   uint64_t function_id, int64_t line)
{
	return gp_pprof_location_lines(b, mapping_id, address, &function_id, &line, 1);
}

uint64_t gp_pprof_location_lines(struct gp_pprof *b, uint64_t mapping_id, uint64_t address,
				 const uint64_t *function_ids, const int64_t *lines, size_t n)
{
	size_t cap = b->caplocs;

	if (grow((void **)&b->locs, &cap, b->nlocs, 1, sizeof(*b->locs)) != 0 ||
	    grow((void **)&b->lines, &b->caplines, b->nlines, n, sizeof(*b->lines)) != 0)
		return 0;
	if (cap != b->caplocs) {
		void *p = realloc(b->line_off, cap * sizeof(*b->line_off));
		if (!p)
			return 0;
		b->line_off = p;
		b->caplocs = cap;
	}
	Perftools__Profiles__Location *l = &b->locs[b->nlocs];
	perftools__profiles__location__init(l);
	l->id = b->nlocs + 1;
	l->mapping_id = mapping_id;
	l->address = address;
	l->n_line = n;
	b->line_off[b->nlocs] = b->nlines;
	for (size_t i = 0; i < n; i++) {
		Perftools__Profiles__Line *ln = &b->lines[b->nlines++];
		perftools__profiles__line__init(ln);
		ln->function_id = function_ids[i];
		ln->line = lines[i];
	}
	return ++b->nlocs;
}

int gp_pprof_sample(struct gp_pprof *b, const uint64_t *loc_ids, size_t nloc,
		    const int64_t *values)
{
	size_t valcap = b->capval_pool;

	if (grow((void **)&b->samples, &b->capsamples, b->nsamples, 1, sizeof(*b->samples)) ||
	    grow((void **)&b->loc_pool, &b->caploc_pool, b->nloc_pool, nloc,
		 sizeof(*b->loc_pool)) ||
	    grow((void **)&b->val_pool, &valcap, b->nsamples * b->ntypes, b->ntypes,
		 sizeof(*b->val_pool)))
		return -ENOMEM;
	b->capval_pool = valcap;
	struct sample_rec *s = &b->samples[b->nsamples];
	s->loc_off = b->nloc_pool;
	s->nloc = nloc;
	s->label_off = b->nlabel_pool;
	s->nlabels = 0;
	if (nloc)
		memcpy(b->loc_pool + b->nloc_pool, loc_ids, nloc * sizeof(*loc_ids));
	b->nloc_pool += nloc;
	memcpy(b->val_pool + b->nsamples * b->ntypes, values, b->ntypes * sizeof(*values));
	b->nsamples++;
	return 0;
}

/* ---- gzip output ------------------------------------------------------------------------- */

/*
 * The sink stays well under glibc's mmap threshold (128 KiB): a block that large is mapped,
 * and freeing it raises the threshold, and with it the free memory every arena keeps untrimmed
 * (twice the threshold), for the whole process. The live endpoints export inside the
 * profiled program, on a thread per connection: 2 x 128 KiB here left each arena such a thread
 * had used holding half a megabyte more of free memory, the program's arenas as well.
 */
#define SINK_BYTES (32u * 1024)

struct gz_sink {
	ProtobufCBuffer base;		/* first: protobuf-c calls base.append */
	z_stream z;
	int fd;
	int err;			/* first error, -errno */
	size_t nin;			/* bytes waiting in in[] */
	unsigned char in[SINK_BYTES];
	unsigned char out[SINK_BYTES];
};

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Runs deflate over in[] (flush: Z_NO_FLUSH or Z_FINISH) and writes what comes out. */
static void sink_deflate(struct gz_sink *s, int flush)
{
	s->z.next_in = s->in;
	s->z.avail_in = (uInt)s->nin;
	for (;;) {
		s->z.next_out = s->out;
		s->z.avail_out = sizeof(s->out);
		int rc = deflate(&s->z, flush);
		if (rc == Z_STREAM_ERROR) {
			s->err = -EIO;
			return;
		}
		size_t have = sizeof(s->out) - s->z.avail_out;
		if (!s->err && have)
			s->err = write_all(s->fd, s->out, have);
		if (flush == Z_FINISH ? rc == Z_STREAM_END : s->z.avail_out != 0)
			break;
	}
	s->nin = 0;
}

static void sink_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
	struct gz_sink *s = (struct gz_sink *)buf;

	while (len) {
		size_t n = sizeof(s->in) - s->nin;
		if (n > len)
			n = len;
		memcpy(s->in + s->nin, data, n);
		s->nin += n;
		data += n;
		len -= n;
		if (s->nin == sizeof(s->in))
			sink_deflate(s, Z_NO_FLUSH);
	}
}

int gp_pprof_write(struct gp_pprof *b, int fd)
{
	Perftools__Profiles__Profile msg = PERFTOOLS__PROFILES__PROFILE__INIT, *m = &msg;
	Perftools__Profiles__ValueType **types = malloc((b->ntypes + 1) * sizeof(*types));
	Perftools__Profiles__Sample *samples = malloc((b->nsamples + 1) * sizeof(*samples));
	Perftools__Profiles__Sample **psamples = malloc((b->nsamples + 1) * sizeof(*psamples));
	Perftools__Profiles__Mapping **pmaps = malloc((b->nmaps + 1) * sizeof(*pmaps));
	Perftools__Profiles__Function **pfuncs = malloc((b->nfuncs + 1) * sizeof(*pfuncs));
	Perftools__Profiles__Location **plocs = malloc((b->nlocs + 1) * sizeof(*plocs));
	Perftools__Profiles__Line **plines = malloc((b->nlines + 1) * sizeof(*plines));
	Perftools__Profiles__Label *labels = malloc((b->nlabel_pool + 1) * sizeof(*labels));
	Perftools__Profiles__Label **plabels = malloc((b->nlabel_pool + 1) * sizeof(*plabels));
	struct gz_sink *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!types || !samples || !psamples || !pmaps || !pfuncs || !plocs || !plines || !s ||
	    !labels || !plabels)
		goto out_free;

	for (size_t i = 0; i < b->ntypes; i++)
		types[i] = &b->types[i];
	for (size_t i = 0; i < b->nsamples; i++) {
		perftools__profiles__sample__init(&samples[i]);
		samples[i].n_location_id = b->samples[i].nloc;
		samples[i].location_id = b->loc_pool + b->samples[i].loc_off;
		samples[i].n_value = b->ntypes;
		samples[i].value = b->val_pool + i * b->ntypes;
		samples[i].n_label = b->samples[i].nlabels;
		samples[i].label = plabels + b->samples[i].label_off;
		psamples[i] = &samples[i];
	}
	for (size_t i = 0; i < b->nlabel_pool; i++) {
		perftools__profiles__label__init(&labels[i]);
		labels[i].key = b->label_pool[i].key;
		labels[i].str = b->label_pool[i].str;
		labels[i].num = b->label_pool[i].num;
		plabels[i] = &labels[i];
	}
	for (size_t i = 0; i < b->nmaps; i++)
		pmaps[i] = &b->maps[i];
	for (size_t i = 0; i < b->nfuncs; i++)
		pfuncs[i] = &b->funcs[i];
	for (size_t i = 0; i < b->nlines; i++)
		plines[i] = &b->lines[i];
	for (size_t i = 0; i < b->nlocs; i++) {
		b->locs[i].line = &plines[b->line_off[i]];
		plocs[i] = &b->locs[i];
	}
	m->time_nanos = b->msg.time_nanos;
	m->duration_nanos = b->msg.duration_nanos;
	m->period = b->msg.period;
	m->default_sample_type = b->msg.default_sample_type;
	m->n_sample_type = b->ntypes;
	m->sample_type = types;
	m->n_sample = b->nsamples;
	m->sample = psamples;
	m->n_mapping = b->nmaps;
	m->mapping = pmaps;
	m->n_location = b->nlocs;
	m->location = plocs;
	m->n_function = b->nfuncs;
	m->function = pfuncs;
	m->n_string_table = b->strtab.n;
	m->string_table = b->strtab.strs;
	m->period_type = b->period_type.type || b->period_type.unit ? &b->period_type : NULL;

	s->base.append = sink_append;
	s->fd = fd;
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&s->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		goto out_free;
	protobuf_c_message_pack_to_buffer(&m->base, &s->base);
	sink_deflate(s, Z_FINISH);
	deflateEnd(&s->z);
	rc = s->err;

out_free:
	free(s);
	free(plabels);
	free(labels);
	free(plines);
	free(plocs);
	free(pfuncs);
	free(pmaps);
	free(psamples);
	free(samples);
	free(types);
	return rc;
}
