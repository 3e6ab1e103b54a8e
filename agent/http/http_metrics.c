/* GET /metrics: the Prometheus text exposition format 0.0.4, names in blackbox_exporter's
 * style (probe_success → smsa_peer_up, probe_duration_seconds → smsa_probe_duration_seconds).
 * Gauges of state are one-hot over a "state" label; the current failure cause is a label of
 * an info-style gauge, so that counters never change label sets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "loop.h"

struct buf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
}

/* Label values: backslash, double quote and line feed are escaped (exposition format). */
static const char *esc(const char *in, char *out, size_t len)
{
    size_t k = 0;
    for (const char *p = in ? in : ""; *p && k + 3 < len; p++) {
        if (*p == '\\' || *p == '"') {
            out[k++] = '\\';
            out[k++] = *p;
        } else if (*p == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
        } else {
            out[k++] = *p;
        }
    }
    out[k] = 0;
    return out;
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The labels that name a peer: flow, peer, host, port. */
static void peer_labels(const struct smsa_peer *p, char *out, size_t len)
{
    char h[600];
    snprintf(out, len, "flow=\"%u\",peer=\"%u\",host=\"%s\",port=\"%u\"", p->flow_id, p->index,
             esc(p->host, h, sizeof(h)), (unsigned)p->port);
}

typedef void (*peer_fn)(struct buf *b, const struct smsa_peer *p, const char *labels);

static void each_peer(struct buf *b, const struct smsa_model *m, peer_fn fn)
{
    char labels[900];
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        const struct smsa_flow *f = &m->flows[i];
        for (size_t j = 0; j < f->n_peers; j++) {
            peer_labels(f->peers[j], labels, sizeof(labels));
            fn(b, f->peers[j], labels);
        }
    }
}

static void peer_up(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_peer_up{%s} %d\n", l, p->state == ST_UP ? 1 : 0);
}

static void peer_state(struct buf *b, const struct smsa_peer *p, const char *l)
{
    for (unsigned s = 0; s < ST_COUNT; s++)
        put(b, "smsa_peer_state{%s,state=\"%s\"} %d\n", l, smsa_state_name((enum smsa_state)s),
            p->state == s ? 1 : 0);
}

static void peer_cause(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_peer_cause{%s,cause=\"%s\"} 1\n", l, smsa_cause_name(p->cause));
}

static void peer_rtt(struct buf *b, const struct smsa_peer *p, const char *l)
{
    if (p->rtt_us >= 0 && p->checks > 0)
        put(b, "smsa_probe_duration_seconds{%s} %.6f\n", l, (double)p->rtt_us / 1e6);
}

static void peer_checks(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_probe_checks_total{%s} %llu\n", l, (unsigned long long)p->checks);
}

static void peer_failures(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_probe_failures_total{%s} %llu\n", l, (unsigned long long)p->failures);
}

static void peer_downs(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_peer_down_total{%s} %llu\n", l, (unsigned long long)p->down_count);
}

static void peer_addrs(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_peer_addresses{%s} %zu\n", l, p->n_addrs);
}

static void peer_addr_changes(struct buf *b, const struct smsa_peer *p, const char *l)
{
    put(b, "smsa_peer_address_changes_total{%s} %llu\n", l, (unsigned long long)p->addrset_changes);
}

static void flows(struct buf *b, const struct smsa_model *m)
{
    family(b, "smsa_flow_state", "gauge",
           "1 for the current state of each flow of the port table (TECH85204).");
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        const struct smsa_flow *f = &m->flows[i];
        for (unsigned s = 0; s < ST_COUNT; s++)
            put(b,
                "smsa_flow_state{flow=\"%u\",port=\"%u\",protocol=\"%s\",direction=\"%s\","
                "state=\"%s\"} %d\n",
                f->def->id, (unsigned)f->def->port, cat_proto_name(f->def->proto),
                cat_direction_name(f->direction), smsa_state_name((enum smsa_state)s),
                f->state == s ? 1 : 0);
    }
}

