/* GET /api/v1/flows, /api/v1/flows/{id} and /api/v1/links, written as JSON text directly.
 * Field names, order and shapes are those of api/openapi.yaml (and of the jansson documents
 * of http_resources.c); change them together.
 *
 * With thousands of peers /flows is megabytes and its generation changes with every probe
 * result, so a per-generation cache rarely helps and a jansson tree per request cost the loop
 * a turn of 100 ms. So: the parts of each flow and peer that change only with the
 * configuration are written once per configuration generation; a request shares a snapshot
 * of the numbers of its model generation with every other request of that generation, and
 * each response formats it a piece at a time as its client reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

#define NTP_FLOW 8

struct span {
    uint32_t off, len;
};

/* ---- per configuration generation: the fixed head of every flow and peer object ---- */

struct heads {
    unsigned refs;
    uint64_t cgen;
    struct httpf_buf text;
    struct span flow[CAT_NFLOWS]; /* {"id":..,...,"direction":"..","state": */
    struct span *peer;            /* {"index":..,...,"enabled":..,"state": in flow order */
    size_t n_peers;
};

static struct heads *current_heads;

static void heads_unref(struct heads *h)
{
    if (!h || --h->refs > 0)
        return;
    httpf_buf_free(&h->text);
    free(h->peer);
    free(h);
}

static void key(struct httpf_buf *b, const char *k)
{
    /* ,"k": (the comma left out at the start of an object by the caller) */
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

static struct heads *heads_build(const struct smsa_model *m)
{
    struct heads *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->refs = 1;
    h->cgen = m->config_generation;
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        h->n_peers += m->flows[i].n_peers;
    h->peer = calloc(h->n_peers + 1, sizeof(*h->peer));
    struct httpf_buf *b = &h->text;
    if (!h->peer || !httpf_buf_reserve(b, 4096 + h->n_peers * 128)) {
        heads_unref(h);
        return NULL;
    }
    size_t k = 0;
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        const struct smsa_flow *f = &m->flows[i];
        size_t start = b->len;
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
        key(b, "state");
        h->flow[i] = (struct span){(uint32_t)start, (uint32_t)(b->len - start)};
        for (size_t j = 0; j < f->n_peers; j++, k++) {
            const struct smsa_peer *p = f->peers[j];
            start = b->len;
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
            key(b, "enabled");
            httpf_puts(b, p->enabled ? "true," : "false,");
            key(b, "state");
            h->peer[k] = (struct span){(uint32_t)start, (uint32_t)(b->len - start)};
        }
    }
    if (b->oom || b->len > UINT32_MAX) {
        heads_unref(h);
        return NULL;
    }
    return h;
}

static struct heads *heads_get(const struct smsa_model *m)
{
    if (!current_heads || current_heads->cgen != m->config_generation) {
        struct heads *h = heads_build(m);
        if (!h)
            return NULL;
        heads_unref(current_heads);
        current_heads = h;
    }
    return current_heads;
}

void httpf_flows_prepare(const struct smsa_model *m)
{
    heads_get(m);
}

/* ---- per model generation: the numbers, shared by the requests of that generation ---- */

/* Zero-filled, padding included: hashed for the ETag. */
struct addr_nums {
    char text[SMSA_ADDR_TEXT];
    char detail[SMSA_DETAIL_TEXT];
    int64_t since, rtt_us;
    uint64_t checks, failures;
    uint32_t ipv6, state, cause, pad;
};

struct peer_nums {
    int64_t since, rtt_us, addrs_since, ntp_offset_us, ntp_delay_us;
    uint64_t checks, failures, downs, addr_changes;
    uint32_t state, cause, first_addr, n_addrs, flow_id;
    uint32_t ntp_valid, stratum, leap, kod_stopped, poll_multiplier;
    uint32_t listen_slot; /* inbound checks: 1 + position in snap->listening, else 0 */
    char refid[16];
    char detail[SMSA_DETAIL_TEXT];
};

struct flow_nums {
    int64_t since;
    uint32_t state, first_peer, n_peers, pad;
};

struct snap {
    unsigned refs;
    uint64_t gen, hash;
    struct heads *heads;
    struct flow_nums flows[CAT_NFLOWS];
    struct peer_nums *peers;
    struct addr_nums *addrs;
    size_t n_addrs;
    /* the addresses each inbound check found listening (few: one per inbound flow) */
    char (*listening)[sizeof(((struct smsa_peer *)0)->listening_on)];
    size_t n_listening;
};

