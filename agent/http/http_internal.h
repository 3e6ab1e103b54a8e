/* Private to the REST face: what its files share. Nothing outside agent/http includes it. */
#ifndef SMSA_HTTP_INTERNAL_H
#define SMSA_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* Largest request body read (SPEC §5: 413 beyond it). */
#define HTTPF_MAX_BODY (64 * 1024)

/* ---- http_resources.c: JSON documents from the model and the configuration ---- */

json_t *httpf_status_json(const struct smsa_model *m);
json_t *httpf_flows_json(const struct smsa_model *m);
json_t *httpf_flow_json(const struct smsa_model *m, unsigned id); /* NULL: no such flow */
json_t *httpf_links_json(const struct smsa_model *m);
json_t *httpf_ntp_json(const struct smsa_model *m, const struct cfg *c);
json_t *httpf_updates_json(const struct smsa_model *m, const struct cfg *c);
json_t *httpf_scanners_json(const struct smsa_model *m, const struct cfg *c);
json_t *httpf_scanner_json(const struct smsa_model *m, const struct cfg *c, const char *name);
json_t *httpf_config_json(const struct cfg *c); /* secrets masked */
json_t *httpf_event_json(const struct smsa_event *ev);
/* RFC 3339 UTC, e.g. "2026-11-29T17:04:42.123Z"; "" when the stamp was never set. */
void httpf_rfc3339(int64_t wall_us, char *buf, size_t len);

/* ---- http_metrics.c: the Prometheus text exposition ---- */

/* malloc'd text (caller frees), *len its length; NULL when out of memory. */
char *httpf_metrics_text(const struct smsa_model *m, size_t *len);

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
