/* One writer per object of the REST documents: every resource that shows an address, a peer,
 * a flow, a link, an NTP server, an update source or the status writes it here, and
 * `--preflight --json` prints the same flows. Names, order and shapes are those of
 * api/openapi.yaml; change both together. Written as text rather than built as jansson trees:
 * /api/v1/flows is megabytes with thousands of peers, and a tree per request cost the loop a
 * turn of 100 ms. */
#include <stdio.h>
#include <string.h>

#include "http_internal.h"
#include "loop.h"

/* "k": (the comma before it is the caller's) */
static void key(struct httpf_buf *b, const char *k)
{
    httpf_put(b, "\"", 1);
    httpf_puts(b, k);
    httpf_put(b, "\":", 2);
}

static void key_u(struct httpf_buf *b, const char *k, uint64_t v)
{
    key(b, k);
    httpf_put_u64(b, v);
}

static void key_s(struct httpf_buf *b, const char *k, const char *v)
{
    key(b, k);
    httpf_put_json_str(b, v);
}

static void put_ms_or_null(struct httpf_buf *b, int64_t us)
{
    if (us < 0)
        httpf_put(b, "null", 4);
    else
        httpf_put_json_ms(b, us);
}

/* "<state>","cause":"..","detail":"..","since":.. — the caller has written the opening
 * quote of state. */
static void put_state(struct httpf_buf *b, unsigned state, unsigned cause, const char *detail,
                      int64_t since)
{
    httpf_puts(b, smsa_state_name((enum smsa_state)state));
    httpf_puts(b, "\",\"cause\":\"");
    httpf_puts(b, smsa_cause_name((enum smsa_cause)cause));
    httpf_puts(b, "\",\"detail\":");
    httpf_put_json_str(b, detail);
    httpf_puts(b, ",\"since\":");
    httpf_put_json_stamp(b, since);
}

/* put_state, then ,"rtt_ms":..,"checks":..,"failures":.. — what a peer and each of its
 * addresses both report. */
static void put_status(struct httpf_buf *b, unsigned state, unsigned cause, const char *detail,
                       int64_t since, int64_t rtt_us, uint64_t checks, uint64_t failures)
{
    put_state(b, state, cause, detail, since);
    httpf_puts(b, ",\"rtt_ms\":");
    put_ms_or_null(b, rtt_us);
    httpf_puts(b, ",\"checks\":");
    httpf_put_u64(b, checks);
    httpf_puts(b, ",\"failures\":");
    httpf_put_u64(b, failures);
}

/* ["a","b"] from a space-separated list. */
static void put_words(struct httpf_buf *b, const char *list)
{
    httpf_put(b, "[", 1);
    for (const char *t = list; *t;) {
        size_t n = strcspn(t, " ");
        if (t != list)
            httpf_put(b, ",", 1);
        char word[sizeof(((struct smsa_tls *)0)->sans)];
        snprintf(word, sizeof(word), "%.*s", (int)n, t);
        httpf_put_json_str(b, word);
        t += n;
        while (*t == ' ')
            t++;
    }
    httpf_put(b, "]", 1);
}

void httpf_json_tls(struct httpf_buf *b, const struct smsa_tls *t, bool expiry)
{
    httpf_put(b, "{", 1);
    key_s(b, "version", t->version);
    httpf_put(b, ",", 1);
    key_s(b, "subject", t->subject);
    httpf_puts(b, ",\"sans\":");
    put_words(b, t->sans);
    httpf_put(b, ",", 1);
    key_s(b, "issuer", t->issuer);
    httpf_puts(b, ",\"not_before\":");
    httpf_put_json_stamp(b, t->not_before * 1000000);
    httpf_puts(b, ",\"not_after\":");
    httpf_put_json_stamp(b, t->not_after * 1000000);
    httpf_puts(b, ",\"days_left\":");
    httpf_put_i64(b, t->days_left);
    httpf_put(b, ",", 1);
    key_s(b, "signature_algorithm", t->sig_alg);
    httpf_puts(b, t->sha1 ? ",\"sha1\":true" : ",\"sha1\":false");
    httpf_puts(b, t->verified ? ",\"verified\":true" : ",\"verified\":false");
    httpf_puts(b, ",\"verify_error\":");
    httpf_put_json_str_or_null(b, t->verify_error[0] ? t->verify_error : NULL);
    if (expiry) {
        httpf_put(b, ",", 1);
        key_s(b, "expiry", smsa_tls_expiry_name((enum smsa_tls_expiry)t->expiry));
    }
    httpf_put(b, "}", 1);
}

