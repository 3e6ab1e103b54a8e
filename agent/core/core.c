#include "core.h"

#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

#include "appliances.h"
#include "indexes.h"
#include "log.h"
#include "loop.h"
#include "ntpclock.h"
#include "probe_tls.h"

struct subscriber {
    core_event_cb cb;
    void *arg;
};

static struct smsa_model model;
static const struct core_prober *prober;
static struct cfg *running;
static char *config_path;
static struct subscriber *subs;
static size_t n_subs;
static uint64_t event_seq;

/* The configuration as written in the file when it holds restart keys (http.listen, ...)
 * that differ from the running ones; NULL when nothing waits for a restart. */
static struct cfg *wanted;
#define MAX_PENDING 32
static const char *pending[MAX_PENDING];
static size_t n_pending;

static struct idx_map *indexes;
static char *index_path;     /* state_dir/indexes.json */
static bool index_unsaved;   /* the last save failed: warned once until one succeeds */
static bool index_read_only; /* a one-shot run: the map is never written */

const char *smsa_state_name(enum smsa_state s)
{
    static const char *const n[ST_COUNT] = {"unknown",  "up",           "degraded",      "down",
                                            "disabled", "unconfigured", "not-applicable"};
    return (unsigned)s < ST_COUNT ? n[s] : "unknown";
}

const char *smsa_cause_name(enum smsa_cause c)
{
    static const char *const n[CAUSE_COUNT] = {"none",          "timeout",       "refused",
                                               "unreachable",   "dns-failure",   "protocol-error",
                                               "kiss-of-death", "not-listening", "error",
                                               "loopback-only", "prohibited",    "offset"};
    return (unsigned)c < CAUSE_COUNT ? n[c] : "error";
}

const char *smsa_event_kind_name(enum smsa_event_kind k)
{
    static const char *const n[] = {"peer",   "flow",  "link",      "ntp", "addrset",
                                    "config", "clock", "appliance", "tls"};
    return (unsigned)k <= EV_TLS ? n[k] : "?";
}

const char *smsa_tls_expiry_name(enum smsa_tls_expiry e)
{
    static const char *const n[] = {"none", "soon", "expired"};
    return (unsigned)e <= TLS_EXPIRY_EXPIRED ? n[e] : "?";
}

static struct smsa_stamp stamp_now(void)
{
    return (struct smsa_stamp){.wall_us = loop_wall_us(), .mono_us = loop_now_us()};
}

const struct smsa_model *core_model(void)
{
    return &model;
}

const struct cfg *core_config(void)
{
    return running;
}

const char *core_config_path(void)
{
    return config_path;
}

int core_subscribe(core_event_cb cb, void *arg)
{
    struct subscriber *p = realloc(subs, (n_subs + 1) * sizeof(*p));
    if (!p)
        return -1;
    subs = p;
    subs[n_subs++] = (struct subscriber){cb, arg};
    return 0;
}

void core_unsubscribe(core_event_cb cb, void *arg)
{
    for (size_t i = 0; i < n_subs; i++) {
        if (subs[i].cb == cb && subs[i].arg == arg) {
            memmove(subs + i, subs + i + 1, (n_subs - i - 1) * sizeof(*subs));
            n_subs--;
            return;
        }
    }
}

static void log_event(const struct smsa_event *ev)
{
    /* Quoted fields carry peers' words (banners, replies): escaped, one helper (log_quote). */
    char detail[LOG_QUOTED_SIZE(SMSA_DETAIL_TEXT)], purpose[256];
    log_quote(detail, sizeof(detail), ev->detail);
    switch (ev->kind) {
    case EV_LINK:
        log_info("event link index=%u name=%s state=%s cause=%s address=%s detail=\"%s\"",
                 ev->link_index, ev->name, smsa_state_name(ev->new_state),
                 smsa_cause_name(ev->cause), ev->address[0] ? ev->address : "-", detail);
        break;
    case EV_PEER: {
        /* A round trip is only shown when one was measured (a refused probe has none). */
        char rtt[40] = "";
        if (ev->rtt_us >= 0)
            snprintf(rtt, sizeof(rtt), " rtt_us=%" PRId64, ev->rtt_us);
        const struct cat_flow *cf = cat_flow(ev->flow_id);
        log_info("event peer flow=%u peer=%u host=%s port=%u state=%s cause=%s%s detail=\"%s\" "
                 "purpose=\"%s\"",
                 ev->flow_id, ev->peer_index, ev->host, ev->port, smsa_state_name(ev->new_state),
                 smsa_cause_name(ev->cause), rtt, detail,
                 log_quote(purpose, sizeof(purpose), cf ? cf->purpose : "-"));
        break;
    }
    case EV_FLOW: {
        const struct cat_flow *cf = cat_flow(ev->flow_id);
        log_info("event flow flow=%u port=%u proto=%s state=%s purpose=\"%s\"", ev->flow_id,
                 cf ? cf->port : 0, cf ? cat_proto_name(cf->proto) : "-",
                 smsa_state_name(ev->new_state),
                 log_quote(purpose, sizeof(purpose), cf ? cf->purpose : "-"));
        break;
    }
    case EV_ADDRSET:
        log_info("event addrset flow=%u peer=%u host=%s addresses=%s", ev->flow_id, ev->peer_index,
                 ev->host, ev->addresses);
        break;
    case EV_NTP: {
        const struct smsa_flow *f = model_flow(&model, CAT_FLOW_NTP);
        const struct smsa_peer *p = NULL;
        for (size_t i = 0; i < f->n_peers; i++)
            if (f->peers[i]->index == ev->peer_index)
                p = f->peers[i];
        log_info("event ntp peer=%u host=%s state=%s cause=%s stratum=%u offset_us=%" PRId64
                 " delay_us=%" PRId64 " refid=%s detail=\"%s\"",
                 ev->peer_index, ev->host, smsa_state_name(ev->new_state),
                 smsa_cause_name(ev->cause), p ? p->ntp.stratum : 0, p ? p->ntp.offset_us : 0,
                 p ? p->ntp.delay_us : 0, p && p->ntp.refid[0] ? p->ntp.refid : "-", detail);
        break;
    }
    case EV_CONFIG:
        log_info("event config generation=%" PRIu64, model.config_generation);
        break;
    case EV_CLOCK:
        log_info("event clock state=%s cause=%s offset_us=%s%" PRId64 " servers=%u detail=\"%s\"",
                 smsa_state_name(ev->new_state), smsa_cause_name(ev->cause),
                 model.clock.has_offset ? "" : "-",
                 model.clock.has_offset ? model.clock.offset_us : 0, model.clock.answering, detail);
        break;
    case EV_TLS:
        log_info("event tls flow=%u peer=%u host=%s port=%u address=%s expiry=%s days_left=%d "
                 "detail=\"%s\"",
                 ev->flow_id, ev->peer_index, ev->host, ev->port,
                 ev->address[0] ? ev->address : "-", smsa_tls_expiry_name(ev->expiry),
                 (int)ev->days_left, detail);
        break;
    case EV_APPLIANCE:
        log_info("event appliance index=%u name=%s role=%s host=%s state=%s cause=%s address=%s "
                 "detail=\"%s\"",
                 ev->appliance_index, ev->name, cat_role_name(ev->role), ev->host,
                 smsa_state_name(ev->new_state), smsa_cause_name(ev->cause),
                 ev->address[0] ? ev->address : "-", detail);
        break;
    }
}

