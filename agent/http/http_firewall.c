/* GET /api/v1/firewall: the core's firewall renderer on the running configuration, with names
 * as the agent's probe rounds last resolved them (no lookup is made for a request). The text
 * is rendered once per configuration and resolution generation, then served from a cache:
 * the REST face shares the daemon's one loop, and thousands of scanners take milliseconds to
 * render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http_internal.h"

/* Every peer that has addresses, sorted by host and then by its place in the model (flows,
 * then peers): a name's addresses are those of its first peer that has any, found by binary
 * search instead of a walk over every peer for every name. */
struct ranked {
    const struct smsa_peer *peer;
    size_t rank;
};

struct by_host {
    struct ranked *v;
    size_t n;
};

/* A peer's addresses are those of the host its probes connect to: the proxy's, for an update
 * host checked through probe.http_proxy, which the firewall then opens. */
static const char *probed_host(const struct smsa_peer *p)
{
    uint16_t port;
    return smsa_probe_host(p, &port);
}

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    int c = strcmp(probed_host(x->peer), probed_host(y->peer));
    return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

static int by_host_build(struct by_host *idx, const struct smsa_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_flows; i++)
        n += m->flows[i].n_peers;
    idx->n = 0;
    if (!(idx->v = malloc((n ? n : 1) * sizeof(*idx->v))))
        return -1;
    for (size_t i = 0; i < m->n_flows; i++)
        for (size_t j = 0; j < m->flows[i].n_peers; j++)
            if (m->flows[i].peers[j]->n_addrs) {
                idx->v[idx->n].peer = m->flows[i].peers[j];
                idx->v[idx->n].rank = idx->n;
                idx->n++;
            }
    qsort(idx->v, idx->n, sizeof(*idx->v), cmp_ranked);
    return 0;
}

/* A name's addresses: those of the first peer of that host that has any. */
static void model_lookup(const char *host, struct fw_addrs *out, void *arg)
{
    const struct by_host *idx = arg;
    out->resolved = false;
    size_t lo = 0, hi = idx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(probed_host(idx->v[mid].peer), host) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == idx->n || strcmp(probed_host(idx->v[lo].peer), host))
        return;
    const struct smsa_peer *p = idx->v[lo].peer;
    out->resolved = true;
    out->at_us = p->addrset_since.wall_us;
    for (size_t k = 0; k < p->n_addrs && out->n < FW_MAX_ADDRS; k++)
        snprintf(out->addr[out->n++], SMSA_ADDR_TEXT, "%s", p->addrs[k].text);
}

/* What a rendering rests on: the configuration, every peer's address set, and this host's
 * resolv.conf (whose nameservers stay reachable). An address set that changes is stamped
 * anew, so the sum of the stamps moves with every change; the document's date is the newest
 * resolution (so that it, and its ETag, change only when one of these does). */
struct generation {
    uint64_t config;
    uint64_t vantage; /* a hash of this host's addresses, beside */
    int64_t as_of;
    uint64_t stamps;
    int64_t resolv_mtime_ns;
    uint64_t resolv_ino;
};

/* FNV-1a over the addresses: this host's addresses changing renders anew. */
static uint64_t vantage_hash(const struct fw_addrs *v)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < v->n; i++)
        for (const char *s = v->addr[i];; s++) {
            h = (h ^ (unsigned char)*s) * 1099511628211u;
            if (!*s)
                break;
        }
    return h;
}

static void generation_now(const struct smsa_model *m, const struct fw_addrs *vantage,
                           struct generation *g)
{
    memset(g, 0, sizeof(*g));
    g->vantage = vantage ? vantage_hash(vantage) : 0;
    g->config = m->config_generation;
    g->as_of = m->started.wall_us;
    for (size_t i = 0; i < m->n_flows; i++)
        for (size_t j = 0; j < m->flows[i].n_peers; j++) {
            const struct smsa_stamp *t = &m->flows[i].peers[j]->addrset_since;
            g->stamps += (uint64_t)t->mono_us;
            if (t->wall_us > g->as_of)
                g->as_of = t->wall_us;
        }
    struct stat st;
    if (stat(FW_RESOLV_CONF, &st) == 0) {
        g->resolv_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        g->resolv_ino = (uint64_t)st.st_ino;
    }
}

static bool same_generation(const struct generation *a, const struct generation *b)
{
    return a->config == b->config && a->vantage == b->vantage && a->as_of == b->as_of &&
           a->stamps == b->stamps && a->resolv_mtime_ns == b->resolv_mtime_ns &&
           a->resolv_ino == b->resolv_ino;
}

/* One rendering per format and sets choice, all of one generation. */
static struct {
    bool valid;
    struct generation gen;
    char *text;
    size_t len;
} cache[FW_JSON + 1][FW_SETS_ONLY + 1];

static void cache_drop_other(const struct generation *g)
{
    for (unsigned f = 0; f <= FW_JSON; f++)
        for (unsigned s = 0; s <= FW_SETS_ONLY; s++)
            if (cache[f][s].valid && !same_generation(&cache[f][s].gen, g)) {
                free(cache[f][s].text);
                cache[f][s].text = NULL;
                cache[f][s].valid = false;
            }
}

static char *render(const struct smsa_model *m, const struct cfg *c, enum fw_format f,
                    enum fw_sets sets, int64_t as_of, const struct fw_addrs *vantage, size_t *len)
{
    struct by_host idx;
    if (by_host_build(&idx, m) < 0) {
        free(idx.v);
        return NULL;
    }
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    int rc = -1;
    if (out) {
        struct fw_options o = {.format = f, .sets = sets, .now_us = as_of, .vantage = vantage};
        rc = fw_render(out, c, &o, model_lookup, &idx);
        if (fclose(out) != 0)
            rc = -1;
    }
    free(idx.v);
    if (rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}

const char *httpf_firewall_query(const char *format, const char *sets, enum fw_format *f,
                                 enum fw_sets *s)
{
    *f = FW_JSON;
    *s = FW_SETS_NONE;
    if (format && fw_format_parse(format, f) < 0)
        return "format must be nft, iptables, ip6tables or json";
    if (!sets || !strcmp(sets, "0"))
        return NULL;
    if (!strcmp(sets, "1"))
        *s = FW_SETS_ON;
    else if (!strcmp(sets, "only"))
        *s = FW_SETS_ONLY;
    else
        return "sets must be 0, 1 or only";
    return NULL;
}

char *httpf_firewall_text(const struct smsa_model *m, const struct cfg *c, enum fw_format f,
                          enum fw_sets sets, size_t *len)
{
    if ((unsigned)f > FW_JSON || (unsigned)sets > FW_SETS_ONLY)
        return NULL;
    /* beside, the checks leave from this host's addresses (one netlink dump per request) */
    struct fw_addrs vantage, *v = NULL;
    if (c->placement == PLACEMENT_BESIDE && fw_vantage_addrs(&vantage) == 0)
        v = &vantage;
    struct generation g;
    generation_now(m, v, &g);
    cache_drop_other(&g);
    if (!cache[f][sets].valid) {
        size_t n = 0;
        char *text = render(m, c, f, sets, g.as_of, v, &n);
        if (!text)
            return NULL;
        cache[f][sets].text = text;
        cache[f][sets].len = n;
        cache[f][sets].gen = g;
        cache[f][sets].valid = true;
    }
    /* the caller owns what it gets: a copy costs a memcpy, a rendering much more */
    char *copy = malloc(cache[f][sets].len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, cache[f][sets].text, cache[f][sets].len + 1);
    *len = cache[f][sets].len;
    return copy;
}