void httpf_json_addr(struct httpf_buf *b, const struct httpf_addr_view *a,
                     const struct smsa_tls *tls)
{
    httpf_put(b, "{", 1);
    key_s(b, "address", a->text);
    httpf_puts(b,
               a->ipv6 ? ",\"family\":\"ipv6\",\"state\":\"" : ",\"family\":\"ipv4\",\"state\":\"");
    put_status(b, a->state, a->cause, a->detail, a->since, a->rtt_us, a->checks, a->failures);
    if (a->tls_slot && tls) {
        httpf_puts(b, ",\"tls\":");
        httpf_json_tls(b, &tls[a->tls_slot - 1], false);
    }
    httpf_put(b, "}", 1);
}

/* The last NTP result and the Kiss-o'-Death handling: the members of a peer's "ntp" object
 * and of an NTP server's status alike. */
static void put_ntp_members(struct httpf_buf *b, const struct httpf_peer_view *p)
{
    if (!p->ntp_valid) {
        httpf_puts(b, "\"stratum\":null,\"offset_ms\":null,\"delay_ms\":null,\"refid\":");
        httpf_put_json_str_or_null(b, p->refid[0] ? p->refid : NULL);
        httpf_puts(b, ",\"leap\":null");
    } else {
        httpf_puts(b, "\"stratum\":");
        httpf_put_u64(b, p->stratum);
        httpf_puts(b, ",\"offset_ms\":");
        httpf_put_json_ms(b, p->ntp_offset_us);
        httpf_puts(b, ",\"delay_ms\":");
        httpf_put_json_ms(b, p->ntp_delay_us);
        httpf_puts(b, ",\"refid\":");
        httpf_put_json_str(b, p->refid);
        httpf_puts(b, ",\"leap\":");
        httpf_put_u64(b, p->leap);
    }
    httpf_puts(b, p->kod_stopped ? ",\"kod_stopped\":true" : ",\"kod_stopped\":false");
    httpf_puts(b, ",\"poll_multiplier\":");
    httpf_put_u64(b, p->poll_multiplier);
}

void httpf_json_flow_head(struct httpf_buf *b, const struct smsa_flow *f)
{
    httpf_put(b, "{", 1);
    key_u(b, "id", f->def->id);
    httpf_put(b, ",", 1);
    key_u(b, "port", f->def->port);
    httpf_put(b, ",", 1);
    key_s(b, "protocol", cat_proto_name(f->def->proto));
    httpf_put(b, ",", 1);
    key_s(b, "from", f->def->from);
    httpf_put(b, ",", 1);
    key_s(b, "to", f->def->to);
    httpf_put(b, ",", 1);
    key_s(b, "purpose", f->def->purpose);
    httpf_put(b, ",", 1);
    key_s(b, "direction", cat_direction_name(f->direction));
    httpf_put(b, ",", 1);
    key_s(b, "measured_from", smsa_measured_from_name(f->measured_from));
    httpf_put(b, ",", 1);
    key(b, "state");
}

void httpf_json_flow_state(struct httpf_buf *b, const struct httpf_flow_view *f)
{
    httpf_put(b, "\"", 1);
    httpf_puts(b, smsa_state_name((enum smsa_state)f->state));
    httpf_puts(b, "\",\"since\":");
    httpf_put_json_stamp(b, f->since);
    httpf_puts(b, ",\"peers\":[");
}

void httpf_json_peer_head(struct httpf_buf *b, const struct smsa_peer *p)
{
    httpf_put(b, "{", 1);
    key_u(b, "index", p->index);
    httpf_put(b, ",", 1);
    key_s(b, "host", p->host ? p->host : "");
    httpf_put(b, ",", 1);
    key_u(b, "port", p->port);
    httpf_put(b, ",", 1);
    key_s(b, "kind", cat_probe_kind_name(p->kind));
    httpf_put(b, ",", 1);
    key(b, "label");
    httpf_put_json_str_or_null(b, p->label);
    httpf_put(b, ",", 1);
    /* the appliance this check concerns, by name */
    const struct smsa_appliance *a = core_appliance(p->appliance_index);
    key(b, "appliance");
    httpf_put_json_str_or_null(b, a ? a->name : NULL);
    httpf_put(b, ",", 1);
    key(b, "enabled");
    httpf_puts(b, p->enabled ? "true," : "false,");
    /* the proxy the checks go through (probe.http_proxy): the addresses are its own */
    key(b, "via_proxy");
    httpf_put_json_str_or_null(b, p->via_proxy);
    httpf_put(b, ",", 1);
    key(b, "state");
}

