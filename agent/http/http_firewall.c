/* GET /api/v1/firewall: the core's firewall renderer on the running configuration, with names
 * as the agent's probe rounds last resolved them (no lookup is made for a request). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

/* A name's addresses: those of the first peer of that host that has any. */
static void model_lookup(const char *host, struct fw_addrs *out, void *arg)
{
    const struct smsa_model *m = arg;
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        const struct smsa_flow *f = &m->flows[i];
        for (size_t j = 0; j < f->n_peers; j++) {
            const struct smsa_peer *p = f->peers[j];
            if (p->n_addrs == 0 || strcmp(p->host, host))
                continue;
            out->resolved = true;
            out->at_us = p->addrset_since.wall_us;
            for (size_t k = 0; k < p->n_addrs && out->n < FW_MAX_ADDRS; k++)
                snprintf(out->addr[out->n++], SMSA_ADDR_TEXT, "%s", p->addrs[k].text);
            return;
        }
    }
    out->resolved = false;
}

/* The document's date: the newest resolution it rests on, so that it (and its ETag) changes
 * only when an address set or the configuration does. */
static int64_t as_of(const struct smsa_model *m)
{
    int64_t t = m->started.wall_us;
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        for (size_t j = 0; j < m->flows[i].n_peers; j++)
            if (m->flows[i].peers[j]->addrset_since.wall_us > t)
                t = m->flows[i].peers[j]->addrset_since.wall_us;
    return t;
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
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    if (!out)
        return NULL;
    struct fw_options o = {.format = f, .sets = sets, .now_us = as_of(m)};
    int rc = fw_render(out, c, &o, model_lookup, (void *)m);
    if (fclose(out) != 0)
        rc = -1;
    if (rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}
