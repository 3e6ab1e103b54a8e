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
/* RFC 3339 UTC, e.g. "2026-11-29T17:04:42.123Z"; "" when the stamp was never set. */
void httpf_rfc3339(int64_t wall_us, char *buf, size_t len);

/* ---- http_stream.c: the large documents, built a slice per loop turn ---- */

/* A piece is about this long: formatting one costs tens of microseconds of a loop turn. */
#define HTTPF_PIECE (32 * 1024)

/* Appends the next piece of the document (up to HTTPF_PIECE bytes) to the empty buffer out;
 * returns true once the document is complete. Works from a snapshot taken when the build
 * began, so that the pieces, formatted turns apart while the model moves on, still make one
 * consistent document. */
typedef bool (*httpf_fill_fn)(void *state, struct httpf_buf *out);
typedef void (*httpf_free_fn)(void *state);

/* What a document is made from, taken when its build begins: fill formats it from state.
 * per_generation: the model's generation and configuration generation decide every byte, so
 * that a finished document is served again while they are unchanged. */
struct httpf_source {
    void *state;
    httpf_fill_fn fill;
    httpf_free_fn free_fn;
    bool per_generation;
};
/* Takes the source of a document of m (arg: which one, e.g. a flow id); -1 when out of
 * memory. */
typedef int (*httpf_take_fn)(const struct smsa_model *m, unsigned arg, struct httpf_source *out);

/* Each kind of large document has a slot: /metrics, /api/v1/flows, /api/v1/flows/{id}. */
#define HTTPF_DOC_METRICS 0
#define HTTPF_DOC_FLOWS(id) (1 + (id))
#define HTTPF_DOC_SLOTS (2 + CAT_MAX_ID) /* the vendor's flows and extra_flows' 101..999 */

struct httpf_doc;
/* The document of slot, with a reference for the caller: the one being built, or the last
 * one built while it is current, or a new build of take(m, arg) (taken by its first slice).
 * NULL when out of memory. */
struct httpf_doc *httpf_doc_want(size_t slot, httpf_take_fn take, unsigned arg);
void httpf_doc_unref(struct httpf_doc *d);
bool httpf_doc_done(const struct httpf_doc *d);
bool httpf_doc_failed(const struct httpf_doc *d);      /* done, but out of memory */
const char *httpf_doc_etag(const struct httpf_doc *d); /* once done */
/* Suspends conn until d is done; -1 when out of memory. */
int httpf_doc_wait(struct httpf_doc *d, struct MHD_Connection *conn);
/* A response reading the finished d (which it keeps a reference to); NULL when out of
 * memory. */
struct MHD_Response *httpf_doc_response(struct httpf_doc *d);
/* Resumes every waiting connection (their builds fail) and drops every document. */
void httpf_docs_fini(void);
/* A connection was resumed since the last call: MHD_run is due on the next turn. */
bool httpf_docs_resumed(void);

/* ---- http_snapshot.c: the numbers of one model generation, shared by the streams ---- */

/* Views: the numbers of one object, zero-filled (no padding, text tails zero). Filled by
 * httpf_*_view_fill only. */
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
    uint64_t gen, cgen;
    uint64_t probes, probe_failures, events;
    uint32_t overall;
    bool any_rtt, any_ntp;         /* a peer has a round-trip time; an NTP server a valid result */
    struct httpf_flow_view *flows; /* as the model's flows, in its order */
    size_t n_flows;
    struct httpf_peer_view *peers;
    size_t n_peers;
    struct httpf_addr_view *addrs;
    size_t n_addrs;
    char (*listening)[SMSA_LISTENING_TEXT];
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

/* What changes only with the configuration, written once per configuration generation and
 * shared, one cache for both large documents: the label sets of /metrics and the JSON heads of
 * /api/v1/flows. Reference counted: a document still being built keeps the texts it began
 * with. */
enum { HTTPF_CTEXT_LABELS, HTTPF_CTEXT_HEADS, HTTPF_CTEXT_KINDS };
typedef void *(*httpf_ctext_build_fn)(const struct smsa_model *m);
typedef void (*httpf_ctext_free_fn)(void *part);
struct httpf_ctexts {
    unsigned refs;
    uint64_t cgen;
    void *part[HTTPF_CTEXT_KINDS]; /* NULL until first used */
    httpf_ctext_free_fn free_fn[HTTPF_CTEXT_KINDS];
};
/* The texts of m's configuration generation with a reference for the caller, part kind made
 * by build if it is not yet; NULL when out of memory. */
struct httpf_ctexts *httpf_ctexts_get(const struct smsa_model *m, unsigned kind,
                                      httpf_ctext_build_fn build, httpf_ctext_free_fn free_fn);
