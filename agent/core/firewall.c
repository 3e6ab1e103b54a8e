#include "firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "appliances.h"
#include "core.h"

/* The vendor's own words about the update, licensing and rule hosts (TECH85204). */
#define VENDOR_WARNING                                                                             \
    "It is imperative that you do not use specific IP addresses for these hostnames when "         \
    "creating firewall rules."

/* nft refuses rule comments over 128 bytes; iptables' comment match allows 256. */
#define COMMENT_MAX 128

/* ---- the plan: rules, sets and notes, whatever the output format ---- */

struct rule {
    unsigned flow; /* 0: not in the vendor's table (what keeps this host reachable) */
    enum smsa_direction dir;
    enum smsa_proto proto;
    uint16_t port;
    int family;                /* 4, 6, or 0: any */
    char addr[SMSA_ADDR_TEXT]; /* "" with family 0: any address */
    unsigned prefix;           /* a prefix length (an allow list's CIDR); 0: one address */
    const char *host;          /* as configured; NULL: any */
    const char *label;         /* scanner name, "control-center", update purpose; may be NULL */
    int64_t resolved_us;       /* when host was resolved; 0: a literal, or any */
    bool pinned;               /* false: an update host's port to any destination */
    bool open_any;             /* kept open from or to anywhere: a warning comes with it */
    bool mirror;               /* an update source off the vendor's port: pinned, and why */
    char set[32];              /* the set matched instead of addr; "" for none */
    /* Beside (the forward view): the appliance's own side of the flow, one of its addresses;
     * addr is then the other side (the source of an inbound flow, the peer of an outbound
     * one). "" on-box, where the appliance is this host. */
    char appl[SMSA_ADDR_TEXT];
    const char *appl_name;
    bool vantage; /* admits this host, whose checks beside reach the appliance */
    char comment[COMMENT_MAX];
};

/* An appliance of the forward view: this one at appliance.address and, on a Control Center
 * or an all-in-one box, each scanner at its host. */
struct appl {
    const char *name;
    enum smsa_role role;
    bool self;
    const char *host;
    uint16_t port;         /* a scanner's configured port (its link, flow 11); 0: the table's */
    struct fw_addrs addrs; /* resolved now; n == 0: nothing is opened for it */
};

struct fwset {
    char name[32];
    unsigned flow;
    enum smsa_proto proto;
    uint16_t port;
    int family;
    char **hosts;
    size_t n_hosts;
    char (*addrs)[SMSA_ADDR_TEXT];
    size_t n_addrs;
};

struct note {
    unsigned flow;
    char text[400];
};

struct plan {
    const struct cfg *cfg;
    const struct fw_options *opt;
    fw_lookup_fn lookup;
    void *arg;
    struct rule *rules;
    size_t n_rules;
    size_t *seen; /* hash of rules (indexes + 1, 0 empty): de-duplication in O(1) */
    size_t n_seen;
    struct fwset *sets;
    size_t n_sets;
    struct note *notes;
    size_t n_notes;
    bool oom;
    /* beside: the appliances, and the one whose rules are being planned (NULL: none) */
    bool forward;
    struct appl *appls;
    size_t n_appls;
    const struct appl *cur;
    /* every address of the fleet, each once, IPv4 first, sorted: what else is dropped */
    char (*fleet)[SMSA_ADDR_TEXT];
    size_t n_fleet;
    struct addr_hostport proxy; /* probe.http_proxy, parsed; port 0: none */
};

/* Room for element n of an array that grows one element at a time: the capacity doubles
 * when n reaches a power of two, so thousands of scanners cost O(n) copies, not O(n^2). */
static void *grow(void *p, size_t n, size_t size, bool *oom)
{
    if (n & (n - 1))
        return p;
    void *q = realloc(p, (n ? 2 * n : 1) * size);
    if (!q)
        *oom = true;
    return q;
}

static void stamp_text(int64_t wall_us, char *buf, size_t len)
{
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Comments land inside double quotes of nft and iptables-restore: keep them plain. */
static void clean_text(char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || *s == '\'' || (unsigned char)*s < 0x20 ||
            (unsigned char)*s > 0x7e)
            *s = '_';
}