static void emit(struct smsa_event *ev)
{
    ev->seq = ++event_seq;
    if (ev->at.mono_us == 0)
        ev->at = stamp_now();
    model.events_total++;
    model.generation++;
    log_event(ev);
    for (size_t i = 0; i < n_subs; i++)
        subs[i].cb(ev, subs[i].arg);
}

static void event_for_peer(struct smsa_event *ev, enum smsa_event_kind kind,
                           const struct smsa_peer *p)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->flow_id = p->flow_id;
    ev->peer_index = p->index;
    ev->link_index = p->link_index;
    ev->update_index = p->update_index;
    ev->appliance_index = p->appliance_index;
    ev->port = p->port;
    snprintf(ev->host, sizeof(ev->host), "%s", p->host);
    snprintf(ev->name, sizeof(ev->name), "%s",
             p->label ? p->label : model_flow(&model, p->flow_id)->def->purpose);
    ev->cause = p->cause;
    snprintf(ev->detail, sizeof(ev->detail), "%s", p->detail);
    ev->new_state = p->state;
    ev->rtt_us = p->rtt_us;
}

/* ---- building the model from a configuration ---- */

static void free_peer(struct smsa_peer *p)
{
    if (!p)
        return;
    free(p->host);
    free(p->via_proxy);
    free(p->proxy_host);
    free(p->addrs);
    free(p);
}

static void free_model_contents(struct smsa_model *m)
{
    for (size_t i = 0; i < m->n_flows; i++) {
        for (size_t j = 0; j < m->flows[i].n_peers; j++)
            free_peer(m->flows[i].peers[j]);
        free(m->flows[i].peers);
    }
    free(m->flows);
    m->flows = NULL;
    m->n_flows = 0;
    for (size_t i = 0; i < m->n_links; i++)
        free(m->links[i].name);
    free(m->links);
    m->links = NULL;
    m->n_links = 0;
    free(m->updates);
    m->updates = NULL;
    m->n_updates = 0;
    appl_free(m);
}

static int parse_literal(const char *host, uint16_t port, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        *len = sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        *len = sizeof(*s6);
        return 0;
    }
    return -1;
}

static struct smsa_peer *new_peer(unsigned flow_id, const char *host, uint16_t port,
                                  enum smsa_probe_kind kind, const char *label)
{
    struct smsa_peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->host = strdup(host);
    if (!p->host) {
        free(p);
        return NULL;
    }
    p->flow_id = flow_id;
    p->port = port;
    p->kind = kind;
    p->label = label;
    p->enabled = true;
    p->state = ST_UNKNOWN;
    p->rtt_us = -1;
    p->poll_multiplier = 1;
    return p;
}

/* The proxy's host and port are where the peer's probes connect (probe.http_proxy, checked
 * as host:port when the configuration was read). */
static int set_proxy(struct smsa_peer *p, const char *proxy)
{
    struct addr_hostport hp;
    char why[128];
    if (addr_parse_hostport(proxy, &hp, why, sizeof(why)) < 0 || !hp.port)
        return 0; /* not reached: the configuration was checked */
    p->via_proxy = strdup(proxy);
    p->proxy_host = strdup(hp.host);
    p->proxy_port = hp.port;
    return p->via_proxy && p->proxy_host ? 0 : -1;
}

static int flow_add_peer(struct smsa_flow *f, struct smsa_peer *p)
{
    if (!p)
        return -1;
    struct smsa_peer **n = realloc(f->peers, (f->n_peers + 1) * sizeof(*n));
    if (!n) {
        free_peer(p);
        return -1;
    }
    f->peers = n;
    f->peers[f->n_peers++] = p;
    return 0;
}

/* The port a peer entry's own port gives this flow: only a list's first flow takes it (the
 * link flow for scanners and the Control Center, 389 for LDAP); the others always use the
 * catalogue's port, since a scanner or an LDAP server serves them on their own ports. */
static uint16_t entry_port(const struct cat_flow *def, uint16_t configured)
{
    return configured && cat_takes_entry_port(def->id) ? configured : def->port;
}

static int add_list(struct smsa_flow *f, const struct cfg_list *l, enum smsa_probe_kind kind)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct cfg_peer *cp = &l->items[i];
        if (flow_add_peer(
                f, new_peer(f->def->id, cp->host, entry_port(f->def, cp->port), kind, NULL)) < 0)
            return -1;
    }
    return 0;
}

bool core_flow_switched_off(const struct cfg *c, unsigned id)
{
    switch (cat_flow_switch(id)) {
    case CAT_SWITCH_NTP:
        return !c->ntp_enabled;
    case CAT_SWITCH_HTTP_MANAGEMENT:
        return !c->http_management;
    case CAT_SWITCH_NONE:
        break;
    }
    return false;
}

/* Beside, an inbound flow is checked at each appliance that receives it, from this host,
 * with the check that proves the flow's service. A flow the role does not receive becomes
 * inbound when a scanner of the fleet does (mail, beside a Control Center). */
static int build_beside_inbound(struct smsa_model *m, struct smsa_flow *f, const struct cfg *c)
{
    unsigned id = f->def->id;
    for (size_t i = 0; i < m->n_appliances; i++) {
        const struct smsa_appliance *a = &m->appliances[i];
        if (!appl_receives(c, a, id))
            continue;
        if (core_flow_switched_off(c, id)) {
            f->state = ST_DISABLED;
            f->direction = DIR_INBOUND;
            return 0;
        }
        struct smsa_peer *p =
            new_peer(id, a->host, f->def->port, cat_service_probe_kind(id), a->name);
        if (flow_add_peer(f, p) < 0)
            return -1;
        p->appliance_index = a->index;
        f->direction = DIR_INBOUND;
    }
    if (f->direction == DIR_NOT_APPLICABLE)
        f->state = ST_NOT_APPLICABLE;
    return 0;
}

