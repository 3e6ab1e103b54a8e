/* The REST face's responses: problem details, the per-generation cache of the documents built
 * whole, and the entity tags every document gets (made by http_etag.c from its bytes alone)
 * with the conditional GET they answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_helpers.h"
#include "http_internal.h"
#include "http_parse.h"

/* Cached serialised GET responses of the document routes: built once per (generation,
 * configuration generation, extra) and shared by every request through MHD's response
 * reference count. /metrics and /flows are not here: they are built a slice per turn
 * (http_stream.c). */
struct cache_entry {
    bool valid;
    uint64_t gen, cgen;
    int64_t extra;
    struct MHD_Response *resp;
    char etag[HTTPF_ETAG_LEN];
};

static struct cache_entry cache[HTTPF_MAX_ROUTES];

/* ---- responses ---- */

enum MHD_Result httpf_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    httpf_count_status(status);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct MHD_Response *httpf_text_response(const char *s, size_t n, const char *ctype)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)s, MHD_RESPMEM_MUST_COPY);
    if (r && ctype)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return r;
}

/* RFC 9457 problem details; extra (may be NULL) is merged in and consumed; allow_header (may be
 * NULL) is the Allow header of a 405, which must ride on the problem response itself. */
enum MHD_Result httpf_problem_allow(struct MHD_Connection *conn, unsigned status, const char *slug,
                                    const char *detail, json_t *extra, const char *allow_header)
{
    size_t n;
    char *s = httpf_problem_body(status, slug, detail, extra, &n);
    if (!s)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow_header)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow_header);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"smsa-agent\"");
    if (status == 413)
        /* The body is left unread: the connection cannot carry another request. */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    return httpf_queue(conn, status, r);
}

enum MHD_Result httpf_problem(struct MHD_Connection *conn, unsigned status, const char *slug,
                              const char *detail, json_t *extra)
{
    return httpf_problem_allow(conn, status, slug, detail, extra, NULL);
}

enum MHD_Result httpf_problem_405(struct MHD_Connection *conn, const struct httpf_route_def *rd,
                                  const char *method)
{
    char detail[160];
    snprintf(detail, sizeof(detail), "%s is not allowed on %s; allowed: %s", method, rd->path,
             rd->allow);
    return httpf_problem_allow(conn, 405, "method-not-allowed", detail, NULL, rd->allow);
}

enum MHD_Result httpf_problem_from_cfg(struct MHD_Connection *conn, const struct cfg_error *err)
{
    switch (err->kind) {
    case CFG_ERR_SYNTAX:
        return httpf_problem(conn, 400, "bad-json", err->message,
                             json_pack("{s:i, s:i}", "line", err->line, "column", err->column));
    case CFG_ERR_VALUE: {
        char path[4 * sizeof(err->path)];
        httpf_escape_text(err->path, path, sizeof(path));
        return httpf_problem(conn, 422, "bad-value", err->message,
                             json_pack("{s:s}", "path", path));
    }
    case CFG_ERR_NOT_FOUND:
        return httpf_problem(conn, 404, "not-found", err->message, NULL);
    case CFG_ERR_IO:
    default:
        /* The core wrote nothing it applied: the running configuration is unchanged. */
        return httpf_problem(conn, 500, "not-persisted", err->message, NULL);
    }
}

/* ---- the response cache ---- */

static void cache_drop(struct cache_entry *e)
{
    if (e->resp)
        MHD_destroy_response(e->resp);
    memset(e, 0, sizeof(*e));
}

static struct cache_entry *cache_get(const struct httpf_route_def *rd, int64_t extra)
{
    const struct smsa_model *m = core_model();
    struct cache_entry *e = &cache[httpf_route_slot(rd)];
    if (e->valid && e->gen == m->generation && e->cgen == m->config_generation && e->extra == extra)
        return e;
    size_t n = 0;
    char *s = rd->doc(m, core_config(), &n);
    if (!s)
        return NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return NULL;
    }
    cache_drop(e);
    httpf_etag_make(e->etag, sizeof(e->etag), s, n);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, e->etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    e->resp = r;
    e->valid = true;
    e->gen = m->generation;
    e->cgen = m->config_generation;
    e->extra = extra;
    return e;
}

static enum MHD_Result send_not_modified(struct MHD_Connection *conn, const char *etag)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return httpf_queue(conn, MHD_HTTP_NOT_MODIFIED, r);
}

/* If-None-Match names etag: true when the 304 was queued (*ret its result). */
static bool not_modified(struct MHD_Connection *conn, const char *etag, enum MHD_Result *ret)
{
    const char *inm =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (!inm || !httpf_etag_listed(inm, etag))
        return false;
    *ret = send_not_modified(conn, etag);
    return true;
}

enum MHD_Result httpf_send_cached(struct MHD_Connection *conn, const struct httpf_route_def *rd,
                                  int64_t extra)
{
    struct cache_entry *e = cache_get(rd, extra);
    if (!e)
        return httpf_problem(conn, 500, "internal", "out of memory", NULL);
    enum MHD_Result ret;
    if (not_modified(conn, e->etag, &ret))
        return ret;
    /* MHD_queue_response takes its own reference: the cache keeps ours. */
    return MHD_queue_response(conn, 200, e->resp);
}

bool httpf_cached_etag(const struct httpf_route_def *rd, char *etag, size_t len)
{
    struct cache_entry *e = rd->doc ? cache_get(rd, 0) : NULL;
    if (!e)
        return false;
    snprintf(etag, len, "%s", e->etag);
    return true;
}

enum MHD_Result httpf_send_doc(struct MHD_Connection *conn, struct httpf_doc *d, const char *ctype)
{
    if (httpf_doc_failed(d))
        return httpf_problem(conn, 500, "internal", "out of memory", NULL);
    const char *etag = httpf_doc_etag(d);
    enum MHD_Result ret;
    if (not_modified(conn, etag, &ret))
        return ret;
    struct MHD_Response *r = httpf_doc_response(d);
    if (!r)
        return httpf_problem(conn, 500, "internal", "out of memory", NULL);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return httpf_queue(conn, 200, r);
}

enum MHD_Result httpf_send_fresh(struct MHD_Connection *conn, unsigned status, char *s, size_t n,
                                 const char *ctype)
{
    char etag[HTTPF_ETAG_LEN];
    httpf_etag_make(etag, sizeof(etag), s, n);
    enum MHD_Result ret;
    if (status == 200 && not_modified(conn, etag, &ret)) {
        free(s);
        return ret;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return httpf_queue(conn, status, r);
}

void httpf_cache_fini(void)
{
    for (size_t i = 0; i < HTTPF_MAX_ROUTES; i++)
        cache_drop(&cache[i]);
}