static int literal_family(const char *host)
{
    int af = addr_literal_family(host);
    return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

static int text_family(const char *addr)
{
    return strchr(addr, ':') ? 6 : 4;
}

/* true when the note is new: beside, every appliance of a fleet says the same once */
static bool add_note(struct plan *p, unsigned flow, const char *fmt, const char *a, const char *b)
{
    struct note tmp;
    tmp.flow = flow;
    snprintf(tmp.text, sizeof(tmp.text), fmt, a ? a : "", b ? b : "");
    /* notes are comment lines: nothing in them may end the line */
    clean_text(tmp.text);
    for (size_t i = 0; i < p->n_notes; i++)
        if (p->notes[i].flow == flow && !strcmp(p->notes[i].text, tmp.text))
            return false;
    struct note *n = grow(p->notes, p->n_notes, sizeof(*n), &p->oom);
    if (!n)
        return false;
    p->notes = n;
    p->notes[p->n_notes++] = tmp;
    return true;
}

/* A note that a person loading the rules must hear: also said through the caller's warn. */
static void add_warning(struct plan *p, unsigned flow, const char *fmt, const char *a,
                        const char *b)
{
    /* a sets-only output opens nothing: its reader has nothing to hear */
    if (add_note(p, flow, fmt, a, b) && p->opt->warn && !p->oom && p->opt->sets != FW_SETS_ONLY)
        p->opt->warn(p->notes[p->n_notes - 1].text, p->opt->warn_arg);
}

static bool same_rule(const struct rule *a, const struct rule *b)
{
    return a->flow == b->flow && a->dir == b->dir && a->proto == b->proto && a->port == b->port &&
           a->family == b->family && a->prefix == b->prefix && !strcmp(a->addr, b->addr) &&
           !strcmp(a->set, b->set) && !strcmp(a->appl, b->appl);
}

/* FNV-1a over what same_rule compares. */
static size_t rule_hash(const struct rule *r)
{
    uint64_t h = 14695981039346656037u;
    unsigned nums[] = {r->flow, (unsigned)r->dir,    (unsigned)r->proto,
                       r->port, (unsigned)r->family, r->prefix};
    const unsigned char *b = (const unsigned char *)nums;
    for (size_t i = 0; i < sizeof(nums); i++)
        h = (h ^ b[i]) * 1099511628211u;
    for (const char *s = r->addr; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    h = (h ^ 0xff) * 1099511628211u;
    for (const char *s = r->set; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    h = (h ^ 0xff) * 1099511628211u;
    for (const char *s = r->appl; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* Index + 1 of the rule equal to r, or the empty slot where it goes (*slot). */
static size_t seen_find(const struct plan *p, const struct rule *r, size_t *slot)
{
    size_t mask = p->n_seen - 1, i = rule_hash(r) & mask;
    while (p->seen[i] && !same_rule(&p->rules[p->seen[i] - 1], r))
        i = (i + 1) & mask;
    *slot = i;
    return p->seen[i];
}

/* Keeps the table at most half full, so a probe sequence stays short. */
static int seen_reserve(struct plan *p)
{
    if (p->n_seen && 2 * (p->n_rules + 1) <= p->n_seen)
        return 0;
    size_t n = p->n_seen ? 2 * p->n_seen : 64;
    size_t *t = calloc(n, sizeof(*t));
    if (!t) {
        p->oom = true;
        return -1;
    }
    free(p->seen);
    p->seen = t;
    p->n_seen = n;
    for (size_t k = 0, slot; k < p->n_rules; k++) {
        seen_find(p, &p->rules[k], &slot);
        p->seen[slot] = k + 1;
    }
    return 0;
}

static void add_one(struct plan *p, const struct rule *r)
{
    size_t slot;
    if (seen_reserve(p) < 0 || seen_find(p, r, &slot))
        return; /* two names for one address: one rule is enough */
    struct rule *n = grow(p->rules, p->n_rules, sizeof(*n), &p->oom);
    if (!n)
        return;
    p->rules = n;
    p->seen[slot] = p->n_rules + 1;
    n = &p->rules[p->n_rules++];
    *n = *r;
    /* "flow 11 scanner1 scanner1.example.net resolved 2026-11-30T22:58:01Z" */
    char when[32] = "";
    if (r->resolved_us > 0)
        stamp_text(r->resolved_us, when, sizeof(when));
    bool label = r->label && (!r->host || strcmp(r->label, r->host));
    /* beside, the appliance's name leads: one chain holds the whole fleet */
    char who[CFG_MAX_NAME + 3] = "";
    if (r->appl_name)
        snprintf(who, sizeof(who), "%s: ", r->appl_name);
    if (r->flow == 0)
        snprintf(n->comment, sizeof(n->comment), "kept: %s%s%s", r->label ? r->label : "",
                 r->host ? " " : "", r->host ? r->host : "");
    else if (r->vantage)
        snprintf(n->comment, sizeof(n->comment), "%sflow %u checked from this host", who, r->flow);
    else if (r->open_any)
        snprintf(n->comment, sizeof(n->comment), "%sflow %u from anywhere: %s", who, r->flow,
                 r->label ? r->label : "");
    else if (!r->pinned)
        snprintf(n->comment, sizeof(n->comment), "%sflow %u %s: update hosts are never pinned", who,
                 r->flow, r->set[0] ? r->set : "any destination");
    else
        snprintf(n->comment, sizeof(n->comment), "%sflow %u%s%s%s%s%s%s", who, r->flow,
                 label ? " " : "", label ? r->label : "", r->host ? " " : "",
                 r->host ? r->host : "", when[0] ? " resolved " : "", when);
    clean_text(n->comment);
}

/* On-box, the rule itself. Beside, one rule per address of the appliance being planned whose
 * family fits the other side's (any: both families): the same flow between both ends. */
static void add_rule(struct plan *p, const struct rule *r)
{
    if (!p->cur) {
        add_one(p, r);
        return;
    }
    for (size_t i = 0; i < p->cur->addrs.n; i++) {
        const char *a = p->cur->addrs.addr[i];
        int fam = text_family(a);
        if (r->family && r->family != fam)
            continue;
        struct rule f = *r;
        f.family = fam;
        f.appl_name = p->cur->name;
        snprintf(f.appl, sizeof(f.appl), "%s", a);
        add_one(p, &f);
    }
}

/* IPv4 first, then by address: the same order whoever resolved the name. */
static int cmp_addr_text(const void *a, const void *b)
{
    const char *x = a, *y = b;
    int fx = text_family(x), fy = text_family(y);
    if (fx != fy)
        return fx - fy;
    unsigned char bx[16] = {0}, by[16] = {0};
    inet_pton(fx == 6 ? AF_INET6 : AF_INET, x, bx);
    inet_pton(fy == 6 ? AF_INET6 : AF_INET, y, by);
    return memcmp(bx, by, sizeof(bx));
}

static void lookup_sorted(struct plan *p, const char *host, struct fw_addrs *a)
{
    p->lookup(host, a, p->arg);
    if (a->n > FW_MAX_ADDRS)
        a->n = FW_MAX_ADDRS;
    /* what a resolver handed over lands in rules and sets: address literals only */
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++) {
        a->addr[i][SMSA_ADDR_TEXT - 1] = '\0';
        if (!literal_family(a->addr[i]))
            continue;
        if (k != i)
            memcpy(a->addr[k], a->addr[i], SMSA_ADDR_TEXT);
        k++;
    }
    a->n = k;
    qsort(a->addr, a->n, sizeof(a->addr[0]), cmp_addr_text);
}

/* One rule per address of host: the literal itself, or what the name resolves to now. */
static void add_host(struct plan *p, const struct rule *tmpl, const char *host, const char *label)
{
    struct rule r = *tmpl;
    r.host = host;
    r.label = label;
    r.pinned = true;
    int fam = literal_family(host);
    if (fam) {
        r.family = fam;
        snprintf(r.addr, sizeof(r.addr), "%s", host);
        add_rule(p, &r);
        return;
    }
    struct fw_addrs *a = calloc(1, sizeof(*a));
    if (!a) {
        p->oom = true;
        return;
    }
    lookup_sorted(p, host, a);
    if (!a->resolved || a->n == 0) {
        add_note(p, r.flow, "%s did not resolve: nothing is opened for it%s", host, "");
        free(a);
        return;
    }
    r.resolved_us = a->at_us;
    for (size_t i = 0; i < a->n && i < FW_MAX_ADDRS; i++) {
        r.family = text_family(a->addr[i]);
        snprintf(r.addr, sizeof(r.addr), "%s", a->addr[i]);
        add_rule(p, &r);
    }
    free(a);
}

/* ---- where each flow's traffic comes from or goes to ---- */

/* The probes' rule: a peer entry's port applies to its list's first flow only (the link flow,
 * LDAP's 389, ...); the others (13, 16-18, 3268) are served on the catalogue's port. */
static uint16_t entry_port(unsigned flow, uint16_t catalogue, uint16_t configured)
{
    return configured && cat_takes_entry_port(flow) ? configured : catalogue;
}

static void add_list(struct plan *p, const struct rule *tmpl, const struct cfg_list *l,
                     bool outbound, const char *what)
{
    if (l->n == 0)
        add_note(p, tmpl->flow, "no %s configured: nothing is opened%s", what, "");
    for (size_t i = 0; i < l->n; i++) {
        struct rule r = *tmpl;
        if (outbound)
            r.port = entry_port(tmpl->flow, tmpl->port, l->items[i].port);
        add_host(p, &r, l->items[i].host, NULL);
    }
}

/* Never lock the operator out: with no management host to open SSH to, it stays open from
 * anywhere, with a warning in the output and to the caller. */
static void keep_ssh_open(struct plan *p, const struct rule *tmpl, bool had_hosts)
{
    struct rule r = *tmpl;
    r.pinned = true;
    r.open_any = true;
    r.label = "no management host to open it to";
    add_rule(p, &r);
    if (had_hosts && p->cur)
        add_warning(
            p, CAT_FLOW_SSH,
            "no management host resolved to an address of the family of %s: SSH (22/tcp) to "
            "it stays open from anywhere, so that this ruleset cannot lock the operator "
            "out%s",
            p->cur->name, "");
    else
        add_warning(p, CAT_FLOW_SSH,
                    had_hosts
                        ? "no management host resolved: SSH (22/tcp) stays open from anywhere, "
                          "so that this ruleset cannot lock the operator out%s%s"
                        : "management_hosts is empty: SSH (22/tcp) stays open from anywhere, so "
                          "that this ruleset cannot lock the operator out; set "
                          "management_hosts to restrict it%s%s",
                    "", "");
}

static void inbound(struct plan *p, const struct cat_flow *f)
{
    const struct cfg *c = p->cfg;
    struct rule r = {.flow = f->id, .dir = DIR_INBOUND, .proto = f->proto, .port = f->port};
    switch (cat_inbound_source(f->id)) {
    case CAT_FROM_ANY:
        r.pinned = true;
        r.label = "any source";
        add_rule(p, &r);
        break;
    case CAT_FROM_MANAGEMENT: {
        size_t before = p->n_rules;
        if (f->id != CAT_FLOW_SSH || c->management_hosts.n)
            add_list(p, &r, &c->management_hosts, false, "management_hosts");
        if (f->id == CAT_FLOW_SSH && p->n_rules == before)
            keep_ssh_open(p, &r, c->management_hosts.n != 0);
        break;
    }
    case CAT_FROM_INTERNAL_MAIL:
        add_list(p, &r, &c->internal_mail_servers, false, "internal_mail_servers");
        break;
    case CAT_FROM_CONTROL_CENTER:
        if (c->control_center)
            add_host(p, &r, c->control_center, "control-center");
        else
            add_note(p, f->id, "no control_center configured: nothing is opened%s%s", "", "");
        break;
    case CAT_FROM_SCANNERS:
        if (c->n_scanners == 0)
            add_note(p, f->id, "no scanners configured: nothing is opened%s%s", "", "");
        for (size_t i = 0; i < c->n_scanners; i++)
            add_host(p, &r, c->scanners[i].peer.host, c->scanners[i].name);
        break;
    case CAT_FROM_MANAGEMENT_OR_ANY:
        /* an operator-added flow names no source: the management hosts when there are some,
         * else anywhere (the flow exists because the appliance is reached on it) */
        for (size_t i = 0; i < c->management_hosts.n; i++)
            add_host(p, &r, c->management_hosts.items[i].host, f->purpose);
        if (c->management_hosts.n == 0) {
            r.pinned = true;
            r.label = f->purpose;
            add_rule(p, &r);
            add_note(p, f->id, "%s: management_hosts is empty, so it is opened from any source%s",
                     f->purpose, "");
        }
        break;
    }
}

static struct fwset *find_set(struct plan *p, unsigned flow, uint16_t port, int family)
{
    for (size_t i = 0; i < p->n_sets; i++)
        if (p->sets[i].flow == flow && p->sets[i].port == port && p->sets[i].family == family)
            return &p->sets[i];
    struct fwset *s = grow(p->sets, p->n_sets, sizeof(*s), &p->oom);
    if (!s)
        return NULL;
    p->sets = s;
    s = &p->sets[p->n_sets++];
    memset(s, 0, sizeof(*s));
    /* one name for nft and ipset (31 characters at most) */
    snprintf(s->name, sizeof(s->name), "smsa_f%u_%u_v%d", flow, (unsigned)port, family);
    s->flow = flow;
    s->proto = cat_flow(flow)->proto;
    s->port = port;
    s->family = family;
    return s;
}

static void set_add_host(struct plan *p, struct fwset *s, const char *host)
{
    for (size_t i = 0; i < s->n_hosts; i++)
        if (!strcmp(s->hosts[i], host))
            return;
    char **h = grow(s->hosts, s->n_hosts, sizeof(*h), &p->oom);
    if (!h)
        return;
    s->hosts = h;
    if (!(s->hosts[s->n_hosts] = strdup(host)))
        p->oom = true;
    else
        s->n_hosts++;
}

static void set_add_addr(struct plan *p, struct fwset *s, const char *addr)
{
    for (size_t i = 0; i < s->n_addrs; i++)
        if (!strcmp(s->addrs[i], addr))
            return;
    char(*a)[SMSA_ADDR_TEXT] = grow(s->addrs, s->n_addrs, sizeof(*a), &p->oom);
    if (!a)
        return;
    s->addrs = a;
    snprintf(s->addrs[s->n_addrs++], SMSA_ADDR_TEXT, "%s", addr);
}

/* Update hosts: never pinned. Their port to any destination, or (opt-in) named sets of
 * both families holding their current addresses, refreshed by a timer. */
/* With probe.http_proxy the appliance reaches the HTTP and HTTPS update hosts (6, 19) through
 * the proxy, as the probes do: their flow opens to the proxy's address and port only. */
static bool through_proxy(const struct plan *p, const struct cat_flow *f)
{
    enum smsa_probe_kind k = cat_probe_kind(f->id, p->cfg->role);
    return p->cfg->probe.http_proxy && (k == PROBE_TLS || k == PROBE_HTTP);
}

static void updates_via_proxy(struct plan *p, const struct cat_flow *f)
{
    char why[128];
    if (!p->proxy.port &&
        (addr_parse_hostport(p->cfg->probe.http_proxy, &p->proxy, why, sizeof(why)) < 0 ||
         !p->proxy.port))
        return; /* not reached: the configuration was checked */
    struct rule r = {.flow = f->id, .dir = DIR_OUTBOUND, .proto = PROTO_TCP, .port = p->proxy.port};
    add_note(p, f->id,
             "the appliance reaches these update hosts through the proxy %s (probe.http_proxy): "
             "only the proxy is opened%s",
             p->cfg->probe.http_proxy, "");
    add_host(p, &r, p->proxy.host, "proxy (probe.http_proxy)");
}

static void updates(struct plan *p, const struct cat_flow *f)
{
    const struct cfg *c = p->cfg;
    bool any = false;
    if (through_proxy(p, f)) {
        updates_via_proxy(p, f);
        return;
    }
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        if (!u->enabled || cat_update_flow(u->purpose) != f->id)
            continue;
        any = true;
        uint16_t port = u->port ? u->port : f->port;
        struct rule r = {.flow = f->id, .dir = DIR_OUTBOUND, .proto = f->proto, .port = port};
        if (port != f->port) {
            /* Only the vendor's port goes to any destination: another port is an internal
             * mirror, and opening it to the world would let a REST writer open any port. */
            r.mirror = true;
            add_host(p, &r, u->host, "update mirror");
            continue;
        }
        if (p->opt->sets == FW_SETS_NONE) {
            add_rule(p, &r);
            continue;
        }
        struct fwset *s4 = find_set(p, f->id, port, 4), *s6 = s4 ? find_set(p, f->id, port, 6) : 0;
        if (!s4 || !s6)
            return;
        s4 = find_set(p, f->id, port, 4); /* creating s6 may have moved the array */
        set_add_host(p, s4, u->host);
        set_add_host(p, s6, u->host);
        int fam = literal_family(u->host);
        struct fw_addrs *a = calloc(1, sizeof(*a));
        if (!a) {
            p->oom = true;
            return;
        }
        if (fam) {
            a->resolved = true;
            a->n = 1;
            snprintf(a->addr[0], SMSA_ADDR_TEXT, "%s", u->host);
        } else {
            lookup_sorted(p, u->host, a);
        }
        if (!a->resolved || a->n == 0)
            add_note(p, f->id, "%s did not resolve: its set lacks it until the next refresh%s",
                     u->host, "");
        for (size_t k = 0; k < a->n && k < FW_MAX_ADDRS; k++)
            set_add_addr(p, text_family(a->addr[k]) == 4 ? s4 : s6, a->addr[k]);
        free(a);
        struct rule v4 = r, v6 = r;
        v4.family = 4;
        snprintf(v4.set, sizeof(v4.set), "%s", s4->name);
        v6.family = 6;
        snprintf(v6.set, sizeof(v6.set), "%s", s6->name);
        add_rule(p, &v4);
        add_rule(p, &v6);
    }
    if (!any)
        add_note(p, f->id, "no enabled update source: nothing is opened%s%s", "", "");
}

static void outbound(struct plan *p, const struct cat_flow *f)
{
    const struct cfg *c = p->cfg;
    struct rule r = {.flow = f->id, .dir = DIR_OUTBOUND, .proto = f->proto, .port = f->port};
    switch (cat_peer_source(f->id)) {
    case SRC_CONTROL_CENTER:
        if (!c->control_center) {
            add_note(p, f->id, "no control_center configured: nothing is opened%s%s", "", "");
            break;
        }
        r.port = entry_port(f->id, f->port, c->control_center_port);
        add_host(p, &r, c->control_center, "control-center");
        break;
    case SRC_SCANNERS:
        if (c->n_scanners == 0)
            add_note(p, f->id, "no scanners configured: nothing is opened%s%s", "", "");
        for (size_t i = 0; i < c->n_scanners; i++) {
            struct rule s = r;
            s.port = entry_port(f->id, f->port, c->scanners[i].peer.port);
            add_host(p, &s, c->scanners[i].peer.host, c->scanners[i].name);
        }
        break;
    case SRC_DNS_SERVERS:
        add_list(p, &r, &c->dns_servers, true, "dns_servers");
        break;
    case SRC_NTP_SERVERS:
        add_list(p, &r, &c->ntp_servers, true, "ntp_servers");
        break;
    case SRC_LDAP_SERVERS:
        add_list(p, &r, &c->ldap_servers, true, "ldap_servers");
        break;
    case SRC_INTERNAL_MAIL:
        add_list(p, &r, &c->internal_mail_servers, true, "internal_mail_servers");
        break;
    case SRC_INTERNET_MAIL:
        if (c->internet_mail_hosts.n == 0) {
            /* mail to the Internet goes wherever MX records point */
            r.pinned = true;
            r.label = "any destination";
            add_rule(p, &r);
        } else {
            add_list(p, &r, &c->internet_mail_hosts, true, "internet_mail_hosts");
        }
        break;
    case SRC_UPDATES:
        updates(p, f);
        break;
    case SRC_EXTRA: {
        /* an operator-added flow: its own peers, each on its own port or the flow's */
        const struct cfg_extra_flow *x = cfg_extra_flow(c, f->id);
        for (size_t i = 0; x && i < x->peers.n; i++) {
            struct rule e = r;
            e.port = entry_port(f->id, f->port, x->peers.items[i].port);
            add_host(p, &e, x->peers.items[i].host, f->purpose);
        }
        break;
    }
    case SRC_NONE:
        break;
    }
}

/* ---- what keeps this host reachable, whatever the vendor's table says ---- */

static void keep_resolver(struct plan *p, const char *addr, uint16_t port, const char *what)
{
    struct rule r = {.dir = DIR_OUTBOUND, .port = port ? port : 53, .pinned = true};
    r.family = literal_family(addr);
    if (!r.family)
        return;
    snprintf(r.addr, sizeof(r.addr), "%s", addr);
    r.label = what;
    /* DNS falls back to TCP for long answers (RFC 7766): both */
    r.proto = PROTO_UDP;
    add_rule(p, &r);
    r.proto = PROTO_TCP;
    add_rule(p, &r);
}

/* This host's own name resolution: the nameservers of resolv.conf, and probe.resolver's. */
static void keep_resolvers(struct plan *p)
{
    const char *path = p->opt->resolv_conf ? p->opt->resolv_conf : FW_RESOLV_CONF;
    FILE *f = fopen(path, "re");
    if (!f && errno != ENOENT) {
        /* unknown resolvers: keep DNS working rather than lock the host's names out */
        struct rule r = {.dir = DIR_OUTBOUND, .port = 53, .pinned = true, .open_any = true};
        r.label = "resolvers of this host unknown";
        r.proto = PROTO_UDP;
        add_rule(p, &r);
        r.proto = PROTO_TCP;
        add_rule(p, &r);
        add_warning(p, CAT_FLOW_DNS,
                    "cannot read %s: 53 udp and tcp stay open to any destination, so that this "
                    "host keeps its name resolution%s",
                    path, "");
    }
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        char word[16], addr[SMSA_ADDR_TEXT + 1];
        if (sscanf(line, " %15s %48s", word, addr) != 2 || strcmp(word, "nameserver"))
            continue;
        addr[strcspn(addr, "%")] = '\0'; /* a link-local scope: the rule takes the address */
        keep_resolver(p, addr, 53, "resolver of this host");
    }
    if (f)
        fclose(f);
    for (const char *s = p->cfg->probe.resolver; s && *s;) {
        char item[CFG_MAX_HOST + 16], why[8];
        size_t n = strcspn(s, ",");
        struct addr_hostport hp;
        if (n < sizeof(item)) {
            memcpy(item, s, n);
            item[n] = '\0';
            if (addr_parse_hostport(item, &hp, why, sizeof(why)) == 0)
                keep_resolver(p, hp.host, hp.port, "resolver of the agent");
        }
        s += n + (s[n] == ',');
    }
}

static void cidr_text(const struct addr_cidr *c, char *buf, size_t len, unsigned *prefix)
{
    inet_ntop(c->family, c->addr, buf, (socklen_t)len);
    *prefix = c->bits == (c->family == AF_INET6 ? 128u : 32u) ? 0 : c->bits;
}

/* The agent's own REST listener, from http.allow; its SNMP master, from anywhere (SNMP has
 * no allow list: the community or USM user is its guard). snmpd's 161 is not ours. */
static void keep_listeners(struct plan *p)
{
    const struct cfg *c = p->cfg;
    struct addr_hostport hp;
    char why[8];
    if (c->http.listen && *c->http.listen &&
        addr_parse_hostport(c->http.listen, &hp, why, sizeof(why)) == 0 && hp.port &&
        !addr_hostport_is_loopback(&hp)) {
        struct rule r = {.dir = DIR_INBOUND, .proto = PROTO_TCP, .port = hp.port, .pinned = true};
        r.label = "REST of the agent (http.allow)";
        for (size_t i = 0; i < c->http.n_allow; i++) {
            struct addr_cidr cidr;
            if (addr_parse_cidr(c->http.allow[i], &cidr) < 0)
                continue;
            r.family = cidr.family == AF_INET6 ? 6 : 4;
            cidr_text(&cidr, r.addr, sizeof(r.addr), &r.prefix);
            add_rule(p, &r);
        }
    }
    struct addr_endpoint ep;
    if (c->snmp.mode == SNMP_MODE_MASTER && c->snmp.master_listen &&
        addr_parse_transport(c->snmp.master_listen, &ep, why, sizeof(why)) == 0 &&
        !addr_hostport_is_loopback(&ep.hp)) {
        bool tcp = ep.transport == ADDR_TCP || ep.transport == ADDR_TCP6;
        struct rule r = {.dir = DIR_INBOUND,
                         .proto = tcp ? PROTO_TCP : PROTO_UDP,
                         .port = ep.hp.port ? ep.hp.port : 161,
                         .pinned = true};
        r.label = "SNMP master of the agent (snmp.master_listen)";
        add_rule(p, &r);
    }
}

/* The flows of one role: this appliance's on-box, each appliance's beside (p->cur). */
static void plan_flows(struct plan *p, enum smsa_role role, bool self)
{
    for (size_t i = 0; i < cfg_n_flows(p->cfg) && !p->oom; i++) {
        unsigned id = cfg_flow_id(p->cfg, i);
        const struct cat_flow *f = cat_flow(id);
        enum smsa_direction d = cat_direction(id, role);
        if (d == DIR_NOT_APPLICABLE)
            continue;
        /* a scanner's flows with its Control Center: written once, from the Control Center's
         * side (flows 11-13 and 16-18 between the same two addresses) */
        if (!self && (d == DIR_INBOUND ? cat_inbound_source(id) == CAT_FROM_CONTROL_CENTER
                                       : cat_peer_source(id) == SRC_CONTROL_CENTER))
            continue;
        if (core_flow_switched_off(p->cfg, id)) {
            add_note(p, id, "switched off in the configuration: nothing is opened%s%s", "", "");
            continue;
        }
        if (d == DIR_INBOUND)
            inbound(p, f);
        else
            outbound(p, f);
    }
}

/* Sorted, then each once: thousands of scanners cost O(n log n). */
static void fleet_collect(struct plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_appls; i++)
        n += p->appls[i].addrs.n;
    if (!n)
        return;
    if (!(p->fleet = calloc(n, sizeof(*p->fleet)))) {
        p->oom = true;
        return;
    }
    for (size_t i = 0; i < p->n_appls; i++)
        for (size_t k = 0; k < p->appls[i].addrs.n; k++)
            memcpy(p->fleet[p->n_fleet++], p->appls[i].addrs.addr[k], SMSA_ADDR_TEXT);
    qsort(p->fleet, p->n_fleet, sizeof(*p->fleet), cmp_addr_text);
    size_t k = 0;
    for (size_t i = 0; i < p->n_fleet; i++)
        if (k == 0 || cmp_addr_text(p->fleet[k - 1], p->fleet[i])) {
            if (k != i)
                memcpy(p->fleet[k], p->fleet[i], SMSA_ADDR_TEXT);
            k++;
        }
    p->n_fleet = k;
}

/* The fleet's addresses of one family: fleet[*first .. *first + *n). */
static void fleet_family(const struct plan *p, int fam, size_t *first, size_t *n)
{
    size_t i = 0;
    while (i < p->n_fleet && text_family(p->fleet[i]) != fam)
        i++;
    *first = i;
    while (i < p->n_fleet && text_family(p->fleet[i]) == fam)
        i++;
    *n = i - *first;
}

/* The addresses of a name or literal, now; a note when there are none. */
static void resolve_appliance(struct plan *p, struct appl *a)
{
    memset(&a->addrs, 0, sizeof(a->addrs));
    if (!a->host) {
        add_note(p, 0, "%s has no address: nothing is opened for it%s", a->name, "");
        return;
    }
    if (literal_family(a->host)) {
        a->addrs.resolved = true;
        a->addrs.n = 1;
        snprintf(a->addrs.addr[0], SMSA_ADDR_TEXT, "%s", a->host);
    } else {
        lookup_sorted(p, a->host, &a->addrs);
    }
    if (a->addrs.n == 0)
        add_note(p, 0, "%s did not resolve: nothing is opened for appliance %s", a->host, a->name);
}

/* This host to one appliance on port, for the check of flow id that it makes from here. */
static void admit_vantage(struct plan *p, unsigned id, uint16_t port)
{
    const struct fw_addrs *v = p->opt->vantage;
    struct rule r = {.flow = id,
                     .dir = DIR_INBOUND,
                     .proto = cat_flow(id)->proto,
                     .port = port,
                     .pinned = true,
                     .vantage = true,
                     .label = "this host"};
    for (size_t i = 0; v && i < v->n && i < FW_MAX_ADDRS; i++) {
        if (!literal_family(v->addr[i]))
            continue;
        r.family = text_family(v->addr[i]);
        snprintf(r.addr, sizeof(r.addr), "%s", v->addr[i]);
        add_rule(p, &r);
    }
}

/* Flows 2 and 4 are both checked on 25: one rule admits this host to the port. The flow of
 * id is c's flow i (cfg_flow_id). */
static bool checked_on_port_before(const struct cfg *c, const struct smsa_appliance *sa, size_t i,
                                   unsigned id)
{
    for (size_t j = 0; j < i; j++) {
        unsigned k = cfg_flow_id(c, j);
        if (appl_receives(c, sa, k) && !core_flow_switched_off(c, k) &&
            cat_flow(k)->port == cat_flow(id)->port && cat_flow(k)->proto == cat_flow(id)->proto)
            return true;
    }
    return false;
}

/* Beside, the checks reach the appliances from this host: each appliance's inbound flows at
 * its address (22, 25, 41443, 41080, ...), the Control Center's links and flows 16-18 to
 * each scanner, a Scanner's flows 12 and 13 to its Control Center. A network firewall that
 * admits only the appliances' own peers would make them read down. */
static void plan_vantage(struct plan *p)
{
    const struct cfg *c = p->cfg;
    if (!p->opt->vantage || p->opt->vantage->n == 0) {
        add_note(p, 0,
                 "the addresses of this host are unknown: nothing admits the checks of the agent "
                 "from here%s%s",
                 "", "");
        return;
    }
    for (size_t i = 0; i < p->n_appls && !p->oom; i++) {
        const struct appl *a = &p->appls[i];
        struct smsa_appliance sa = {.self = a->self};
        p->cur = a;
        for (size_t k = 0; k < cfg_n_flows(c); k++) {
            unsigned id = cfg_flow_id(c, k);
            if (appl_receives(c, &sa, id) && !core_flow_switched_off(c, id) &&
                !checked_on_port_before(c, &sa, k, id))
                admit_vantage(p, id, cat_flow(id)->port);
        }
        for (unsigned id = 1; id <= CAT_NFLOWS && !a->self; id++)
            if (cat_peer_source(id) == SRC_SCANNERS && cat_direction(id, c->role) == DIR_OUTBOUND)
                admit_vantage(p, id, entry_port(id, cat_flow(id)->port, a->port));
    }
    p->cur = NULL;
    if (c->role != ROLE_SCANNER || !c->control_center)
        return;
    /* the Control Center of a Scanner is none of the fleet's here: no drop is written for it */
    struct appl *cc = calloc(1, sizeof(*cc));
    if (!cc) {
        p->oom = true;
        return;
    }
    cc->name = "control-center";
    cc->role = ROLE_CONTROL_CENTER;
    cc->host = c->control_center;
    resolve_appliance(p, cc);
    p->cur = cc;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++)
        if (cat_peer_source(id) == SRC_CONTROL_CENTER && cat_direction(id, c->role) == DIR_OUTBOUND)
            admit_vantage(p, id, entry_port(id, cat_flow(id)->port, c->control_center_port));
    p->cur = NULL;
    free(cc);
}

