/* The REST face: libmicrohttpd driven by the daemon's loop, routing, auth, the allow list,
 * problem responses, ETags and the per-generation response cache. */
#include "http_face.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "http_bodies.h"
#include "http_helpers.h"
#include "http_internal.h"
#include "http_parse.h"
#include "log.h"
#include "loop.h"

#define TOKEN_MAX 512
/* Under pressure (connections past PRESSURE_PERCENT of http.max_connections) a connection with
 * no request in progress is closed after IDLE_UNDER_PRESSURE_S of silence instead of
 * http.timeout_s: idle keep-alives and half-sent headers give way to clients that talk. */
#define PRESSURE_PERCENT 75
#define IDLE_UNDER_PRESSURE_S 2
/* Per connection: request line, headers and the read/write buffers all come from this pool;
 * MHD answers 431/414 by itself when headers or URL do not fit. */
#define CONNECTION_MEMORY (96 * 1024)
#define DRAIN_LIMIT (4 * 1024 * 1024)

/* Per request, from the first call of the access handler to MHD_OPTION_NOTIFY_COMPLETED. */
struct request {
    const struct httpf_route_def *rd;
    unsigned method;
    unsigned flow_id;
    char *item; /* the {name} of an item route, decoded */
    char *body;
    size_t len, cap;
    bool answered; /* a response was queued early (error before the body) */
    bool too_big;
};

/* Cached serialised GET responses of the document routes: built once per (generation,
 * configuration generation, extra) and shared by every request through MHD's response
 * reference count. /metrics and /flows are not here: they are streamed from the shared
 * snapshot (http_snapshot.c). */
struct cache_entry {
    bool valid;
    uint64_t gen, cgen;
    int64_t extra;
    struct MHD_Response *resp;
    char etag[64];
};

static struct MHD_Daemon *daemon_h;
static int mhd_epoll_fd = -1;
static struct loop_timer mhd_timer;
static bool kicked; /* MHD_run wanted on the next turn, whatever MHD_get_timeout says */
static unsigned connection_limit;     /* http.max_connections, as given to MHD */
static unsigned connection_timeout_s; /* http.timeout_s */
static bool listen_loopback;          /* http.listen is a loopback address */

/* Every open connection, to find the idle ones under pressure (MHD_OPTION_NOTIFY_CONNECTION). */
struct conn_track {
    struct MHD_Connection *conn;
    struct conn_track *prev, *next;
    bool busy;      /* a request is in progress (or an event stream is open) */
    bool shortened; /* its timeout is IDLE_UNDER_PRESSURE_S */
};
static struct conn_track *tracked;
static struct log_limit refused_log, drain_log;
static char token[TOKEN_MAX];
static size_t token_len;
static bool token_set;
static struct addr_cidr *allow;
static size_t n_allow;
static struct cache_entry cache[HTTPF_MAX_ROUTES];
static struct httpf_stats stats;
static char *tls_cert_pem, *tls_key_pem;

void httpf_get_stats(struct httpf_stats *out)
{
    *out = stats;
}

/* ---- small helpers ---- */

static bool const_time_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Always walks the expected token's full length, whatever the candidate. */
    unsigned diff = (unsigned)(alen ^ blen);
    for (size_t i = 0; i < blen; i++)
        diff |= (unsigned)((uint8_t)(i < alen ? a[i] : 0) ^ (uint8_t)b[i]);
    return diff == 0;
}

/* ---- responses ---- */

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    if (status >= 500)
        stats.responses_5xx++;
    else if (status >= 400)
        stats.responses_4xx++;
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Response *text_response(const char *s, size_t n, const char *ctype)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)s, MHD_RESPMEM_MUST_COPY);
    if (r && ctype)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return r;
}

/* RFC 9457 problem details; extra (may be NULL) is merged in and consumed; allow_header (may be
 * NULL) is the Allow header of a 405, which must ride on the problem response itself. */
static enum MHD_Result problem_allow(struct MHD_Connection *conn, unsigned status, const char *slug,
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
    return queue(conn, status, r);
}

static enum MHD_Result problem(struct MHD_Connection *conn, unsigned status, const char *slug,
                               const char *detail, json_t *extra)
{
    return problem_allow(conn, status, slug, detail, extra, NULL);
}

