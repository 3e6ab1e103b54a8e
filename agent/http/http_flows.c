/* GET /api/v1/flows and /api/v1/flows/{id}, and the same document for `--preflight --json`.
 *
 * With thousands of peers /flows is megabytes and its generation changes with every probe
 * result, so a per-generation cache rarely helps. So: the heads of each flow and peer, which
 * change only with the configuration, are written once per configuration generation; the
 * document is formatted from the shared snapshot of its model generation (http_snapshot.c) a
 * slice per loop turn (http_stream.c). The objects themselves are written by http_json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_face.h"
#include "http_internal.h"

struct span {
    uint32_t off, len;
};

/* ---- per configuration generation: the head of every flow and peer object ---- */

struct heads {
    struct httpf_buf text;
    struct span *flow; /* in the model's order */
    size_t n_flows;
    struct span *peer; /* in flow order */
    size_t n_peers;
};

static void heads_free(void *arg)
{
    struct heads *h = arg;
    if (!h)
        return;
    httpf_buf_free(&h->text);
    free(h->flow);
    free(h->peer);
    free(h);
}

static struct span span_from(const struct httpf_buf *b, size_t start)
{
    return (struct span){(uint32_t)start, (uint32_t)(b->len - start)};
}

static struct heads *heads_build(const struct smsa_model *m)
{
    struct heads *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    for (size_t i = 0; i < m->n_flows; i++)
        h->n_peers += m->flows[i].n_peers;
    h->n_flows = m->n_flows;
    h->flow = calloc(h->n_flows + 1, sizeof(*h->flow));
    h->peer = calloc(h->n_peers + 1, sizeof(*h->peer));
    struct httpf_buf *b = &h->text;
    if (!h->flow || !h->peer || !httpf_buf_reserve(b, 4096 + h->n_peers * 128)) {
        heads_free(h);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < m->n_flows; i++) {
        const struct smsa_flow *f = &m->flows[i];
        size_t start = b->len;
        httpf_json_flow_head(b, f);
        h->flow[i] = span_from(b, start);
        for (size_t j = 0; j < f->n_peers; j++, k++) {
            start = b->len;
            httpf_json_peer_head(b, f->peers[j]);
            h->peer[k] = span_from(b, start);
        }
    }
    if (b->oom || b->len > UINT32_MAX) {
        heads_free(h);
        return NULL;
    }
    return h;
}

static void *heads_new(const struct smsa_model *m)
{
    return heads_build(m);
}

/* The running configuration's texts, their heads written. */
static struct httpf_ctexts *texts_get(const struct smsa_model *m)
{
    return httpf_ctexts_get(m, HTTPF_CTEXT_HEADS, heads_new, heads_free);
}

void httpf_flows_prepare(const struct smsa_model *m)
{
    httpf_ctexts_unref(texts_get(m));
}

/* ---- formatting ---- */

/* One response's place in a snapshot. */
struct cursor {
    struct httpf_ctexts *texts; /* NULL: heads are private (httpf_flows_document) */
    struct heads *heads;
    struct httpf_snap *snap;
    size_t flow, last_flow; /* flows[flow .. last_flow] are written (positions, not ids) */
    bool list;              /* {"items":[...]} around them */
    bool started;           /* the current flow's head is out */
    size_t peer;            /* next peer of the current flow */
};

static void put_span(struct httpf_buf *b, const struct heads *h, struct span sp)
{
    httpf_put(b, h->text.s + sp.off, sp.len);
}

static void put_peer(struct httpf_buf *b, const struct cursor *c, size_t k)
{
    const struct httpf_snap *s = c->snap;
    const struct httpf_peer_view *p = &s->peers[k];
    put_span(b, c->heads, c->heads->peer[k]);
    httpf_json_peer_state(b, p, &s->addrs[p->first_addr],
                          p->listen_slot ? s->listening[p->listen_slot - 1] : NULL, s->tls);
}

static void cursor_free(void *arg)
{
    struct cursor *c = arg;
    httpf_snap_unref(c->snap);
    httpf_ctexts_unref(c->texts);
    free(c);
}

static bool cursor_fill(void *arg, struct httpf_buf *b)
{
    struct cursor *c = arg;
    const struct httpf_snap *s = c->snap;
    while (b->len < HTTPF_PIECE && !b->oom) {
        if (c->flow > c->last_flow) {
            if (c->list)
                httpf_puts(b, "]}");
            return true;
        }
        const struct httpf_flow_view *f = &s->flows[c->flow];
        if (!c->started) {
            if (c->list)
                httpf_puts(b, c->flow == 0 ? "{\"items\":[" : ",");
            put_span(b, c->heads, c->heads->flow[c->flow]);
            httpf_json_flow_state(b, f);
            c->started = true;
            c->peer = 0;
        }
        while (c->peer < f->n_peers && b->len < HTTPF_PIECE) {
            if (c->peer)
                httpf_put(b, ",", 1);
            put_peer(b, c, f->first_peer + c->peer++);
        }
        if (c->peer == f->n_peers) {
            httpf_puts(b, "]}");
            c->flow++;
            c->started = false;
        }
    }
    return false;
}

/* -1 when the model has no flow of that id (a request answered 404 before it comes here) */
static int cursor_start(struct cursor *c, const struct smsa_model *m, unsigned flow_id)
{
    const struct smsa_flow *f = flow_id ? model_flow(m, flow_id) : NULL;
    if (flow_id && !f)
        return -1;
    c->list = flow_id == 0;
    c->flow = f ? (size_t)(f - m->flows) : 0;
    c->last_flow = f ? c->flow : m->n_flows - 1; /* a model has the vendor's 20 at least */
    return 0;
}

int httpf_flows_take(const struct smsa_model *m, unsigned flow_id, struct httpf_source *out)
{
    struct cursor *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->texts = texts_get(m);
    c->heads = c->texts ? c->texts->part[HTTPF_CTEXT_HEADS] : NULL;
    c->snap = c->heads ? httpf_snap_get(m) : NULL;
    if (!c->snap || c->snap->n_peers != c->heads->n_peers ||
        c->snap->n_flows != c->heads->n_flows || cursor_start(c, m, flow_id) < 0) {
        cursor_free(c);
        return -1;
    }
    *out = (struct httpf_source){
        .state = c, .fill = cursor_fill, .free_fn = cursor_free, .per_generation = true};
    return 0;
}

char *httpf_flows_document(const struct smsa_model *m, unsigned flow_id, size_t *len)
{
    /* private heads and snapshot: the face's caches are neither used nor left behind */
    struct cursor c = {.heads = heads_build(m), .snap = httpf_snap_build(m)};
    if (!c.heads || !c.snap) {
        heads_free(c.heads);
        httpf_snap_unref(c.snap);
        return NULL;
    }
    if (cursor_start(&c, m, flow_id) < 0) {
        heads_free(c.heads);
        httpf_snap_unref(c.snap);
        return NULL;
    }
    struct httpf_buf out = {0}, piece = {0};
    bool done = false;
    while (!done && !out.oom && !piece.oom) {
        piece.len = 0;
        done = cursor_fill(&c, &piece);
        if (piece.len)
            httpf_put(&out, piece.s, piece.len);
    }
    httpf_buf_free(&piece);
    heads_free(c.heads);
    httpf_snap_unref(c.snap);
    if (out.oom || piece.oom) {
        httpf_buf_free(&out);
        return NULL;
    }
    httpf_put(&out, "", 1); /* NUL-terminated for callers that print it */
    *len = out.len - 1;
    return out.s;
}