/* Beside: the network firewall's view, every appliance's flows between its addresses and
 * theirs. This host's own input and output (SSH to it, its resolvers, the agent's listeners)
 * are not forwarded traffic: the on-box export rendered on this host keeps those. */
static void plan_forward(struct plan *p)
{
    const struct cfg *c = p->cfg;
    size_t n_scanners = c->role == ROLE_SCANNER ? 0 : c->n_scanners;
    p->appls = calloc(n_scanners + 1, sizeof(*p->appls));
    if (!p->appls) {
        p->oom = true;
        return;
    }
    p->appls[0] = (struct appl){.name = c->name, .role = c->role, .self = true, .host = c->address};
    for (size_t i = 0; i < n_scanners; i++)
        p->appls[i + 1] = (struct appl){.name = c->scanners[i].name,
                                        .role = ROLE_SCANNER,
                                        .host = c->scanners[i].peer.host,
                                        .port = c->scanners[i].peer.port};
    p->n_appls = n_scanners + 1;
    for (size_t i = 0; i < p->n_appls && !p->oom; i++)
        resolve_appliance(p, &p->appls[i]);
    for (size_t i = 0; i < p->n_appls && !p->oom; i++) {
        p->cur = &p->appls[i];
        plan_flows(p, p->appls[i].role, p->appls[i].self);
    }
    p->cur = NULL;
    if (p->opt->sets != FW_SETS_ONLY)
        plan_vantage(p);
    fleet_collect(p);
}

