/*
 * goprof-module.so: the parts of goprof a profiled program loads only when it asks for
 * them (rt/http-host.c): the /debug/pprof server and the exporter behind it. These are its
 * only exported symbols; the host looks them up with dlsym.
 */
#include "config.h"

#include "http.h"

#define MODULE_API __attribute__((visibility("default")))

MODULE_API struct gp_http *gp_module_http_start(const struct gp_http_host *host, char *err,
						size_t errlen);
MODULE_API void gp_module_http_stop(struct gp_http *h);
MODULE_API const char *gp_module_http_address(const struct gp_http *h);
MODULE_API int gp_module_http_listen_fd(const struct gp_http *h);

struct gp_http *gp_module_http_start(const struct gp_http_host *host, char *err, size_t errlen)
{
	return gp_http_start(host, err, errlen);
}

void gp_module_http_stop(struct gp_http *h)
{
	gp_http_stop(h);
}

const char *gp_module_http_address(const struct gp_http *h)
{
	return gp_http_address(h);
}

int gp_module_http_listen_fd(const struct gp_http *h)
{
	return gp_http_listen_fd(h);
}
