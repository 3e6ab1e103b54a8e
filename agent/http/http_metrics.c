/* GET /metrics: the Prometheus text exposition format 0.0.4, named after Prometheus's naming
 * guidelines and blackbox_exporter (probe_success → smsa_peer_up). Gauges of state are one-hot
 * over a "state" label; the current failure cause is the label of an _info gauge, so that
 * counters never change label sets. Appliance and role are on smsa_agent_info only: one series
 * that rules join on (docs/metrics.md), rather than two labels repeated on every line of a
 * page that has tens of thousands of them. The appliances of the fleet (this one and a
 * Control Center's scanners) are named by appliance_name, never by "appliance": rules join
 * with group_left(appliance, role), which would overwrite a scanner's name with the agent's.
 *
 * With 1,000 peers the page is over a megabyte, and every probe result moves the model, so
 * each scrape is built anew. It is built cheaply: the label sets, which change only with the
 * configuration, are escaped once per configuration generation; a scrape formats the shared
 * snapshot of its model generation (http_snapshot.c), so that the page is one consistent
 * picture, a piece at a time as the client reads, each piece a short loop turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_labels.h"
#include "loop.h"

/* ---- one scrape: the shared snapshot of the model, and the face's own counters ---- */

/* The counters of the face and the loop, taken with the snapshot. */
struct scalars {
    int64_t max_turn_us;
    uint64_t turns;
    uint64_t http_requests, http_4xx, http_5xx, http_refused, http_auth_failures;
    uint64_t sse_clients, sse_sent, sse_dropped;
};

enum section {
    S_HEAD,
    S_PEER_UP,
    S_PEER_STATE,
    S_PEER_CAUSE,
    S_PEER_RTT,
    S_PEER_CHECKS,
    S_PEER_FAILURES,
    S_PEER_DOWNS,
    S_PEER_ADDRS,
    S_PEER_ADDR_CHANGES,
    S_LINK_UP,
    S_LINK_CAUSE,
    S_LINK_DOWNS,
    S_APPL_STATE,
    S_APPL_CAUSE,
    S_APPL_CHECKS,
    S_APPL_CHECKS_DOWN,
    S_APPL_DOWNS,
    S_NTP,
    S_TLS,
    S_UPDATES,
    S_TAIL,
    S_END,
};

struct scrape {
    struct httpf_ctexts *texts;
    const struct httpf_labels *labels;
    struct httpf_snap *snap;
    struct scalars sc;
    /* where formatting stands */
    enum section sec;
    size_t i;
    bool headed;
};

static void scrape_free(void *arg)
{
    struct scrape *s = arg;
    httpf_ctexts_unref(s->texts);
    httpf_snap_unref(s->snap);
    free(s);
}

static struct scrape *scrape_take(const struct smsa_model *m)
{
    struct scrape *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->texts = httpf_labels_get(m);
    s->labels = s->texts ? s->texts->part[HTTPF_CTEXT_LABELS] : NULL;
    s->snap = s->labels ? httpf_snap_get(m) : NULL;
    if (!s->snap || s->snap->n_peers != s->labels->n_peers ||
        s->snap->n_links != s->labels->n_links || s->snap->n_updates != s->labels->n_updates ||
        s->snap->n_appliances != s->labels->n_appliances) {
        scrape_free(s);
        return NULL;
    }
    struct scalars *sc = &s->sc;
    struct loop_stats ls;
    loop_get_stats(&ls);
    sc->turns = ls.turns;
    sc->max_turn_us = ls.max_turn_us;
    struct httpf_stats hs;
    httpf_get_stats(&hs);
    sc->http_requests = hs.requests;
    sc->http_4xx = hs.responses_4xx;
    sc->http_5xx = hs.responses_5xx;
    sc->http_refused = hs.refused_clients;
    sc->http_auth_failures = hs.auth_failures;
    struct httpf_events_stats es;
    httpf_events_get_stats(&es);
    sc->sse_clients = es.clients;
    sc->sse_sent = es.sent;
    sc->sse_dropped = es.dropped_clients;
    return s;
}

/* ---- formatting ---- */

static void family(struct httpf_buf *b, const char *name, const char *type, const char *help)
{
    httpf_puts(b, "# HELP ");
    httpf_puts(b, name);
    httpf_put(b, " ", 1);
    httpf_puts(b, help);
    httpf_puts(b, "\n# TYPE ");
    httpf_puts(b, name);
    httpf_put(b, " ", 1);
    httpf_puts(b, type);
    httpf_put(b, "\n", 1);
}

