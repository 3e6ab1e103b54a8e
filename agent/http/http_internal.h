/* Private to the REST face: what its files share. Nothing outside agent/http includes it. */
#ifndef SMSA_HTTP_INTERNAL_H
#define SMSA_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "firewall.h"

/* Largest request body read (SPEC §5: 413 beyond it). */
#define HTTPF_MAX_BODY (64 * 1024)

/* ---- http_text.c: output buffer and writers for the large documents ---- */

struct httpf_buf {
    char *s;
    size_t len, cap;
    bool oom; /* an allocation failed: later writes are dropped, the document is void */
};

bool httpf_buf_reserve(struct httpf_buf *b, size_t n); /* room for n more bytes */
void httpf_buf_free(struct httpf_buf *b);
void httpf_put(struct httpf_buf *b, const char *s, size_t n);
void httpf_puts(struct httpf_buf *b, const char *s);
void httpf_put_u64(struct httpf_buf *b, uint64_t v);
void httpf_put_i64(struct httpf_buf *b, int64_t v);
void httpf_put_seconds_us(struct httpf_buf *b, int64_t us);    /* as "%.6f" of us / 1e6 */
void httpf_put_json_ms(struct httpf_buf *b, int64_t us);       /* us / 1000 as a JSON real */
void httpf_put_prom_label(struct httpf_buf *b, const char *s); /* escaped, no quotes */
void httpf_put_json_str(struct httpf_buf *b, const char *s);   /* quoted and escaped */
void httpf_put_json_str_or_null(struct httpf_buf *b, const char *s);
void httpf_put_json_stamp(struct httpf_buf *b, int64_t wall_us); /* RFC 3339 string, or null */
/* Hash for ETags of documents built from a snapshot (h = 0 to start). */
uint64_t httpf_hash(uint64_t h, const void *data, size_t n);

/* ---- http_stream.c: documents formatted a piece at a time, across loop turns ---- */

/* A piece is about this long: formatting one costs tens of microseconds of a loop turn. */
#define HTTPF_PIECE (32 * 1024)

/* Appends the next piece of the document to out; returns true once the document is
 * complete. Works from a snapshot taken when the request came, so that the pieces, formatted
 * turns apart while the model moves on, still make one consistent document. */
typedef bool (*httpf_fill_fn)(void *state, struct httpf_buf *out);
typedef void (*httpf_free_fn)(void *state);

/* A response of unknown length (chunked) fed by fill; free_fn(state) when it is done. On
 * failure state is freed and NULL returned. */
struct MHD_Response *httpf_stream_response(httpf_fill_fn fill, httpf_free_fn free_fn, void *state);

/* ---- http_resources.c: JSON documents from the model and the configuration ---- */

json_t *httpf_status_json(const struct smsa_model *m);
json_t *httpf_ntp_json(const struct smsa_model *m, const struct cfg *c);
json_t *httpf_updates_json(const struct smsa_model *m, const struct cfg *c);
json_t *httpf_scanners_json(const struct smsa_model *m, const struct cfg *c);
json_t *httpf_scanner_json(const struct smsa_model *m, const struct cfg *c, const char *name);
json_t *httpf_config_json(const struct cfg *c); /* secrets masked */
json_t *httpf_event_json(const struct smsa_event *ev);
/* RFC 3339 UTC, e.g. "2026-11-29T17:04:42.123Z"; "" when the stamp was never set. */
void httpf_rfc3339(int64_t wall_us, char *buf, size_t len);

/* ---- http_flows.c: the flows and links documents, written directly ---- */

/* /api/v1/flows (flow_id 0) or /api/v1/flows/{id}, streamed from a snapshot shared by every
 * request of the same model generation; *etag (64 bytes) is set. NULL when out of memory. */
struct MHD_Response *httpf_flows_response(const struct smsa_model *m, unsigned flow_id, char *etag,
                                          size_t etag_len);
/* /api/v1/links as compact JSON text (malloc'd, *len its length); NULL when out of memory. */
char *httpf_links_text(const struct smsa_model *m, size_t *len);
/* Writes the parts that change only with the configuration now rather than in a request. */
void httpf_flows_prepare(const struct smsa_model *m);
void httpf_flows_fini(void);

/* ---- http_firewall.c: GET /api/v1/firewall ---- */

/* The query's format (default json) and sets (0, 1 or only); NULL, or what is wrong. */
const char *httpf_firewall_query(const char *format, const char *sets, enum fw_format *f,
                                 enum fw_sets *s);
/* The rendered rules (malloc'd, *len its length); NULL when out of memory. */
char *httpf_firewall_text(const struct smsa_model *m, const struct cfg *c, enum fw_format f,
                          enum fw_sets sets, size_t *len);

/* ---- http_metrics.c: the Prometheus text exposition ---- */

/* The exposition, streamed from a snapshot of the model and the counters taken now; *etag
 * (a strong tag: the snapshot decides every byte) is set. NULL when out of memory. */
struct MHD_Response *httpf_metrics_response(const struct smsa_model *m, char *etag,
                                            size_t etag_len);
void httpf_metrics_prepare(const struct smsa_model *m);
void httpf_metrics_fini(void);

/* ---- http_page.c: the status page at / ---- */

/* The page (HTML, its CSP and caching headers set), or with main_only its <main> element alone
 * (what the page's script fetches on each event); NULL when out of memory. */
struct MHD_Response *httpf_page_response(const struct smsa_model *m, bool main_only);
/* The 401 page that asks a browser for the token; refused: a wrong one was given. */
struct MHD_Response *httpf_page_login_response(bool refused);
/* The cookie in which a browser presents the token (HttpOnly, SameSite=Strict). */
#define HTTPF_PAGE_COOKIE "smsa_token"

/* ---- http_events.c: the Server-Sent Events stream ---- */

int httpf_events_init(void);
void httpf_events_fini(void);
/* A response streaming events to conn (NULL when out of memory or too many clients). */
struct MHD_Response *httpf_events_response(struct MHD_Connection *conn);

struct httpf_events_stats {
    unsigned clients;
    uint64_t sent, dropped_clients;
};
void httpf_events_get_stats(struct httpf_events_stats *out);

/* ---- http_face.c: counters the metrics publish ---- */

struct httpf_stats {
    uint64_t requests, responses_4xx, responses_5xx, refused_clients;
};
void httpf_get_stats(struct httpf_stats *out);
/* Have MHD_run called on the next loop turn (after MHD_resume_connection). */
void httpf_kick(void);

#endif