static enum MHD_Result problem_405(struct MHD_Connection *conn, const struct httpf_route_def *rd,
                                   const char *method)
{
    char detail[160];
    snprintf(detail, sizeof(detail), "%s is not allowed on %s; allowed: %s", method, rd->path,
             rd->allow);
    return problem_allow(conn, 405, "method-not-allowed", detail, NULL, rd->allow);
}

static enum MHD_Result problem_from_cfg(struct MHD_Connection *conn, const struct cfg_error *err)
{
    switch (err->kind) {
    case CFG_ERR_SYNTAX:
        return problem(conn, 400, "bad-json", err->message,
                       json_pack("{s:i, s:i}", "line", err->line, "column", err->column));
    case CFG_ERR_VALUE: {
        char path[4 * sizeof(err->path)];
        httpf_escape_text(err->path, path, sizeof(path));
        return problem(conn, 422, "bad-value", err->message, json_pack("{s:s}", "path", path));
    }
    case CFG_ERR_NOT_FOUND:
        return problem(conn, 404, "not-found", err->message, NULL);
    case CFG_ERR_IO:
    default:
        /* The core wrote nothing it applied: the running configuration is unchanged. */
        return problem(conn, 500, "not-persisted", err->message, NULL);
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
    httpf_etag_make(e->etag, sizeof(e->etag), m->config_generation, m->generation, s, n);
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
    return queue(conn, MHD_HTTP_NOT_MODIFIED, r);
}

static enum MHD_Result send_cached(struct MHD_Connection *conn, struct cache_entry *e,
                                   unsigned status)
{
    if (!e)
        return problem(conn, 500, "internal", "out of memory", NULL);
    const char *inm =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (status == 200 && inm && httpf_etag_listed(inm, e->etag))
        return send_not_modified(conn, e->etag);
    /* MHD_queue_response takes its own reference: the cache keeps ours. */
    return MHD_queue_response(conn, status, e->resp);
}

/* A streamed document (http_stream.c) under the strong tag its snapshot gave it. */
static enum MHD_Result send_stream(struct MHD_Connection *conn, struct MHD_Response *r,
                                   const char *etag, const char *ctype)
{
    if (!r)
        return problem(conn, 500, "internal", "out of memory", NULL);
    const char *inm =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && httpf_etag_listed(inm, etag)) {
        MHD_destroy_response(r);
        return send_not_modified(conn, etag);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return queue(conn, 200, r);
}

/* A one-off document (not cached) with a strong ETag. */
static enum MHD_Result send_fresh(struct MHD_Connection *conn, unsigned status, char *s, size_t n,
                                  const char *ctype, bool cacheable)
{
    const struct smsa_model *m = core_model();
    char etag[64];
    httpf_etag_make(etag, sizeof(etag), m->config_generation, m->generation, s, n);
    const char *inm =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (cacheable && status == 200 && inm && httpf_etag_listed(inm, etag)) {
        free(s);
        return send_not_modified(conn, etag);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (cacheable) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    }
    return queue(conn, status, r);
}

/* ---- handlers ---- */

static int64_t uptime_s(void)
{
    return (loop_now_us() - core_model()->started.mono_us) / 1000000;
}

static bool content_is_json(struct MHD_Connection *conn)
{
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n))
        return false;
    return ct[n] == 0 || ct[n] == ';' || ct[n] == ' ';
}

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
static void describe_writer(struct MHD_Connection *conn, const struct request *rq, char *buf,
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

static enum MHD_Result handle_write(struct MHD_Connection *conn, struct request *rq)
{
    const struct smsa_model *m = core_model();
    const char *im = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
    if (im && !httpf_etag_if_match(im, m->config_generation)) {
        char detail[128];
        snprintf(detail, sizeof(detail),
                 "the configuration changed since that ETag was issued (now generation %llu)",
                 (unsigned long long)m->config_generation);
        return problem(conn, 412, "stale-etag", detail, NULL);
    }
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
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
        return problem(conn, 400, "bad-json", "not valid JSON: a NUL byte in the body",
                       json_pack("{s:i, s:i}", "line", line, "column", column));
    }
    const struct cfg *cur = core_config();
    struct cfg *next = NULL;
    char *name = NULL;
    const char *body = rq->body ? rq->body : "";
    switch (rq->rd->route) {
    case R_NTP:
        next = httpb_ntp(cur, body, rq->len, &err);
        break;
    case R_UPDATES:
        next = httpb_updates(cur, body, rq->len, &err);
        break;
    case R_SCANNERS:
        next = httpb_scanner_add(cur, body, rq->len, &err);
        if (next) {
            /* Valid by now: the name is there and unique. */
            json_t *doc = json_loadb(body, rq->len, 0, NULL);
            const char *nm = json_string_value(json_object_get(doc, "name"));
            name = nm ? strdup(nm) : NULL;
            json_decref(doc);
        }
        break;
    case R_SCANNER:
        next = httpb_scanner_remove(cur, rq->item, &err);
        break;
    default:
        return problem(conn, 500, "internal", "no write handler", NULL);
    }
    if (!next) {
        free(name);
        return problem_from_cfg(conn, &err);
    }
    char who[INET6_ADDRSTRLEN + 3 * CFG_MAX_NAME + 96];
    describe_writer(conn, rq, who, sizeof(who));
    if (core_change_by(next, who, &err) != 0) {
        free(name);
        if (err.kind != CFG_ERR_IO)
            return problem_from_cfg(conn, &err);
        log_warn("http: change refused, configuration not saved: %s", err.message);
        return problem(conn, 500, "not-persisted", err.message, NULL);
    }
    switch (rq->rd->route) {
    case R_SCANNER: {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        return r ? queue(conn, MHD_HTTP_NO_CONTENT, r) : MHD_NO;
    }
    case R_SCANNERS: {
        size_t n;
        char *s = httpf_scanner_text(core_model(), core_config(), name ? name : "", &n);
        char loc[64 + 3 * CFG_MAX_NAME];
        location_of(loc, sizeof(loc), name ? name : "");
        free(name);
        if (!s)
            return problem(conn, 500, "internal", "out of memory", NULL);
        struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(s);
            return MHD_NO;
        }
        char etag[64];
        httpf_etag_make(etag, sizeof(etag), core_model()->config_generation,
                        core_model()->generation, s, n);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        return queue(conn, MHD_HTTP_CREATED, r);
    }
    default:
        return send_cached(conn, cache_get(rq->rd, 0), 200);
    }
}

