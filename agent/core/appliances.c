#include "appliances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "indexes.h"

const char *smsa_measured_from_name(enum smsa_measured_from m)
{
    return m == MEASURED_FROM_VANTAGE ? "vantage" : "appliance";
}

const char *core_vantage(void)
{
    static char name[256];
    if (!name[0]) {
        if (gethostname(name, sizeof(name)) != 0 || !name[0])
            snprintf(name, sizeof(name), "localhost");
        name[sizeof(name) - 1] = '\0';
    }
    return name;
}

static int add(struct smsa_model *m, const char *name, enum smsa_role role, bool self,
               const char *host, struct idx_map *ids)
{
    struct smsa_appliance *a = &m->appliances[m->n_appliances];
    memset(a, 0, sizeof(*a));
    a->name = strdup(name);
    a->host = strdup(host);
    a->role = role;
    a->self = self;
    a->state = ST_UNKNOWN;
    m->n_appliances++; /* counted now, so that appl_free frees what strdup gave */
    if (!a->name || !a->host || !(a->index = idx_get(ids, IDX_APPLIANCES, name)))
        return -1;
    return 0;
}

static int cmp_index(const void *x, const void *y)
{
    const struct smsa_appliance *a = x, *b = y;
    return a->index < b->index ? -1 : a->index > b->index;
}

int appl_build(struct smsa_model *m, const struct cfg *c, struct idx_map *ids)
{
    /* a Scanner's configured scanners (if any) are none of its business */
    size_t n_scanners = c->role == ROLE_SCANNER ? 0 : c->n_scanners;
    m->appliances = calloc(n_scanners + 1, sizeof(*m->appliances));
    if (!m->appliances)
        return -1;
    const char *self_host = c->placement == PLACEMENT_BESIDE && c->address ? c->address : "local";
    if (add(m, c->name, c->role, true, self_host, ids) < 0)
        return -1;
    for (size_t i = 0; i < n_scanners; i++)
        if (add(m, c->scanners[i].name, ROLE_SCANNER, false, c->scanners[i].peer.host, ids) < 0)
            return -1;
    qsort(m->appliances, m->n_appliances, sizeof(*m->appliances), cmp_index);
    return 0;
}

struct smsa_appliance *appl_find(const struct smsa_model *m, unsigned index)
{
    size_t lo = 0, hi = m->n_appliances;
    while (index && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->appliances[mid].index == index)
            return &m->appliances[mid];
        if (m->appliances[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct smsa_appliance *appl_find_name(const struct smsa_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_appliances; i++)
        if (!strcmp(m->appliances[i].name, name))
            return &m->appliances[i];
    return NULL;
}

bool appl_receives(const struct cfg *c, const struct smsa_appliance *a, unsigned id)
{
    if (c->placement != PLACEMENT_BESIDE)
        return false;
    if (a->self)
        return cat_direction(id, c->role) == DIR_INBOUND;
    return cat_direction(id, ROLE_SCANNER) == DIR_INBOUND &&
           cat_direction(id, c->role) != DIR_OUTBOUND;
}

int appl_attach(struct smsa_model *m)
{
    for (size_t i = 0; i < m->n_appliances; i++) {
        free(m->appliances[i].checks);
        m->appliances[i].checks = NULL;
        m->appliances[i].n_checks = 0;
    }
    /* two passes: count, then fill, so each appliance gets one exact array */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->n_flows; i++) {
            const struct smsa_flow *f = &m->flows[i];
            for (size_t j = 0; j < f->n_peers; j++) {
                struct smsa_appliance *a = appl_find(m, f->peers[j]->appliance_index);
                if (!a)
                    continue;
                if (pass == 1)
                    a->checks[a->n_checks] = f->peers[j];
                a->n_checks++;
            }
        }
        if (pass == 1)
            break;
        for (size_t i = 0; i < m->n_appliances; i++) {
            struct smsa_appliance *a = &m->appliances[i];
            if (a->n_checks && !(a->checks = calloc(a->n_checks, sizeof(*a->checks))))
                return -1;
            a->n_checks = 0;
        }
    }
    return 0;
}

void appl_carry_over(struct smsa_model *next, const struct smsa_model *old)
{
    for (size_t i = 0; i < next->n_appliances; i++) {
        struct smsa_appliance *a = &next->appliances[i];
        const struct smsa_appliance *o = appl_find(old, a->index);
        if (!o)
            continue;
        a->state = o->state;
        a->cause = o->cause;
        memcpy(a->detail, o->detail, sizeof(a->detail));
        a->worst_flow = o->worst_flow;
        a->since = o->since;
        a->down_count = o->down_count;
    }
}

void appl_free(struct smsa_model *m)
{
    for (size_t i = 0; i < m->n_appliances; i++) {
        free(m->appliances[i].name);
        free(m->appliances[i].host);
        free(m->appliances[i].checks);
    }
    free(m->appliances);
    m->appliances = NULL;
    m->n_appliances = 0;
}

void appl_verdict(struct smsa_peer *const *checks, size_t n, struct appl_verdict *out)
{
    unsigned up = 0, down = 0, other = 0;
    const struct smsa_peer *worst = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct smsa_peer *p = checks[i];
        switch (p->state) {
        case ST_UP:
            up++;
            break;
        case ST_DOWN:
            down++;
            if (!worst || worst->state != ST_DOWN)
                worst = p;
            break;
        case ST_DEGRADED:
            other++;
            if (!worst)
                worst = p;
            break;
        default: /* unknown and disabled checks have no verdict */
            break;
        }
    }
    out->up = up;
    out->down = down;
    out->state = up + down + other == 0    ? ST_UNKNOWN
                 : down == 0 && other == 0 ? ST_UP
                 : up == 0 && other == 0   ? ST_DOWN
                                           : ST_DEGRADED;
    out->cause = worst ? worst->cause : CAUSE_NONE;
    out->detail = worst ? worst->detail : "";
    out->flow = worst ? worst->flow_id : 0;
}