static struct snap *current_snap;

static void snap_unref(struct snap *s)
{
    if (!s || --s->refs > 0)
        return;
    heads_unref(s->heads);
    free(s->peers);
    free(s->addrs);
    free(s->listening);
    free(s);
}

/* A snapshot of m's numbers on the heads h (a reference to h is taken). */
static struct snap *snap_build(const struct smsa_model *m, struct heads *h)
{
    struct snap *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->refs = 1;
    s->gen = m->generation;
    s->heads = h;
    h->refs++;
    size_t n_listen = 0;
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        for (size_t j = 0; j < m->flows[i].n_peers; j++) {
            s->n_addrs += m->flows[i].peers[j]->n_addrs;
            n_listen += m->flows[i].peers[j]->kind == PROBE_LISTEN;
        }
    }
    s->peers = calloc(h->n_peers + 1, sizeof(*s->peers));
    s->addrs = calloc(s->n_addrs + 1, sizeof(*s->addrs));
    s->listening = calloc(n_listen + 1, sizeof(*s->listening));
    if (!s->peers || !s->addrs || !s->listening) {
        snap_unref(s);
        return NULL;
    }
    size_t k = 0, a = 0;
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        const struct smsa_flow *f = &m->flows[i];
        s->flows[i] = (struct flow_nums){.since = f->since.wall_us,
                                         .state = f->state,
                                         .first_peer = (uint32_t)k,
                                         .n_peers = (uint32_t)f->n_peers};
        for (size_t j = 0; j < f->n_peers; j++, k++) {
            const struct smsa_peer *p = f->peers[j];
            struct peer_nums *n = &s->peers[k];
            n->since = p->since.wall_us;
            n->rtt_us = p->rtt_us;
            n->addrs_since = p->addrset_since.wall_us;
            n->checks = p->checks;
            n->failures = p->failures;
            n->downs = p->down_count;
            n->addr_changes = p->addrset_changes;
            n->state = p->state;
            n->cause = p->cause;
            snprintf(n->detail, sizeof(n->detail), "%s", p->detail);
            n->flow_id = p->flow_id;
            if (p->kind == PROBE_LISTEN) {
                memcpy(s->listening[s->n_listening], p->listening_on, sizeof(p->listening_on));
                n->listen_slot = (uint32_t)++s->n_listening;
            }
            n->first_addr = (uint32_t)a;
            n->n_addrs = (uint32_t)p->n_addrs;
            if (p->flow_id == NTP_FLOW) {
                n->ntp_valid = p->ntp.valid;
                n->stratum = p->ntp.stratum;
                n->leap = p->ntp.leap;
                n->ntp_offset_us = p->ntp.offset_us;
                n->ntp_delay_us = p->ntp.delay_us;
                snprintf(n->refid, sizeof(n->refid), "%s", p->ntp.refid);
                n->kod_stopped = p->kod_stopped;
                n->poll_multiplier = p->poll_multiplier;
            }
            for (size_t x = 0; x < p->n_addrs; x++, a++) {
                const struct smsa_addr *sa = &p->addrs[x];
                struct addr_nums *an = &s->addrs[a];
                memcpy(an->text, sa->text, sizeof(an->text));
                an->text[sizeof(an->text) - 1] = 0;
                an->since = sa->since.wall_us;
                an->rtt_us = sa->rtt_us;
                an->checks = sa->checks;
                an->failures = sa->failures;
                an->ipv6 = sa->family == AF_INET6;
                an->state = sa->state;
                an->cause = sa->cause;
                snprintf(an->detail, sizeof(an->detail), "%s", sa->detail);
            }
        }
    }
    uint64_t hash = httpf_hash(0, &h->cgen, sizeof(h->cgen));
    hash = httpf_hash(hash, s->flows, sizeof(s->flows));
    hash = httpf_hash(hash, s->peers, h->n_peers * sizeof(*s->peers));
    hash = httpf_hash(hash, s->listening, s->n_listening * sizeof(*s->listening));
    s->hash = httpf_hash(hash, s->addrs, s->n_addrs * sizeof(*s->addrs));
    return s;
}

static struct snap *snap_take(const struct smsa_model *m)
{
    struct heads *h = heads_get(m);
    return h ? snap_build(m, h) : NULL;
}

/* ---- formatting ---- */

static void put_span(struct httpf_buf *b, const struct heads *h, struct span sp)
{
    httpf_put(b, h->text.s + sp.off, sp.len);
}