static int build_flow(struct smsa_model *m, struct smsa_flow *f, unsigned id, const struct cfg *c)
{
    f->def = cat_flow(id); /* an extra flow's: its entry in c (cat_extra_use) */
    f->direction = cat_direction(id, c->role);
    f->measured_from =
        c->placement == PLACEMENT_BESIDE ? MEASURED_FROM_VANTAGE : MEASURED_FROM_APPLIANCE;
    f->state = ST_UNKNOWN;
    if (c->placement == PLACEMENT_BESIDE && f->direction != DIR_OUTBOUND)
        return build_beside_inbound(m, f, c);
    if (f->direction == DIR_NOT_APPLICABLE) {
        f->state = ST_NOT_APPLICABLE;
        return 0;
    }
    if (core_flow_switched_off(c, id)) {
        f->state = ST_DISABLED;
        return 0;
    }
    if (f->direction == DIR_INBOUND) {
        struct smsa_peer *p = new_peer(id, "local", f->def->port, PROBE_LISTEN, NULL);
        if (flow_add_peer(f, p) < 0)
            return -1;
        const struct smsa_appliance *self = appl_find_name(m, c->name);
        p->appliance_index = self ? self->index : 0;
        return 0;
    }

    enum smsa_probe_kind kind = cat_probe_kind(id, c->role);
    switch (cat_peer_source(id)) {
    case SRC_CONTROL_CENTER:
        if (c->control_center &&
            flow_add_peer(f, new_peer(id, c->control_center,
                                      entry_port(f->def, c->control_center_port), kind,
                                      "control-center")) < 0)
            return -1;
        break;
    case SRC_SCANNERS:
        for (size_t i = 0; i < c->n_scanners; i++) {
            const struct cfg_scanner *s = &c->scanners[i];
            struct smsa_peer *p =
                new_peer(id, s->peer.host, entry_port(f->def, s->peer.port), kind, s->name);
            if (flow_add_peer(f, p) < 0)
                return -1;
            /* the Control Center's flows to a scanner (11, 16-18) concern that scanner */
            const struct smsa_appliance *a = appl_find_name(m, s->name);
            p->appliance_index = a && !a->self ? a->index : 0;
        }
        break;
    case SRC_DNS_SERVERS:
        if (add_list(f, &c->dns_servers, kind) < 0)
            return -1;
        break;
    case SRC_NTP_SERVERS:
        if (add_list(f, &c->ntp_servers, kind) < 0)
            return -1;
        break;
    case SRC_LDAP_SERVERS:
        if (add_list(f, &c->ldap_servers, kind) < 0)
            return -1;
        break;
    case SRC_INTERNAL_MAIL:
        if (add_list(f, &c->internal_mail_servers, kind) < 0)
            return -1;
        break;
    case SRC_INTERNET_MAIL:
        if (add_list(f, &c->internet_mail_hosts, kind) < 0)
            return -1;
        break;
    case SRC_UPDATES:
        for (size_t i = 0; i < c->n_updates; i++) {
            const struct cfg_update *u = &c->updates[i];
            if (cat_update_flow(u->purpose) != id)
                continue;
            struct smsa_peer *p = new_peer(id, u->host, u->port, kind, u->purpose);
            if (flow_add_peer(f, p) < 0)
                return -1;
            p->update_index = (unsigned)i + 1;
            p->enabled = u->enabled;
            /* an appliance set to use a proxy reaches its update hosts through it */
            if (c->probe.http_proxy && (kind == PROBE_TLS || kind == PROBE_HTTP) &&
                set_proxy(p, c->probe.http_proxy) < 0)
                return -1;
            if (!u->enabled)
                p->state = ST_DISABLED;
        }
        break;
    case SRC_EXTRA:
        if (add_list(f, &cfg_extra_flow(c, id)->peers, kind) < 0)
            return -1;
        break;
    case SRC_NONE:
        break;
    }
    if (f->n_peers == 0)
        f->state = ST_UNCONFIGURED;
    return 0;
}

static int build_links(struct smsa_model *m, const struct cfg *c)
{
    const struct smsa_flow *f = model_flow(m, cat_link_flow(c->role));
    if (f->n_peers == 0)
        return 0;
    m->links = calloc(f->n_peers, sizeof(*m->links));
    if (!m->links)
        return -1;
    for (size_t i = 0; i < f->n_peers; i++) {
        struct smsa_link *l = &m->links[i];
        l->peer = f->peers[i];
        l->name = strdup(f->peers[i]->label ? f->peers[i]->label : f->peers[i]->host);
        if (!l->name)
            return -1;
        l->index = (unsigned)i + 1;
        l->state = ST_UNKNOWN;
        l->peer->link_index = l->index;
        m->n_links++;
    }
    return 0;
}

static int build_updates(struct smsa_model *m, const struct cfg *c)
{
    if (c->n_updates == 0)
        return 0;
    m->updates = calloc(c->n_updates, sizeof(*m->updates));
    if (!m->updates)
        return -1;
    m->n_updates = c->n_updates;
    for (size_t i = 0; i < m->n_flows; i++) {
        const struct smsa_flow *f = &m->flows[i];
        for (size_t j = 0; j < f->n_peers; j++)
            if (f->peers[j]->update_index)
                m->updates[f->peers[j]->update_index - 1] = f->peers[j];
    }
    return 0;
}

static void set_literal_addresses(struct smsa_model *m)
{
    for (size_t i = 0; i < m->n_flows; i++) {
        for (size_t j = 0; j < m->flows[i].n_peers; j++) {
            struct smsa_peer *p = m->flows[i].peers[j];
            struct sockaddr_storage ss;
            socklen_t len;
            uint16_t port;
            const char *host = smsa_probe_host(p, &port);
            if (p->kind != PROBE_LISTEN && p->n_addrs == 0 &&
                parse_literal(host, port, &ss, &len) == 0)
                core_set_addresses(p, &ss, &len, 1);
        }
    }
}

static bool same_peer(const struct smsa_peer *a, const struct smsa_peer *b)
{
    return a->port == b->port && a->kind == b->kind && a->enabled == b->enabled &&
           !strcmp(a->host, b->host) &&
           !strcmp(a->via_proxy ? a->via_proxy : "", b->via_proxy ? b->via_proxy : "") &&
           ((!a->label && !b->label) || (a->label && b->label && !strcmp(a->label, b->label)));
}

/* Keeps what was learnt about peers and links that the new configuration still has; their
 * indexes come from the identity map, not from here. */
