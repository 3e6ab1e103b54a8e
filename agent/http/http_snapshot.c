/* The numbers of one model generation, copied once and shared by every streamed document of
 * that generation (/api/v1/flows, /metrics): each formats it a piece at a time, turns apart,
 * while the model moves on, and still shows one consistent picture. The views are filled by
 * one function each, which the documents built straight from the model use too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

static struct httpf_snap *current;
static struct httpf_ctexts *current_texts;

/* s into the zero-filled dst of n bytes, cut to n - 1: a snapshot copies thousands of these,
 * and snprintf's formatting was most of its cost. */
static void copy_text(char *dst, size_t n, const char *src)
{
    memcpy(dst, src, strnlen(src, n - 1));
}

void httpf_addr_view_fill(struct httpf_addr_view *v, const struct smsa_addr *a)
{
    memcpy(v->text, a->text, sizeof(v->text));
    v->text[sizeof(v->text) - 1] = 0;
    v->since = a->since.wall_us;
    v->rtt_us = a->rtt_us;
    v->checks = a->checks;
    v->failures = a->failures;
    v->ipv6 = a->family == AF_INET6;
    v->state = a->state;
    v->cause = a->cause;
    copy_text(v->detail, sizeof(v->detail), a->detail);
}

void httpf_peer_view_fill(struct httpf_peer_view *v, const struct smsa_peer *p)
{
    v->since = p->since.wall_us;
    v->rtt_us = p->rtt_us;
    v->addrs_since = p->addrset_since.wall_us;
    v->checks = p->checks;
    v->failures = p->failures;
    v->downs = p->down_count;
    v->addr_changes = p->addrset_changes;
    v->state = p->state;
    v->cause = p->cause;
    copy_text(v->detail, sizeof(v->detail), p->detail);
    v->flow_id = p->flow_id;
    v->n_addrs = (uint32_t)p->n_addrs;
    if (p->flow_id == CAT_FLOW_NTP) {
        v->ntp = 1;
        v->ntp_valid = p->ntp.valid;
        v->stratum = p->ntp.stratum;
        v->leap = p->ntp.leap;
        v->ntp_offset_us = p->ntp.offset_us;
        v->ntp_delay_us = p->ntp.delay_us;
        copy_text(v->refid, sizeof(v->refid), p->ntp.refid);
        v->kod_stopped = p->kod_stopped;
        v->poll_multiplier = p->poll_multiplier;
    }
}

void httpf_snap_unref(struct httpf_snap *s)
{
    if (!s || --s->refs > 0)
        return;
    free(s->flows);
    free(s->peers);
    free(s->addrs);
    free(s->listening);
    free(s->links);
    free(s->update_changes);
    free(s->appliances);
    free(s->tls);
    free(s);
}