static enum MHD_Result handle_get(struct MHD_Connection *conn, struct request *rq)
{
    if (rq->rd->doc)
        return send_cached(conn, cache_get(rq->rd, rq->rd->per_second ? uptime_s() : 0), 200);
    switch (rq->rd->route) {
    case R_HEALTHZ: {
        /* Answering at all means the loop turns and the core is up. */
        struct MHD_Response *r = text_response("ok\n", 3, "text/plain; charset=utf-8");
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, "\"ok\"");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return queue(conn, 200, r);
    }
    case R_METRICS: {
        char etag[64];
        struct MHD_Response *r = httpf_metrics_response(core_model(), etag, sizeof(etag));
        return send_stream(conn, r, etag, "text/plain; version=0.0.4; charset=utf-8");
    }
    case R_FLOWS:
    case R_FLOW: {
        char etag[64];
        unsigned id = rq->rd->route == R_FLOW ? rq->flow_id : 0;
        struct MHD_Response *r = httpf_flows_response(core_model(), id, etag, sizeof(etag));
        return send_stream(conn, r, etag, "application/json");
    }
    case R_SCANNER: {
        size_t n;
        char *s = httpf_scanner_text(core_model(), core_config(), rq->item, &n);
        if (!s) {
            char detail[160];
            snprintf(detail, sizeof(detail), "no scanner named \"%.100s\"", rq->item);
            return problem(conn, 404, "not-found", detail, NULL);
        }
        return send_fresh(conn, 200, s, n, "application/json", true);
    }
    case R_APPLIANCE: {
        size_t n;
        char *s = httpf_appliance_text(core_model(), core_config(), rq->item, &n);
        if (!s) {
            char detail[160];
            snprintf(detail, sizeof(detail), "no appliance named \"%.100s\"", rq->item);
            return problem(conn, 404, "not-found", detail, NULL);
        }
        return send_fresh(conn, 200, s, n, "application/json", true);
    }
    case R_FIREWALL: {
        enum fw_format f;
        enum fw_sets sets;
        const char *bad = httpf_firewall_query(
            MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format"),
            MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sets"), &f, &sets);
        if (bad)
            return problem(conn, 400, "bad-query", bad, NULL);
        size_t n;
        char *s = httpf_firewall_text(core_model(), core_config(), f, sets, &n);
        if (!s)
            return problem(conn, 500, "internal", "out of memory", NULL);
        return send_fresh(conn, 200, s, n,
                          f == FW_JSON ? "application/json" : "text/plain; charset=utf-8", true);
    }
    case R_PAGE: {
        const char *part = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "part");
        struct MHD_Response *r = httpf_page_response(core_model(), part && !strcmp(part, "main"));
        return r ? queue(conn, 200, r) : problem(conn, 500, "internal", "out of memory", NULL);
    }
    case R_EVENTS: {
        struct MHD_Response *r = httpf_events_response(conn);
        if (!r)
            return problem(conn, 503, "too-many-streams", "too many event stream clients", NULL);
        return queue(conn, 200, r);
    }
    default:
        return problem(conn, 404, "not-found", "no such resource", NULL);
    }
}