static void carry_over(struct smsa_model *next, struct smsa_model *old)
{
    for (size_t i = 0; i < next->n_flows; i++) {
        /* a flow added by this configuration (extra_flows) has nothing to carry over */
        struct smsa_flow *nf = &next->flows[i], *of = model_flow(old, nf->def->id);
        if (!of)
            continue;
        bool used[of->n_peers + 1];
        memset(used, 0, sizeof(used));
        for (size_t j = 0; j < nf->n_peers; j++) {
            struct smsa_peer *np = nf->peers[j], *op = NULL;
            for (size_t k = 0; k < of->n_peers && !op; k++) {
                if (!used[k] && same_peer(np, of->peers[k])) {
                    op = of->peers[k];
                    used[k] = true;
                }
            }
            if (!op)
                continue;
            char *host = np->host, *via_proxy = np->via_proxy, *proxy_host = np->proxy_host;
            const char *label = np->label;
            /* Identity comes from the new model (number_model ran): a link index reset here
             * would leave the link without its peer, and its transitions unreported. */
            unsigned index = np->index, update_index = np->update_index,
                     link_index = np->link_index;
            *np = *op;
            np->host = host;
            np->via_proxy = via_proxy;
            np->proxy_host = proxy_host;
            np->label = label;
            np->index = index;
            np->update_index = update_index;
            np->link_index = link_index;
            np->engine = NULL;
            op->addrs = NULL; /* moved */
            op->n_addrs = 0;
        }
        if (nf->state != ST_NOT_APPLICABLE && nf->state != ST_DISABLED &&
            nf->state != ST_UNCONFIGURED && of->state != ST_NOT_APPLICABLE &&
            of->state != ST_DISABLED && of->state != ST_UNCONFIGURED) {
            nf->state = of->state;
            nf->since = of->since;
        }
    }
    for (size_t j = 0; j < next->n_links; j++) {
        struct smsa_link *nl = &next->links[j];
        const struct smsa_link *ol = NULL;
        for (size_t k = 0; k < old->n_links && !ol; k++)
            if (old->links[k].index == nl->index)
                ol = &old->links[k];
        if (ol) {
            nl->state = ol->state;
            nl->cause = ol->cause;
            memcpy(nl->detail, ol->detail, sizeof(nl->detail));
            nl->since = ol->since;
            nl->down_count = ol->down_count;
        }
    }
}

/* What a peer's index is tied to: a scanner's name on the flows fed by the scanners list,
 * the probed host and port on the others ("local:22" for an inbound check). The same host
 * listed twice in one flow is told apart by its rank ("#2"). */
static int peer_identity(const struct smsa_flow *f, size_t j, char *buf, size_t len)
{
    const struct smsa_peer *p = f->peers[j];
    if (cat_peer_source(f->def->id) == SRC_SCANNERS && p->label && p->kind != PROBE_LISTEN)
        return snprintf(buf, len, "%s", p->label) < (int)len ? 0 : -1;
    /* a check beside is tied to the appliance it checks, whatever its address; '@' is in no
     * host name, so such an identity never meets a host:port one */
    if (p->appliance_index && p->kind != PROBE_LISTEN && f->direction == DIR_INBOUND)
        return snprintf(buf, len, "@%s", p->label) < (int)len ? 0 : -1;
    unsigned rank = 1;
    for (size_t k = 0; k < j; k++)
        rank += f->peers[k]->port == p->port && !strcmp(f->peers[k]->host, p->host);
    int w = rank > 1 ? snprintf(buf, len, "%s:%u#%u", p->host, p->port, rank)
                     : snprintf(buf, len, "%s:%u", p->host, p->port);
    return w < (int)len ? 0 : -1;
}

