/*
 * The web UI's routes (ui-http.h):
 *
 *	/ui/			the page (index.html)
 *	/ui/NAME		one of its built-in files (app.js, d3.min.js, ...)
 *	/ui/api/timeline	per-second series of the whole history (gp_ui_timeline)
 *	/ui/api/profile		one profile over a window: ?type=cpu&from=T&to=T&format=F,
 *				F one of json (default), pprof, svg, html, top, folded, list,
 *				source; T as goprof-export's --from/--to take it (+10s, unix
 *				seconds, RFC 3339); &label=KEY=VALUE keeps the samples so
 *				labelled (--label); &fn=REGEX the functions of list (-r), the
 *				function NAME of source; &lines=1 top by line
 *
 * Answers are built by the same exporter as goprof-export's, into a memory file.
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ui-http.h"
#include "ui.h"

/* Only the page's own files run scripts and load styles: no CDN, nothing from elsewhere. */
#define UI_CSP "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"

int gp_ui_http_path(const char *path)
{
	return strncmp(path, "/ui", 3) == 0 && (path[3] == '\0' || path[3] == '/');
}

int gp_ui_http_public(const char *path)
{
	return gp_ui_http_path(path) && strncmp(path, "/ui/api/", 8) != 0;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, unsigned status,
				     struct MHD_Response *r, const char *type)
{
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Content-Security-Policy", UI_CSP);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	size_t n = strlen(msg);
	char *body = malloc(n + 2);

	if (!body)
		return MHD_NO;
	memcpy(body, msg, n);
	body[n++] = '\n';
	struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(body);
	return send_response(conn, status, r, "text/plain; charset=utf-8");
}

/* Answers with what was written to the memory file fd (closed either way). */
static enum MHD_Result send_file(struct MHD_Connection *conn, int fd, const char *type,
				 const char *filename)
{
	off_t size = lseek(fd, 0, SEEK_END);
	struct MHD_Response *r;

	if (size < 0 || !(r = MHD_create_response_from_fd((uint64_t)size, fd))) {
		close(fd);
		return send_text(conn, 500, "out of memory");
	}
	if (filename) {
		char disp[128];
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(r, "Content-Disposition", disp);
	}
	return send_response(conn, 200, r, type);
}

static enum MHD_Result send_timeline(const struct gp_ui_http *ui, struct MHD_Connection *conn)
{
	char err[512];
	int fd = memfd_create("goprof-ui", MFD_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(dup(fd), "w") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return send_text(conn, 500, "out of memory");
	}
	int rc = gp_ui_timeline(ui->db_path, f, err, sizeof(err));
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, sizeof(err), "out of memory");
		rc = -1;
	}
	if (rc != 0) {
		close(fd);
		return send_text(conn, 500, err);
	}
	return send_file(conn, fd, "application/json", NULL);
}

static const struct {
	const char *format, *type, *suffix;	/* suffix: a download, its file name's end */
} formats[] = {
	{ "json", "application/json", NULL },
	{ "pprof", "application/octet-stream", ".pb.gz" },
	{ "svg", "image/svg+xml", NULL },
	{ "html", "text/html; charset=utf-8", ".html" },
	{ "top", "text/plain; charset=utf-8", NULL },
	{ "folded", "text/plain; charset=utf-8", NULL },
	{ "list", "text/plain; charset=utf-8", NULL },
	{ "source", "application/json", NULL },
};

static enum MHD_Result send_profile(const struct gp_ui_http *ui, struct MHD_Connection *conn)
{
	const char *type = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "type");
	const char *from = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "from");
	const char *to = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "to");
	const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	const char *label = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "label");
	const char *fn = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fn");
	const char *lines = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lines");
	size_t i;

	if (!format)
		format = "json";
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(format, formats[i].format) == 0)
			break;
	if (i == sizeof(formats) / sizeof(formats[0]))
		return send_text(conn, 400,
				 "unknown format (json, pprof, svg, html, top, folded, list, "
				 "source)");
	struct gp_export_query q = {
		.type = type && *type ? type : "cpu", .format = format,
		.from = from && *from ? from : NULL, .to = to && *to ? to : NULL,
		.label = label && *label ? label : NULL, .list = fn && *fn ? fn : NULL,
		.lines = lines && strcmp(lines, "1") == 0,
	};
	/* a snapshot profile is the one at the window's end */
	if (strcmp(q.type, "goroutine") == 0) {
		q.at = q.to;
		q.from = q.to = NULL;
	}
	char err[512], filename[96];
	int fd = memfd_create("goprof-ui", MFD_CLOEXEC);
	if (fd < 0)
		return send_text(conn, 500, "out of memory");
	int rc = gp_export_run(ui->db_path, &q, fd, err, sizeof(err));
	if (rc != 0) {
		close(fd);
		return send_text(conn, rc == -2 ? 400 : 500, err);
	}
	snprintf(filename, sizeof(filename), "%.64s%s", q.type,
		 formats[i].suffix ? formats[i].suffix : "");
	return send_file(conn, fd, formats[i].type, formats[i].suffix ? filename : NULL);
}

int gp_ui_http_answer(const struct gp_ui_http *ui, struct MHD_Connection *conn,
		      const char *path)
{
	if (strcmp(path, "/ui") == 0) {
		/* the page's relative links need the slash; a token given stays on */
		const char *tok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
		char loc[512];
		if (tok && strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789-._~") == strlen(tok) && strlen(tok) < 400)
			snprintf(loc, sizeof(loc), "/ui/?token=%s", tok);
		else
			snprintf(loc, sizeof(loc), "/ui/");
		struct MHD_Response *r = MHD_create_response_from_buffer(0, "",
									 MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, "Location", loc);
		return send_response(conn, 301, r, "text/plain; charset=utf-8");
	}
	const char *name = path + 4;
	if (strncmp(name, "api/", 4) == 0) {
		if (ui->sync)
			ui->sync(ui->ctx, 2000);
		if (strcmp(name, "api/timeline") == 0)
			return send_timeline(ui, conn);
		if (strcmp(name, "api/profile") == 0)
			return send_profile(ui, conn);
		return send_text(conn, 404, "404 page not found");
	}
	const struct gp_ui_asset *a = gp_ui_asset(*name ? name : "index.html");
	if (!a)
		return send_text(conn, 404, "404 page not found");
	struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data,
								 MHD_RESPMEM_PERSISTENT);
	return send_response(conn, 200, r, gp_ui_content_type(a->name));
}
