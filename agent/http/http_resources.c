/* JSON documents of the REST face (SPEC §5), built from the core's model and configuration.
 * Field names and shapes are those of api/openapi.yaml; change both together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_internal.h"
#include "loop.h"

#define NTP_FLOW 8

void httpf_rfc3339(int64_t wall_us, char *buf, size_t len)
{
    if (wall_us <= 0) {
        buf[0] = 0;
        return;
    }
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((wall_us / 1000) % 1000));
}

/* null for a stamp that was never set (nothing has happened yet). */
static json_t *stamp(const struct smsa_stamp *s)
{
    char buf[40];
    httpf_rfc3339(s->wall_us, buf, sizeof(buf));
    return buf[0] ? json_string(buf) : json_null();
}

static json_t *ms_or_null(int64_t us)
{
    return us < 0 ? json_null() : json_real((double)us / 1000.0);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *count(uint64_t n)
{
    return json_integer((json_int_t)n);
}

static json_t *addr_json(const struct smsa_addr *a)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "address", a->text, "family",
                     a->family == AF_INET6 ? "ipv6" : "ipv4", "state", smsa_state_name(a->state),
                     "cause", smsa_cause_name(a->cause), "detail", a->detail, "since",
                     stamp(&a->since), "rtt_ms", ms_or_null(a->rtt_us), "checks", count(a->checks),
                     "failures", count(a->failures));
}

static json_t *addrs_json(const struct smsa_peer *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < p->n_addrs; i++)
        json_array_append_new(arr, addr_json(&p->addrs[i]));
    return arr;
}

static json_t *ntp_result_json(const struct smsa_ntp_result *r)
{
    if (!r->valid)
        return json_pack("{s:n, s:n, s:n, s:o, s:n}", "stratum", "offset_ms", "delay_ms", "refid",
                         r->refid[0] ? json_string(r->refid) : json_null(), "leap");
    return json_pack("{s:I, s:f, s:f, s:s, s:I}", "stratum", (json_int_t)r->stratum, "offset_ms",
                     (double)r->offset_us / 1000.0, "delay_ms", (double)r->delay_us / 1000.0,
                     "refid", r->refid, "leap", (json_int_t)r->leap);
}

static json_t *state_counts(const unsigned *n)
{
    json_t *o = json_object();
    unsigned total = 0;
    for (unsigned s = 0; s < ST_COUNT; s++) {
        json_object_set_new(o, smsa_state_name((enum smsa_state)s), json_integer(n[s]));
        total += n[s];
    }
    json_object_set_new(o, "total", json_integer(total));
    return o;
}

static json_t *pending_restart_json(void)
{
    const char *const *keys;
    size_t n = core_pending_restart(&keys);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(keys[i]));
    return a;
}

json_t *httpf_status_json(const struct smsa_model *m)
{
    unsigned flows[ST_COUNT] = {0}, links[ST_COUNT] = {0}, peers[ST_COUNT] = {0};
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        const struct smsa_flow *f = &m->flows[i];
        if ((unsigned)f->state < ST_COUNT)
            flows[f->state]++;
        for (size_t j = 0; j < f->n_peers; j++)
            if ((unsigned)f->peers[j]->state < ST_COUNT)
                peers[f->peers[j]->state]++;
    }
    for (size_t i = 0; i < m->n_links; i++)
        if ((unsigned)m->links[i].state < ST_COUNT)
            links[m->links[i].state]++;
    const struct cfg *c = m->cfg;
    int64_t up = (loop_now_us() - m->started.mono_us) / 1000000;
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:I, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "appliance",
        c && c->name ? c->name : "", "role", cat_role_name(c ? c->role : ROLE_CONTROL_CENTER),
        "version", SMSA_VERSION, "started", stamp(&m->started), "uptime_seconds",
        (json_int_t)(up < 0 ? 0 : up), "overall", smsa_state_name(m->overall), "generation",
        (json_int_t)m->generation, "config_generation", (json_int_t)m->config_generation, "flows",
        state_counts(flows), "peers", state_counts(peers), "links", state_counts(links),
        "probes_total", count(m->probes_total), "probe_failures_total",
        count(m->probe_failures_total), "events_total", count(m->events_total), "pending_restart",
        pending_restart_json());
}

