/*
 * goprof-export -f svg: a static flame graph, root at the bottom, one box per call path
 * (callers merged by name, as in the UI), its width the path's share of the profile's
 * value (cpu time, bytes, delay). Each box carries its full name and figures in a <title>,
 * and its name as <text> cut to the box: a page that reads without any script.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ui.h"

#define SVG_WIDTH 1200.0
#define FRAME_H 16
#define MARGIN 10.0
#define CHAR_W 6.5	/* the width of a character of the 11px font, about */
#define MIN_W 0.3	/* narrower boxes are left out */

struct node {
	uint32_t name;			/* index in db->strs */
	uint32_t first, next;		/* first child, next sibling: node index, 0 = none */
	int64_t cum, flat;
};

struct tree {
	struct node *n;
	size_t len, cap;
};

static uint32_t child(struct tree *t, uint32_t parent, uint32_t name)
{
	uint32_t *link = &t->n[parent].first;

	for (; *link; link = &t->n[*link].next)
		if (t->n[*link].name == name)
			return *link;
	if (t->len == t->cap) {
		size_t cap = t->cap * 2;
		struct node *p = realloc(t->n, cap * sizeof(*p));
		if (!p)
			return 0;
		t->n = p;
		t->cap = cap;
		link = &t->n[parent].first;
		while (*link)
			link = &t->n[*link].next;
	}
	t->n[t->len] = (struct node){ .name = name };
	*link = (uint32_t)t->len;
	return (uint32_t)t->len++;
}

static void esc(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; *s && i < max; s++, i++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: putc(*s, f);
		}
	}
}

static int depth_of(const struct tree *t, uint32_t i, double px)
{
	int d = 0;

	for (uint32_t c = t->n[i].first; c; c = t->n[c].next) {
		if ((double)t->n[c].cum * px < MIN_W)
			continue;
		int k = 1 + depth_of(t, c, px);
		d = k > d ? k : d;
	}
	return d;
}

struct draw {
	FILE *f;
	const struct gp_db *db;
	const struct tree *t;
	double px;			/* pixels per unit of value */
	int height;
	int64_t total;
	const char *unit;
};

/* A warm colour from the name, so that one function has one colour everywhere. */
static void colour(const char *s, int *r, int *g, int *b)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	*r = 205 + (int)(h % 50);
	*g = 80 + (int)((h >> 8) % 140);
	*b = 40 + (int)((h >> 16) % 40);
}

static void draw(const struct draw *d, uint32_t i, double x, int depth)
{
	const struct node *n = &d->t->n[i];
	double w = (double)n->cum * d->px;
	const char *name = i ? d->db->strs.strs[n->name] : "all";
	int y = d->height - (int)MARGIN - (depth + 1) * FRAME_H;
	int r, g, b;

	colour(name, &r, &g, &b);
	fputs("<g><title>", d->f);
	esc(d->f, name, SIZE_MAX);
	fprintf(d->f, " (cum %lld %s, %.2f%%; flat %lld)</title>", (long long)n->cum, d->unit,
		d->total ? 100.0 * (double)n->cum / (double)d->total : 0.0, (long long)n->flat);
	fprintf(d->f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
		"rx=\"2\"/>", x, y, w, FRAME_H - 1, r, g, b);
	size_t fit = (size_t)((w - 6) / CHAR_W);
	if (fit >= 3) {
		fprintf(d->f, "<text x=\"%.1f\" y=\"%d\">", x + 3, y + FRAME_H - 4);
		if (strlen(name) <= fit) {
			esc(d->f, name, SIZE_MAX);
		} else {
			esc(d->f, name, fit - 2);
			fputs("..", d->f);
		}
		fputs("</text>", d->f);
	}
	fputs("</g>\n", d->f);
	for (uint32_t c = n->first; c; c = d->t->n[c].next) {
		if ((double)d->t->n[c].cum * d->px >= MIN_W)
			draw(d, c, x, depth + 1);
		x += (double)d->t->n[c].cum * d->px;
	}
}

static int write_svg(struct gp_export *x)
{
	int rc = -1;
	struct gp_db *db = x->db;
	struct tree t = { .cap = 1024 };
	const char *names[2], *units[2];
	long long scale = gp_ui_scale(x);
	FILE *f = x->out;

	gp_export_heap_view(x);
	gp_ui_sample_types(x, names, units);
	t.n = calloc(t.cap, sizeof(*t.n));
	if (!t.n)
		return gp_err_oom(x->err);
	t.len = 1;	/* the root */
	for (uint32_t s = 0; s < db->nstacks; s++) {
		int64_t v = x->sums[s].value * scale;
		if (v <= 0)
			continue;
		uint32_t at = 0;
		t.n[0].cum += v;
		size_t n = s ? gp_export_frames(x, s) : 0;
		while (n--) {
			at = child(&t, at, db->funcs[x->frames[n]].name_idx);
			if (!at) {
				gp_err_oom(x->err);
				goto out_free;
			}
			t.n[at].cum += v;
		}
		t.n[at].flat += v;
	}
	struct draw d = {
		.f = f, .db = db, .t = &t, .total = t.n[0].cum, .unit = units[1],
		.px = t.n[0].cum ? (SVG_WIDTH - 2 * MARGIN) / (double)t.n[0].cum : 0,
	};
	d.height = (depth_of(&t, 0, d.px) + 1) * FRAME_H + 2 * (int)MARGIN + 24;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"Verdana, sans-serif\" font-size=\"11\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n"
		"<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">", (int)SVG_WIDTH,
		d.height, (int)SVG_WIDTH, d.height, (int)SVG_WIDTH / 2);
	esc(f, x->type, SIZE_MAX);
	fputs(" profile, ", f);
	esc(f, names[1], SIZE_MAX);
	fprintf(f, ": %lld %s</text>\n", (long long)d.total, units[1]);
	if (d.total)
		draw(&d, 0, MARGIN, 0);
	fputs("</svg>\n", f);
	rc = 0;
out_free:
	free(t.n);
	return rc;
}

const struct gp_exporter gp_exporter_svg = {
	.name = "svg",
	.binary = 0,
	.write = write_svg,
};