/* ,"listening_on":["0.0.0.0","::1"] from the space-separated list. */
static void put_listening(struct httpf_buf *b, const char *list)
{
    httpf_puts(b, ",\"listening_on\":[");
    for (const char *t = list; *t;) {
        size_t n = strcspn(t, " ");
        char addr[64];
        snprintf(addr, sizeof(addr), "%.*s", (int)(n < sizeof(addr) ? n : sizeof(addr) - 1), t);
        if (t != list)
            httpf_put(b, ",", 1);
        httpf_put_json_str(b, addr);
        t += n;
        while (*t == ' ')
            t++;
    }
    httpf_put(b, "]", 1);
}

void httpf_json_peer_state(struct httpf_buf *b, const struct httpf_peer_view *p,
                           const struct httpf_addr_view *addrs, const char *listening,
                           const struct smsa_tls *tls)
{
    httpf_put(b, "\"", 1);
    put_status(b, p->state, p->cause, p->detail, p->since, p->rtt_us, p->checks, p->failures);
    httpf_puts(b, ",\"down_count\":");
    httpf_put_u64(b, p->downs);
    httpf_puts(b, ",\"address_changes\":");
    httpf_put_u64(b, p->addr_changes);
    httpf_puts(b, ",\"addresses_since\":");
    httpf_put_json_stamp(b, p->addrs_since);
    httpf_puts(b, ",\"addresses\":[");
    for (uint32_t i = 0; i < p->n_addrs; i++) {
        if (i)
            httpf_put(b, ",", 1);
        httpf_json_addr(b, &addrs[i], tls);
    }
    httpf_put(b, "]", 1);
    if (p->tls_slot && tls) {
        httpf_puts(b, ",\"tls\":");
        httpf_json_tls(b, &tls[p->tls_slot - 1], true);
    }
    if (listening)
        put_listening(b, listening);
    if (p->ntp) {
        httpf_puts(b, ",\"ntp\":{");
        put_ntp_members(b, p);
        httpf_put(b, "}", 1);
    }
    httpf_put(b, "}", 1);
}

/* The clock's verdict as the core derived it (model.clock); nothing is recomputed here. */
void httpf_json_clock(struct httpf_buf *b, const struct smsa_clock *c)
{
    httpf_puts(b, "{\"state\":\"");
    put_state(b, c->state, c->cause, c->detail, c->since.wall_us);
    httpf_puts(b, ",\"offset_ms\":");
    if (c->has_offset)
        httpf_put_json_ms(b, c->offset_us);
    else
        httpf_put(b, "null", 4);
    httpf_put(b, ",", 1);
    key_u(b, "answering", c->answering);
    httpf_put(b, ",", 1);
    key_s(b, "measured_from", c->measured_from ? c->measured_from : "appliance");
    httpf_put(b, "}", 1);
}

void httpf_json_ntp_server(struct httpf_buf *b, const struct smsa_peer *p)
{
    struct httpf_peer_view v = {0};
    httpf_peer_view_fill(&v, p);
    httpf_put(b, "{", 1);
    key_s(b, "host", p->host ? p->host : "");
    httpf_puts(b, ",\"port\":");
    httpf_put_u64(b, p->port);
    httpf_puts(b, ",\"state\":\"");
    put_state(b, v.state, v.cause, v.detail, v.since);
    httpf_put(b, ",", 1);
    put_ntp_members(b, &v);
    httpf_puts(b, ",\"addresses\":[");
    for (size_t i = 0; i < p->n_addrs; i++) {
        struct httpf_addr_view a = {0};
        httpf_addr_view_fill(&a, &p->addrs[i]);
        if (i)
            httpf_put(b, ",", 1);
        httpf_json_addr(b, &a, NULL);
    }
    httpf_puts(b, "]}");
}