static const char *link_address(const struct smsa_link *l)
{
    /* The address that answers, else the first one known. */
    const struct smsa_peer *p = l->peer;
    if (!p || p->n_addrs == 0)
        return NULL;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].state == ST_UP)
            return p->addrs[i].text;
    return p->addrs[0].text;
}

static json_t *link_json(const struct smsa_link *l)
{
    const struct smsa_peer *p = l->peer;
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o}", "index",
                     (json_int_t)l->index, "name", l->name ? l->name : "", "host",
                     str_or_null(p ? p->host : NULL), "address", str_or_null(link_address(l)),
                     "port", p ? json_integer(p->port) : json_null(), "state",
                     smsa_state_name(l->state), "cause", smsa_cause_name(l->cause), "detail",
                     l->detail, "since", stamp(&l->since), "down_count", count(l->down_count));
}

json_t *httpf_ntp_json(const struct smsa_model *m, const struct cfg *c)
{
    json_t *servers = json_array();
    for (size_t i = 0; i < c->ntp_servers.n; i++) {
        char buf[CFG_MAX_HOST + 16];
        cfg_peer_format(&c->ntp_servers.items[i], buf, sizeof(buf));
        json_array_append_new(servers, json_string(buf));
    }
    json_t *status = json_array();
    const struct smsa_flow *f = &m->flows[NTP_FLOW - 1];
    for (size_t i = 0; i < f->n_peers; i++) {
        const struct smsa_peer *p = f->peers[i];
        json_t *o = ntp_result_json(&p->ntp);
        json_object_set_new(o, "host", json_string(p->host ? p->host : ""));
        json_object_set_new(o, "port", json_integer(p->port));
        json_object_set_new(o, "state", json_string(smsa_state_name(p->state)));
        json_object_set_new(o, "cause", json_string(smsa_cause_name(p->cause)));
        json_object_set_new(o, "detail", json_string(p->detail));
        json_object_set_new(o, "since", stamp(&p->since));
        json_object_set_new(o, "kod", json_boolean(p->kod_stopped));
        json_object_set_new(o, "poll_multiplier", json_integer(p->poll_multiplier));
        json_object_set_new(o, "addresses", addrs_json(p));
        json_array_append_new(status, o);
    }
    return json_pack("{s:b, s:o, s:s, s:o}", "enabled", c->ntp_enabled, "servers", servers, "state",
                     smsa_state_name(f->state), "status", status);
}

json_t *httpf_updates_json(const struct smsa_model *m, const struct cfg *c)
{
    json_t *items = json_array();
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        const struct smsa_peer *p = i < m->n_updates ? m->updates[i] : NULL;
        json_t *o =
            json_pack("{s:I, s:s, s:s, s:I, s:b, s:I}", "index", (json_int_t)(i + 1), "purpose",
                      u->purpose, "host", u->host, "port", (json_int_t)u->port, "enabled",
                      u->enabled, "flow", (json_int_t)cat_update_flow(u->purpose));
        if (p) {
            json_t *addrs = json_array();
            for (size_t j = 0; j < p->n_addrs; j++)
                json_array_append_new(addrs, json_string(p->addrs[j].text));
            json_object_set_new(o, "state", json_string(smsa_state_name(p->state)));
            json_object_set_new(o, "cause", json_string(smsa_cause_name(p->cause)));
            json_object_set_new(o, "detail", json_string(p->detail));
            json_object_set_new(o, "since", stamp(&p->since));
            json_object_set_new(o, "rtt_ms", ms_or_null(p->rtt_us));
            json_object_set_new(o, "addresses", addrs);
            json_object_set_new(o, "address_changes", count(p->addrset_changes));
            json_object_set_new(o, "addresses_since", stamp(&p->addrset_since));
        } else {
            json_object_set_new(
                o, "state", json_string(smsa_state_name(u->enabled ? ST_UNKNOWN : ST_DISABLED)));
            json_object_set_new(o, "cause", json_string(smsa_cause_name(CAUSE_NONE)));
            json_object_set_new(o, "detail", json_string(""));
            json_object_set_new(o, "since", json_null());
            json_object_set_new(o, "rtt_ms", json_null());
            json_object_set_new(o, "addresses", json_array());
            json_object_set_new(o, "address_changes", json_integer(0));
            json_object_set_new(o, "addresses_since", json_null());
        }
        json_array_append_new(items, o);
    }
    return json_pack("{s:o}", "items", items);
}