static void plan_build(struct plan *p)
{
    p->forward = p->cfg->placement == PLACEMENT_BESIDE;
    if (p->forward) {
        plan_forward(p);
        return;
    }
    if (p->opt->sets != FW_SETS_ONLY) {
        keep_resolvers(p);
        keep_listeners(p);
    }
    plan_flows(p, p->cfg->role, true);
}

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->n_sets; i++) {
        for (size_t j = 0; j < p->sets[i].n_hosts; j++)
            free(p->sets[i].hosts[j]);
        free(p->sets[i].hosts);
        free(p->sets[i].addrs);
    }
    free(p->sets);
    free(p->appls);
    free(p->fleet);
    free(p->seen);
    free(p->rules);
    free(p->notes);
}

void fw_each_name(const struct cfg *c, enum fw_sets sets, void (*cb)(const char *host, void *arg),
                  void *arg)
{
    const struct cfg_list *lists[] = {&c->dns_servers,           &c->ldap_servers,
                                      &c->internal_mail_servers, &c->internet_mail_hosts,
                                      &c->management_hosts,      &c->ntp_servers};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        for (size_t j = 0; j < lists[i]->n; j++)
            if (!literal_family(lists[i]->items[j].host))
                cb(lists[i]->items[j].host, arg);
    if (c->control_center && !literal_family(c->control_center))
        cb(c->control_center, arg);
    if (c->placement == PLACEMENT_BESIDE && c->address && !literal_family(c->address))
        cb(c->address, arg);
    for (size_t i = 0; i < c->n_scanners; i++)
        if (!literal_family(c->scanners[i].peer.host))
            cb(c->scanners[i].peer.host, arg);
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        unsigned flow = cat_update_flow(u->purpose);
        bool mirror = flow && u->port && u->port != cat_flow(flow)->port;
        if (u->enabled && (sets != FW_SETS_NONE || mirror) && !literal_family(u->host))
            cb(u->host, arg);
    }
    for (size_t i = 0; i < c->n_extra_flows; i++)
        for (size_t j = 0; j < c->extra_flows[i].peers.n; j++)
            if (!literal_family(c->extra_flows[i].peers.items[j].host))
                cb(c->extra_flows[i].peers.items[j].host, arg);
    struct addr_hostport proxy;
    char why[128];
    if (c->probe.http_proxy &&
        addr_parse_hostport(c->probe.http_proxy, &proxy, why, sizeof(why)) == 0 &&
        !literal_family(proxy.host))
        cb(proxy.host, arg);
}

