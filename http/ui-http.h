/*
 * /ui/ on the HTTP server (tools/http.c hands it every path under /ui): the page, its
 * built-in files and the JSON it reads (README "Web UI"). Behind the server's own checks:
 * address, token, sizes and deadlines are tools/http.c's.
 */
#ifndef GOPROF_TOOLS_UI_HTTP_H
#define GOPROF_TOOLS_UI_HTTP_H

struct MHD_Connection;

/* What the UI needs from the server it runs in. */
struct gp_ui_http {
	const char *db_path;
	/* brings the database up to date (the profiled program); NULL in serve */
	int (*sync)(void *ctx, unsigned timeout_ms);
	void *ctx;
};

/* 1 if the path (without query) is the UI's: "/ui" or under "/ui/". */
int gp_ui_http_path(const char *path);

/* 1 if the path is one of the UI's files, which need no token (its data, /ui/api/, do). */
int gp_ui_http_public(const char *path);

/*
 * Answers a GET or HEAD of a UI path on conn; returns libmicrohttpd's MHD_YES or MHD_NO
 * (an enum MHD_Result) as MHD_queue_response does. Runs on the connection's thread.
 */
int gp_ui_http_answer(const struct gp_ui_http *ui, struct MHD_Connection *conn,
		      const char *path);

#endif
