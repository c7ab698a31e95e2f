/*
 * What lies at a PC: the loaded object (path, executable mapping, GNU build ID) from
 * dl_iterate_phdr, and the function from the object's ELF symbol table (.symtab, or
 * .dynsym when stripped) read with libelf. Used by the collector for the leaf of a sample
 * whose PC lies outside instrumented code, and for the profile's mappings.
 *
 * DESIGN. Collector thread only (not signal-safe, allocates). Objects are cached by path
 * and load address; an object's symbols are read once, on its first lookup, and kept
 * sorted by address. Names lose their clone suffix (memcpy.part.0 -> memcpy) and are
 * demangled when the program carries a C++ runtime that offers __cxa_demangle.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "gp-internal.h"

struct sym {
	uintptr_t start, end;	/* link-time addresses */
	char *name;
};

struct object {
	char *path;
	uintptr_t bias;			/* load address - link address */
	uintptr_t lo, hi;		/* executable mapping, run-time addresses */
	uintptr_t span_lo, span_hi;	/* all its loaded segments, run-time addresses */
	uint64_t offset;		/* file offset of lo */
	char build_id[41];
	struct sym *syms;
	size_t nsyms;
	int syms_read;
};

static struct object *objects;
static size_t nobjects;
static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

static char *clean_name(const char *raw)
{
	static demangle_fn demangle;
	static int looked;
	size_t len = strcspn(raw, ".");
	char *base = strndup(raw, len ? len : strlen(raw));

	if (!base || base[0] != '_' || base[1] != 'Z')
		return base;
	if (!looked) {
		demangle = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
		looked = 1;
	}
	int status = -1;
	char *pretty = demangle ? demangle(base, NULL, NULL, &status) : NULL;
	if (pretty && status == 0) {
		free(base);
		return pretty;
	}
	free(pretty);
	return base;
}

static int by_start(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Reads the function symbols of one section into o->syms. */
static void read_symtab(struct object *o, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	if (!data || !n)
		return;
	o->syms = calloc(n, sizeof(*o->syms));
	if (!o->syms)
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(data, (int)i, &s) || s.st_value == 0 || s.st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		struct sym *y = &o->syms[o->nsyms];
		y->start = s.st_value;
		y->end = s.st_value + (s.st_size ? s.st_size : 1);
		y->name = clean_name(name);
		if (y->name)
			o->nsyms++;
	}
	qsort(o->syms, o->nsyms, sizeof(*o->syms), by_start);
}

/* The vDSO has no file: its image is read where the kernel mapped it. */
static Elf *open_vdso(void)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)getauxval(AT_SYSINFO_EHDR);

	if (!eh)
		return NULL;
	size_t size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	return elf_memory((char *)eh, size);
}

/* Reads the function symbols of the ELF file at path; 1 if it had a symbol table. */
static int read_file_symbols(struct object *o, const char *path, int want_symtab)
{
	int fd = -1, found = 0;
	Elf *elf;

	if (strncmp(path, "linux-vdso", 10) == 0) {
		elf = open_vdso();
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		elf = elf_begin(fd, ELF_C_READ, NULL);
	}
	Elf_Scn *scn = NULL, *dynsym = NULL;
	GElf_Shdr sh, dynsh;

	while (elf && !found && (scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			read_symtab(o, elf, scn, &sh);
			found = 1;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsh = sh;
		}
	}
	if (elf && !found && !want_symtab && dynsym) {
		read_symtab(o, elf, dynsym, &dynsh);
		found = 1;
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return found;
}

/*
 * Prefers the full symbol table of a separate debug file (Debian's -dbg packages install
 * them by build ID): a stripped library's .dynsym lacks the internal functions most of its
 * time is spent in (memcpy runs in __memmove_avx_unaligned_erms).
 */
static void read_symbols(struct object *o)
{
	o->syms_read = 1;
	elf_version(EV_CURRENT);
	if (strlen(o->build_id) > 2) {
		char debug[128];
		snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug",
			 o->build_id, o->build_id + 2);
		if (read_file_symbols(o, debug, 1))
			return;
	}
	read_file_symbols(o, o->path, 0);
}