/* ---- writers ---- */

static const char *dir_word(enum smsa_direction d)
{
    return d == DIR_INBOUND ? "inbound" : "outbound";
}

static void header(FILE *out, const struct plan *p, const char *what)
{
    char now[32], name[CFG_MAX_NAME + 1];
    stamp_text(p->opt->now_us, now, sizeof(now));
    snprintf(name, sizeof(name), "%s", p->cfg->name);
    clean_text(name); /* a comment line, whatever the configuration holds */
    if (p->forward)
        fprintf(out,
                "# smsa-agent: what the network firewall must forward for %s (%s) and its "
                "fleet, rendered %s.\n",
                name, cat_role_name(p->cfg->role), now);
    else
        fprintf(out, "# smsa-agent: what the host firewall of %s (%s) must allow, rendered %s.\n",
                name, cat_role_name(p->cfg->role), now);
    fprintf(out, "# %s\n", what);
    fprintf(out, "# Addresses are those resolved at the time each rule names: render again when "
                 "they change.\n");
    if (p->forward && p->opt->sets != FW_SETS_ONLY) {
        fprintf(out, "# The appliances:");
        for (size_t i = 0; i < p->n_appls; i++) {
            char an[CFG_MAX_NAME + 1];
            snprintf(an, sizeof(an), "%s", p->appls[i].name);
            clean_text(an);
            fprintf(out, "%s %s (", i ? ";" : "", an);
            for (size_t k = 0; k < p->appls[i].addrs.n; k++)
                fprintf(out, "%s%s", k ? " " : "", p->appls[i].addrs.addr[k]);
            fprintf(out, "%s)", p->appls[i].addrs.n ? "" : "no address");
        }
        fprintf(out, ".\n# This host (the agent's checks come from there):");
        const struct fw_addrs *v = p->opt->vantage;
        for (size_t i = 0; v && i < v->n && i < FW_MAX_ADDRS; i++)
            if (literal_family(v->addr[i]))
                fprintf(out, " %s", v->addr[i]);
        fprintf(out,
                "%s.\n# This host's own input and output (SSH to it, its resolvers, the "
                "agent's listeners) are\n# the on-box export's job: not forwarded traffic.\n",
                v && v->n ? "" : " unknown");
    }
    for (size_t i = 0; i < p->n_notes; i++) {
        if (p->notes[i].flow)
            fprintf(out, "# flow %u: %s\n", p->notes[i].flow, p->notes[i].text);
        else
            fprintf(out, "# %s\n", p->notes[i].text);
    }
}