/* ---- access control ---- */

static bool client_allowed(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return ci && httpf_cidr_match(allow, n_allow, ci->client_addr);
}

static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *a = sa->sa_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (!inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

/* MHD_OPTION_APPLY_ACCEPT_POLICY: a client outside http.allow is closed as soon as it is
 * accepted, before it can hold a connection slot. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    if (addrlen >= sizeof(struct sockaddr_in) && httpf_cidr_match(allow, n_allow, addr))
        return MHD_YES;
    stats.refused_clients++;
    char who[INET6_ADDRSTRLEN];
    format_addr(addr, who, sizeof(who));
    log_limited(&refused_log, LOG_LVL_WARN, "http: connection from %s refused: not in http.allow",
                who);
    return MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_track *t = calloc(1, sizeof(*t));
        if (!t)
            return; /* untracked: never shortened, still closed by http.timeout_s */
        t->conn = conn;
        t->next = tracked;
        if (tracked)
            tracked->prev = t;
        tracked = t;
        *socket_context = t;
    } else if (*socket_context) {
        struct conn_track *t = *socket_context;
        if (t->prev)
            t->prev->next = t->next;
        else
            tracked = t->next;
        if (t->next)
            t->next->prev = t->prev;
        free(t);
        *socket_context = NULL;
    }
}

static struct conn_track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_busy(struct MHD_Connection *conn, bool busy)
{
    struct conn_track *t = track_of(conn);
    if (!t)
        return;
    t->busy = busy;
    if (busy && t->shortened) {
        t->shortened = false;
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, connection_timeout_s);
    }
}

static unsigned connections(void);

/* Run outside MHD_run (from on_prepare): near the connection limit, every connection without
 * a request in progress gets the short idle timeout, so that the quiet ones close first and
 * a client with a request finds a slot. libmicrohttpd keeps the time of last activity, so a
 * connection that was silent for longer closes on its next timeout check. */
static void relieve_pressure(void)
{
    if (connections() * 100 < connection_limit * PRESSURE_PERCENT)
        return;
    unsigned n = 0;
    for (struct conn_track *t = tracked; t; t = t->next) {
        if (t->busy || t->shortened || IDLE_UNDER_PRESSURE_S >= connection_timeout_s)
            continue;
        t->shortened = true;
        MHD_set_connection_option(t->conn, MHD_CONNECTION_OPTION_TIMEOUT, IDLE_UNDER_PRESSURE_S);
        n++;
    }
    if (n) {
        static struct log_limit pressure_log;
        log_limited(&pressure_log, LOG_LVL_WARN,
                    "http: %u of %u connections open: %u idle ones now close after %d s",
                    connections(), connection_limit, n, IDLE_UNDER_PRESSURE_S);
    }
}

static bool authorised(struct MHD_Connection *conn)
{
    if (!token_set)
        return true;
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7))
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    return const_time_equal(h, n, token, token_len);
}

/* A browser presents the token in a cookie (docs/fleet.md), set by page_login. Only for reads:
 * a write still needs the Authorization header, so no page of another site can make one
 * (SameSite=Strict already keeps the cookie from cross-site requests). */
static bool cookie_authorised(struct MHD_Connection *conn, const char *method)
{
    if (!token_set || (strcmp(method, "GET") && strcmp(method, "HEAD")))
        return false;
    const char *v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, HTTPF_PAGE_COOKIE);
    return v && const_time_equal(v, strlen(v), token, token_len);
}

