/* The REST face's handlers: one per route and method kind (http_route.c's table names them),
 * reading (GET, HEAD) and writing (PUT, POST, DELETE) the model and the configuration. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_bodies.h"
#include "http_helpers.h"
#include "http_internal.h"
#include "log.h"
#include "loop.h"

#define JSON "application/json"

/* ---- reads ---- */

int httpf_get_doc(struct MHD_Connection *conn, struct httpf_request *rq)
{
    /* A document that shows the uptime is cached per second of it too. */
    int64_t extra =
        rq->rd->per_second ? (loop_now_us() - core_model()->started.mono_us) / 1000000 : 0;
    return httpf_send_cached(conn, rq->rd, extra);
}

int httpf_get_healthz(struct MHD_Connection *conn, struct httpf_request *rq)
{
    (void)rq;
    /* Answering at all means the loop turns and the core is up. */
    struct MHD_Response *r = httpf_text_response("ok\n", 3, "text/plain; charset=utf-8");
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, "\"ok\"");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return httpf_queue(conn, 200, r);
}

/* A large document: served when it is built; else the request waits for it, suspended, and
 * is called again once it is (rq->doc set). */
static enum MHD_Result get_large(struct MHD_Connection *conn, struct httpf_request *rq, size_t slot,
                                 httpf_take_fn take, unsigned arg, const char *ctype)
{
    struct httpf_doc *d = rq->doc;
    rq->doc = NULL;
    if (!d)
        d = httpf_doc_want(slot, take, arg);
    if (!d)
        return httpf_problem(conn, 500, "internal", "out of memory", NULL);
    if (!httpf_doc_done(d)) {
        if (httpf_doc_wait(d, conn) < 0) {
            httpf_doc_unref(d);
            return httpf_problem(conn, 500, "internal", "out of memory", NULL);
        }
        rq->doc = d;
        rq->answered = false; /* to be answered when resumed */
        return MHD_YES;
    }
    enum MHD_Result ret = httpf_send_doc(conn, d, ctype);
    httpf_doc_unref(d);
    return ret;
}

int httpf_get_metrics(struct MHD_Connection *conn, struct httpf_request *rq)
{
    return get_large(conn, rq, HTTPF_DOC_METRICS, httpf_metrics_take, 0,
                     "text/plain; version=0.0.4; charset=utf-8");
}

int httpf_get_flows(struct MHD_Connection *conn, struct httpf_request *rq)
{
    if (rq->flow_id && !model_flow(core_model(), rq->flow_id)) {
        char detail[64];
        snprintf(detail, sizeof(detail), "no flow %u", rq->flow_id);
        return httpf_problem(conn, 404, "not-found", detail, NULL);
    }
    return get_large(conn, rq, HTTPF_DOC_FLOWS(rq->flow_id), httpf_flows_take, rq->flow_id, JSON);
}

/* An item route's document (/scanners/{name}, /appliances/{name}), or 404. */
int httpf_get_item(struct MHD_Connection *conn, struct httpf_request *rq)
{
    size_t n;
    char *s = rq->rd->item_doc(core_model(), core_config(), rq->item, &n);
    if (!s) {
        char detail[160];
        snprintf(detail, sizeof(detail), "no %s named \"%.100s\"", rq->rd->noun, rq->item);
        return httpf_problem(conn, 404, "not-found", detail, NULL);
    }
    return httpf_send_fresh(conn, 200, s, n, JSON);
}

int httpf_get_firewall(struct MHD_Connection *conn, struct httpf_request *rq)
{
    (void)rq;
    enum fw_format f;
    enum fw_sets sets;
    const char *bad = httpf_firewall_query(
        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format"),
        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sets"), &f, &sets);
    if (bad)
        return httpf_problem(conn, 400, "bad-query", bad, NULL);
    size_t n;
    char *s = httpf_firewall_text(core_model(), core_config(), f, sets, &n);
    if (!s)
        return httpf_problem(conn, 500, "internal", "out of memory", NULL);
    return httpf_send_fresh(conn, 200, s, n, f == FW_JSON ? JSON : "text/plain; charset=utf-8");
}

int httpf_get_page(struct MHD_Connection *conn, struct httpf_request *rq)
{
    (void)rq;
    const char *part = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "part");
    struct MHD_Response *r = httpf_page_response(core_model(), part && !strcmp(part, "main"));
    return r ? httpf_queue(conn, 200, r)
             : httpf_problem(conn, 500, "internal", "out of memory", NULL);
}

