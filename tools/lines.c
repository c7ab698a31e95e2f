/*
 * Source lines and inlined calls at a profile's addresses, with elfutils' libdwfl/libdw
 * (lines.h). One Dwfl per mapping, holding the one object it names, opened on first use.
 * A run-time address becomes an address of the object by the mapping's row (mem_start is
 * where the executable segment at file_offset was loaded), then one of the module's by the
 * bias libdwfl reports. The inline chain is the innermost function scope at the address
 * (dwarf_getscopes) and the DIEs around it (dwarf_getscopes_die, which, unlike the first,
 * stays in the concrete tree): each inlined subroutine is a frame at the line the one
 * inside it was called from (DW_AT_call_file, DW_AT_call_line), the innermost at the line
 * table's line.
 */
#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

#define MAX_INLINE 32		/* frames one address may stand for */

struct object {
	int tried;		/* opened (or given up on) */
	Dwfl *dwfl;		/* NULL: no usable object */
	Dwfl_Module *mod;
	GElf_Addr seg_vaddr;	/* link-time address of the mapping's first byte */
};

struct gp_lines {
	const struct gp_db *db;
	struct object *objs;	/* [mapping id] */
};

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

struct gp_lines *gp_lines_new(const struct gp_db *db)
{
	struct gp_lines *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->db = db;
	l->objs = calloc(db->nmaps ? db->nmaps : 1, sizeof(*l->objs));
	if (!l->objs) {
		free(l);
		return NULL;
	}
	return l;
}

void gp_lines_free(struct gp_lines *l)
{
	int opened = 0;

	if (!l)
		return;
	for (size_t i = 0; i < l->db->nmaps; i++)
		if (l->objs[i].dwfl) {
			dwfl_end(l->objs[i].dwfl);
			opened = 1;
		}
	free(l->objs);
	free(l);
	/*
	 * An object's debug information is megabytes (a C library's, decompressed) freed
	 * here; inside a profiled program serving exports on several threads, each thread's
	 * arena would keep its peak: give the pages back (4001).
	 */
	if (opened)
		malloc_trim(0);
}

/* Does the object's build ID match the mapping's (when the profile knows one)? */
static int same_build(Dwfl_Module *mod, const char *want)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	char hex[2 * 64 + 1];

	if (!want || !*want)
		return 1;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	if (n <= 0 || n > 64)
		return 0;
	for (int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", bits[i]);
	return strcmp(hex, want) == 0;
}

static void open_object(struct object *o, const struct gp_db_mapping *m)
{
	GElf_Addr bias;

	o->tried = 1;
	if (!m->present || !m->path || !*m->path)
		return;
	o->dwfl = dwfl_begin(&callbacks);
	if (!o->dwfl)
		return;
	o->mod = dwfl_report_elf(o->dwfl, m->path, m->path, -1, 0, false);
	dwfl_report_end(o->dwfl, NULL, NULL);
	Elf *elf = o->mod ? dwfl_module_getelf(o->mod, &bias) : NULL;
	size_t nph = 0;
	if (elf && same_build(o->mod, m->build_id) && elf_getphdrnum(elf, &nph) == 0)
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
			    m->offset < ph.p_offset || m->offset >= ph.p_offset + ph.p_filesz)
				continue;
			o->seg_vaddr = ph.p_vaddr + (m->offset - ph.p_offset) + bias;
			return;
		}
	dwfl_end(o->dwfl);
	o->dwfl = NULL;
	o->mod = NULL;
}

static int64_t udata(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	return dwarf_formudata(dwarf_attr(die, name, &a), &v) == 0 ? (int64_t)v : 0;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));

	return name ? name : "??";
}

static int64_t decl_line(Dwarf_Die *die)
{
	int line = 0;

	return dwarf_decl_line(die, &line) == 0 ? line : 0;
}

int gp_lines_link_start(struct gp_lines *l, uint32_t mapping, uint64_t *out)
{
	if (!mapping || mapping >= l->db->nmaps)
		return -1;
	struct object *o = &l->objs[mapping];
	if (!o->tried)
		open_object(o, &l->db->maps[mapping]);
	if (!o->dwfl)
		return -1;
	*out = o->seg_vaddr;
	return 0;
}

size_t gp_lines_at(struct gp_lines *l, uint32_t mapping, uint64_t addr, struct gp_line_frame *out,
		   size_t max)
{
	if (!mapping || mapping >= l->db->nmaps || !max)
		return 0;
	struct object *o = &l->objs[mapping];
	const struct gp_db_mapping *m = &l->db->maps[mapping];
	if (!o->tried)
		open_object(o, m);
	if (!o->dwfl || addr < m->start || addr >= m->limit)
		return 0;

	Dwarf_Addr maddr = addr - m->start + o->seg_vaddr, cubias;
	Dwarf_Die *cu = dwfl_module_addrdie(o->mod, maddr, &cubias);
	if (!cu)
		return 0;
	Dwarf_Line *ln = dwarf_getsrc_die(cu, maddr - cubias);
	const char *file = ln ? dwarf_linesrc(ln, NULL, NULL) : NULL;
	int lineno = 0;
	if (ln)
		dwarf_lineno(ln, &lineno);

	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	dwarf_getsrcfiles(cu, &files, &nfiles);

	/* the innermost function scope at the address, then the scopes around that DIE */
	Dwarf_Die *scopes = NULL, *chain = NULL;
	int nscopes = dwarf_getscopes(cu, maddr - cubias, &scopes), nchain = 0;
	for (int i = 0; i < nscopes && !nchain; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)
			nchain = dwarf_getscopes_die(&scopes[i], &chain);
	}
	size_t n = 0;
	int64_t line = lineno;
	for (int i = 0; i < nchain && n < max; i++) {
		int tag = dwarf_tag(&chain[i]);
		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		out[n].function = die_name(&chain[i]);
		out[n].file = file ? file : "";
		out[n].line = line;
		out[n].start_line = decl_line(&chain[i]);
		n++;
		if (tag == DW_TAG_subprogram)
			break;
		/* the frame outside is at this call's site */
		line = udata(&chain[i], DW_AT_call_line);
		int64_t f = udata(&chain[i], DW_AT_call_file);
		file = files && (size_t)f < nfiles ? dwarf_filesrc(files, (size_t)f, NULL, NULL) : NULL;
	}
	free(chain);
	free(scopes);
	return n;
}

size_t gp_lines_of_row(struct gp_lines *l, uint32_t row, struct gp_line_frame *out, size_t max)
{
	const struct gp_db *db = l->db;
	const struct gp_db_func *f = &db->funcs[db->stack_func[row]];
	size_t n = 0;

	if (!max)
		return 0;
	if (db->stack_addr[row])
		n = gp_lines_at(l, f->mapping_id, db->stack_addr[row], out, max);
	if (n)
		out[n - 1].function = f->name;
	if (!n) {
		out[0] = (struct gp_line_frame){ f->name, f->file, f->start_line, f->start_line };
		n = 1;
	}
	return n;
}

const char *gp_lines_where(struct gp_lines *l, uint32_t row, char *buf, size_t len)
{
	struct gp_line_frame fr[MAX_INLINE];
	const struct gp_db *db = l ? l->db : NULL;
	size_t n = l && db->stack_addr[row] ? gp_lines_of_row(l, row, fr, MAX_INLINE) : 0;

	if (n && fr[n - 1].line && *fr[n - 1].file) {
		snprintf(buf, len, "%s:%lld", fr[n - 1].file, (long long)fr[n - 1].line);
		return buf;
	}
	return NULL;
}