static const struct smsa_link *link_named(const struct smsa_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_links; i++)
        if (m->links[i].name && !strcmp(m->links[i].name, name))
            return &m->links[i];
    return NULL;
}

static json_t *scanner_json(const struct smsa_model *m, const struct cfg_scanner *s)
{
    /* "host" as configured (a port override included), so that it can be POSTed back. */
    const struct smsa_link *l = link_named(m, s->name);
    char host[CFG_MAX_HOST + 16];
    cfg_peer_format(&s->peer, host, sizeof(host));
    return json_pack("{s:s, s:s, s:I, s:o}", "name", s->name, "host", host, "port",
                     (json_int_t)(s->peer.port ? s->peer.port : cat_flow(11)->port), "link",
                     l ? link_json(l) : json_null());
}

json_t *httpf_scanners_json(const struct smsa_model *m, const struct cfg *c)
{
    json_t *items = json_array();
    for (size_t i = 0; i < c->n_scanners; i++)
        json_array_append_new(items, scanner_json(m, &c->scanners[i]));
    return json_pack("{s:o}", "items", items);
}

json_t *httpf_scanner_json(const struct smsa_model *m, const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_scanners; i++)
        if (!strcmp(c->scanners[i].name, name))
            return scanner_json(m, &c->scanners[i]);
    return NULL;
}

/* Secrets never leave the box: the keys the configuration marks secret (SNMP communities,
 * USM passphrases) are masked. The token file is a path and is shown; its contents are not in
 * the configuration at all. */
json_t *httpf_config_json(const struct cfg *c)
{
    char *s = cfg_serialise_masked(c);
    if (!s)
        return NULL;
    json_t *doc = json_loads(s, 0, NULL);
    free(s);
    return doc;
}

json_t *httpf_event_json(const struct smsa_event *ev)
{
    char at[40];
    httpf_rfc3339(ev->at.wall_us, at, sizeof(at));
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)ev->seq, "kind",
                          smsa_event_kind_name(ev->kind), "at", at, "old_state",
                          smsa_state_name(ev->old_state), "new_state",
                          smsa_state_name(ev->new_state), "cause", smsa_cause_name(ev->cause));
    if (!o)
        return NULL;
    if (ev->flow_id)
        json_object_set_new(o, "flow", json_integer(ev->flow_id));
    if (ev->peer_index)
        json_object_set_new(o, "peer", json_integer(ev->peer_index));
    if (ev->link_index)
        json_object_set_new(o, "link", json_integer(ev->link_index));
    if (ev->update_index)
        json_object_set_new(o, "update", json_integer(ev->update_index));
    if (ev->port)
        json_object_set_new(o, "port", json_integer(ev->port));
    if (ev->name[0])
        json_object_set_new(o, "name", json_stringn(ev->name, strnlen(ev->name, sizeof(ev->name))));
    if (ev->host[0])
        json_object_set_new(o, "host", json_stringn(ev->host, strnlen(ev->host, sizeof(ev->host))));
    if (ev->address[0])
        json_object_set_new(o, "address", json_string(ev->address));
    if (ev->detail[0])
        json_object_set_new(o, "detail",
                            json_stringn(ev->detail, strnlen(ev->detail, sizeof(ev->detail))));
    if (ev->kind == EV_ADDRSET) {
        json_t *arr = json_array();
        char buf[sizeof(ev->addresses) + 1];
        memcpy(buf, ev->addresses, sizeof(ev->addresses));
        buf[sizeof(ev->addresses)] = 0;
        char *save = NULL;
        for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
            json_array_append_new(arr, json_string(t));
        json_object_set_new(o, "addresses", arr);
    }
    return o;
}