static void put_span(struct httpf_buf *b, const struct httpf_labels *l, struct httpf_span sp)
{
    httpf_put(b, l->text.s + sp.off, sp.len);
}

/* "name{labels} ", the value to follow */
static void series(struct httpf_buf *b, const char *name, const struct httpf_labels *l,
                   struct httpf_span sp)
{
    httpf_puts(b, name);
    httpf_put(b, "{", 1);
    put_span(b, l, sp);
    httpf_put(b, "} ", 2);
}

static void line_u(struct httpf_buf *b, const char *name, uint64_t v)
{
    httpf_puts(b, name);
    httpf_put(b, " ", 1);
    httpf_put_u64(b, v);
    httpf_put(b, "\n", 1);
}

static void end_u(struct httpf_buf *b, uint64_t v)
{
    httpf_put_u64(b, v);
    httpf_put(b, "\n", 1);
}

/* `name{state="x"} 0|1` for every state, state="..." after prefix labels if any. */
static void one_hot(struct httpf_buf *b, const char *name, const struct httpf_labels *l,
                    const struct httpf_span *sp, unsigned current)
{
    for (unsigned st = 0; st < ST_COUNT; st++) {
        httpf_puts(b, name);
        httpf_put(b, "{", 1);
        if (sp) {
            put_span(b, l, *sp);
            httpf_put(b, ",", 1);
        }
        httpf_puts(b, "state=\"");
        httpf_puts(b, smsa_state_name((enum smsa_state)st));
        httpf_puts(b, current == st ? "\"} 1\n" : "\"} 0\n");
    }
}

static void put_head(const struct scrape *s, struct httpf_buf *b)
{
    const struct httpf_labels *l = s->labels;
    family(b, "smsa_agent_info", "gauge",
           "Always 1: the appliance, its role, the placement and the agent version, for joins.");
    series(b, "smsa_agent_info", l, l->info);
    httpf_puts(b, "1\n");
    family(b, "smsa_agent_start_time_seconds", "gauge",
           "When the agent started, seconds since the Unix epoch.");
    httpf_puts(b, "smsa_agent_start_time_seconds ");
    put_span(b, l, l->start);
    httpf_put(b, "\n", 1);
    family(b, "smsa_appliance_state", "gauge", "1 for the appliance's overall state.");
    one_hot(b, "smsa_appliance_state", l, NULL, s->snap->overall);
    family(b, "smsa_flow_state", "gauge",
           "1 for the current state of each flow of the vendor's port table (TECH85204) and "
           "of each extra flow.");
    for (size_t i = 0; i < s->snap->n_flows && i < l->n_flows; i++)
        one_hot(b, "smsa_flow_state", l, &l->flow[i], s->snap->flows[i].state);
}

static const struct {
    const char *name, *type, *help;
} peer_family[] = {
    [S_PEER_UP] = {"smsa_peer_up", "gauge", "1 while the peer answers on every address."},
    [S_PEER_STATE] = {"smsa_peer_state", "gauge", "1 for the peer's current state."},
    [S_PEER_CAUSE] = {"smsa_peer_cause_info", "gauge",
                      "Always 1, labelled with the cause of the peer's state (none when up)."},
    [S_PEER_RTT] = {"smsa_peer_last_success_rtt_seconds", "gauge",
                    "Round-trip time of the peer's last round in which an address answered "
                    "(its fastest address); kept while later rounds fail."},
    [S_PEER_CHECKS] = {"smsa_peer_rounds_total", "counter",
                       "Probe rounds run against the peer (every address once a round)."},
    [S_PEER_FAILURES] = {"smsa_peer_failed_rounds_total", "counter",
                         "Probe rounds in which no address of the peer answered."},
    [S_PEER_DOWNS] = {"smsa_peer_downs_total", "counter", "Times the peer's state became down."},
    [S_PEER_ADDRS] = {"smsa_peer_addresses", "gauge", "Addresses the peer's host resolves to now."},
    [S_PEER_ADDR_CHANGES] = {"smsa_peer_address_changes_total", "counter",
                             "Times the peer's resolved address set changed."},
};

