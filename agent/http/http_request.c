/* A request from libmicrohttpd's first call to its handler: who may ask and what may be asked
 * before the body is read (allow list, Host, token, route, method, length, type), the body
 * gathered within bounds, then the handler the route table names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_helpers.h"
#include "http_internal.h"
#include "log.h"

/* Past this much of an oversize body the connection is closed rather than drained. */
#define DRAIN_LIMIT (4 * 1024 * 1024)

static struct log_limit drain_log;

static bool content_is(struct MHD_Connection *conn, const char *want)
{
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen(want);
    return !strncasecmp(ct, want, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* The first call for a request: everything that can be refused before the body is read. */
static enum MHD_Result first_call(struct MHD_Connection *conn, struct httpf_request *rq,
                                  const char *url, const char *method)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !httpf_access_client_allowed(ci->client_addr)) {
        httpf_count_refused();
        rq->answered = true;
        return httpf_problem(conn, 403, "forbidden", "this client address is not in http.allow",
                             NULL);
    }
    /* Before anything else: a page of another site that got its name to resolve here (DNS
     * rebinding) learns nothing and changes nothing. */
    if (!httpf_access_host_ok(conn)) {
        rq->answered = true;
        return httpf_problem(conn, 421, "misdirected",
                             "the Host header names no address or name of this agent "
                             "(http.listen, this host's name, http.server_names)",
                             NULL);
    }
    struct httpf_target t;
    httpf_route_find(url, &t);
    const struct httpf_route_def *rd = t.rd;
    bool bad_item = t.bad_item;
    rq->flow_id = t.flow_id;
    rq->item = t.item;
    bool needs_auth = rd ? rd->auth : (!strncmp(url, "/api/", 5) || !strcmp(url, "/api"));
    /* POST / is the login form: the token is in its body. */
    bool login = rd && rd->route == R_PAGE && !strcmp(method, "POST");
    if (needs_auth && !login && !httpf_access_authorised(conn, method)) {
        rq->answered = true;
        if (rd && rd->route == R_PAGE)
            return httpf_page_login(conn, false);
        return httpf_problem(conn, 401, "unauthorized",
                             "a valid \"Authorization: Bearer <token>\" header is required", NULL);
    }
    if (!rd || bad_item || rq->cut) {
        rq->answered = true;
        return httpf_problem(conn, 404, "not-found", "no such resource", NULL);
    }
    rq->rd = rd;
    rq->method = httpf_method_bit(method);
    if (!(rq->method & rd->methods) && rq->method != M_OPTIONS) {
        rq->answered = true;
        return httpf_problem_405(conn, rd, method);
    }
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || n > HTTPF_MAX_BODY) {
            rq->answered = true;
            return httpf_problem(conn, 413, "too-large",
                                 "request bodies are limited to 65536 bytes", NULL);
        }
    }
    if (login && !content_is(conn, "application/x-www-form-urlencoded")) {
        rq->answered = true;
        return httpf_problem(conn, 415, "not-form",
                             "the login form is sent as application/x-www-form-urlencoded", NULL);
    }
    if (!login && (rq->method & (M_PUT | M_POST)) && !content_is(conn, "application/json")) {
        rq->answered = true;
        return httpf_problem(conn, 415, "not-json", "the body must be sent as application/json",
                             NULL);
    }
    return MHD_YES;
}

enum MHD_Result httpf_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct httpf_request *rq = *con_cls;
    if (!rq)
        return MHD_NO; /* httpf_on_uri had no memory for it */
    if (!rq->started) {
        rq->started = true;
        httpf_count_request();
        httpf_conn_busy(conn, true);
        /* libmicrohttpd ends the URI where its request line had a space before the version;
         * a raw NUL in the path ends the C string earlier, and "s1<NUL>x" would name s1. */
        rq->cut = rq->raw_end + 1 != version;
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
    if (rq->doc) /* resumed: the large document it waited for is built */
        return (enum MHD_Result)rq->rd->get(conn, rq);
    if (rq->too_big)
        return httpf_problem(conn, 413, "too-large", "request bodies are limited to 65536 bytes",
                             NULL);
    if (rq->method == M_OPTIONS) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rq->rd->allow);
        return httpf_queue(conn, MHD_HTTP_NO_CONTENT, r);
    }
    httpf_handler_fn h = rq->method & (M_PUT | M_POST | M_DELETE) ? rq->rd->write : rq->rd->get;
    if (!h)
        return httpf_problem(conn, 404, "not-found", "no such resource", NULL);
    return (enum MHD_Result)h(conn, rq);
}

void *httpf_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct httpf_request *rq = calloc(1, sizeof(*rq));
    if (rq)
        rq->raw_end = uri + strlen(uri);
    return rq;
}

void httpf_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    struct httpf_request *rq = *con_cls;
    if (!rq)
        return;
    httpf_conn_busy(conn, false);
    httpf_doc_unref(rq->doc);
    free(rq->body);
    free(rq->item);
    free(rq);
    *con_cls = NULL;
}