static int cmp_peer_index(const void *a, const void *b)
{
    const struct smsa_peer *x = *(struct smsa_peer *const *)a, *y = *(struct smsa_peer *const *)b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_link_index(const void *a, const void *b)
{
    const struct smsa_link *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Every peer and link gets its identity's index; faces look rows up in index order. */
static int number_model(struct smsa_model *m)
{
    char identity[CFG_MAX_HOST + 32];
    for (size_t i = 0; i < m->n_flows; i++) {
        struct smsa_flow *f = &m->flows[i];
        for (size_t j = 0; j < f->n_peers; j++) {
            if (peer_identity(f, j, identity, sizeof(identity)) < 0 ||
                !(f->peers[j]->index = idx_get(indexes, f->def->id, identity)))
                return -1;
        }
        if (f->n_peers > 1) /* qsort of a NULL array is undefined even for 0 items */
            qsort(f->peers, f->n_peers, sizeof(*f->peers), cmp_peer_index);
    }
    for (size_t k = 0; k < m->n_links; k++)
        if (!(m->links[k].index = idx_get(indexes, IDX_LINKS, m->links[k].name)))
            return -1;
    if (m->n_links > 1) /* as above: no links is a NULL array */
        qsort(m->links, m->n_links, sizeof(*m->links), cmp_link_index);
    for (size_t k = 0; k < m->n_links; k++)
        m->links[k].peer->link_index = m->links[k].index;
    return 0;
}

/* A lost map only renumbers; an unsaved one is kept in memory. Either way the daemon runs,
 * and the operator is told once, not at every change. */
static void save_indexes(void)
{
    char why[512];
    if (index_read_only || !index_path || !idx_dirty(indexes))
        return;
    if (idx_save(indexes, index_path, why, sizeof(why)) < 0) {
        struct stat st;
        if (running && stat(running->state_dir, &st) < 0 && errno == ENOENT)
            snprintf(why, sizeof(why),
                     "the state folder %s does not exist (create it, or set state_dir; the "
                     "packaged unit's StateDirectory= creates it)",
                     running->state_dir);
        if (!index_unsaved)
            log_warn("indexes: %s; they are kept in memory and may change at the next start", why);
        index_unsaved = true;
        return;
    }
    if (index_unsaved)
        log_info("indexes: saved to %s again", index_path);
    index_unsaved = false;
}

void core_indexes_read_only(bool read_only)
{
    index_read_only = read_only;
}

static int indexes_init(const struct cfg *c)
{
    indexes = idx_new();
    if (!indexes)
        return -1;
    size_t n = strlen(c->state_dir);
    index_path = malloc(n + sizeof("/indexes.json"));
    if (!index_path)
        return -1;
    memcpy(index_path, c->state_dir, n);
    memcpy(index_path + n, "/indexes.json", sizeof("/indexes.json"));
    char why[512];
    switch (idx_load(indexes, index_path, why, sizeof(why))) {
    case 0:
        break;
    case 1:
        log_info("indexes: no map at %s yet: peers and links are numbered afresh", index_path);
        break;
    default:
        log_warn("indexes: cannot use %s (%s): peers and links are numbered afresh", index_path,
                 why);
        break;
    }
    return 0;
}

static void recompute_overall(void);
static enum smsa_state flow_state_from_peers(const struct smsa_flow *f);
static void judge_clock(void);

/* An appliance's verdict from its checks (appl_verdict); true when its state changed. */
static bool settle_appliance(struct smsa_appliance *a)
{
    struct appl_verdict v;
    appl_verdict(a->checks, a->n_checks, &v);
    a->n_up = v.up;
    a->n_down = v.down;
    a->cause = v.cause;
    snprintf(a->detail, sizeof(a->detail), "%s", v.detail);
    a->worst_flow = v.flow;
    if (v.state == a->state)
        return false;
    a->state = v.state;
    a->since = stamp_now();
    if (v.state == ST_DOWN)
        a->down_count++;
    return true;
}

static void update_appliance(unsigned index)
{
    struct smsa_appliance *a = appl_find(&model, index);
    if (!a)
        return;
    enum smsa_state old = a->state;
    if (!settle_appliance(a))
        return;
    struct smsa_event ev = {.kind = EV_APPLIANCE,
                            .appliance_index = a->index,
                            .role = a->role,
                            .old_state = old,
                            .new_state = a->state,
                            .cause = a->cause,
                            .flow_id = a->worst_flow,
                            .rtt_us = -1,
                            .at = a->since};
    snprintf(ev.name, sizeof(ev.name), "%s", a->name);
    snprintf(ev.host, sizeof(ev.host), "%s", a->host);
    snprintf(ev.detail, sizeof(ev.detail), "%s", a->detail);
    const struct smsa_addr *addr = core_appliance_address(a);
    if (addr)
        snprintf(ev.address, sizeof(ev.address), "%s", addr->text);
    emit(&ev);
}

static int build_model(struct smsa_model *m, const struct cfg *c)
{
    if (appl_build(m, c, indexes) < 0)
        return -1;
    /* the vendor's rows, then the operator's (sorted by id in the configuration) */
    m->flows = calloc(cfg_n_flows(c), sizeof(*m->flows));
    if (!m->flows)
        return -1;
    for (size_t i = 0; i < cfg_n_flows(c); i++) {
        m->n_flows++;
        if (build_flow(m, &m->flows[i], cfg_flow_id(c, i), c) < 0)
            return -1;
    }
    if (build_links(m, c) < 0 || build_updates(m, c) < 0 || number_model(m) < 0 ||
        appl_attach(m) < 0)
        return -1;
    return 0;
}

/* Swaps in a configuration: the model is rebuilt, state carried over, probing restarted. */
static int apply(struct cfg *next)
{
    struct smsa_model fresh;
    memset(&fresh, 0, sizeof(fresh));
    /* the catalogue answers for next's extra flows from here on, unless it is refused */
    struct cat_extra_rows was = cat_extra_use(cfg_extra_rows(next));
    if (build_model(&fresh, next) < 0) {
        free_model_contents(&fresh);
        cat_extra_use(was);
        return -1;
    }
    if (prober)
        prober->stop(&model);
    if (running) {
        carry_over(&fresh, &model);
        appl_carry_over(&fresh, &model);
    }
    free_model_contents(&model);
    model.flows = fresh.flows;
    model.n_flows = fresh.n_flows;
    model.links = fresh.links;
    model.n_links = fresh.n_links;
    model.updates = fresh.updates;
    model.n_updates = fresh.n_updates;
    model.appliances = fresh.appliances;
    model.n_appliances = fresh.n_appliances;
    cfg_free(running);
    running = next;
    model.cfg = running;
    model.config_generation++;
    set_literal_addresses(&model);
    for (size_t i = 0; i < model.n_flows; i++) {
        struct smsa_flow *f = &model.flows[i];
        if (f->state != ST_NOT_APPLICABLE && f->state != ST_UNCONFIGURED &&
            !(f->state == ST_DISABLED && f->n_peers == 0))
            f->state = flow_state_from_peers(f);
    }
    for (size_t i = 0; i < model.n_appliances; i++)
        settle_appliance(&model.appliances[i]);
    recompute_overall();
    judge_clock(); /* NTP switched on or off, another bound, other servers */
    save_indexes();
    if (prober)
        prober->start(&model, running);
    return 0;
}

/* ---- state from probe results ---- */

static enum smsa_state flow_state_from_peers(const struct smsa_flow *f)
{
    unsigned up = 0, down = 0, other = 0;
    for (size_t i = 0; i < f->n_peers; i++) {
        switch (f->peers[i]->state) {
        case ST_UP:
            up++;
            break;
        case ST_DOWN:
            down++;
            break;
        case ST_DEGRADED:
            other++;
            break;
        default: /* unknown and disabled peers do not count */
            break;
        }
    }
    if (up + down + other == 0) {
        for (size_t i = 0; i < f->n_peers; i++)
            if (f->peers[i]->enabled)
                return ST_UNKNOWN;
        return ST_DISABLED; /* every update source of the flow is switched off */
    }
    if (down == 0 && other == 0)
        return ST_UP;
    if (up == 0 && other == 0)
        return ST_DOWN;
    return ST_DEGRADED;
}

static void recompute_overall(void)
{
    unsigned up = 0, down = 0, checked = 0;
    for (size_t i = 0; i < model.n_flows; i++) {
        enum smsa_state s = model.flows[i].state;
        if (s == ST_UP || s == ST_DOWN || s == ST_DEGRADED) {
            checked++;
            up += s == ST_UP;
            down += s == ST_DOWN;
        }
    }
    if (checked == 0)
        model.overall = ST_UNKNOWN;
    else if (up == checked)
        model.overall = ST_UP;
    else if (down == checked)
        model.overall = ST_DOWN;
    else
        model.overall = ST_DEGRADED;
}

static void update_flow(unsigned flow_id)
{
    struct smsa_flow *f = model_flow(&model, flow_id);
    if (!f || f->state == ST_NOT_APPLICABLE || f->state == ST_UNCONFIGURED)
        return;
    enum smsa_state s = flow_state_from_peers(f);
    if (s == f->state)
        return;
    struct smsa_event ev = {.kind = EV_FLOW,
                            .flow_id = flow_id,
                            .old_state = f->state,
                            .new_state = s,
                            .port = f->def->port};
    snprintf(ev.name, sizeof(ev.name), "%s", f->def->purpose);
    f->state = s;
    f->since = stamp_now();
    ev.at = f->since;
    recompute_overall();
    emit(&ev);
}

/* Links are sorted by index: a binary search, since every round of a linked peer asks. */
static struct smsa_link *link_of(const struct smsa_peer *p)
{
    size_t lo = 0, hi = model.n_links;
    while (p->link_index && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (model.links[mid].index == p->link_index)
            return model.links[mid].peer == p ? &model.links[mid] : NULL;
        if (model.links[mid].index < p->link_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A link is up while any address answers and down when none does (README, What it checks), after
 * the peer's hysteresis. */
static void update_link(struct smsa_peer *p, const char *address)
{
    struct smsa_link *l = link_of(p);
    if (!l)
        return;
    enum smsa_state s = p->hyst.verdict == HYST_UP     ? ST_UP
                        : p->hyst.verdict == HYST_DOWN ? ST_DOWN
                                                       : ST_UNKNOWN;
    if (s == l->state)
        return;
    struct smsa_event ev;
    event_for_peer(&ev, EV_LINK, p);
    snprintf(ev.name, sizeof(ev.name), "%s", l->name);
    snprintf(ev.address, sizeof(ev.address), "%s", address);
    ev.old_state = l->state;
    ev.new_state = s;
    ev.cause = s == ST_DOWN ? p->cause : CAUSE_NONE;
    snprintf(ev.detail, sizeof(ev.detail), "%s", s == ST_DOWN ? p->detail : "");
    l->state = s;
    l->cause = ev.cause;
    snprintf(l->detail, sizeof(l->detail), "%s", ev.detail);
    l->since = stamp_now();
    ev.at = l->since;
    if (s == ST_DOWN)
        l->down_count++;
    emit(&ev);
}

static int cmp_addr(const void *a, const void *b)
{
    const struct smsa_addr *x = a, *y = b;
    if (x->family != y->family)
        return x->family == AF_INET ? -1 : 1;
    return memcmp(&x->sa, &y->sa, sizeof(x->sa));
}

static void addr_init(struct smsa_addr *a, const struct sockaddr_storage *ss, socklen_t len)
{
    memset(a, 0, sizeof(*a));
    memcpy(&a->sa, ss, len);
    a->salen = len;
    a->family = ss->ss_family;
    if (a->family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a->text, sizeof(a->text));
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a->text,
                  sizeof(a->text));
    a->state = ST_UNKNOWN;
    a->rtt_us = -1;
}

bool core_addrset_equal(const struct smsa_addr *a, size_t na, const struct smsa_addr *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (cmp_addr(&a[i], &b[i]) != 0)
            return false;
    return true;
}

size_t core_addrset_normalise(struct smsa_addr *a, size_t n)
{
    qsort(a, n, sizeof(*a), cmp_addr);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || cmp_addr(&a[out - 1], &a[i]) != 0)
            a[out++] = a[i];
    return out;
}

void core_set_addresses(struct smsa_peer *p, const struct sockaddr_storage *addrs,
                        const socklen_t *lens, size_t n)
{
    struct smsa_addr *next = calloc(n ? n : 1, sizeof(*next));
    if (!next)
        return;
    for (size_t i = 0; i < n; i++)
        addr_init(&next[i], &addrs[i], lens[i]);
    n = core_addrset_normalise(next, n);
    if (p->addrset_since.mono_us != 0 && core_addrset_equal(next, n, p->addrs, p->n_addrs)) {
        free(next);
        return;
    }
    /* what was learnt about an address that stays in the set is kept */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p->n_addrs; j++) {
            if (cmp_addr(&next[i], &p->addrs[j]) == 0) {
                next[i] = p->addrs[j];
                break;
            }
        }
    }
    bool first = p->addrset_since.mono_us == 0;
    free(p->addrs);
    p->addrs = next;
    p->n_addrs = n;
    p->addrset_since = stamp_now();
    model.generation++;
    if (first)
        return; /* the first resolution is not a change */
    p->addrset_changes++;
    struct smsa_event ev;
    event_for_peer(&ev, EV_ADDRSET, p);
    ev.n_addresses = (unsigned)n;
    size_t off = 0;
    for (size_t i = 0; i < n && off + 1 < sizeof(ev.addresses); i++) {
        int w = snprintf(ev.addresses + off, sizeof(ev.addresses) - off, "%s%s", i ? " " : "",
                         p->addrs[i].text);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (n)
        snprintf(ev.address, sizeof(ev.address), "%s", p->addrs[0].text);
    ev.at = p->addrset_since;
    emit(&ev);
}

/* ok_detail: what an answer said when it proves the service (an HTTP status line, "via
 * proxy ..."), shown while the peer is up. */
static void finish_round(struct smsa_peer *p, bool any_ok, bool all_ok, enum smsa_cause cause,
                         const char *detail, const char *ok_detail, const char *address)
{
    const struct cfg *c = running;
    p->checks++;
    if (!any_ok)
        p->failures++;
    hyst_feed(&p->hyst, any_ok, c->probe.fail_threshold, c->probe.recover_threshold);
    if (p->kod_stopped) {
        /* DENY/RSTR: the server asked us to stop; that is a verdict, not a glitch */
        p->hyst.verdict = HYST_DOWN;
    }
    /* degraded is "some addresses answer"; a round where none answered, still inside the
     * hysteresis, leaves the verdict as it was */
    enum smsa_state up_state = all_ok   ? ST_UP
                               : any_ok ? ST_DEGRADED
                                        : (p->state == ST_DEGRADED ? ST_DEGRADED : ST_UP);
    enum smsa_state s = p->hyst.verdict == HYST_UP     ? up_state
                        : p->hyst.verdict == HYST_DOWN ? ST_DOWN
                                                       : ST_UNKNOWN;
    enum smsa_cause new_cause = s == ST_UP ? CAUSE_NONE : cause;
    if (s == ST_UNKNOWN)
        new_cause = any_ok ? CAUSE_NONE : cause;
    /* a transition, or a down/degraded peer failing for another reason */
    bool changed = s != p->state || ((s == ST_DOWN || s == ST_DEGRADED) && new_cause != p->cause);
    enum smsa_state old = p->state;
    p->cause = new_cause;
    snprintf(p->detail, sizeof(p->detail), "%s",
             new_cause != CAUSE_NONE ? detail
             : any_ok                ? ok_detail
                                     : "");
    model.generation++;
    if (changed) {
        p->state = s;
        p->since = stamp_now();
        if (s == ST_DOWN && old != ST_DOWN)
            p->down_count++;
        struct smsa_event ev;
        event_for_peer(&ev, EV_PEER, p);
        ev.old_state = old;
        snprintf(ev.address, sizeof(ev.address), "%s", address);
        ev.at = p->since;
        emit(&ev);
        if (p->kind == PROBE_NTP) {
            ev.kind = EV_NTP;
            emit(&ev);
        }
    }
    update_link(p, address);
    update_flow(p->flow_id);
    if (p->kind == PROBE_NTP)
        judge_clock();
    update_appliance(p->appliance_index);
}

void core_round_failed(struct smsa_peer *p, enum smsa_cause cause, const char *detail)
{
    model.probes_total++;
    model.probe_failures_total++;
    p->ntp.valid = false;
    finish_round(p, false, false, cause, detail ? detail : "", "", "");
}

void core_set_listening(struct smsa_peer *p, const char *addrs)
{
    if (strcmp(p->listening_on, addrs) != 0) {
        snprintf(p->listening_on, sizeof(p->listening_on), "%s", addrs);
        model.generation++;
    }
}

/* Whose clock the NTP servers judge: the agent's host, which is the appliance itself when the
 * agent runs on it (the one place to tell otherwise when the agent runs beside it). */
/* Beside the appliance, the NTP servers answer this host: it is this host's clock. */
static const char *clock_measured_from(const struct cfg *c)
{
    return smsa_measured_from_name(c->placement == PLACEMENT_BESIDE ? MEASURED_FROM_VANTAGE
                                                                    : MEASURED_FROM_APPLIANCE);
}

/* The clock's verdict is derived here, once, when it may have changed; faces read it. Every
 * change is an event, but for "disabled" at start (NTP is off by default). */
static void judge_clock(void)
{
    struct smsa_clock *k = &model.clock;
    enum smsa_state old = k->state;
    k->measured_from = clock_measured_from(running);
    if (!ntpclock_judge(k, model_flow(&model, CAT_FLOW_NTP), running->ntp_enabled,
                        running->ntp_max_offset_ms))
        return;
    bool quiet_start = k->since.mono_us == 0 && k->state == ST_DISABLED; /* NTP off at start */
    k->since = stamp_now();
    model.generation++;
    if (quiet_start)
        return;
    struct smsa_event ev = {.kind = EV_CLOCK,
                            .old_state = old,
                            .new_state = k->state,
                            .cause = k->cause,
                            .flow_id = CAT_FLOW_NTP,
                            .at = k->since};
    snprintf(ev.name, sizeof(ev.name), "clock");
    snprintf(ev.detail, sizeof(ev.detail), "%s", k->detail);
    emit(&ev);
}

/* The peer's certificate is the one of its addresses that expires first; crossing a threshold
 * (tls.warn_days, expired) is announced once. A renewed certificate starts over, silently. */
static void judge_certificate(struct smsa_peer *p)
{
    const struct smsa_addr *first = NULL;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].tls.seen && (!first || p->addrs[i].tls.not_after < first->tls.not_after))
            first = &p->addrs[i];
    if (!first)
        return; /* nothing seen yet, or the handshake fails: the last facts stay */
    uint8_t announced = p->tls.expiry;
    p->tls = first->tls;
    enum smsa_tls_expiry level = p->tls.days_left < 0 ? TLS_EXPIRY_EXPIRED
                                 : p->tls.days_left < (int32_t)running->tls_warn_days
                                     ? TLS_EXPIRY_SOON
                                     : TLS_EXPIRY_NONE;
    p->tls.expiry = (uint8_t)level;
    if (level <= announced)
        return;
    struct smsa_event ev;
    event_for_peer(&ev, EV_TLS, p);
    ev.expiry = level;
    ev.not_after = p->tls.not_after;
    ev.days_left = p->tls.days_left;
    memcpy(ev.subject, p->tls.subject, sizeof(ev.subject));
    snprintf(ev.address, sizeof(ev.address), "%s", first->text);
    char date[32];
    time_t t = (time_t)p->tls.not_after;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(date, sizeof(date), "?");
    if (level == TLS_EXPIRY_EXPIRED)
        snprintf(ev.detail, sizeof(ev.detail), "certificate expired %.24s", date);
    else
        snprintf(ev.detail, sizeof(ev.detail), "certificate expires %.24s, %d days left", date,
                 (int)p->tls.days_left);
    emit(&ev);
}

