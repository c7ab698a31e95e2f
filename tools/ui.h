/*
 * The web UI (/ui/ on the HTTP server) and the formats built for it: the JSON answers its
 * page reads (which scripts may read too, README "Web UI"), the one-file HTML flame graph
 * (-f html) and the static SVG one (-f svg). The page's code and the libraries it stands on
 * are files under tools/ui/, built into the program (ui-assets.c is generated from them).
 */
#ifndef GOPROF_TOOLS_UI_H
#define GOPROF_TOOLS_UI_H

#include <stddef.h>
#include <stdio.h>

#include "export.h"

/* A file of tools/ui/ (or tools/ui/vendor/), built in. */
struct gp_ui_asset {
	const char *name;		/* its file name, "app.js" */
	const unsigned char *data;
	size_t len;
};

/* Every built-in file, ended by one with name NULL (generated: ui-assets.c). */
extern const struct gp_ui_asset gp_ui_assets[];

/* The built-in file called name, or NULL. */
const struct gp_ui_asset *gp_ui_asset(const char *name);

/* The Content-Type to serve a file of that name with (by its extension). */
const char *gp_ui_content_type(const char *name);

/*
 * The timeline of the database at db_path as JSON into out: per bucket, the CPU time of
 * each thread, the heap in use, the block and mutex delay, the number of live threads; and
 * the profiles it holds. Returns 0, or -1 with one line in err. Never exits; thread-safe.
 */
int gp_ui_timeline(const char *db_path, FILE *out, char *err, size_t errlen);

/*
 * -f json: the profile's stacks, functions and label sets, what the UI draws its flame
 * graph and top table from (ui.c). -f html: one HTML file with those data, the flame graph
 * and its code inline (ui.c). -f svg: a static flame graph (flame-svg.c).
 */
extern const struct gp_exporter gp_exporter_json;
extern const struct gp_exporter gp_exporter_html;
extern const struct gp_exporter gp_exporter_svg;

/* -f source: one function's cost per source line, with the text (ui-source.c). */
extern const struct gp_exporter gp_exporter_source;

/*
 * s as a JSON string into f. '<', '>' and '&' are escaped too, so that the text can sit
 * inside a <script> element of the HTML page (a function named "</script>" cannot end it).
 */
void gp_ui_json_str(FILE *f, const char *s);

/*
 * The members every JSON answer of a profile starts with, into f: "type", "from_ns",
 * "to_ns", "start_ns" and "sample_types" (gp_ui_sample_types), without the braces.
 */
void gp_ui_json_window(const struct gp_export *x, FILE *f);

/* The sample types of x's profile, as pprof names them: [0] for counts, [1] for values. */
void gp_ui_sample_types(const struct gp_export *x, const char *names[2], const char *units[2]);

/* What a value of x's profile is worth in the unit gp_ui_sample_types gives (mutex: rate). */
long long gp_ui_scale(const struct gp_export *x);

#endif