/* GET /?token=...: a right token becomes the cookie and the browser is sent to / (so that the
 * token leaves the address bar); otherwise the page that asks for it. */
static enum MHD_Result page_login(struct MHD_Connection *conn)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    if (given && const_time_equal(given, strlen(given), token, token_len)) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        char cookie[TOKEN_MAX + 96];
        snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
                 HTTPF_PAGE_COOKIE, token, tls_cert_pem ? "; Secure" : "");
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return queue(conn, MHD_HTTP_SEE_OTHER, r);
    }
    struct MHD_Response *r = httpf_page_login_response(given != NULL);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"smsa-agent\"");
    return queue(conn, 401, r);
}

/* The first call for a request: everything that can be refused before the body is read. */
static enum MHD_Result first_call(struct MHD_Connection *conn, struct request *rq, const char *url,
                                  const char *method)
{
    if (!client_allowed(conn)) {
        stats.refused_clients++;
        rq->answered = true;
        return problem(conn, 403, "forbidden", "this client address is not in http.allow", NULL);
    }
    struct httpf_target t;
    httpf_route_find(url, &t);
    const struct httpf_route_def *rd = t.rd;
    bool bad_item = t.bad_item;
    rq->flow_id = t.flow_id;
    rq->item = t.item;
    bool needs_auth = rd ? rd->auth : (!strncmp(url, "/api/", 5) || !strcmp(url, "/api"));
    if (needs_auth && !authorised(conn) && !cookie_authorised(conn, method)) {
        rq->answered = true;
        if (rd && rd->route == R_PAGE)
            return page_login(conn);
        return problem(conn, 401, "unauthorized",
                       "a valid \"Authorization: Bearer <token>\" header is required", NULL);
    }
    if (!rd || bad_item) {
        rq->answered = true;
        return problem(conn, 404, "not-found", "no such resource", NULL);
    }
    rq->rd = rd;
    rq->method = httpf_method_bit(method);
    if (!(rq->method & rd->methods) && rq->method != M_OPTIONS) {
        rq->answered = true;
        return problem_405(conn, rd, method);
    }
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || n > HTTPF_MAX_BODY) {
            rq->answered = true;
            return problem(conn, 413, "too-large", "request bodies are limited to 65536 bytes",
                           NULL);
        }
    }
    if ((rq->method & (M_PUT | M_POST)) && !content_is_json(conn)) {
        rq->answered = true;
        return problem(conn, 415, "not-json", "the body must be sent as application/json", NULL);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct request *rq = *con_cls;
    if (!rq) {
        stats.requests++;
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        set_busy(conn, true);
        return first_call(conn, rq, url, method);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->answered)
            return MHD_YES;
        /* Chunked bodies carry no Content-Length: count them as they come. MHD 0.9.75 cannot
         * queue a response while a body is still arriving, so an oversize one is drained and
         * answered with 413 at its end; past DRAIN_LIMIT the connection is simply closed, so
         * that an endless body cannot keep us reading. */
        if (rq->too_big || rq->len + n > HTTPF_MAX_BODY) {
            if (!rq->too_big) {
                rq->too_big = true;
                free(rq->body);
                rq->body = NULL;
                rq->cap = 0;
            }
            rq->len += n;
            if (rq->len > DRAIN_LIMIT) {
                log_limited(&drain_log, LOG_LVL_WARN,
                            "http: request body over %d bytes, connection closed", DRAIN_LIMIT);
                return MHD_NO;
            }
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 1024;
            while (cap < rq->len + n + 1)
                cap *= 2;
            char *p = realloc(rq->body, cap);
            if (!p)
                return MHD_NO;
            rq->body = p;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        rq->body[rq->len] = 0;
        return MHD_YES;
    }
    if (rq->answered)
        return MHD_YES;
    rq->answered = true;
    if (rq->too_big)
        return problem(conn, 413, "too-large", "request bodies are limited to 65536 bytes", NULL);
    if (rq->method == M_OPTIONS) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rq->rd->allow);
        return queue(conn, MHD_HTTP_NO_CONTENT, r);
    }
    if (rq->method & (M_PUT | M_POST | M_DELETE))
        return handle_write(conn, rq);
    return handle_get(conn, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;
    if (!rq)
        return;
    set_busy(conn, false);
    free(rq->body);
    free(rq->item);
    free(rq);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = 0;
    log_debug("http: %s", buf);
}

/* ---- loop glue ---- */