static void put_ms_or_null(struct httpf_buf *b, int64_t us)
{
    if (us < 0)
        httpf_put(b, "null", 4);
    else
        httpf_put_json_ms(b, us);
}

/* "<state>","cause":..,"detail":..,"since":..,"rtt_ms":..,"checks":..,"failures":.. — what a
 * peer and each of its addresses both report; the caller has written the opening quote of
 * state. */
static void put_status(struct httpf_buf *b, unsigned state, unsigned cause, const char *detail,
                       int64_t since, int64_t rtt_us, uint64_t checks, uint64_t failures)
{
    httpf_puts(b, smsa_state_name((enum smsa_state)state));
    httpf_puts(b, "\",\"cause\":\"");
    httpf_puts(b, smsa_cause_name((enum smsa_cause)cause));
    httpf_puts(b, "\",\"detail\":");
    httpf_put_json_str(b, detail);
    httpf_puts(b, ",\"since\":");
    httpf_put_json_stamp(b, since);
    httpf_puts(b, ",\"rtt_ms\":");
    put_ms_or_null(b, rtt_us);
    httpf_puts(b, ",\"checks\":");
    httpf_put_u64(b, checks);
    httpf_puts(b, ",\"failures\":");
    httpf_put_u64(b, failures);
}

static void put_addr(struct httpf_buf *b, const struct addr_nums *a)
{
    httpf_put(b, "{", 1);
    key_s(b, "address", a->text);
    httpf_puts(b,
               a->ipv6 ? ",\"family\":\"ipv6\",\"state\":\"" : ",\"family\":\"ipv4\",\"state\":\"");
    put_status(b, a->state, a->cause, a->detail, a->since, a->rtt_us, a->checks, a->failures);
    httpf_put(b, "}", 1);
}

