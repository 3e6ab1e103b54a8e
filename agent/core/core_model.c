/* The model built from a configuration: flows, peers, links, update sources; what carries over
 * from the model it replaces; the index map that numbers peers and links. */
#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "appliances.h"
#include "core_internal.h"
#include "indexes.h"
#include "log.h"

static struct idx_map *indexes;
static char *index_path;     /* state_dir/indexes.json */
static bool index_unsaved;   /* the last save failed: warned once until one succeeds */
static bool index_read_only; /* a one-shot run: the map is never written */

static void free_peer(struct smsa_peer *p)
{
    if (!p)
        return;
    free(p->host);
    free(p->via_proxy);
    free(p->proxy_host);
    for (size_t i = 0; i < p->n_addrs; i++)
        free(p->addrs[i].tls);
    free(p->addrs);
    free(p->tls);
    free(p->listening_on);
    free(p);
}

void core_model_free(struct smsa_model *m)
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

void core_model_literal_addresses(struct smsa_model *m)
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

void core_peer_take_learned(struct smsa_peer *to, struct smsa_peer *from)
{
    /* the learned group is the struct's tail, from listening_on to the end (model.h) */
    size_t at = offsetof(struct smsa_peer, listening_on);
    memcpy((char *)to + at, (const char *)from + at, sizeof(*to) - at);
    from->addrs = NULL; /* moved, and with them their certificates */
    from->n_addrs = 0;
    from->tls = NULL;
    from->listening_on = NULL;
}

/* Keeps what was learnt about peers and links that the new configuration still has; their
 * indexes come from the identity map, not from here. */
void core_model_carry_over(struct smsa_model *next, struct smsa_model *old)
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
            /* Identity comes from the new model (number_model ran): a link index reset here
             * would leave the link without its peer, and its transitions unreported. */
            core_peer_take_learned(np, op);
            /* a Kiss-o'-Death holds until the configuration changes: the engine starts
             * every peer over at the normal pace, and so does its verdict here */
            np->kod_stopped = false;
            np->poll_multiplier = 1;
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
void core_model_save_indexes(void)
{
    char why[512];
    if (index_read_only || !index_path || !idx_dirty(indexes))
        return;
    if (idx_save(indexes, index_path, why, sizeof(why)) < 0) {
        struct stat st;
        if (core_running && stat(core_running->state_dir, &st) < 0 && errno == ENOENT)
            snprintf(why, sizeof(why),
                     "the state folder %s does not exist (create it, or set state_dir; the "
                     "packaged unit's StateDirectory= creates it)",
                     core_running->state_dir);
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

int core_model_init(const struct cfg *c)
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

int core_model_build(struct smsa_model *m, const struct cfg *c)
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

void core_model_fini(void)
{
    idx_free(indexes);
    indexes = NULL;
    free(index_path);
    index_path = NULL;
    index_unsaved = false;
}