static void put_peer(const struct scrape *s, struct httpf_buf *b, enum section sec, size_t i)
{
    const struct httpf_labels *l = s->labels;
    const struct httpf_peer_view *p = &s->snap->peers[i];
    const char *name = peer_family[sec].name;
    struct httpf_span sp = l->peer[i];
    switch (sec) {
    case S_PEER_UP:
        series(b, name, l, sp);
        end_u(b, p->state == ST_UP);
        break;
    case S_PEER_STATE:
        one_hot(b, name, l, &sp, p->state);
        break;
    case S_PEER_CAUSE:
        httpf_puts(b, name);
        httpf_put(b, "{", 1);
        put_span(b, l, sp);
        httpf_puts(b, ",cause=\"");
        httpf_puts(b, smsa_cause_name((enum smsa_cause)p->cause));
        httpf_puts(b, "\"} 1\n");
        break;
    case S_PEER_RTT:
        if (p->rtt_us >= 0 && p->checks > 0) {
            series(b, name, l, sp);
            httpf_put_seconds_us(b, p->rtt_us);
            httpf_put(b, "\n", 1);
        }
        break;
    case S_PEER_CHECKS:
        series(b, name, l, sp);
        end_u(b, p->checks);
        break;
    case S_PEER_FAILURES:
        series(b, name, l, sp);
        end_u(b, p->failures);
        break;
    case S_PEER_DOWNS:
        series(b, name, l, sp);
        end_u(b, p->downs);
        break;
    case S_PEER_ADDRS:
        series(b, name, l, sp);
        end_u(b, p->n_addrs);
        break;
    default:
        series(b, name, l, sp);
        end_u(b, p->addr_changes);
        break;
    }
}

static void put_link(const struct scrape *s, struct httpf_buf *b, enum section sec, size_t i)
{
    const struct httpf_labels *l = s->labels;
    const struct httpf_link_view *n = &s->snap->links[i];
    switch (sec) {
    case S_LINK_UP:
        httpf_puts(b, "smsa_link_up{");
        put_span(b, l, l->link[i]);
        httpf_puts(b, n->state == ST_UP ? "} 1\n" : "} 0\n");
        break;
    case S_LINK_CAUSE:
        httpf_puts(b, "smsa_link_cause_info{");
        put_span(b, l, l->link[i]);
        httpf_puts(b, ",cause=\"");
        httpf_puts(b, smsa_cause_name((enum smsa_cause)n->cause));
        httpf_puts(b, "\"} 1\n");
        break;
    default:
        series(b, "smsa_link_downs_total", l, l->link[i]);
        end_u(b, n->downs);
        break;
    }
}

static const struct {
    const char *name, *type, *help;
} appl_family[] = {
    [S_APPL_STATE] = {"smsa_fleet_appliance_state", "gauge",
                      "1 for the state of each appliance of the fleet: up when every check that "
                      "concerns it is up, degraded when some fail, down when none answers."},
    [S_APPL_CAUSE] = {"smsa_fleet_appliance_cause_info", "gauge",
                      "Always 1, labelled with the cause of the appliance's worst check."},
    [S_APPL_CHECKS] = {"smsa_fleet_appliance_checks", "gauge",
                       "Checks that concern the appliance (its inbound flows, and a scanner's "
                       "flows from the Control Center)."},
    [S_APPL_CHECKS_DOWN] = {"smsa_fleet_appliance_checks_down", "gauge",
                            "Checks that concern the appliance and are down."},
    [S_APPL_DOWNS] = {"smsa_fleet_appliance_downs_total", "counter",
                      "Times the appliance's state became down."},
};

static void put_appliance(const struct scrape *s, struct httpf_buf *b, enum section sec, size_t i)
{
    const struct httpf_labels *l = s->labels;
    const struct httpf_appliance_view *a = &s->snap->appliances[i];
    const char *name = appl_family[sec].name;
    switch (sec) {
    case S_APPL_STATE:
        one_hot(b, name, l, &l->appliance[i], a->state);
        break;
    case S_APPL_CAUSE:
        httpf_puts(b, name);
        httpf_put(b, "{", 1);
        put_span(b, l, l->appliance[i]);
        httpf_puts(b, ",cause=\"");
        httpf_puts(b, smsa_cause_name((enum smsa_cause)a->cause));
        httpf_puts(b, "\"} 1\n");
        break;
    case S_APPL_CHECKS:
        series(b, name, l, l->appliance[i]);
        end_u(b, a->checks);
        break;
    case S_APPL_CHECKS_DOWN:
        series(b, name, l, l->appliance[i]);
        end_u(b, a->down);
        break;
    default:
        series(b, name, l, l->appliance[i]);
        end_u(b, a->downs);
        break;
    }
}