static void rule_remark(FILE *out, const char *indent, const struct rule *r)
{
    /* the full story above the rule; the rule's own comment is short */
    const struct cat_flow *f = cat_flow(r->flow);
    if (!f) {
        fprintf(out, "%s# kept so that this host stays reachable: %s, %u/%s %s\n", indent, r->label,
                (unsigned)r->port, cat_proto_name(r->proto), dir_word(r->dir));
        if (r->open_any)
            fprintf(out, "%s# WARNING: to any destination, since they cannot be known\n", indent);
        return;
    }
    /* a comment line, whatever the configuration calls the appliance */
    char an[CFG_MAX_NAME + 1] = "";
    if (r->appl_name) {
        snprintf(an, sizeof(an), "%s", r->appl_name);
        clean_text(an);
    }
    if (r->vantage) {
        fprintf(out,
                "%s# this host to %s: the agent checks these flows from here, so it is "
                "admitted as their sources are\n",
                indent, an);
        return;
    }
    fprintf(out, "%s# flow %u, %s, %u/%s %s", indent, r->flow, f->purpose, (unsigned)r->port,
            cat_proto_name(r->proto), dir_word(r->dir));
    if (r->appl_name)
        fprintf(out, " %s %s", r->dir == DIR_INBOUND ? "to" : "from", an);
    if (r->open_any)
        fprintf(out,
                ": from anywhere\n%s# WARNING: %s, kept open so that this ruleset cannot "
                "lock the operator out\n",
                indent, r->label);
    else if (r->mirror)
        fprintf(out,
                ": an update source off the vendor's port (%u)\n%s# An internal mirror: "
                "pinned to its addresses, since only the vendor's port goes to any "
                "destination.\n",
                (unsigned)f->port, indent);
    else if (!r->pinned)
        fprintf(out, ": %s\n%s# %s\n", r->set[0] ? "update hosts through a set" : "any destination",
                indent, VENDOR_WARNING);
    else
        fprintf(out, "\n");
}

static bool family_fits(const struct rule *r, int fam)
{
    return r->family == 0 || r->family == fam;
}

/* The remark goes once above a run of rules of the same flow, port and direction. */
static bool same_group(const struct rule *a, const struct rule *b)
{
    /* this host's rules to one appliance share one remark */
    if (a && a->vantage && b->vantage)
        return a->appl_name == b->appl_name;
    return a && a->flow == b->flow && a->port == b->port && a->dir == b->dir &&
           a->pinned == b->pinned && a->proto == b->proto && (a->flow || a->label == b->label) &&
           a->appl_name == b->appl_name && a->vantage == b->vantage;
}

static void nft_rule(FILE *out, const struct rule *r, const struct rule *prev)
{
    if (!same_group(prev, r))
        rule_remark(out, "\t\t", r);
    fputs("\t\t", out);
    const char *side = r->dir == DIR_INBOUND ? "saddr" : "daddr";
    const char *fam = r->family == 6 ? "ip6" : "ip";
    /* beside, the appliance's side comes first when it is the source */
    if (r->appl[0] && r->dir == DIR_OUTBOUND)
        fprintf(out, "%s saddr %s ", fam, r->appl);
    if (r->set[0])
        fprintf(out, "%s %s @%s ", fam, side, r->set);
    else if (r->addr[0] && r->prefix)
        fprintf(out, "%s %s %s/%u ", fam, side, r->addr, r->prefix);
    else if (r->addr[0])
        fprintf(out, "%s %s %s ", fam, side, r->addr);
    if (r->appl[0] && r->dir == DIR_INBOUND)
        fprintf(out, "%s daddr %s ", fam, r->appl);
    fprintf(out, "%s dport %u accept comment \"%s\"\n", cat_proto_name(r->proto), (unsigned)r->port,
            r->comment);
}

/* Only address literals of the set's family are ever written: a sets-only output is set
 * elements and nothing else, whatever reached the plan. */
static bool element_ok(const struct fwset *s, const char *addr)
{
    return literal_family(addr) == s->family;
}

static size_t nft_n_elements(const struct fwset *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_addrs; i++)
        n += element_ok(s, s->addrs[i]);
    return n;
}

static void nft_set_elements(FILE *out, const struct fwset *s)
{
    const char *sep = "";
    for (size_t i = 0; i < s->n_addrs; i++) {
        if (!element_ok(s, s->addrs[i]))
            continue;
        fprintf(out, "%s%s", sep, s->addrs[i]);
        sep = ", ";
    }
}

static void write_nft_sets_only(FILE *out, const struct plan *p)
{
    header(out, p,
           "The update hosts' sets only: load with \"nft -f FILE\" on a timer (one transaction) "
           "after the ruleset rendered with sets.");
    for (size_t i = 0; i < p->n_sets; i++) {
        const struct fwset *s = &p->sets[i];
        fprintf(out, "flush set inet smsa_agent %s\n", s->name);
        if (nft_n_elements(s)) {
            fprintf(out, "add element inet smsa_agent %s { ", s->name);
            nft_set_elements(out, s);
            fprintf(out, " }\n");
        }
    }
}

/* Beside. Policy accept, on purpose: a base chain with policy drop in a table of its own
 * would drop every forwarded packet of the router that it does not accept (all other
 * networks' traffic: a lock-out of everything but the appliances). So the chain accepts the
 * appliances' flows and then drops only what else goes to or from an appliance's address.
 * nft runs every base chain at the hook: an accept here does not override a drop in the
 * router's own forward chain, a drop here is final. */
static void nft_forward_chain(FILE *out, const struct plan *p)
{
    fprintf(out, "%s\tchain forward {\n", p->n_sets ? "\n" : "");
    fputs("\t\t# policy accept: only the appliances' traffic is this chain's business\n", out);
    fputs("\t\ttype filter hook forward priority filter; policy accept;\n", out);
    fputs("\t\tct state established,related accept comment \"replies and related traffic\"\n", out);
    const struct rule *prev = NULL;
    for (size_t i = 0; i < p->n_rules; i++) {
        nft_rule(out, &p->rules[i], prev);
        prev = &p->rules[i];
    }
    for (int fam = 4; fam <= 6; fam += 2) {
        size_t first = 0, n = 0;
        fleet_family(p, fam, &first, &n);
        for (int side = 0; n && side < 2; side++) {
            fprintf(out, "\t\t%s %s { ", fam == 6 ? "ip6" : "ip", side ? "saddr" : "daddr");
            for (size_t i = first; i < first + n; i++)
                fprintf(out, "%s%s", i > first ? ", " : "", p->fleet[i]);
            fprintf(out, " } drop comment \"nothing else %s an appliance\"\n",
                    side ? "from" : "to");
        }
    }
    fputs("\t}\n", out);
}