int httpf_get_events(struct MHD_Connection *conn, struct httpf_request *rq)
{
    (void)rq;
    struct MHD_Response *r = httpf_events_response(conn);
    if (!r)
        return httpf_problem(conn, 503, "too-many-streams", "too many event stream clients", NULL);
    return httpf_queue(conn, 200, r);
}

/* ---- writes ---- */

/* "/api/v1/scanners/<name>" with the name percent-encoded beyond RFC 3986 unreserved. */
static void location_of(char *buf, size_t len, const char *name)
{
    size_t k = (size_t)snprintf(buf, len, "/api/v1/scanners/");
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 4 < len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            buf[k++] = (char)*p;
        else
            k += (size_t)snprintf(buf + k, len - k, "%%%02X", *p);
    }
    buf[k] = 0;
}

/* "REST client 192.0.2.7 port 41234 (PUT /api/v1/ntp)": who changed the configuration, for
 * the log line that names what changed. */
static void describe_writer(struct MHD_Connection *conn, const struct httpf_request *rq, char *buf,
                            size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ci->client_addr;
        inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
        port = ntohs(sin->sin_port);
    } else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ci->client_addr;
        inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
        port = ntohs(sin6->sin6_port);
    }
    const char *m = rq->method == M_PUT ? "PUT" : rq->method == M_POST ? "POST" : "DELETE";
    snprintf(buf, len, "REST client %s port %u (%s %s%s)", addr, port, m, rq->rd->path,
             rq->item ? rq->item : "");
}

/* The current tag of the document a write changes (GET of the same path) into etag; false
 * when there is none (a scanner that is not there). */
static bool current_etag(const struct httpf_request *rq, char *etag, size_t len)
{
    if (rq->rd->item_doc) {
        size_t n;
        char *s = rq->rd->item_doc(core_model(), core_config(), rq->item, &n);
        if (!s)
            return false;
        httpf_etag_make(etag, len, s, n);
        free(s);
        return true;
    }
    return httpf_cached_etag(rq->rd, etag, len);
}

/* The next configuration a write asks for; NULL with err set when it is refused. */
typedef struct cfg *(*next_fn)(const struct cfg *cur, const struct httpf_request *rq,
                               struct cfg_error *err);
/* The answer to a write that was applied. */
typedef enum MHD_Result (*done_fn)(struct MHD_Connection *conn, struct httpf_request *rq);

/* Every write: If-Match, a body that is JSON text, the change made by the core (saved,
 * logged with who asked), then the route's own answer. */
static enum MHD_Result write_with(struct MHD_Connection *conn, struct httpf_request *rq,
                                  next_fn next_of, done_fn done)
{
    const char *im = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
    if (im) {
        char etag[HTTPF_ETAG_LEN];
        bool have = current_etag(rq, etag, sizeof(etag));
        if (!httpf_etag_if_match(im, have ? etag : NULL))
            return httpf_problem(conn, 412, "stale-etag",
                                 "the document changed since that ETag was issued: GET it again",
                                 NULL);
    }
    const char *nul = rq->body ? memchr(rq->body, 0, rq->len) : NULL;
    if (nul) {
        /* JSON text never holds a raw NUL (RFC 8259 §7 wants it escaped), and jansson's
         * JSON_ALLOW_NUL would let the parser stop short at it. */
        int line = 1, column = 1;
        for (const char *p = rq->body; p < nul; p++, column++)
            if (*p == '\n') {
                line++;
                column = 0;
            }
        return httpf_problem(conn, 400, "bad-json", "not valid JSON: a NUL byte in the body",
                             json_pack("{s:i, s:i}", "line", line, "column", column));
    }
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    struct cfg *next = next_of(core_config(), rq, &err);
    if (!next)
        return httpf_problem_from_cfg(conn, &err);
    char who[INET6_ADDRSTRLEN + 3 * CFG_MAX_NAME + 96];
    describe_writer(conn, rq, who, sizeof(who));
    if (core_change_by(next, who, &err) != 0) {
        if (err.kind != CFG_ERR_IO)
            return httpf_problem_from_cfg(conn, &err);
        log_warn("http: change refused, configuration not saved: %s", err.message);
        return httpf_problem(conn, 500, "not-persisted", err.message, NULL);
    }
    return done(conn, rq);
}