static void put_ntp(struct httpf_buf *b, const struct peer_nums *p)
{
    if (!p->ntp_valid) {
        httpf_puts(b, ",\"ntp\":{\"stratum\":null,\"offset_ms\":null,\"delay_ms\":null,\"refid\":");
        httpf_put_json_str_or_null(b, p->refid[0] ? p->refid : NULL);
        httpf_puts(b, ",\"leap\":null");
    } else {
        httpf_puts(b, ",\"ntp\":{\"stratum\":");
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
    httpf_put(b, "}", 1);
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

static void put_peer(struct httpf_buf *b, const struct snap *s, size_t k)
{
    const struct peer_nums *p = &s->peers[k];
    put_span(b, s->heads, s->heads->peer[k]);
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
        put_addr(b, &s->addrs[p->first_addr + i]);
    }
    httpf_put(b, "]", 1);
    if (p->listen_slot)
        put_listening(b, s->listening[p->listen_slot - 1]);
    if (p->flow_id == NTP_FLOW)
        put_ntp(b, p);
    httpf_put(b, "}", 1);
}

/* One response's place in the shared snapshot. */
struct cursor {
    struct snap *snap;
    unsigned flow, last_flow; /* flows[flow .. last_flow] are written */
    bool list;                /* {"items":[...]} around them */
    bool started;             /* the current flow's head is out */
    size_t peer;              /* next peer of the current flow */
};

static void cursor_free(void *arg)
{
    struct cursor *c = arg;
    snap_unref(c->snap);
    free(c);
}

static bool cursor_fill(void *arg, struct httpf_buf *b)
{
    struct cursor *c = arg;
    const struct snap *s = c->snap;
    while (b->len < HTTPF_PIECE && !b->oom) {
        if (c->flow > c->last_flow) {
            if (c->list)
                httpf_puts(b, "]}");
            return true;
        }
        const struct flow_nums *f = &s->flows[c->flow];
        if (!c->started) {
            if (c->list)
                httpf_puts(b, c->flow == 0 ? "{\"items\":[" : ",");
            put_span(b, s->heads, s->heads->flow[c->flow]);
            httpf_put(b, "\"", 1);
            httpf_puts(b, smsa_state_name((enum smsa_state)f->state));
            httpf_puts(b, "\",\"since\":");
            httpf_put_json_stamp(b, f->since);
            httpf_puts(b, ",\"peers\":[");
            c->started = true;
            c->peer = 0;
        }
        while (c->peer < f->n_peers && b->len < HTTPF_PIECE) {
            if (c->peer)
                httpf_put(b, ",", 1);
            put_peer(b, s, f->first_peer + c->peer++);
        }
        if (c->peer == f->n_peers) {
            httpf_puts(b, "]}");
            c->flow++;
            c->started = false;
        }
    }
    return false;
}

struct MHD_Response *httpf_flows_response(const struct smsa_model *m, unsigned flow_id, char *etag,
                                          size_t etag_len)
{
    if (!current_snap || current_snap->gen != m->generation ||
        current_snap->heads->cgen != m->config_generation) {
        struct snap *s = snap_take(m);
        if (!s)
            return NULL;
        snap_unref(current_snap);
        current_snap = s;
    }
    struct cursor *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->snap = current_snap;
    c->snap->refs++;
    c->list = flow_id == 0;
    c->flow = flow_id ? flow_id - 1 : 0;
    c->last_flow = flow_id ? flow_id - 1 : CAT_NFLOWS - 1;
    /* /flows and each /flows/{id} are different documents of the same snapshot. */
    uint64_t h = httpf_hash(c->snap->hash, &flow_id, sizeof(flow_id));
    snprintf(etag, etag_len, "\"c%llu-g%llu-%08x\"", (unsigned long long)m->config_generation,
             (unsigned long long)m->generation, (unsigned)(h ^ (h >> 32)));
    return httpf_stream_response(cursor_fill, cursor_free, c);
}

char *httpf_flows_document(const struct smsa_model *m, unsigned flow_id, size_t *len)
{
    /* private heads and snapshot: the face's caches are neither used nor left behind */
    struct heads *h = heads_build(m);
    if (!h)
        return NULL;
    struct snap *s = snap_build(m, h);
    heads_unref(h);
    if (!s)
        return NULL;
    struct cursor c = {.snap = s,
                       .list = flow_id == 0,
                       .flow = flow_id ? flow_id - 1 : 0,
                       .last_flow = flow_id ? flow_id - 1 : CAT_NFLOWS - 1};
    struct httpf_buf out = {0}, piece = {0};
    bool done = false;
    while (!done && !out.oom && !piece.oom) {
        piece.len = 0;
        done = cursor_fill(&c, &piece);
        if (piece.len)
            httpf_put(&out, piece.s, piece.len);
    }
    httpf_buf_free(&piece);
    snap_unref(s);
    if (out.oom || piece.oom) {
        httpf_buf_free(&out);
        return NULL;
    }
    httpf_put(&out, "", 1); /* NUL-terminated for callers that print it */
    *len = out.len - 1;
    return out.s;
}

/* ---- /api/v1/links: small enough (a line per scanner) to write whole ---- */

static const char *link_address(const struct smsa_link *l)
{
    const struct smsa_addr *a = core_link_address(l);
    return a ? a->text : NULL;
}

char *httpf_links_text(const struct smsa_model *m, size_t *len)
{
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 64 + m->n_links * 256);
    httpf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < m->n_links; i++) {
        const struct smsa_link *l = &m->links[i];
        const struct smsa_peer *p = l->peer;
        httpf_puts(&b, i ? ",{" : "{");
        key_u(&b, "index", l->index);
        httpf_put(&b, ",", 1);
        key_s(&b, "name", l->name ? l->name : "");
        httpf_put(&b, ",", 1);
        key(&b, "host");
        httpf_put_json_str_or_null(&b, p ? p->host : NULL);
        httpf_put(&b, ",", 1);
        key(&b, "address");
        httpf_put_json_str_or_null(&b, link_address(l));
        httpf_puts(&b, ",\"port\":");
        if (p)
            httpf_put_u64(&b, p->port);
        else
            httpf_put(&b, "null", 4);
        httpf_puts(&b, ",\"state\":\"");
        httpf_puts(&b, smsa_state_name(l->state));
        httpf_puts(&b, "\",\"cause\":\"");
        httpf_puts(&b, smsa_cause_name(l->cause));
        httpf_puts(&b, "\",\"detail\":");
        httpf_put_json_str(&b, l->detail);
        httpf_puts(&b, ",\"since\":");
        httpf_put_json_stamp(&b, l->since.wall_us);
        httpf_puts(&b, ",\"down_count\":");
        httpf_put_u64(&b, l->down_count);
        httpf_put(&b, "}", 1);
    }
    httpf_puts(&b, "]}");
    if (b.oom) {
        httpf_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.s;
}

void httpf_flows_fini(void)
{
    snap_unref(current_snap);
    current_snap = NULL;
    heads_unref(current_heads);
    current_heads = NULL;
}