static void write_nft(FILE *out, const struct plan *p)
{
    if (p->opt->sets == FW_SETS_ONLY) {
        write_nft_sets_only(out, p);
        return;
    }
    fputs("#!/usr/sbin/nft -f\n", out);
    if (p->forward)
        header(out, p,
               "Load with \"nft -f FILE\" on the router or firewall between the appliances and "
               "their peers: the table is replaced in one transaction. Its forward chain drops "
               "what it does not accept to or from an appliance, and leaves other traffic to "
               "the router's own chains.");
    else
        header(out, p,
               "Load with \"nft -f FILE\": the table is replaced in one transaction. Its "
               "chains drop what they do not accept.");
    /* declaring first makes the delete succeed on a host that has no such table yet */
    fputs("table inet smsa_agent\ndelete table inet smsa_agent\n\ntable inet smsa_agent {\n", out);
    for (size_t i = 0; i < p->n_sets; i++) {
        const struct fwset *s = &p->sets[i];
        fprintf(out, "\tset %s {\n", s->name);
        fprintf(out, "\t\ttype %s\n\t\tflags timeout\n\t\ttimeout %us\n",
                s->family == 6 ? "ipv6_addr" : "ipv4_addr", FW_SET_TIMEOUT_S);
        fprintf(out, "\t\tcomment \"flow %u update hosts, refreshed by a timer\"\n", s->flow);
        if (nft_n_elements(s)) {
            fputs("\t\telements = { ", out);
            nft_set_elements(out, s);
            fputs(" }\n", out);
        }
        fputs("\t}\n", out);
    }
    if (p->forward) {
        nft_forward_chain(out, p);
        fputs("}\n", out);
        return;
    }
    for (int chain = 0; chain < 2; chain++) {
        enum smsa_direction d = chain == 0 ? DIR_INBOUND : DIR_OUTBOUND;
        fprintf(out, "%s\tchain %s {\n", p->n_sets || chain ? "\n" : "",
                chain == 0 ? "input" : "output");
        fprintf(out, "\t\ttype filter hook %s priority filter; policy drop;\n",
                chain == 0 ? "input" : "output");
        fputs("\t\tct state established,related accept comment \"replies and related traffic\"\n",
              out);
        fprintf(out, "\t\t%s \"lo\" accept comment \"this host to itself\"\n",
                chain == 0 ? "iif" : "oif");
        /* IPv6 does not work at all without neighbour discovery (RFC 4890 section 4.4.1) */
        fprintf(out,
                "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, %s } accept comment "
                "\"IPv6 neighbour discovery\"\n",
                chain == 0 ? "nd-router-advert" : "nd-router-solicit");
        const struct rule *prev = NULL;
        for (size_t i = 0; i < p->n_rules; i++) {
            if (p->rules[i].dir != d)
                continue;
            nft_rule(out, &p->rules[i], prev);
            prev = &p->rules[i];
        }
        fputs("\t}\n", out);
    }
    fputs("}\n", out);
}

static void ipt_rule(FILE *out, const struct rule *r, const struct rule *prev, int fam)
{
    if (!same_group(prev, r))
        rule_remark(out, "", r);
    unsigned host_bits = fam == 6 ? 128u : 32u;
    fprintf(out, "-A %s",
            r->appl[0]              ? FW_IPT_FORWARD_CHAIN
            : r->dir == DIR_INBOUND ? "SMSA-IN"
                                    : "SMSA-OUT");
    /* the source first, then the destination: beside, one of them is the appliance */
    if (r->appl[0] && r->dir == DIR_OUTBOUND)
        fprintf(out, " -s %s/%u", r->appl, host_bits);
    const char *side = r->dir == DIR_INBOUND ? "src" : "dst";
    if (r->set[0])
        fprintf(out, " -m set --match-set %s %s", r->set, side);
    else if (r->addr[0])
        fprintf(out, " %s %s/%u", r->dir == DIR_INBOUND ? "-s" : "-d", r->addr,
                r->prefix ? r->prefix : host_bits);
    if (r->appl[0] && r->dir == DIR_INBOUND)
        fprintf(out, " -d %s/%u", r->appl, host_bits);
    fprintf(out, " -p %s -m %s --dport %u -m comment --comment \"%s\" -j ACCEPT\n",
            cat_proto_name(r->proto), cat_proto_name(r->proto), (unsigned)r->port, r->comment);
}

static void write_ipset(FILE *out, const struct plan *p, int fam)
{
    header(out, p,
           "The update hosts' sets for \"ipset restore\": load before the rules, and on a "
           "timer to refresh them (each set is swapped in whole).");
    for (size_t i = 0; i < p->n_sets; i++) {
        const struct fwset *s = &p->sets[i];
        if (s->family != fam)
            continue;
        const char *family = fam == 6 ? "inet6" : "inet";
        fprintf(out, "create %s hash:ip family %s timeout %u -exist\n", s->name, family,
                FW_SET_TIMEOUT_S);
        fprintf(out, "create %s_n hash:ip family %s timeout %u -exist\n", s->name, family,
                FW_SET_TIMEOUT_S);
        fprintf(out, "flush %s_n\n", s->name);
        for (size_t j = 0; j < s->n_addrs; j++)
            if (element_ok(s, s->addrs[j]))
                fprintf(out, "add %s_n %s\n", s->name, s->addrs[j]);
        fprintf(out, "swap %s_n %s\ndestroy %s_n\n", s->name, s->name, s->name);
    }
}

/* Beside: one chain that FORWARD jumps to. It ends by dropping what else goes to or from an
 * appliance; any other packet returns to FORWARD and the router's own rules (the same choice
 * as nft's policy accept: never a lock-out of the router's other traffic). */
static void write_iptables_forward(FILE *out, const struct plan *p, int fam)
{
    const char *tool = fam == 6 ? "ip6tables" : "iptables";
    char what[400];
    snprintf(what, sizeof(what),
             "Load with \"%s-restore --noflush FILE\" on the router or firewall between the "
             "appliances and their peers: it declares and fills %s only. Jump to it once: %s -I "
             "FORWARD -j %s%s",
             tool, FW_IPT_FORWARD_CHAIN, tool, FW_IPT_FORWARD_CHAIN,
             p->opt->sets == FW_SETS_ON ? ". Load the sets (--firewall-sets-only) first." : ".");
    header(out, p, what);
    fprintf(out, "*filter\n:%s - [0:0]\n", FW_IPT_FORWARD_CHAIN);
    fprintf(out,
            "-A %s -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment \"replies "
            "and related traffic\" -j ACCEPT\n",
            FW_IPT_FORWARD_CHAIN);
    const struct rule *prev = NULL;
    for (size_t i = 0; i < p->n_rules; i++) {
        if (!family_fits(&p->rules[i], fam))
            continue;
        ipt_rule(out, &p->rules[i], prev, fam);
        prev = &p->rules[i];
    }
    size_t first = 0, n = 0;
    fleet_family(p, fam, &first, &n);
    for (int side = 0; side < 2; side++)
        for (size_t i = first; i < first + n; i++)
            fprintf(out,
                    "-A %s %s %s/%u -m comment --comment \"nothing else %s an appliance\" -j "
                    "DROP\n",
                    FW_IPT_FORWARD_CHAIN, side ? "-s" : "-d", p->fleet[i], fam == 6 ? 128u : 32u,
                    side ? "from" : "to");
    fputs("COMMIT\n", out);
}

static void write_iptables(FILE *out, const struct plan *p, int fam)
{
    if (p->opt->sets == FW_SETS_ONLY) {
        write_ipset(out, p, fam);
        return;
    }
    if (p->forward) {
        write_iptables_forward(out, p, fam);
        return;
    }
    const char *tool = fam == 6 ? "ip6tables" : "iptables";
    char what[400];
    snprintf(what, sizeof(what),
             "Load with \"%s-restore --noflush FILE\": it declares and fills SMSA-IN and "
             "SMSA-OUT only. Jump to them once: %s -A INPUT -j SMSA-IN; %s -A OUTPUT -j "
             "SMSA-OUT%s",
             tool, tool, tool,
             p->opt->sets == FW_SETS_ON ? ". Load the sets (--firewall-sets-only) first." : ".");
    header(out, p, what);
    fputs("*filter\n:SMSA-IN - [0:0]\n:SMSA-OUT - [0:0]\n", out);
    for (int chain = 0; chain < 2; chain++) {
        const char *name = chain == 0 ? "SMSA-IN" : "SMSA-OUT";
        fprintf(out,
                "-A %s -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment \"replies "
                "and related traffic\" -j ACCEPT\n",
                name);
        fprintf(out, "-A %s %s lo -m comment --comment \"this host to itself\" -j ACCEPT\n", name,
                chain == 0 ? "-i" : "-o");
        if (fam == 6) {
            /* RFC 4890 section 4.4.1: IPv6 needs neighbour discovery */
            const char *types[] = {"neighbour-solicitation", "neighbour-advertisement",
                                   chain == 0 ? "router-advertisement" : "router-solicitation"};
            for (int t = 0; t < 3; t++)
                fprintf(out,
                        "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type %s -m comment --comment "
                        "\"IPv6 neighbour discovery\" -j ACCEPT\n",
                        name, types[t]);
        }
        enum smsa_direction d = chain == 0 ? DIR_INBOUND : DIR_OUTBOUND;
        const struct rule *prev = NULL;
        for (size_t i = 0; i < p->n_rules; i++) {
            if (p->rules[i].dir != d || !family_fits(&p->rules[i], fam))
                continue;
            ipt_rule(out, &p->rules[i], prev, fam);
            prev = &p->rules[i];
        }
        fprintf(out, "-A %s -m comment --comment \"nothing else\" -j DROP\n", name);
    }
    fputs("COMMIT\n", out);
}