static void put_ntp(const struct scrape *s, struct httpf_buf *b)
{
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"smsa_ntp_offset_seconds",
         "Server clock minus ours, from the last valid reply (RFC 5905)."},
        {"smsa_ntp_delay_seconds", "Round-trip delay of the last valid reply (RFC 5905)."},
        {"smsa_ntp_stratum", "Stratum of the last valid reply."},
    };
    const struct smsa_clock *clock = &s->snap->clock;
    family(b, "smsa_clock_state", "gauge",
           "1 for the verdict on this host's clock: the NTP servers' median offset against "
           "ntp.max_offset_ms.");
    one_hot(b, "smsa_clock_state", s->labels, NULL, clock->state);
    if (clock->has_offset) {
        family(b, "smsa_clock_offset_seconds", "gauge",
               "Median offset of the NTP servers that answered: server clock minus ours.");
        httpf_puts(b, "smsa_clock_offset_seconds ");
        httpf_put_seconds_us(b, clock->offset_us);
        httpf_put(b, "\n", 1);
    }
    if (!s->snap->any_ntp)
        return;
    for (size_t k = 0; k < 3; k++) {
        family(b, fam[k].name, "gauge", fam[k].help);
        for (size_t i = 0; i < s->snap->n_peers; i++) {
            const struct httpf_peer_view *p = &s->snap->peers[i];
            if (!p->ntp_valid)
                continue;
            series(b, fam[k].name, s->labels, s->labels->peer[i]);
            if (k == 2) {
                end_u(b, p->stratum);
                continue;
            }
            httpf_put_seconds_us(b, k == 0 ? p->ntp_offset_us : p->ntp_delay_us);
            httpf_put(b, "\n", 1);
        }
    }
}

/* The certificate of each peer that showed one (the first of its addresses to expire), as
 * blackbox_exporter's probe_ssl_last_chain_expiry_timestamp_seconds: rules compare it with
 * time(). */
static void put_tls(const struct scrape *s, struct httpf_buf *b)
{
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"smsa_tls_certificate_not_after_seconds",
         "Not-after of the peer's leaf certificate (the first of its addresses' to expire), "
         "seconds since the epoch."},
        {"smsa_tls_certificate_verified",
         "1 when the peer's certificate verifies against the system's trust store and its "
         "host name."},
        {"smsa_tls_certificate_sha1", "1 when the peer's certificate is signed with SHA-1."},
    };
    if (s->snap->n_tls == 0)
        return;
    for (size_t k = 0; k < 3; k++) {
        family(b, fam[k].name, "gauge", fam[k].help);
        for (size_t i = 0; i < s->snap->n_peers; i++) {
            const struct httpf_peer_view *p = &s->snap->peers[i];
            if (!p->tls_slot)
                continue;
            const struct smsa_tls *t = &s->snap->tls[p->tls_slot - 1];
            series(b, fam[k].name, s->labels, s->labels->peer[i]);
            if (k == 0) {
                httpf_put_i64(b, t->not_after);
                httpf_put(b, "\n", 1);
            } else {
                end_u(b, k == 1 ? t->verified : t->sha1);
            }
        }
    }
}

static void put_tail(const struct scrape *s, struct httpf_buf *b)
{
    const struct scalars *sc = &s->sc;
    family(b, "smsa_probes_total", "counter",
           "Probes sent, one per address of every peer's round.");
    line_u(b, "smsa_probes_total", s->snap->probes);
    family(b, "smsa_probe_failures_total", "counter", "Probes that got no good answer.");
    line_u(b, "smsa_probe_failures_total", s->snap->probe_failures);
    family(b, "smsa_events_total", "counter", "Events raised by the core.");
    line_u(b, "smsa_events_total", s->snap->events);
    family(b, "smsa_model_generation", "gauge",
           "Model generation: moves with every change of state.");
    line_u(b, "smsa_model_generation", s->snap->gen);
    family(b, "smsa_config_generation", "gauge",
           "Configuration generation: moves with every change.");
    line_u(b, "smsa_config_generation", s->snap->cgen);
    family(b, "smsa_loop_turns_total", "counter", "Wake-ups of the event loop.");
    line_u(b, "smsa_loop_turns_total", sc->turns);
    family(b, "smsa_loop_turn_max_seconds", "gauge",
           "Longest time the event loop spent on one wake-up since the agent started.");
    httpf_puts(b, "smsa_loop_turn_max_seconds ");
    httpf_put_seconds_us(b, sc->max_turn_us);
    httpf_put(b, "\n", 1);
    family(b, "smsa_http_requests_total", "counter", "REST requests received.");
    line_u(b, "smsa_http_requests_total", sc->http_requests);
    family(b, "smsa_http_client_errors_total", "counter", "REST responses with a 4xx status.");
    line_u(b, "smsa_http_client_errors_total", sc->http_4xx);
    family(b, "smsa_http_server_errors_total", "counter", "REST responses with a 5xx status.");
    line_u(b, "smsa_http_server_errors_total", sc->http_5xx);
    family(b, "smsa_http_refused_clients_total", "counter",
           "Clients from outside http.allow, refused.");
    line_u(b, "smsa_http_refused_clients_total", sc->http_refused);
    family(b, "smsa_http_auth_failures_total", "counter",
           "REST requests and logins with a wrong token or session.");
    line_u(b, "smsa_http_auth_failures_total", sc->http_auth_failures);
    family(b, "smsa_sse_clients", "gauge", "Clients connected to /api/v1/events.");
    line_u(b, "smsa_sse_clients", sc->sse_clients);
    family(b, "smsa_sse_events_sent_total", "counter", "Events queued to stream clients.");
    line_u(b, "smsa_sse_events_sent_total", sc->sse_sent);
    family(b, "smsa_sse_dropped_clients_total", "counter",
           "Stream clients dropped because they read too slowly.");
    line_u(b, "smsa_sse_dropped_clients_total", sc->sse_dropped);
}

