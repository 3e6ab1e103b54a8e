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
#include "http_helpers.h"

/* Largest request body read: 413 beyond it (README, REST API). */
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

/* ---- http_snapshot.c: the numbers of one model generation, shared by the streams ---- */

/* Views: the numbers of one object, zero-filled (no padding, text tails zero) so that their
 * bytes can be hashed for an ETag. Filled by httpf_*_view_fill only. */
struct httpf_addr_view {
    char text[SMSA_ADDR_TEXT];
    char detail[SMSA_DETAIL_TEXT];
    int64_t since, rtt_us;
    uint64_t checks, failures;
    uint32_t ipv6, state, cause;
    uint32_t tls_slot; /* 1 + position in httpf_snap.tls when a certificate was seen, else 0 */
};

struct httpf_peer_view {
    int64_t since, rtt_us, addrs_since, ntp_offset_us, ntp_delay_us;
    uint64_t checks, failures, downs, addr_changes;
    uint32_t state, cause, flow_id;
    uint32_t first_addr, n_addrs; /* in httpf_snap.addrs (first_addr: snapshots only) */
    uint32_t listen_slot;         /* inbound checks: 1 + position in httpf_snap.listening */
    uint32_t ntp;                 /* an NTP server: the members below are its own */
    uint32_t ntp_valid, stratum, leap, kod_stopped, poll_multiplier;
    uint32_t tls_slot; /* as httpf_addr_view's */
    char refid[16];
    char detail[SMSA_DETAIL_TEXT];
};

struct httpf_flow_view {
    int64_t since;
    uint32_t state, first_peer, n_peers, pad;
};

struct httpf_link_view {
    uint64_t downs;
    uint32_t state, cause;
};

struct httpf_appliance_view {
    uint64_t downs;
    uint32_t state, cause;
    uint32_t checks, up, down;
};

/* v must be zero-filled already (calloc, = {0}): the fill writes only what it knows. */
void httpf_addr_view_fill(struct httpf_addr_view *v, const struct smsa_addr *a);
void httpf_peer_view_fill(struct httpf_peer_view *v, const struct smsa_peer *p);

/* Reference counted: a document still streaming keeps the snapshot it started on. Peers are
 * in flow order, as in the model; so are the addresses of each. */
struct httpf_snap {
    unsigned refs;
    uint64_t gen, cgen, hash;
    uint64_t probes, probe_failures, events;
    uint32_t overall;
    bool any_rtt, any_ntp; /* a peer has a round-trip time; an NTP server a valid result */
    struct httpf_flow_view flows[CAT_NFLOWS];
    struct httpf_peer_view *peers;
    size_t n_peers;
    struct httpf_addr_view *addrs;
    size_t n_addrs;
    char (*listening)[sizeof(((struct smsa_peer *)0)->listening_on)];
    size_t n_listening;
    struct httpf_link_view *links;
    size_t n_links;
    uint64_t *update_changes; /* per update source, 0 for one that is not probed */
    size_t n_updates;
    struct smsa_clock clock;
    struct httpf_appliance_view *appliances; /* model.appliances order */
    size_t n_appliances;
    struct smsa_tls *tls; /* the certificates peers and addresses showed (tls_slot) */
    size_t n_tls;
};

/* The snapshot of m's generation, shared, with a reference for the caller; NULL when out of
 * memory. */
struct httpf_snap *httpf_snap_get(const struct smsa_model *m);
/* A private snapshot (one reference), shared with nobody. */
struct httpf_snap *httpf_snap_build(const struct smsa_model *m);
void httpf_snap_unref(struct httpf_snap *s);
void httpf_snap_fini(void);

/* ---- http_json.c: one writer per object of the JSON documents ---- */

void httpf_json_addr(struct httpf_buf *b, const struct httpf_addr_view *a,
                     const struct smsa_tls *tls);
/* A flow and a peer in two parts: the head, which changes only with the configuration
 * ({"id":..,...,"state": and {"index":..,...,"state":), and the rest from a view. A flow's
 * rest leaves its "peers" array open for the peers and "]}". */
void httpf_json_flow_head(struct httpf_buf *b, const struct smsa_flow *f);
void httpf_json_flow_state(struct httpf_buf *b, const struct httpf_flow_view *f);
void httpf_json_peer_head(struct httpf_buf *b, const struct smsa_peer *p);
/* addrs: the peer's p->n_addrs addresses; listening: an inbound check's list, else NULL;
 * tls: the certificates the views' tls_slot count into. */
void httpf_json_peer_state(struct httpf_buf *b, const struct httpf_peer_view *p,
                           const struct httpf_addr_view *addrs, const char *listening,
                           const struct smsa_tls *tls);
/* A certificate's facts: {"subject":..,"not_after":..,"days_left":..,"verified":..}; expiry
 * (the threshold announced) is a peer's only. */
void httpf_json_tls(struct httpf_buf *b, const struct smsa_tls *t, bool expiry);
void httpf_json_ntp_server(struct httpf_buf *b, const struct smsa_peer *p);
void httpf_json_clock(struct httpf_buf *b, const struct smsa_clock *c);
void httpf_json_link(struct httpf_buf *b, const struct smsa_link *l);
/* index is 1-based; p is the source's peer, NULL when it is not probed. */
void httpf_json_update(struct httpf_buf *b, size_t index, const struct cfg_update *u,
                       const struct smsa_peer *p);
void httpf_json_scanner(struct httpf_buf *b, const struct smsa_model *m,
                        const struct cfg_scanner *s);
void httpf_json_status(struct httpf_buf *b, const struct smsa_model *m);
/* An appliance of the fleet with the checks that concern it (GET /api/v1/appliances). */
void httpf_json_appliance(struct httpf_buf *b, const struct smsa_appliance *a);

/* ---- http_resources.c: what the documents of http_helpers.h are made of ---- */

json_t *httpf_config_json(const struct cfg *c); /* secrets masked */
json_t *httpf_event_json(const struct smsa_event *ev);
/* RFC 3339 UTC, e.g. "2026-11-29T17:04:42.123Z"; "" when the stamp was never set. */
void httpf_rfc3339(int64_t wall_us, char *buf, size_t len);

/* ---- http_flows.c: the flows documents, streamed ---- */

/* /api/v1/flows (flow_id 0) or /api/v1/flows/{id}, streamed from the shared snapshot of the
 * model's generation; *etag (64 bytes) is set. NULL when out of memory. */
struct MHD_Response *httpf_flows_response(const struct smsa_model *m, unsigned flow_id, char *etag,
                                          size_t etag_len);
/* Writes the parts that change only with the configuration now rather than in a request. */
void httpf_flows_prepare(const struct smsa_model *m);
void httpf_flows_fini(void);

/* ---- http_firewall.c: GET /api/v1/firewall ---- */

/* The query's format (default json) and sets (0, 1 or only); NULL, or what is wrong. */
const char *httpf_firewall_query(const char *format, const char *sets, enum fw_format *f,
                                 enum fw_sets *s);
/* The rendered rules (malloc'd, *len its length); NULL when out of memory. Rendered once per
 * configuration and resolution generation, then copied from a cache. */
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