/* RFC 5905 §7.4: DENY and RSTR ask the client to stop. */
static bool kod_stops(const struct probe_addr_result *r)
{
    return r->cause == CAUSE_KISS_OF_DEATH &&
           (!strcmp(r->ntp.refid, "DENY") || !strcmp(r->ntp.refid, "RSTR"));
}

/* RFC 5905 §7.4: a Kiss-o'-Death asks the client to slow down (RATE) or to stop (DENY,
 * RSTR). Stopping is a verdict, applied in finish_round. */
static void kiss_of_death(struct smsa_peer *p, const struct probe_addr_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct probe_addr_result *r = &results[i];
        if (r->cause != CAUSE_KISS_OF_DEATH)
            continue;
        if (!strcmp(r->ntp.refid, "RATE")) {
            if (p->poll_multiplier < 64)
                p->poll_multiplier *= 2;
            log_warn("NTP server %s sent RATE: polling every %u intervals", p->host,
                     p->poll_multiplier);
        } else if (kod_stops(r)) {
            p->kod_stopped = true;
            log_warn("NTP server %s sent %s: no longer polled until the configuration changes",
                     p->host, r->ntp.refid);
        }
    }
}

void core_round_done(struct smsa_peer *p, const struct probe_addr_result *results, size_t n)
{
    if (p->kind == PROBE_LISTEN) {
        /* an inbound check has no remote address: one result for the local port */
        model.probes_total++;
        model.probe_failures_total += n && !results[0].ok;
        bool ok = n && results[0].ok;
        finish_round(p, ok, ok, n ? results[0].cause : CAUSE_ERROR, n ? results[0].detail : "", "",
                     "");
        return;
    }
    if (n > p->n_addrs)
        n = p->n_addrs; /* results are per address of the set the round probed */
    bool any_ok = false, all_ok = n > 0;
    enum smsa_cause cause = n ? CAUSE_NONE : CAUSE_DNS_FAILURE;
    const char *detail = n ? "" : "no address";
    const char *ok_detail = "";
    const char *address = "";
    int64_t now_s = loop_wall_us() / 1000000;
    int64_t best_rtt = -1;
    const struct smsa_ntp_result *ntp = NULL;
    const struct cfg *c = running;
    for (size_t i = 0; i < n; i++) {
        struct smsa_addr *a = &p->addrs[i];
        const struct probe_addr_result *r = &results[i];
        a->checks++;
        model.probes_total++;
        if (r->ok) {
            a->rtt_us = r->rtt_us;
            if (best_rtt < 0 || r->rtt_us < best_rtt)
                best_rtt = r->rtt_us;
            if (!any_ok) {
                address = a->text;
                ok_detail = r->detail;
            }
            any_ok = true;
            if (r->tls.handshake && r->tls.cert.seen) {
                a->tls = r->tls.cert;
                a->tls.days_left = tlsp_days_left(a->tls.not_after, now_s);
            }
            if (r->ntp.valid && !ntp)
                ntp = &r->ntp;
        } else {
            a->failures++;
            model.probe_failures_total++;
            all_ok = false;
            if (cause == CAUSE_NONE) {
                cause = r->cause;
                detail = r->detail;
                if (!any_ok)
                    address = a->text;
            }
        }
        a->ntp = r->ntp;
        hyst_feed(&a->hyst, r->ok, c->probe.fail_threshold, c->probe.recover_threshold);
        if (kod_stops(r))
            a->hyst.verdict = HYST_DOWN; /* no round follows a stop: its verdict is now */
        enum smsa_state s = a->hyst.verdict == HYST_UP     ? ST_UP
                            : a->hyst.verdict == HYST_DOWN ? ST_DOWN
                                                           : ST_UNKNOWN;
        a->cause = r->ok ? CAUSE_NONE : r->cause;
        snprintf(a->detail, sizeof(a->detail), "%s", r->detail);
        if (s != a->state) {
            a->state = s;
            a->since = stamp_now();
        }
    }
    if (best_rtt >= 0)
        p->rtt_us = best_rtt;
    if (p->kind == PROBE_NTP) {
        kiss_of_death(p, results, n);
        if (ntp)
            p->ntp = *ntp;
        else
            p->ntp.valid = false;
        /* a Kiss-o'-Death code is kept in refid so that operators see why */
        for (size_t i = 0; i < n && !ntp; i++)
            if (results[i].cause == CAUSE_KISS_OF_DEATH)
                snprintf(p->ntp.refid, sizeof(p->ntp.refid), "%s", results[i].ntp.refid);
    }
    if (p->kind == PROBE_TLS || p->kind == PROBE_SMTP)
        judge_certificate(p);
    finish_round(p, any_ok, all_ok, cause, detail, ok_detail, address);
}