void httpf_ctexts_unref(struct httpf_ctexts *t);
void httpf_ctexts_fini(void);

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

/* ---- http_flows.c: the flows documents, streamed ---- */

/* The source of /api/v1/flows (flow_id 0) or /api/v1/flows/{id}: the shared snapshot of the
 * model's generation. */
int httpf_flows_take(const struct smsa_model *m, unsigned flow_id, struct httpf_source *out);
/* Writes the parts that change only with the configuration now rather than in a request. */
void httpf_flows_prepare(const struct smsa_model *m);

/* ---- http_firewall.c: GET /api/v1/firewall ---- */

/* The query's format (default json) and sets (0, 1 or only); NULL, or what is wrong. */
const char *httpf_firewall_query(const char *format, const char *sets, enum fw_format *f,
                                 enum fw_sets *s);
/* The rendered rules (malloc'd, *len its length); NULL when out of memory. Rendered once per
 * configuration and resolution generation, then copied from a cache. */
char *httpf_firewall_text(const struct smsa_model *m, const struct cfg *c, enum fw_format f,
                          enum fw_sets sets, size_t *len);

/* ---- http_metrics.c: the Prometheus text exposition ---- */

/* The source of the exposition: the shared snapshot of the model and the counters taken
 * now (arg unused). */
int httpf_metrics_take(const struct smsa_model *m, unsigned arg, struct httpf_source *out);
/* Writes the label sets now rather than in a scrape (http_labels.c). */
void httpf_metrics_prepare(const struct smsa_model *m);

/* ---- http_page.c: the status page at / ---- */

/* The page (HTML, its CSP and caching headers set), or with main_only its <main> element alone
 * (what the page's script fetches on each event); NULL when out of memory. */
struct MHD_Response *httpf_page_response(const struct smsa_model *m, bool main_only);
/* The 401 page that asks a browser for the token; refused: a wrong one was given. */
struct MHD_Response *httpf_page_login_response(bool refused);
/* The cookie in which a browser presents its session (HttpOnly, SameSite=Strict). */
#define HTTPF_PAGE_COOKIE "smsa_session"

/* ---- http_events.c: the Server-Sent Events stream ---- */

int httpf_events_init(void);
void httpf_events_fini(void);
/* A client was resumed since the last call: MHD_run is due on the next turn. */
bool httpf_events_resumed(void);
/* A response streaming events to conn (NULL when out of memory or too many clients). */
struct MHD_Response *httpf_events_response(struct MHD_Connection *conn);

struct httpf_events_stats {
    unsigned clients;
    uint64_t sent, dropped_clients;
};
void httpf_events_get_stats(struct httpf_events_stats *out);

/* ---- http_access.c: the allow list, the Host check, the token and the page's sessions ---- */

struct addr_hostport;
struct sockaddr;

/* Shortest bearer token taken from http.token_file. */
#define HTTPF_TOKEN_MIN 16

/* A relative file name of the configuration, taken from the start folder (the daemon runs
 * in /): path itself when absolute, else buf. */
const char *httpf_access_path(const char *path, char *buf, size_t len);
/* A file that holds a secret (key names it in messages), opened for reading: a regular file,
 * not a symlink, with no access for group or others. -1, logged, otherwise. */
int httpf_open_private(const char *key, const char *path);
/* At start: the token, the allow list and the names of cfg->http; listen is http.listen
 * parsed, loopback whether it is a loopback address. -1, logged (and nothing kept), when the
 * settings will not do. */
int httpf_access_prepare(const struct cfg *cfg, const struct addr_hostport *listen, bool loopback);
/* On every configuration change: what cannot be taken is logged and its previous value
 * stays, so that a mistake never opens the door wider. A new token ends every session. */
void httpf_access_apply(const struct cfg *cfg, bool loopback);
void httpf_access_reset(void);
bool httpf_access_token_set(void);
size_t httpf_access_n_allow(void);
bool httpf_access_client_allowed(const struct sockaddr *sa);
/* The Host header names this agent (its listen address, the address the connection came in
 * on, localhost on loopback, this host's name, http.server_names) and, when it has a port,
 * the port the connection came in on. A refusal is logged, rate-limited. */
bool httpf_access_host_ok(struct MHD_Connection *conn);
/* The bearer token, or for GET and HEAD a live session cookie; true when no token is set.
 * Wrong credentials count as a failed authentication. */
bool httpf_access_authorised(struct MHD_Connection *conn, const char *method);
bool httpf_access_token_matches(const char *given, size_t n);
/* Counts and logs (rate-limited) a failed authentication of conn's client. */
void httpf_access_failed(struct MHD_Connection *conn, const char *what);
uint64_t httpf_access_failures(void);
/* The login form's body (application/x-www-form-urlencoded, NUL-terminated, len bytes) holds
 * the right token in its field "token"; the body is wiped either way. */