struct httpf_snap *httpf_snap_build(const struct smsa_model *m)
{
    struct httpf_snap *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->refs = 1;
    s->gen = m->generation;
    s->cgen = m->config_generation;
    s->overall = m->overall;
    s->probes = m->probes_total;
    s->probe_failures = m->probe_failures_total;
    s->events = m->events_total;
    s->clock = m->clock;
    size_t n_listen = 0, n_tls = 0;
    for (size_t i = 0; i < m->n_flows; i++) {
        s->n_peers += m->flows[i].n_peers;
        for (size_t j = 0; j < m->flows[i].n_peers; j++) {
            const struct smsa_peer *p = m->flows[i].peers[j];
            s->n_addrs += p->n_addrs;
            n_listen += p->kind == PROBE_LISTEN;
            n_tls += smsa_tls_of(p->tls)->seen;
            for (size_t x = 0; x < p->n_addrs; x++)
                n_tls += smsa_tls_of(p->addrs[x].tls)->seen;
        }
    }
    s->n_links = m->n_links;
    s->n_updates = m->n_updates;
    s->n_flows = m->n_flows;
    s->flows = calloc(s->n_flows + 1, sizeof(*s->flows));
    s->peers = calloc(s->n_peers + 1, sizeof(*s->peers));
    s->addrs = calloc(s->n_addrs + 1, sizeof(*s->addrs));
    s->listening = calloc(n_listen + 1, sizeof(*s->listening));
    s->links = calloc(s->n_links + 1, sizeof(*s->links));
    s->update_changes = calloc(s->n_updates + 1, sizeof(*s->update_changes));
    s->n_appliances = m->n_appliances;
    s->appliances = calloc(s->n_appliances + 1, sizeof(*s->appliances));
    s->tls = calloc(n_tls + 1, sizeof(*s->tls));
    if (!s->flows || !s->peers || !s->addrs || !s->listening || !s->links || !s->update_changes ||
        !s->appliances || !s->tls) {
        httpf_snap_unref(s);
        return NULL;
    }
    size_t k = 0, a = 0;
    for (size_t i = 0; i < m->n_flows; i++) {
        const struct smsa_flow *f = &m->flows[i];
        s->flows[i] = (struct httpf_flow_view){.since = f->since.wall_us,
                                               .state = f->state,
                                               .first_peer = (uint32_t)k,
                                               .n_peers = (uint32_t)f->n_peers};
        for (size_t j = 0; j < f->n_peers; j++, k++) {
            const struct smsa_peer *p = f->peers[j];
            struct httpf_peer_view *v = &s->peers[k];
            httpf_peer_view_fill(v, p);
            v->first_addr = (uint32_t)a;
            if (p->kind == PROBE_LISTEN) {
                snprintf(s->listening[s->n_listening], SMSA_LISTENING_TEXT, "%s",
                         p->listening_on ? p->listening_on : "");
                v->listen_slot = (uint32_t)++s->n_listening;
            }
            if (v->rtt_us >= 0 && v->checks > 0)
                s->any_rtt = true;
            if (v->ntp_valid)
                s->any_ntp = true;
            if (smsa_tls_of(p->tls)->seen) {
                s->tls[s->n_tls] = *p->tls;
                v->tls_slot = (uint32_t)++s->n_tls;
            }
            for (size_t x = 0; x < p->n_addrs; x++, a++) {
                httpf_addr_view_fill(&s->addrs[a], &p->addrs[x]);
                if (smsa_tls_of(p->addrs[x].tls)->seen) {
                    s->tls[s->n_tls] = *p->addrs[x].tls;
                    s->addrs[a].tls_slot = (uint32_t)++s->n_tls;
                }
            }
        }
    }
    for (size_t i = 0; i < s->n_links; i++) {
        s->links[i].state = m->links[i].state;
        s->links[i].cause = m->links[i].cause;
        s->links[i].downs = m->links[i].down_count;
    }
    for (size_t i = 0; i < s->n_updates; i++)
        if (m->updates[i])
            s->update_changes[i] = m->updates[i]->addrset_changes;
    for (size_t i = 0; i < s->n_appliances; i++) {
        const struct smsa_appliance *ap = &m->appliances[i];
        s->appliances[i] = (struct httpf_appliance_view){.downs = ap->down_count,
                                                         .state = ap->state,
                                                         .cause = ap->cause,
                                                         .checks = (uint32_t)ap->n_checks,
                                                         .up = ap->n_up,
                                                         .down = ap->n_down};
    }
    return s;
}

struct httpf_snap *httpf_snap_get(const struct smsa_model *m)
{
    if (!current || current->gen != m->generation || current->cgen != m->config_generation) {
        struct httpf_snap *s = httpf_snap_build(m);
        if (!s)
            return NULL;
        httpf_snap_unref(current);
        current = s;
    }
    current->refs++;
    return current;
}

void httpf_snap_fini(void)
{
    httpf_snap_unref(current);
    current = NULL;
}

/* ---- per configuration generation: the texts of the large documents ---- */

void httpf_ctexts_unref(struct httpf_ctexts *t)
{
    if (!t || --t->refs > 0)
        return;
    for (unsigned k = 0; k < HTTPF_CTEXT_KINDS; k++)
        if (t->part[k])
            t->free_fn[k](t->part[k]);
    free(t);
}

struct httpf_ctexts *httpf_ctexts_get(const struct smsa_model *m, unsigned kind,
                                      httpf_ctext_build_fn build, httpf_ctext_free_fn free_fn)
{
    if (!current_texts || current_texts->cgen != m->config_generation) {
        struct httpf_ctexts *t = calloc(1, sizeof(*t));
        if (!t)
            return NULL;
        t->refs = 1;
        t->cgen = m->config_generation;
        httpf_ctexts_unref(current_texts);
        current_texts = t;
    }
    struct httpf_ctexts *t = current_texts;
    /* Each part is written on its first use in a generation (or by the face's preparing
     * turns): a document never pays for the other's. */
    if (!t->part[kind]) {
        t->part[kind] = build(m);
        if (!t->part[kind])
            return NULL;
        t->free_fn[kind] = free_fn;
    }
    t->refs++;
    return t;
}

void httpf_ctexts_fini(void)
{
    httpf_ctexts_unref(current_texts);
    current_texts = NULL;
}