static void links(struct buf *b, const struct smsa_model *m)
{
    char name[200], host[600];
    if (m->n_links == 0)
        return;
    family(b, "smsa_link_up", "gauge", "1 while the Control Center-Scanner link answers.");
    for (size_t i = 0; i < m->n_links; i++) {
        const struct smsa_link *l = &m->links[i];
        put(b, "smsa_link_up{link=\"%u\",name=\"%s\",host=\"%s\"} %d\n", l->index,
            esc(l->name, name, sizeof(name)), esc(l->peer ? l->peer->host : "", host, sizeof(host)),
            l->state == ST_UP ? 1 : 0);
    }
    family(b, "smsa_link_cause", "gauge",
           "1, labelled with the cause of the link's last verdict (none when up).");
    for (size_t i = 0; i < m->n_links; i++) {
        const struct smsa_link *l = &m->links[i];
        put(b, "smsa_link_cause{link=\"%u\",name=\"%s\",cause=\"%s\"} 1\n", l->index,
            esc(l->name, name, sizeof(name)), smsa_cause_name(l->cause));
    }
    family(b, "smsa_link_down_total", "counter", "Times the link went down.");
    for (size_t i = 0; i < m->n_links; i++) {
        const struct smsa_link *l = &m->links[i];
        put(b, "smsa_link_down_total{link=\"%u\",name=\"%s\"} %llu\n", l->index,
            esc(l->name, name, sizeof(name)), (unsigned long long)l->down_count);
    }
}

static void ntp(struct buf *b, const struct smsa_model *m)
{
    const struct smsa_flow *f = &m->flows[7];
    char labels[900];
    bool any = false;
    for (size_t i = 0; i < f->n_peers; i++)
        any |= f->peers[i]->ntp.valid;
    if (!any)
        return;
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"smsa_ntp_offset_seconds", "Server clock minus ours, last good reply (RFC 5905)."},
        {"smsa_ntp_delay_seconds", "Round-trip delay of the last good reply (RFC 5905)."},
        {"smsa_ntp_stratum", "Stratum of the last good reply."},
    };
    for (size_t k = 0; k < 3; k++) {
        family(b, fam[k].name, "gauge", fam[k].help);
        for (size_t i = 0; i < f->n_peers; i++) {
            const struct smsa_peer *p = f->peers[i];
            if (!p->ntp.valid)
                continue;
            peer_labels(p, labels, sizeof(labels));
            if (k == 0)
                put(b, "%s{%s} %.6f\n", fam[k].name, labels, (double)p->ntp.offset_us / 1e6);
            else if (k == 1)
                put(b, "%s{%s} %.6f\n", fam[k].name, labels, (double)p->ntp.delay_us / 1e6);
            else
                put(b, "%s{%s} %u\n", fam[k].name, labels, p->ntp.stratum);
        }
    }
}

static void updates(struct buf *b, const struct smsa_model *m)
{
    char purpose[200], host[600];
    if (m->n_updates == 0)
        return;
    family(b, "smsa_update_address_changes_total", "counter",
           "Times the resolved address set of an update host changed.");
    for (size_t i = 0; i < m->n_updates; i++) {
        const struct smsa_peer *p = m->updates[i];
        if (!p)
            continue;
        put(b,
            "smsa_update_address_changes_total{update=\"%zu\",purpose=\"%s\",host=\"%s\"} "
            "%llu\n",
            i + 1, esc(p->label, purpose, sizeof(purpose)), esc(p->host, host, sizeof(host)),
            (unsigned long long)p->addrset_changes);
    }
}

static bool any_peer(const struct smsa_model *m)
{
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        if (m->flows[i].n_peers)
            return true;
    return false;
}