/* ---- lifecycle and the change API ---- */

int core_init(struct cfg *cfg, const char *path, const struct core_prober *p)
{
    prober = p;
    memset(&model, 0, sizeof(model));
    model.started = stamp_now();
    event_seq = 0;
    if (path) {
        config_path = strdup(path);
        if (!config_path) {
            cfg_free(cfg);
            return -1;
        }
    }
    if (indexes_init(cfg) < 0) {
        cfg_free(cfg);
        return -1;
    }
    if (apply(cfg) < 0) {
        cfg_free(cfg);
        return -1;
    }
    return 0;
}

void core_fini(void)
{
    if (prober)
        prober->stop(&model);
    prober = NULL;
    free_model_contents(&model);
    cat_extra_use((struct cat_extra_rows){0}); /* they were running's */
    cfg_free(running);
    running = NULL;
    model.cfg = NULL;
    free(config_path);
    config_path = NULL;
    cfg_free(wanted);
    wanted = NULL;
    n_pending = 0;
    idx_free(indexes);
    indexes = NULL;
    free(index_path);
    index_path = NULL;
    index_unsaved = false;
    free(subs);
    subs = NULL;
    n_subs = 0;
}

size_t core_pending_restart(const char *const **keys)
{
    *keys = pending;
    return n_pending;
}