static unsigned connections(void)
{
    const union MHD_DaemonInfo *i =
        MHD_get_daemon_info(daemon_h, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return i ? i->num_connections : 0;
}

/* At http.max_connections libmicrohttpd takes its listening socket out of its epoll set and
 * puts it back only at the start of a later MHD_run. When the connections that filled the
 * limit all close inside one MHD_run, nothing is left to wake its epoll fd and no timeout is
 * pending: newcomers would wait in the kernel's backlog for ever. So whenever a run leaves
 * fewer connections than the limit after starting at it, run once more on the next turn. */
static void mhd_run(void)
{
    if (!daemon_h)
        return;
    bool was_full = connections() >= connection_limit;
    MHD_run(daemon_h);
    if (was_full && connections() < connection_limit)
        kicked = true;
}

static void on_mhd_fd(int fd, unsigned events, void *arg)
{
    mhd_run();
}

static void on_mhd_timer(void *arg)
{
    kicked = false;
    mhd_run();
}

/* MHD_resume_connection only marks the connection: in external epoll mode libmicrohttpd
 * 0.9.75 does not wake its epoll fd for it, so the resumed connection is processed only
 * at the next MHD_run. Run it on the next turn. */
void httpf_kick(void)
{
    kicked = true;
}

/* The label sets of /metrics and the fixed JSON heads of /flows change only with the
 * configuration, and with thousands of peers each takes milliseconds to write. They are
 * written in loop turns of their own after start and after every configuration change, one
 * per turn, so that no request pays for them on top of its snapshot. The timer is armed
 * from on_prepare: armed while the configuration is applied it would still be due in that
 * same, already long, turn. */
static struct loop_timer prep_timer;
static unsigned prep_next; /* 1: metrics labels, 2: flows heads, 0: nothing to do */

static void on_prep_timer(void *arg)
{
    if (prep_next == 1) {
        httpf_metrics_prepare(core_model());
        prep_next = 2;
    } else if (prep_next == 2) {
        httpf_flows_prepare(core_model());
        prep_next = 0;
    }
}

static void apply_access(const struct cfg *cfg);

static void on_core_event(const struct smsa_event *ev, void *arg)
{
    if (ev->kind == EV_CONFIG) {
        prep_next = 1;
        apply_access(core_config());
    }
}

/* Before every wait: MHD's own deadline (idle timeouts, data already buffered in a
 * connection, resumed connections) becomes our timer, so the loop never sleeps past it. */
static void on_prepare(void *arg)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (!daemon_h)
        return;
    relieve_pressure();
    if (prep_next && !loop_timer_armed(&prep_timer))
        loop_timer_start(&prep_timer, 0, on_prep_timer, NULL);
    if (kicked) {
        loop_timer_start(&mhd_timer, 0, on_mhd_timer, NULL);
    } else if (MHD_get_timeout(daemon_h, &ms) == MHD_YES) {
        int64_t us = ms > 3600000ull ? 3600000000ll : (int64_t)ms * 1000;
        loop_timer_start(&mhd_timer, us, on_mhd_timer, NULL);
    } else {
        loop_timer_stop(&mhd_timer);
    }
}

/* ---- start-up ---- */

