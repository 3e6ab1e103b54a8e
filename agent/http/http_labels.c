/* The label sets of /metrics, written once per configuration generation: the appliance's,
 * each flow's, peer's, link's, update source's and fleet appliance's, escaped as Prometheus
 * label values, back to back in one text. */
#include <stdlib.h>
#include <string.h>

#include "http_labels.h"

static void labels_free(void *arg)
{
    struct httpf_labels *l = arg;
    if (!l)
        return;
    httpf_buf_free(&l->text);
    free(l->flow);
    free(l->peer);
    free(l->link);
    free(l->update);
    free(l->appliance);
    free(l);
}

static struct httpf_span span_from(const struct httpf_buf *b, size_t start)
{
    return (struct httpf_span){(uint32_t)start, (uint32_t)(b->len - start)};
}

static void put_label(struct httpf_buf *b, const char *name, const char *value)
{
    httpf_puts(b, name);
    httpf_put(b, "=\"", 2);
    httpf_put_prom_label(b, value);
    httpf_put(b, "\"", 1);
}

static void put_label_u(struct httpf_buf *b, const char *name, uint64_t value)
{
    httpf_puts(b, name);
    httpf_put(b, "=\"", 2);
    httpf_put_u64(b, value);
    httpf_put(b, "\"", 1);
}

static size_t count_peers(const struct smsa_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_flows; i++)
        n += m->flows[i].n_peers;
    return n;
}

static struct httpf_labels *labels_build(const struct smsa_model *m)
{
    struct httpf_labels *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->n_peers = count_peers(m);
    l->n_links = m->n_links;
    l->n_updates = m->n_updates;
    l->n_flows = m->n_flows;
    l->flow = calloc(l->n_flows + 1, sizeof(*l->flow));
    l->peer = calloc(l->n_peers + 1, sizeof(*l->peer));
    l->link = calloc(l->n_links + 1, sizeof(*l->link));
    l->update = calloc(l->n_updates + 1, sizeof(*l->update));
    l->n_appliances = m->n_appliances;
    l->appliance = calloc(l->n_appliances + 1, sizeof(*l->appliance));
    struct httpf_buf *b = &l->text;
    if (!l->flow || !l->peer || !l->link || !l->update || !l->appliance ||
        !httpf_buf_reserve(b, 64 + l->n_peers * 64)) {
        labels_free(l);
        return NULL;
    }
    const struct cfg *c = m->cfg;
    size_t start = b->len;
    put_label(b, "appliance", c && c->name ? c->name : "");
    httpf_put(b, ",", 1);
    put_label(b, "role", cat_role_name(c ? c->role : ROLE_CONTROL_CENTER));
    httpf_put(b, ",", 1);
    put_label(b, "placement", cfg_placement_name(c ? c->placement : PLACEMENT_ON_BOX));
    httpf_put(b, ",", 1);
    put_label(b, "version", SMSA_VERSION);
    l->info = span_from(b, start);
    start = b->len;
    httpf_put_seconds_us(b, m->started.wall_us);
    l->start = span_from(b, start);

    size_t k = 0;
    for (size_t i = 0; i < m->n_flows; i++) {
        const struct smsa_flow *f = &m->flows[i];
        start = b->len;
        put_label_u(b, "flow", f->def->id);
        httpf_put(b, ",", 1);
        put_label_u(b, "port", f->def->port);
        httpf_put(b, ",", 1);
        put_label(b, "protocol", cat_proto_name(f->def->proto));
        httpf_put(b, ",", 1);
        put_label(b, "direction", cat_direction_name(f->direction));
        httpf_put(b, ",", 1);
        put_label(b, "measured_from", smsa_measured_from_name(f->measured_from));
        httpf_put(b, ",", 1);
        put_label(b, "purpose", f->def->purpose);
        l->flow[i] = span_from(b, start);
        for (size_t j = 0; j < f->n_peers; j++, k++) {
            const struct smsa_peer *p = f->peers[j];
            start = b->len;
            put_label_u(b, "flow", p->flow_id);
            httpf_put(b, ",", 1);
            put_label_u(b, "peer", p->index);
            httpf_put(b, ",", 1);
            put_label(b, "host", p->host);
            httpf_put(b, ",", 1);
            put_label_u(b, "port", p->port);
            const struct smsa_appliance *ap = core_appliance(p->appliance_index);
            if (ap) {
                httpf_put(b, ",", 1);
                put_label(b, "appliance_name", ap->name);
            }
            l->peer[k] = span_from(b, start);
        }
    }
    for (size_t i = 0; i < m->n_links; i++) {
        const struct smsa_link *lk = &m->links[i];
        start = b->len;
        put_label(b, "link", lk->name);
        httpf_put(b, ",", 1);
        put_label(b, "host", lk->peer ? lk->peer->host : "");
        l->link[i] = span_from(b, start);
    }
    for (size_t i = 0; i < m->n_updates; i++) {
        const struct smsa_peer *p = m->updates[i];
        if (!p)
            continue;
        start = b->len;
        put_label_u(b, "update", i + 1);
        httpf_put(b, ",", 1);
        put_label(b, "purpose", p->label);
        httpf_put(b, ",", 1);
        put_label(b, "host", p->host);
        l->update[i] = span_from(b, start);
    }
    for (size_t i = 0; i < m->n_appliances; i++) {
        start = b->len;
        put_label(b, "appliance_name", m->appliances[i].name);
        httpf_put(b, ",", 1);
        put_label(b, "appliance_role", cat_role_name(m->appliances[i].role));
        l->appliance[i] = span_from(b, start);
    }
    if (b->oom || b->len > UINT32_MAX) {
        labels_free(l);
        return NULL;
    }
    return l;
}

static void *labels_new(const struct smsa_model *m)
{
    return labels_build(m);
}

/* The running configuration's texts, their label sets written. */
struct httpf_ctexts *httpf_labels_get(const struct smsa_model *m)
{
    return httpf_ctexts_get(m, HTTPF_CTEXT_LABELS, labels_new, labels_free);
}

void httpf_metrics_prepare(const struct smsa_model *m)
{
    httpf_ctexts_unref(httpf_labels_get(m));
}