static const char *body_of(const struct httpf_request *rq)
{
    return rq->body ? rq->body : "";
}

/* PUT answers the document as it is now. */
static enum MHD_Result done_doc(struct MHD_Connection *conn, struct httpf_request *rq)
{
    return httpf_send_cached(conn, rq->rd, 0);
}

static struct cfg *next_ntp(const struct cfg *cur, const struct httpf_request *rq,
                            struct cfg_error *err)
{
    return httpb_ntp(cur, body_of(rq), rq->len, err);
}

int httpf_put_ntp(struct MHD_Connection *conn, struct httpf_request *rq)
{
    return write_with(conn, rq, next_ntp, done_doc);
}

static struct cfg *next_updates(const struct cfg *cur, const struct httpf_request *rq,
                                struct cfg_error *err)
{
    return httpb_updates(cur, body_of(rq), rq->len, err);
}

int httpf_put_updates(struct MHD_Connection *conn, struct httpf_request *rq)
{
    return write_with(conn, rq, next_updates, done_doc);
}

static struct cfg *next_scanner_add(const struct cfg *cur, const struct httpf_request *rq,
                                    struct cfg_error *err)
{
    return httpb_scanner_add(cur, body_of(rq), rq->len, err);
}

/* 201 with the new scanner, its Location and its tag. */
static enum MHD_Result done_scanner_add(struct MHD_Connection *conn, struct httpf_request *rq)
{
    /* Valid by now: the name is there and unique. */
    json_t *doc = json_loadb(body_of(rq), rq->len, 0, NULL);
    const char *nm = json_string_value(json_object_get(doc, "name"));
    char name[CFG_MAX_NAME + 1];
    snprintf(name, sizeof(name), "%s", nm ? nm : "");
    json_decref(doc);
    size_t n;
    char *s = httpf_scanner_text(core_model(), core_config(), name, &n);
    char loc[64 + 3 * CFG_MAX_NAME];
    location_of(loc, sizeof(loc), name);
    if (!s)
        return httpf_problem(conn, 500, "internal", "out of memory", NULL);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    char etag[HTTPF_ETAG_LEN];
    httpf_etag_make(etag, sizeof(etag), s, n);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, JSON);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    return httpf_queue(conn, MHD_HTTP_CREATED, r);
}

int httpf_post_scanner(struct MHD_Connection *conn, struct httpf_request *rq)
{
    return write_with(conn, rq, next_scanner_add, done_scanner_add);
}

static struct cfg *next_scanner_remove(const struct cfg *cur, const struct httpf_request *rq,
                                       struct cfg_error *err)
{
    return httpb_scanner_remove(cur, rq->item, err);
}

static enum MHD_Result done_no_content(struct MHD_Connection *conn, struct httpf_request *rq)
{
    (void)rq;
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    return r ? httpf_queue(conn, MHD_HTTP_NO_CONTENT, r) : MHD_NO;
}

int httpf_delete_scanner(struct MHD_Connection *conn, struct httpf_request *rq)
{
    return write_with(conn, rq, next_scanner_remove, done_no_content);
}

/* ---- the page's login ---- */

enum MHD_Result httpf_page_login(struct MHD_Connection *conn, bool refused)
{
    struct MHD_Response *r = httpf_page_login_response(refused);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"smsa-agent\"");
    return httpf_queue(conn, 401, r);
}

/* POST / with the token in a form: a right one opens a session (its id in the cookie, never
 * the token) and sends the browser to /; a wrong one gets the form again. */
int httpf_post_login(struct MHD_Connection *conn, struct httpf_request *rq)
{
    bool ok = !httpf_access_token_set() || httpf_access_form_token_ok(rq->body, rq->len);
    if (!ok) {
        httpf_access_failed(conn, "a wrong token in the login form");
        return httpf_page_login(conn, true);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    char cookie[256];
    /* Without a token there is nothing to log in to: the page is open, / is just shown. */
    if (httpf_access_token_set()) {
        /* Secure when this connection is TLS: libmicrohttpd has a TLS session only then. */
        bool tls = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
        if (httpf_access_login(cookie, sizeof(cookie), tls) < 0) {
            MHD_destroy_response(r);
            return httpf_problem(conn, 500, "internal", "no random bytes for a session", NULL);
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return httpf_queue(conn, MHD_HTTP_SEE_OTHER, r);
}