bool httpf_access_form_token_ok(char *body, size_t len);
/* A new session: its Set-Cookie value into cookie; -1 (logged) without random bytes. */
int httpf_access_login(char *cookie, size_t len, bool tls);

/* ---- http_face.c: libmicrohttpd in the loop, requests, start-up ---- */

/* Per request, from the first call of the access handler to MHD_OPTION_NOTIFY_COMPLETED. */
struct httpf_request {
    const struct httpf_route_def *rd;
    unsigned method;
    unsigned flow_id;
    char *item; /* the {name} of an item route, decoded */
    char *body;
    size_t len, cap;
    bool answered; /* a response was queued early (error before the body) */
    bool too_big;
    struct httpf_doc *doc; /* a large document this request waits for, suspended */
    const char *raw_end;   /* where the raw URI's C string ends in libmicrohttpd's buffer */
    bool started;          /* the access handler was called */
    bool cut;              /* a raw NUL cut the path short: it names nothing */
};

/* ---- http_stats.c: the face's counters ---- */

struct httpf_stats {
    uint64_t requests, responses_4xx, responses_5xx, refused_clients, auth_failures;
};
void httpf_get_stats(struct httpf_stats *out);
/* Counts a response by its status (the metrics' 4xx and 5xx counters). */
void httpf_count_status(unsigned status);
void httpf_count_request(void);
void httpf_count_refused(void); /* a client outside http.allow */
void httpf_stats_reset(void);

/* ---- http_conns.c: the open connections, and the idle ones under pressure ---- */

/* http.max_connections and http.timeout_s, as given to libmicrohttpd. */
void httpf_conns_init(unsigned max_connections, unsigned timeout_s);
unsigned httpf_conns_open(struct MHD_Daemon *d);
/* MHD_OPTION_NOTIFY_CONNECTION: a connection starts or closes. */
void httpf_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* A request is in progress on conn (or no longer): a busy connection keeps its full timeout
 * when the face is under pressure. */
void httpf_conn_busy(struct MHD_Connection *conn, bool busy);
/* Outside MHD_run, before each wait: near the limit, idle connections get a short timeout. */
void httpf_conns_relieve(struct MHD_Daemon *d);

/* ---- http_request.c: a request up to its handler ---- */

/* MHD's access handler and MHD_OPTION_NOTIFY_COMPLETED. */
enum MHD_Result httpf_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls);
/* MHD_OPTION_URI_LOG_CALLBACK: the request, made before its headers are read. */
void *httpf_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void httpf_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe);
/* The 401 page that asks a browser for the token (http_handlers.c). */
enum MHD_Result httpf_page_login(struct MHD_Connection *conn, bool refused);

/* ---- http_cache.c: responses, the document cache, entity tags ---- */

/* Queues r (and drops the caller's reference), counting its status. */
enum MHD_Result httpf_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r);
struct MHD_Response *httpf_text_response(const char *s, size_t n, const char *ctype);
/* RFC 9457 problem details; extra (may be NULL) is merged in and consumed; allow_header (may
 * be NULL) is the Allow header of a 405. */
enum MHD_Result httpf_problem_allow(struct MHD_Connection *conn, unsigned status, const char *slug,
                                    const char *detail, json_t *extra, const char *allow_header);
enum MHD_Result httpf_problem(struct MHD_Connection *conn, unsigned status, const char *slug,
                              const char *detail, json_t *extra);
enum MHD_Result httpf_problem_405(struct MHD_Connection *conn, const struct httpf_route_def *rd,
                                  const char *method);
enum MHD_Result httpf_problem_from_cfg(struct MHD_Connection *conn, const struct cfg_error *err);
/* rd's document (rd->doc), cached per generation (and extra), or 304 for If-None-Match. */
enum MHD_Result httpf_send_cached(struct MHD_Connection *conn, const struct httpf_route_def *rd,
                                  int64_t extra);
/* The current tag of rd's cached document; false when it has none. */
bool httpf_cached_etag(const struct httpf_route_def *rd, char *etag, size_t len);
/* A finished large document (http_stream.c), or 304. */
enum MHD_Result httpf_send_doc(struct MHD_Connection *conn, struct httpf_doc *d, const char *ctype);
/* A one-off document (s malloc'd, consumed) with its tag, or 304. */
enum MHD_Result httpf_send_fresh(struct MHD_Connection *conn, unsigned status, char *s, size_t n,
                                 const char *ctype);
void httpf_cache_fini(void);

#endif
