/* Private to the REST face: what needs no libmicrohttpd (entity tags, the route table and the
 * documents it serves, problem details), apart so that unit tests call it. */
#ifndef SMSA_HTTP_HELPERS_H
#define SMSA_HTTP_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- http_etag.c: entity tags ---- */

/* "c<cgen>-g<gen>-<hash of body>": the configuration generation leads, so that If-Match can
 * be judged on it; the body hash makes the tag strong even when one generation is shown with
 * different bytes (uptime). */
void httpf_etag_make(char *buf, size_t len, uint64_t cgen, uint64_t gen, const char *body,
                     size_t n);
/* If-None-Match: list (comma-separated tags, "*" for any) names etag. */
bool httpf_etag_listed(const char *list, const char *etag);
/* If-Match on a write: one of list's tags was issued under configuration generation cgen. */
bool httpf_etag_if_match(const char *list, uint64_t cgen);

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

struct httpf_route_def {
    const char *path; /* exact path, or prefix ending in '/' for an item route */
    enum httpf_route route;
    unsigned methods; /* enum httpf_method bits */
    const char *allow;
    bool auth;        /* behind the bearer token when one is set */
    httpf_doc_fn doc; /* GET answers this document, cached per generation; else a handler */
    bool per_second;  /* the document shows the uptime: cached per second of it too */
};

/* Routes are numbered 0..HTTPF_MAX_ROUTES - 1 (the face keeps a cache slot for each). */
#define HTTPF_MAX_ROUTES 32
size_t httpf_route_slot(const struct httpf_route_def *rd);

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