/* The netfilter hook a rule is for: input and output on-box, forward beside. */
static const char *hook_name(const struct plan *p, const struct rule *r)
{
    return p->forward ? "forward" : r->dir == DIR_INBOUND ? "input" : "output";
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *stamp_or_null(int64_t us)
{
    if (us <= 0)
        return json_null();
    char buf[32];
    stamp_text(us, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *family_json(int fam)
{
    return fam == 0 ? json_null() : json_string(fam == 6 ? "ipv6" : "ipv4");
}

static int write_json(FILE *out, const struct plan *p)
{
    json_t *doc = json_object();
    json_t *sets = json_array();
    for (size_t i = 0; i < p->n_sets; i++) {
        const struct fwset *s = &p->sets[i];
        json_t *hosts = json_array(), *addrs = json_array();
        for (size_t j = 0; j < s->n_hosts; j++)
            json_array_append_new(hosts, json_string(s->hosts[j]));
        for (size_t j = 0; j < s->n_addrs; j++)
            json_array_append_new(addrs, json_string(s->addrs[j]));
        json_array_append_new(
            sets, json_pack("{s:s,s:I,s:s,s:I,s:o,s:o,s:o,s:I}", "name", s->name, "flow",
                            (json_int_t)s->flow, "protocol", cat_proto_name(s->proto), "port",
                            (json_int_t)s->port, "family", family_json(s->family), "hosts", hosts,
                            "addresses", addrs, "timeout_s", (json_int_t)FW_SET_TIMEOUT_S));
    }
    json_object_set_new(doc, "appliance", json_string(p->cfg->name));
    json_object_set_new(doc, "role", json_string(cat_role_name(p->cfg->role)));
    json_object_set_new(doc, "generated", stamp_or_null(p->opt->now_us));
    json_object_set_new(doc, "placement", json_string(cfg_placement_name(p->cfg->placement)));
    if (p->forward && p->opt->sets != FW_SETS_ONLY) {
        json_t *appls = json_array(), *vantage = json_array();
        for (size_t i = 0; i < p->n_appls; i++) {
            const struct appl *a = &p->appls[i];
            json_t *addrs = json_array();
            for (size_t k = 0; k < a->addrs.n; k++)
                json_array_append_new(addrs, json_string(a->addrs.addr[k]));
            json_array_append_new(appls, json_pack("{s:s,s:s,s:o,s:o}", "name", a->name, "role",
                                                   cat_role_name(a->role), "host",
                                                   str_or_null(a->host), "addresses", addrs));
        }
        const struct fw_addrs *v = p->opt->vantage;
        for (size_t i = 0; v && i < v->n && i < FW_MAX_ADDRS; i++)
            if (literal_family(v->addr[i]))
                json_array_append_new(vantage, json_string(v->addr[i]));
        json_object_set_new(doc, "appliances", appls);
        json_object_set_new(doc, "vantage", vantage);
    }
    if (p->opt->sets != FW_SETS_ONLY) {
        json_t *rules = json_array(), *notes = json_array();
        for (size_t i = 0; i < p->n_rules; i++) {
            const struct rule *r = &p->rules[i];
            char addr[SMSA_ADDR_TEXT + 12]; /* "/" and a prefix length */
            if (r->prefix)
                snprintf(addr, sizeof(addr), "%s/%u", r->addr, r->prefix);
            else
                snprintf(addr, sizeof(addr), "%s", r->addr);
            json_array_append_new(
                rules,
                json_pack("{s:I,s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:s}", "flow",
                          (json_int_t)r->flow, "direction", dir_word(r->dir), "protocol",
                          cat_proto_name(r->proto), "port", (json_int_t)r->port, "family",
                          family_json(r->family), "address", str_or_null(addr[0] ? addr : NULL),
                          "set", str_or_null(r->set[0] ? r->set : NULL), "host",
                          str_or_null(r->host), "label", str_or_null(r->label), "resolved",
                          stamp_or_null(r->resolved_us), "pinned", r->pinned, "warning",
                          r->pinned ? json_null() : json_string(VENDOR_WARNING), "comment",
                          r->comment));
            json_t *last = json_array_get(rules, json_array_size(rules) - 1);
            json_object_set_new(last, "hook", json_string(hook_name(p, r)));
            json_object_set_new(last, "appliance", str_or_null(r->appl_name));
            json_object_set_new(last, "appliance_address",
                                str_or_null(r->appl[0] ? r->appl : NULL));
        }
        for (size_t i = 0; i < p->n_notes; i++)
            json_array_append_new(notes,
                                  json_pack("{s:I,s:s}", "flow", (json_int_t)p->notes[i].flow,
                                            "text", p->notes[i].text));
        if (p->forward)
            json_object_set_new(
                doc, "baseline",
                json_pack("[s,s]", "established-related", "appliances-else-dropped"));
        else
            json_object_set_new(doc, "baseline",
                                json_pack("[s,s,s]", "established-related", "loopback",
                                          "ipv6-neighbour-discovery"));
        json_object_set_new(doc, "rules", rules);
        json_object_set_new(doc, "notes", notes);
    }
    json_object_set_new(doc, "sets", sets);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
    return rc;
}

int fw_render(FILE *out, const struct cfg *c, const struct fw_options *o, fw_lookup_fn lookup,
              void *arg)
{
    struct plan p = {.cfg = c, .opt = o, .lookup = lookup, .arg = arg};
    /* the rule functions answer for c's extra flows while this renders */
    struct cat_extra_rows was = cat_extra_use(cfg_extra_rows(c));
    plan_build(&p);
    int rc = p.oom ? -1 : 0;
    if (rc == 0) {
        switch (o->format) {
        case FW_NFT:
            write_nft(out, &p);
            break;
        case FW_IPTABLES:
            write_iptables(out, &p, 4);
            break;
        case FW_IP6TABLES:
            write_iptables(out, &p, 6);
            break;
        case FW_JSON:
            rc = write_json(out, &p);
            break;
        }
    }
    plan_free(&p);
    cat_extra_use(was);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}

int fw_vantage_addrs(struct fw_addrs *out)
{
    memset(out, 0, sizeof(*out));
    struct ifaddrs *list;
    if (getifaddrs(&list) < 0)
        return -1;
    for (const struct ifaddrs *i = list; i && out->n < FW_MAX_ADDRS; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        char text[SMSA_ADDR_TEXT];
        if (i->ifa_addr->sa_family == AF_INET) {
            const struct in_addr *a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
            /* 169.254.0.0/16 (RFC 3927): link-local, never routed */
            if ((ntohl(a->s_addr) >> 16) == 0xa9fe || !inet_ntop(AF_INET, a, text, sizeof(text)))
                continue;
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const struct in6_addr *a = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
            if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a) ||
                !inet_ntop(AF_INET6, a, text, sizeof(text)))
                continue;
        } else {
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < out->n && !dup; k++)
            dup = !strcmp(out->addr[k], text);
        if (!dup)
            snprintf(out->addr[out->n++], SMSA_ADDR_TEXT, "%s", text);
    }
    freeifaddrs(list);
    out->resolved = true;
    qsort(out->addr, out->n, sizeof(out->addr[0]), cmp_addr_text);
    return 0;
}

static const char *const format_names[] = {"nft", "iptables", "ip6tables", "json"};

int fw_format_parse(const char *s, enum fw_format *out)
{
    for (unsigned i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (!strcmp(s, format_names[i])) {
            *out = (enum fw_format)i;
            return 0;
        }
    }
    return -1;
}

const char *fw_format_name(enum fw_format f)
{
    return (unsigned)f <= FW_JSON ? format_names[f] : "?";
}