void httpf_json_link(struct httpf_buf *b, const struct smsa_link *l)
{
    const struct smsa_peer *p = l->peer;
    const struct smsa_addr *a = core_link_address(l);
    httpf_put(b, "{", 1);
    key_u(b, "index", l->index);
    httpf_put(b, ",", 1);
    key_s(b, "name", l->name ? l->name : "");
    httpf_put(b, ",", 1);
    key(b, "host");
    httpf_put_json_str_or_null(b, p ? p->host : NULL);
    httpf_put(b, ",", 1);
    key(b, "address");
    httpf_put_json_str_or_null(b, a ? a->text : NULL);
    httpf_puts(b, ",\"port\":");
    if (p)
        httpf_put_u64(b, p->port);
    else
        httpf_put(b, "null", 4);
    httpf_puts(b, ",\"state\":\"");
    put_state(b, l->state, l->cause, l->detail, l->since.wall_us);
    httpf_puts(b, ",\"down_count\":");
    httpf_put_u64(b, l->down_count);
    httpf_put(b, "}", 1);
}

void httpf_json_update(struct httpf_buf *b, size_t index, const struct cfg_update *u,
                       const struct smsa_peer *p)
{
    httpf_put(b, "{", 1);
    key_u(b, "index", index);
    httpf_put(b, ",", 1);
    key_s(b, "purpose", u->purpose);
    httpf_put(b, ",", 1);
    key_s(b, "host", u->host);
    httpf_put(b, ",", 1);
    key_u(b, "port", u->port);
    httpf_puts(b, u->enabled ? ",\"enabled\":true," : ",\"enabled\":false,");
    key_u(b, "flow", cat_update_flow(u->purpose));
    httpf_puts(b, ",\"state\":\"");
    if (!p) {
        /* not probed: a disabled source, or one the model has not taken up yet */
        put_state(b, u->enabled ? ST_UNKNOWN : ST_DISABLED, CAUSE_NONE, "", 0);
        httpf_puts(b, ",\"rtt_ms\":null,\"addresses\":[],\"address_changes\":0,"
                      "\"addresses_since\":null}");
        return;
    }
    put_state(b, p->state, p->cause, p->detail, p->since.wall_us);
    httpf_puts(b, ",\"rtt_ms\":");
    put_ms_or_null(b, p->rtt_us);
    httpf_puts(b, ",\"addresses\":[");
    for (size_t j = 0; j < p->n_addrs; j++) {
        if (j)
            httpf_put(b, ",", 1);
        httpf_put_json_str(b, p->addrs[j].text);
    }
    httpf_puts(b, "],\"address_changes\":");
    httpf_put_u64(b, p->addrset_changes);
    httpf_puts(b, ",\"addresses_since\":");
    httpf_put_json_stamp(b, p->addrset_since.wall_us);
    httpf_put(b, "}", 1);
}

void httpf_json_scanner(struct httpf_buf *b, const struct smsa_model *m,
                        const struct cfg_scanner *s)
{
    /* "host" as configured (a port override included), so that it can be POSTed back. */
    char host[CFG_MAX_HOST + 16];
    cfg_peer_format(&s->peer, host, sizeof(host));
    httpf_put(b, "{", 1);
    key_s(b, "name", s->name);
    httpf_put(b, ",", 1);
    key_s(b, "host", host);
    httpf_put(b, ",", 1);
    key_u(b, "port", s->peer.port ? s->peer.port : cat_flow(CAT_FLOW_LINK_CC)->port);
    httpf_puts(b, ",\"link\":");
    const struct smsa_link *l = NULL;
    for (size_t i = 0; i < m->n_links && !l; i++)
        if (m->links[i].name && !strcmp(m->links[i].name, s->name))
            l = &m->links[i];
    if (l)
        httpf_json_link(b, l);
    else
        httpf_put(b, "null", 4);
    httpf_put(b, "}", 1);
}

static void put_counts(struct httpf_buf *b, const char *name, const unsigned *n)
{
    unsigned total = 0;
    httpf_puts(b, ",\"");
    httpf_puts(b, name);
    httpf_puts(b, "\":{");
    for (unsigned s = 0; s < ST_COUNT; s++) {
        key_u(b, smsa_state_name((enum smsa_state)s), n[s]);
        httpf_put(b, ",", 1);
        total += n[s];
    }
    key_u(b, "total", total);
    httpf_put(b, "}", 1);
}