/* The token of http.token_file into out (TOKEN_MAX bytes); -1, logged, when it will not do. */
static int read_token(const char *path, char *out, size_t *out_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        log_err("http: cannot read http.token_file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        log_err("http: http.token_file %s is not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        log_err("http: http.token_file %s is accessible by group or others (mode %04o); "
                "chmod 600 it",
                path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    ssize_t n = read(fd, out, TOKEN_MAX - 1);
    close(fd);
    if (n < 0) {
        log_err("http: cannot read http.token_file %s: %s", path, strerror(errno));
        return -1;
    }
    if ((size_t)n >= TOKEN_MAX - 1) {
        log_err("http: http.token_file %s is too long (limit %d bytes)", path, TOKEN_MAX - 2);
        return -1;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        n--;
    out[n] = 0;
    for (ssize_t i = 0; i < n; i++) {
        if ((uint8_t)out[i] <= ' ' || (uint8_t)out[i] >= 0x7f) {
            log_err("http: http.token_file %s holds a token with spaces or control "
                    "characters",
                    path);
            return -1;
        }
    }
    if (n == 0) {
        log_err("http: http.token_file %s is empty", path);
        return -1;
    }
    *out_len = (size_t)n;
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(CFG_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CFG_MAX_FILE_BYTES, f) : 0;
    fclose(f);
    if (!buf || n == 0) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static void reset_state(void)
{
    explicit_bzero(token, sizeof(token));
    token_len = 0;
    token_set = false;
    free(allow);
    allow = NULL;
    n_allow = 0;
    free(tls_cert_pem);
    if (tls_key_pem) {
        explicit_bzero(tls_key_pem, strlen(tls_key_pem));
        free(tls_key_pem);
    }
    tls_cert_pem = tls_key_pem = NULL;
}

/* On every configuration change (SIGHUP, REST write): http.allow and the token file take
 * effect for the next connection and the next request. What cannot be taken is logged and
 * the previous value stays, so that a mistake never opens the door wider. */
static void apply_access(const struct cfg *cfg)
{
    size_t n = cfg->http.n_allow;
    struct addr_cidr *next = calloc(n ? n : 1, sizeof(*next));
    if (!next) {
        log_err("http: out of memory: http.allow not changed");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (addr_parse_cidr(cfg->http.allow[i], &next[i]) < 0) {
            log_err("http: http.allow[%zu] \"%s\" is not an address/prefix: http.allow not changed",
                    i, cfg->http.allow[i]);
            free(next);
            return;
        }
    }
    free(allow);
    allow = next;
    n_allow = n;

    if (cfg->http.token_file) {
        char fresh[TOKEN_MAX];
        size_t len;
        if (read_token(cfg->http.token_file, fresh, &len) < 0) {
            log_err("http: the bearer token stays the previous one");
        } else {
            memcpy(token, fresh, len + 1);
            token_len = len;
            token_set = true;
        }
        explicit_bzero(fresh, sizeof(fresh));
    } else if (token_set && !listen_loopback) {
        log_err("http: http.token_file is needed while listening beyond loopback: the bearer "
                "token stays");
    } else if (token_set) {
        explicit_bzero(token, sizeof(token));
        token_len = 0;
        token_set = false;
    }
}

/* Whether the key and certificate are what GnuTLS (inside libmicrohttpd) will accept: the
 * same call MHD makes at start, so a file refused here is a file start would refuse. */
static int tls_pair_ok(const struct cfg *cfg)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS)
        return -1;
    gnutls_datum_t cert = {(unsigned char *)tls_cert_pem, (unsigned)strlen(tls_cert_pem)};
    gnutls_datum_t key = {(unsigned char *)tls_key_pem, (unsigned)strlen(tls_key_pem)};
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0) {
        log_err("http: http.tls_cert %s with http.tls_key %s: %s", cfg->http.tls_cert,
                cfg->http.tls_key, gnutls_strerror(rc));
        return -1;
    }
    return 0;
}

/* Every check of cfg->http that start makes before it listens: the listen address, the
 * token file, the allow list, the TLS files. Fills the face's state (token, allow, PEMs);
 * on error it is logged, the state is reset and -1 returned. */
static int prepare(const struct cfg *cfg, struct sockaddr_storage *ss, bool *tls)
{
    struct addr_hostport hp;
    char port[8], why[128];
    if (addr_parse_hostport(cfg->http.listen, &hp, why, sizeof(why)) < 0 || !hp.port) {
        log_err("http: http.listen \"%s\" is not host:port", cfg->http.listen);
        return -1;
    }
    snprintf(port, sizeof(port), "%u", (unsigned)hp.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(hp.host, port, &hints, &ai);
    if (rc != 0 || !ai) {
        log_err("http: cannot resolve http.listen \"%s\": %s", cfg->http.listen, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);

    if (cfg->http.token_file) {
        if (read_token(cfg->http.token_file, token, &token_len) < 0) {
            reset_state();
            return -1;
        }
        token_set = true;
    }
    listen_loopback = addr_sockaddr_is_loopback((struct sockaddr *)ss);
    if (!token_set && !listen_loopback) {
        log_err("http: refusing to listen on %s beyond loopback without http.token_file",
                cfg->http.listen);
        reset_state();
        return -1;
    }
    allow = calloc(cfg->http.n_allow ? cfg->http.n_allow : 1, sizeof(*allow));
    if (!allow) {
        reset_state();
        return -1;
    }
    for (size_t i = 0; i < cfg->http.n_allow; i++) {
        if (addr_parse_cidr(cfg->http.allow[i], &allow[n_allow]) < 0) {
            log_err("http: http.allow[%zu] \"%s\" is not an address/prefix", i, cfg->http.allow[i]);
            reset_state();
            return -1;
        }
        n_allow++;
    }

    *tls = cfg->http.tls_cert && cfg->http.tls_key;
    if (*tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            log_err("http: http.tls_cert is set but libmicrohttpd was built without TLS");
            reset_state();
            return -1;
        }
        tls_cert_pem = read_file(cfg->http.tls_cert);
        tls_key_pem = read_file(cfg->http.tls_key);
        if (!tls_cert_pem || !tls_key_pem) {
            log_err("http: cannot read http.tls_cert %s or http.tls_key %s", cfg->http.tls_cert,
                    cfg->http.tls_key);
            reset_state();
            return -1;
        }
        if (tls_pair_ok(cfg) < 0) {
            reset_state();
            return -1;
        }
    } else if (cfg->http.tls_cert || cfg->http.tls_key) {
        log_err("http: http.tls_cert and http.tls_key go together");
        reset_state();
        return -1;
    }
    return 0;
}

int httpf_check(const struct cfg *cfg)
{
    if (!cfg->http.listen || !cfg->http.listen[0])
        return 0;
    struct sockaddr_storage ss;
    bool tls;
    int rc = prepare(cfg, &ss, &tls);
    reset_state();
    return rc;
}

int httpf_init(const struct cfg *cfg)
{
    if (!cfg->http.listen || !cfg->http.listen[0]) {
        log_info("http: REST face disabled (http.listen is empty)");
        return 0;
    }
    /* A peer closing mid-response must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_storage ss;
    bool tls;
    if (prepare(cfg, &ss, &tls) < 0)
        return -1;
    if (n_allow == 0)
        log_warn("http: http.allow is empty: every connection will be refused");

    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    /* The defaults and bounds of these keys are the configuration's (per_ip_connections at
     * most max_connections, none of them 0). */
    unsigned max_conn = cfg->http.max_connections, per_ip = cfg->http.per_ip_connections;
    unsigned timeout = cfg->http.timeout_s;
    connection_timeout_s = timeout;

    struct MHD_OptionItem opts[12];
    size_t k = 0;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    connection_limit = max_conn;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, max_conn, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, timeout, NULL};
    opts[k++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL};
    if (tls) {
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem};
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem};
    }
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    daemon_h = MHD_start_daemon(
        flags, 0, on_accept, NULL, on_request, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!daemon_h) {
        log_err("http: cannot listen on %s: %s", cfg->http.listen, strerror(errno));
        reset_state();
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_h, MHD_DAEMON_INFO_EPOLL_FD);
    mhd_epoll_fd = di ? di->epoll_fd : -1;
    if (mhd_epoll_fd < 0 || loop_fd_add(mhd_epoll_fd, LOOP_READ, on_mhd_fd, NULL) < 0 ||
        loop_prepare_add(on_prepare, NULL) < 0 || httpf_events_init() < 0 ||
        core_subscribe(on_core_event, NULL) < 0) {
        log_err("http: cannot attach libmicrohttpd to the loop");
        httpf_fini();
        return -1;
    }
    prep_next = 1;
    log_info("http: listening on %s%s%s", cfg->http.listen, tls ? " (TLS)" : "",
             token_set ? ", bearer token required" : "");
    return 0;
}

void httpf_fini(void)
{
    if (daemon_h) {
        /* Suspended event streams must be resumed before MHD can stop. */
        httpf_events_fini();
        MHD_run(daemon_h);
        loop_prepare_remove(on_prepare, NULL);
        core_unsubscribe(on_core_event, NULL);
        loop_timer_stop(&mhd_timer);
        loop_timer_stop(&prep_timer);
        prep_next = 0;
        if (mhd_epoll_fd >= 0)
            loop_fd_remove(mhd_epoll_fd);
        mhd_epoll_fd = -1;
        MHD_stop_daemon(daemon_h);
        daemon_h = NULL;
    }
    for (size_t i = 0; i < HTTPF_MAX_ROUTES; i++)
        cache_drop(&cache[i]);
    httpf_metrics_fini();
    httpf_flows_fini();
    httpf_snap_fini();
    reset_state();
    memset(&stats, 0, sizeof(stats));
}
