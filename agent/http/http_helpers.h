/* Private to the REST face: what needs no libmicrohttpd (entity tags, the route table and the
 * documents it serves, problem details), apart so that unit tests call it. */
#ifndef SMSA_HTTP_HELPERS_H
#define SMSA_HTTP_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- http_etag.c: entity tags ---- */

/* A strong tag made of the document's bytes alone ("<64-bit hash>"), so that it changes when
 * the document does and only then: a probe result that touches other documents leaves this
 * one's tag, and a conditional GET gets 304. */
void httpf_etag_make(char *buf, size_t len, const char *body, size_t n);
/* The same tag, of a hash already taken with httpf_hash (a document hashed as it was built). */
void httpf_etag_from_hash(char *buf, size_t len, uint64_t hash);
/* Room for a tag and its NUL. */
#define HTTPF_ETAG_LEN 24
/* The hash of the tags (h = 0 to start; feeding a document in parts whose lengths are
 * multiples of 8, then the rest, gives the hash of the whole). */
uint64_t httpf_hash(uint64_t h, const void *data, size_t n);
/* If-None-Match: list (comma-separated tags, "*" for any) names etag. */
bool httpf_etag_listed(const char *list, const char *etag);
/* If-Match on a write: one of list's tags is etag, the current tag of the document the write
 * changes (NULL: there is none, and only a named tag can fail to match it). */
bool httpf_etag_if_match(const char *list, const char *etag);

/* ---- http_route.c: the resources and the methods each allows ---- */

enum httpf_method {
    M_GET = 1,
    M_HEAD = 2,
    M_PUT = 4,
    M_POST = 8,
    M_DELETE = 16,
    M_OPTIONS = 32,
};

enum httpf_route {
    R_NONE,
    R_HEALTHZ,
    R_METRICS,
    R_STATUS,
    R_FLOWS,
    R_FLOW,
    R_LINKS,
    R_NTP,
    R_UPDATES,
    R_SCANNERS,
    R_SCANNER,
    R_CONFIG,
    R_EVENTS,
    R_FIREWALL,
    R_APPLIANCES,
    R_APPLIANCE,
    R_PAGE,
    R_DOC, /* a document route with nothing else to it: its doc says it all */
};

struct smsa_model;
struct cfg;

/* A document built whole from the model and the configuration: malloc'd text, *len its
 * length; NULL when out of memory. */
typedef char *(*httpf_doc_fn)(const struct smsa_model *m, const struct cfg *c, size_t *len);
/* An item's document ({name} of an item route); NULL also when there is no such item. */
typedef char *(*httpf_item_fn)(const struct smsa_model *m, const struct cfg *c, const char *name,
                               size_t *len);

struct MHD_Connection;
struct httpf_request;
/* Answers a request (returns libmicrohttpd's MHD_Result). */
typedef int (*httpf_handler_fn)(struct MHD_Connection *conn, struct httpf_request *rq);

struct httpf_route_def {
    const char *path; /* exact path, or prefix ending in '/' for an item route */
    enum httpf_route route;
    unsigned methods; /* enum httpf_method bits */
    const char *allow;
    bool auth;              /* behind the bearer token when one is set */
    httpf_doc_fn doc;       /* the document GET answers, cached per generation */
    bool per_second;        /* the document shows the uptime: cached per second of it too */
    httpf_item_fn item_doc; /* an item route's document */
    const char *noun;       /* what an item route's item is, for "no scanner named .." */
    httpf_handler_fn get;   /* GET and HEAD */
    httpf_handler_fn write; /* the one write method of methods (PUT, POST or DELETE) */
};

/* Routes are numbered 0..HTTPF_MAX_ROUTES - 1 (the face keeps a cache slot for each). */
#define HTTPF_MAX_ROUTES 32
size_t httpf_route_slot(const struct httpf_route_def *rd);
/* The i-th route of the table, NULL past its end. */
const struct httpf_route_def *httpf_route_at(size_t i);

/* The method's bit, 0 for one no route knows. */
unsigned httpf_method_bit(const char *method);

/* What a request names: the resource, with its flow id (R_FLOW) or its decoded {name}
 * (R_SCANNER; malloc'd, the caller frees it). */
struct httpf_target {
    const struct httpf_route_def *rd; /* NULL: no such path */
    bool bad_item;                    /* the path is an item route's, the item no item */
    unsigned flow_id;
    char *item;
};

void httpf_route_find(const char *url, struct httpf_target *t);

/* ---- http_handlers.c: the handlers the route table names ---- */

int httpf_get_doc(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_healthz(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_metrics(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_flows(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_item(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_firewall(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_page(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_get_events(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_put_ntp(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_put_updates(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_post_scanner(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_delete_scanner(struct MHD_Connection *conn, struct httpf_request *rq);
int httpf_post_login(struct MHD_Connection *conn, struct httpf_request *rq);

/* ---- http_resources.c: the documents built whole ---- */

char *httpf_status_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
char *httpf_links_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
char *httpf_ntp_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
char *httpf_updates_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
char *httpf_scanners_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
char *httpf_config_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
char *httpf_appliances_text(const struct smsa_model *m, const struct cfg *c, size_t *len);
/* One appliance; NULL also when no appliance has that name. */
char *httpf_appliance_text(const struct smsa_model *m, const struct cfg *c, const char *name,
                           size_t *len);
/* One scanner; NULL also when no scanner has that name. */
char *httpf_scanner_text(const struct smsa_model *m, const struct cfg *c, const char *name,
                         size_t *len);

/* ---- http_problem.c: RFC 9457 problem details ---- */

#define HTTPF_PROBLEM_TYPE "urn:smsa-agent:problem:"

const char *httpf_status_title(unsigned status);
/* The compact application/problem+json body (malloc'd, *len its length); extra (may be NULL)
 * is merged in and consumed. Bytes of detail that are not UTF-8 are shown as U+FFFD, so that
 * a name taken from a URL still gets its answer. NULL when out of memory. */
char *httpf_problem_body(unsigned status, const char *slug, const char *detail, json_t *extra,
                         size_t *len);

#endif