static void note_build_id(struct object *o, const struct dl_phdr_info *info,
			  const ElfW(Phdr) *ph)
{
	const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
	const char *end = p + ph->p_memsz;

	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
		const unsigned char *desc =
			(const unsigned char *)p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(p + sizeof(*nh), "GNU", 4) == 0) {
			size_t n = nh->n_descsz > 20 ? 20 : nh->n_descsz;
			for (size_t i = 0; i < n; i++) {
				static const char hex[] = "0123456789abcdef";
				o->build_id[2 * i] = hex[desc[i] >> 4];
				o->build_id[2 * i + 1] = hex[desc[i] & 15];
			}
			o->build_id[2 * n] = '\0';
			return;
		}
		p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
	}
}

struct find {
	uintptr_t pc;
	struct object found;
	int ok;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	(void)size;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD || f->pc < lo || f->pc >= lo + ph->p_memsz)
			continue;
		memset(&f->found, 0, sizeof(f->found));
		f->found.bias = info->dlpi_addr;
		f->found.lo = lo;
		f->found.hi = lo + ph->p_memsz;
		f->found.offset = ph->p_offset;
		f->found.span_lo = UINTPTR_MAX;
		for (int j = 0; j < info->dlpi_phnum; j++) {
			const ElfW(Phdr) *q = &info->dlpi_phdr[j];
			uintptr_t qlo = info->dlpi_addr + q->p_vaddr;
			if (q->p_type != PT_LOAD)
				continue;
			if (qlo < f->found.span_lo)
				f->found.span_lo = qlo;
			if (qlo + q->p_memsz > f->found.span_hi)
				f->found.span_hi = qlo + q->p_memsz;
		}
		for (int j = 0; j < info->dlpi_phnum; j++)
			if (info->dlpi_phdr[j].p_type == PT_NOTE)
				note_build_id(&f->found, info, &info->dlpi_phdr[j]);
		if (info->dlpi_name && info->dlpi_name[0]) {
			f->found.path = strdup(info->dlpi_name);
		} else {
			char exe[4096];
			ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
			exe[n > 0 ? n : 0] = '\0';
			f->found.path = strdup(exe);
		}
		f->ok = f->found.path != NULL;
		return 1;
	}
	return 0;
}

static struct object *object_at(uintptr_t pc)
{
	for (size_t i = 0; i < nobjects; i++)
		if (pc >= objects[i].lo && pc < objects[i].hi)
			return &objects[i];

	struct find f = { .pc = pc };
	/* a crash flush or a fork child's exit keeps to the objects known: the loader's lock */
	if (gp_writer_careful())
		return NULL;
	dl_iterate_phdr(find_object, &f);
	if (!f.ok)
		return NULL;
	struct object *grown = realloc(objects, (nobjects + 1) * sizeof(*objects));
	if (!grown) {
		free(f.found.path);
		return NULL;
	}
	objects = grown;
	objects[nobjects] = f.found;
	return &objects[nobjects++];
}

static const char *function_at(struct object *o, uintptr_t pc)
{
	if (!o->syms_read) {
		/* libelf allocates from the program's allocator, which private mode keeps off */
		if (gp_alloc_private())
			return NULL;
		read_symbols(o);
	}
	uintptr_t addr = pc - o->bias;
	size_t lo = 0, hi = o->nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= o->syms[lo - 1].end)
		return NULL;
	return o->syms[lo - 1].name;
}

int gp_pc_lookup(uintptr_t pc, struct gp_pc_info *out)
{
	int rc = -1;
	int how = gp_writer_lock(&sym_lock, "the symbol cache");

	if (how == GP_LOCK_SKIP)
		return -1;
	struct object *o = object_at(pc);
	if (o) {
		out->function = function_at(o, pc);
		out->object = o->path;
		out->build_id = o->build_id;
		out->map_start = o->lo;
		out->map_end = o->hi;
		out->map_offset = o->offset;
		rc = 0;
	}
	gp_writer_unlock(&sym_lock, how);
	return rc;
}

int gp_pc_object(uintptr_t pc, uintptr_t *lo, uintptr_t *hi)
{
	int rc = -1;
	int how = gp_writer_lock(&sym_lock, "the symbol cache");

	if (how == GP_LOCK_SKIP)
		return -1;
	struct object *o = object_at(pc);
	if (o) {
		*lo = o->span_lo;
		*hi = o->span_hi;
		rc = 0;
	}
	gp_writer_unlock(&sym_lock, how);
	return rc;
}

void gp_symbolize_atfork_prepare(void)
{
	pthread_mutex_lock(&sym_lock);
}

void gp_symbolize_atfork_parent(void)
{
	pthread_mutex_unlock(&sym_lock);
}

void gp_symbolize_atfork_child(void)
{
	pthread_mutex_unlock(&sym_lock);
}