char *httpf_metrics_text(const struct smsa_model *m, size_t *len)
{
    struct buf b = {.cap = 16384};
    b.s = malloc(b.cap);
    if (!b.s)
        return NULL;
    b.s[0] = 0;
    const struct cfg *c = m->cfg;
    char name[200];

    family(&b, "smsa_up", "gauge", "1 while the agent runs.");
    put(&b, "smsa_up 1\n");
    family(&b, "smsa_info", "gauge", "Appliance, role and agent version; always 1.");
    put(&b, "smsa_info{appliance=\"%s\",role=\"%s\",version=\"%s\"} 1\n",
        esc(c && c->name ? c->name : "", name, sizeof(name)),
        cat_role_name(c ? c->role : ROLE_CONTROL_CENTER), SMSA_VERSION);
    family(&b, "smsa_uptime_seconds", "gauge", "Seconds since the agent started.");
    put(&b, "smsa_uptime_seconds %lld\n",
        (long long)((loop_now_us() - m->started.mono_us) / 1000000));
    family(&b, "smsa_overall_state", "gauge", "1 for the appliance's overall state.");
    for (unsigned s = 0; s < ST_COUNT; s++)
        put(&b, "smsa_overall_state{state=\"%s\"} %d\n", smsa_state_name((enum smsa_state)s),
            m->overall == s ? 1 : 0);
    flows(&b, m);

    if (any_peer(m)) {
        static const struct {
            const char *name, *type, *help;
            peer_fn fn;
        } fam[] = {
            {"smsa_peer_up", "gauge", "1 while the peer answers on every address.", peer_up},
            {"smsa_peer_state", "gauge", "1 for the peer's current state.", peer_state},
            {"smsa_peer_cause", "gauge",
             "1, labelled with the cause of the peer's last verdict (none when up).", peer_cause},
            {"smsa_probe_duration_seconds", "gauge", "Round-trip time of the last good probe.",
             peer_rtt},
            {"smsa_probe_checks_total", "counter", "Probe rounds run against the peer.",
             peer_checks},
            {"smsa_probe_failures_total", "counter", "Probe rounds that failed.", peer_failures},
            {"smsa_peer_down_total", "counter", "Times the peer went down.", peer_downs},
            {"smsa_peer_addresses", "gauge", "Addresses the peer's host resolves to now.",
             peer_addrs},
            {"smsa_peer_address_changes_total", "counter",
             "Times the peer's resolved address set changed.", peer_addr_changes},
        };
        for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
            if (fam[k].fn == peer_rtt) {
                /* No sample until a probe answered: no family either (promtool dislikes an
                 * empty one less than a reader does a fake zero). */
                bool any = false;
                for (unsigned i = 0; i < CAT_NFLOWS && !any; i++)
                    for (size_t j = 0; j < m->flows[i].n_peers; j++)
                        if (m->flows[i].peers[j]->rtt_us >= 0 && m->flows[i].peers[j]->checks)
                            any = true;
                if (!any)
                    continue;
            }
            family(&b, fam[k].name, fam[k].type, fam[k].help);
            each_peer(&b, m, fam[k].fn);
        }
    }
    links(&b, m);
    ntp(&b, m);
    updates(&b, m);

    family(&b, "smsa_probes_total", "counter", "Probe rounds run, all peers.");
    put(&b, "smsa_probes_total %llu\n", (unsigned long long)m->probes_total);
    family(&b, "smsa_probe_rounds_failed_total", "counter", "Probe rounds failed, all peers.");
    put(&b, "smsa_probe_rounds_failed_total %llu\n", (unsigned long long)m->probe_failures_total);
    family(&b, "smsa_events_total", "counter", "Events raised by the core.");
    put(&b, "smsa_events_total %llu\n", (unsigned long long)m->events_total);
    family(&b, "smsa_generation", "gauge", "Model generation (the ETag's g part).");
    put(&b, "smsa_generation %llu\n", (unsigned long long)m->generation);
    family(&b, "smsa_config_generation", "gauge", "Configuration generation (the ETag's c part).");
    put(&b, "smsa_config_generation %llu\n", (unsigned long long)m->config_generation);

    struct loop_stats ls;
    loop_get_stats(&ls);
    family(&b, "smsa_loop_turns_total", "counter", "Wake-ups of the event loop.");
    put(&b, "smsa_loop_turns_total %llu\n", (unsigned long long)ls.turns);
    family(&b, "smsa_loop_turn_max_seconds", "gauge",
           "Longest time the event loop spent on one wake-up.");
    put(&b, "smsa_loop_turn_max_seconds %.6f\n", (double)ls.max_turn_us / 1e6);

    struct httpf_stats hs;
    httpf_get_stats(&hs);
    family(&b, "smsa_http_requests_total", "counter", "REST requests received.");
    put(&b, "smsa_http_requests_total %llu\n", (unsigned long long)hs.requests);
    family(&b, "smsa_http_client_errors_total", "counter", "REST responses with a 4xx status.");
    put(&b, "smsa_http_client_errors_total %llu\n", (unsigned long long)hs.responses_4xx);
    family(&b, "smsa_http_server_errors_total", "counter", "REST responses with a 5xx status.");
    put(&b, "smsa_http_server_errors_total %llu\n", (unsigned long long)hs.responses_5xx);
    family(&b, "smsa_http_forbidden_total", "counter", "Requests from outside http.allow.");
    put(&b, "smsa_http_forbidden_total %llu\n", (unsigned long long)hs.refused_clients);

    struct httpf_events_stats es;
    httpf_events_get_stats(&es);
    family(&b, "smsa_sse_clients", "gauge", "Clients connected to /api/v1/events.");
    put(&b, "smsa_sse_clients %u\n", es.clients);
    family(&b, "smsa_sse_events_sent_total", "counter", "Events queued to stream clients.");
    put(&b, "smsa_sse_events_sent_total %llu\n", (unsigned long long)es.sent);
    family(&b, "smsa_sse_dropped_clients_total", "counter",
           "Stream clients dropped because they read too slowly.");
    put(&b, "smsa_sse_dropped_clients_total %llu\n", (unsigned long long)es.dropped_clients);

    if (b.oom) {
        free(b.s);
        return NULL;
    }
    *len = b.len;
    return b.s;
}