void httpf_json_status(struct httpf_buf *b, const struct smsa_model *m)
{
    unsigned flows[ST_COUNT] = {0}, links[ST_COUNT] = {0}, peers[ST_COUNT] = {0};
    for (size_t i = 0; i < m->n_flows; i++) {
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
    unsigned appliances[ST_COUNT] = {0};
    for (size_t i = 0; i < m->n_appliances; i++)
        if ((unsigned)m->appliances[i].state < ST_COUNT)
            appliances[m->appliances[i].state]++;
    const struct cfg *c = m->cfg;
    int64_t up = (loop_now_us() - m->started.mono_us) / 1000000;
    httpf_put(b, "{", 1);
    key_s(b, "appliance", c && c->name ? c->name : "");
    httpf_put(b, ",", 1);
    key_s(b, "role", cat_role_name(c ? c->role : ROLE_CONTROL_CENTER));
    httpf_put(b, ",", 1);
    key_s(b, "placement", cfg_placement_name(c ? c->placement : PLACEMENT_ON_BOX));
    httpf_put(b, ",", 1);
    key_s(b, "vantage", core_vantage());
    httpf_put(b, ",", 1);
    key_s(b, "version", SMSA_VERSION);
    httpf_puts(b, ",\"started\":");
    httpf_put_json_stamp(b, m->started.wall_us);
    httpf_put(b, ",", 1);
    key_u(b, "uptime_seconds", (uint64_t)(up < 0 ? 0 : up));
    httpf_put(b, ",", 1);
    key_s(b, "overall", smsa_state_name(m->overall));
    httpf_put(b, ",", 1);
    key_u(b, "generation", m->generation);
    httpf_put(b, ",", 1);
    key_u(b, "config_generation", m->config_generation);
    put_counts(b, "flows", flows);
    put_counts(b, "peers", peers);
    put_counts(b, "links", links);
    put_counts(b, "appliances", appliances);
    httpf_put(b, ",", 1);
    key_u(b, "probes_total", m->probes_total);
    httpf_put(b, ",", 1);
    key_u(b, "probe_failures_total", m->probe_failures_total);
    httpf_put(b, ",", 1);
    key_u(b, "events_total", m->events_total);
    httpf_puts(b, ",\"pending_restart\":[");
    const char *const *keys;
    size_t n = core_pending_restart(&keys);
    for (size_t i = 0; i < n; i++) {
        if (i)
            httpf_put(b, ",", 1);
        httpf_put_json_str(b, keys[i]);
    }
    httpf_puts(b, "]}");
}

void httpf_json_appliance(struct httpf_buf *b, const struct smsa_appliance *a)
{
    httpf_put(b, "{", 1);
    key_u(b, "index", a->index);
    httpf_put(b, ",", 1);
    key_s(b, "name", a->name);
    httpf_put(b, ",", 1);
    key_s(b, "role", cat_role_name(a->role));
    httpf_puts(b, a->self ? ",\"self\":true," : ",\"self\":false,");
    key_s(b, "host", a->host);
    httpf_puts(b, ",\"addresses\":[");
    size_t n;
    const struct smsa_addr *addrs = core_appliance_addresses(a, &n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            httpf_put(b, ",", 1);
        httpf_put_json_str(b, addrs[i].text);
    }
    httpf_puts(b, "],\"state\":\"");
    put_state(b, a->state, a->cause, a->detail, a->since.wall_us);
    httpf_puts(b, ",\"down_count\":");
    httpf_put_u64(b, a->down_count);
    httpf_puts(b, ",\"counts\":{");
    key_u(b, "checks", a->n_checks);
    httpf_put(b, ",", 1);
    key_u(b, "up", a->n_up);
    httpf_put(b, ",", 1);
    key_u(b, "down", a->n_down);
    httpf_puts(b, "},\"checks\":[");
    for (size_t i = 0; i < a->n_checks; i++) {
        const struct smsa_peer *p = a->checks[i];
        httpf_puts(b, i ? ",{" : "{");
        key_u(b, "flow", p->flow_id);
        httpf_put(b, ",", 1);
        key_u(b, "peer", p->index);
        httpf_put(b, ",", 1);
        key_u(b, "port", p->port);
        httpf_put(b, ",", 1);
        key_s(b, "kind", cat_probe_kind_name(p->kind));
        httpf_puts(b, ",\"state\":\"");
        put_state(b, p->state, p->cause, p->detail, p->since.wall_us);
        httpf_put(b, "}", 1);
    }
    httpf_puts(b, "]}");
}