/* Turns next (the file's configuration) into what runs: keys that need a restart keep their
 * running values, and are named in the log and in pending_restart until then. */
static int settle(struct cfg *next)
{
    if (!running)
        return 0;
    const char *keys[MAX_PENDING];
    size_t n = cfg_restart_keys(running, next, keys, MAX_PENDING);
    struct cfg *file = NULL;
    if (n > 0 && (!(file = cfg_clone(next)) || cfg_keep_restart_values(next, running) < 0)) {
        cfg_free(file);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        log_warn("configuration: %s changed; it takes effect at the next restart (running "
                 "on the old value)",
                 keys[i]);
    cfg_free(wanted);
    wanted = file;
    memcpy(pending, keys, n * sizeof(*keys));
    n_pending = n;
    return 0;
}

static void applied(const char *why)
{
    struct smsa_event ev = {.kind = EV_CONFIG};
    snprintf(ev.name, sizeof(ev.name), "%s", why);
    emit(&ev);
}

int core_change(struct cfg *next, struct cfg_error *err)
{
    return core_change_by(next, NULL, err);
}

int core_change_by(struct cfg *next, const char *who, struct cfg_error *err)
{
    if (cfg_fill_ntp_servers(next) < 0) {
        err->kind = CFG_ERR_IO;
        err->path[0] = '\0';
        err->line = err->column = 0;
        snprintf(err->message, sizeof(err->message), "out of memory preparing the change");
        cfg_free(next);
        return -1;
    }
    if (cfg_validate(next, err) < 0) {
        cfg_free(next);
        return -1;
    }
    if (!config_path) {
        err->kind = CFG_ERR_IO;
        err->path[0] = '\0';
        err->line = err->column = 0;
        snprintf(err->message, sizeof(err->message),
                 "the daemon runs without a configuration file; changes cannot be persisted");
        cfg_free(next);
        return -1;
    }
    /* the file keeps what waits for a restart: a REST write is based on the running values */
    if (wanted && cfg_keep_restart_values(next, wanted) < 0) {
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "out of memory preparing the change");
        cfg_free(next);
        return -1;
    }
    /* persist first: a change that could not be written is not applied; and one that could
     * not be applied is taken back from the file, so the next reload finds what runs */
    struct cfg_saved saved;
    if (cfg_save_begin(next, config_path, &saved, err) < 0) {
        cfg_free(next);
        return -1;
    }
    /* what changed, for the log: taken before apply() frees the running configuration */
    char changed[512];
    cfg_diff(running, next, changed, sizeof(changed));
    if (settle(next) < 0 || apply(next) < 0) {
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "out of memory applying the configuration");
        if (cfg_save_undo(&saved) < 0)
            log_err("cannot put the previous %s back (%s): it holds a change not applied",
                    config_path, strerror(errno));
        cfg_free(next);
        return -1;
    }
    cfg_save_commit(&saved);
    log_info("configuration changed by %s and saved to %s: %s", who ? who : "the daemon",
             config_path, changed[0] ? changed : "no value changed");
    applied("change");
    return 0;
}

int core_reload(struct cfg_error *err)
{
    if (!config_path) {
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "no configuration file to reload");
        return -1;
    }
    struct cfg *next = cfg_load(config_path, err);
    if (!next)
        return -1;
    if (settle(next) < 0 || apply(next) < 0) {
        cfg_free(next);
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "out of memory applying the configuration");
        return -1;
    }
    log_info("configuration reloaded from %s", config_path);
    applied("reload");
    return 0;
}

const struct smsa_appliance *core_appliance(unsigned index)
{
    return appl_find(&model, index);
}

const struct smsa_appliance *core_appliance_by_name(const char *name)
{
    return name ? appl_find_name(&model, name) : NULL;
}

const struct smsa_addr *core_appliance_addresses(const struct smsa_appliance *a, size_t *n)
{
    for (size_t i = 0; i < a->n_checks; i++) {
        if (a->checks[i]->kind != PROBE_LISTEN && a->checks[i]->n_addrs) {
            *n = a->checks[i]->n_addrs;
            return a->checks[i]->addrs;
        }
    }
    *n = 0;
    return NULL;
}

const struct smsa_addr *core_appliance_address(const struct smsa_appliance *a)
{
    size_t n;
    const struct smsa_addr *addrs = core_appliance_addresses(a, &n);
    for (size_t i = 0; i < n; i++)
        if (addrs[i].state == ST_UP)
            return &addrs[i];
    return n ? &addrs[0] : NULL;
}

const struct smsa_addr *core_link_address(const struct smsa_link *l)
{
    const struct smsa_peer *p = l->peer;
    if (!p || p->n_addrs == 0)
        return NULL;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].state == ST_UP)
            return &p->addrs[i];
    return &p->addrs[0];
}