/* Items in a section, or 0 when the section has no family at all: no sample, no family
 * (promtool dislikes an empty one less than a reader does a fake zero). */
static size_t section_items(const struct scrape *s, enum section sec)
{
    if (sec >= S_PEER_UP && sec <= S_PEER_ADDR_CHANGES)
        return sec == S_PEER_RTT && !s->snap->any_rtt ? 0 : s->snap->n_peers;
    if (sec >= S_LINK_UP && sec <= S_LINK_DOWNS)
        return s->snap->n_links;
    if (sec >= S_APPL_STATE && sec <= S_APPL_DOWNS)
        return s->snap->n_appliances;
    return s->snap->n_updates;
}

static void section_head(struct httpf_buf *b, enum section sec)
{
    if (sec >= S_PEER_UP && sec <= S_PEER_ADDR_CHANGES)
        family(b, peer_family[sec].name, peer_family[sec].type, peer_family[sec].help);
    else if (sec == S_LINK_UP)
        family(b, "smsa_link_up", "gauge",
               "1 while the Control Center-Scanner link is up, 0 when down or not yet checked.");
    else if (sec == S_LINK_CAUSE)
        family(b, "smsa_link_cause_info", "gauge",
               "Always 1, labelled with the cause of the link's state (none when up).");
    else if (sec == S_LINK_DOWNS)
        family(b, "smsa_link_downs_total", "counter", "Times the link's state became down.");
    else if (sec >= S_APPL_STATE && sec <= S_APPL_DOWNS)
        family(b, appl_family[sec].name, appl_family[sec].type, appl_family[sec].help);
    else
        family(b, "smsa_update_address_changes_total", "counter",
               "Times the resolved address set of an update host changed.");
}

static void section_item(const struct scrape *s, struct httpf_buf *b, enum section sec, size_t i)
{
    if (sec <= S_PEER_ADDR_CHANGES) {
        put_peer(s, b, sec, i);
    } else if (sec <= S_LINK_DOWNS) {
        put_link(s, b, sec, i);
    } else if (sec <= S_APPL_DOWNS) {
        put_appliance(s, b, sec, i);
    } else if (s->labels->update[i].len) {
        series(b, "smsa_update_address_changes_total", s->labels, s->labels->update[i]);
        end_u(b, s->snap->update_changes[i]);
    }
}

static bool scrape_fill(void *arg, struct httpf_buf *b)
{
    struct scrape *s = arg;
    while (b->len < HTTPF_PIECE && !b->oom) {
        switch (s->sec) {
        case S_HEAD:
            put_head(s, b);
            s->sec++;
            break;
        case S_NTP:
            put_ntp(s, b);
            s->sec++;
            break;
        case S_TLS:
            put_tls(s, b);
            s->sec++;
            break;
        case S_TAIL:
            put_tail(s, b);
            s->sec++;
            break;
        case S_END:
            return true;
        default: {
            size_t n = section_items(s, s->sec);
            if (n && !s->headed)
                section_head(b, s->sec);
            s->headed = true;
            while (s->i < n && b->len < HTTPF_PIECE)
                section_item(s, b, s->sec, s->i++);
            if (s->i == n) {
                s->sec++;
                s->i = 0;
                s->headed = false;
            }
        }
        }
    }
    return s->sec == S_END;
}

int httpf_metrics_take(const struct smsa_model *m, unsigned arg, struct httpf_source *out)
{
    (void)arg;
    struct scrape *s = scrape_take(m);
    if (!s)
        return -1;
    /* The counters move with every request: never served again. */
    *out = (struct httpf_source){.state = s, .fill = scrape_fill, .free_fn = scrape_free};
    return 0;
}
