#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "probe.h"
#include "resolver.h"

struct eng_peer;

/* A probe's callback needs to know which address of which peer it answers for. */
struct probe_slot {
    struct eng_peer *ep;
    size_t i;
};

struct eng_peer {
    const struct smsa_peer *peer;
    struct smsa_pace pace; /* as the core answered the last round */
    struct loop_timer timer;
    struct resolver_req *lookup;
    struct probe **probes;
    struct probe_addr_result *results;
    struct probe_slot *slots;
    size_t n_probes, pending;
    bool busy;
};

static const struct engine_sink *sink;
static struct eng_peer **peers;
static size_t n_peers;
static unsigned interval_ms, timeout_ms;
static const char *dns_query_name;
static char *resolver_servers;
static unsigned resolver_timeout_ms;

/* One-shot mode: what to run, and how many rounds are still out. */
static struct engine_once once;
static bool once_on;
static size_t once_pending;
static struct loop_timer once_timer; /* reports "done" when nothing had to run at all */

/* Jitter needs spread, not secrecy (the DNS id and the NTP nonce use getrandom): a
 * xorshift64 seeded once spares a system call per round. */
static uint64_t jitter_state;

static uint32_t random_u32(void)
{
    if (jitter_state == 0) {
        if (getrandom(&jitter_state, sizeof(jitter_state), GRND_NONBLOCK) != sizeof(jitter_state))
            jitter_state = (uint64_t)loop_now_us();
        jitter_state |= 1; /* xorshift never leaves 0 */
    }
    jitter_state ^= jitter_state << 13;
    jitter_state ^= jitter_state >> 7;
    jitter_state ^= jitter_state << 17;
    return (uint32_t)(jitter_state >> 32);
}

/* +-5 % of the interval, so that peers started together drift apart instead of firing in
 * lockstep. */
static int64_t jitter_us(int64_t period_us)
{
    int64_t span = period_us / 10;
    if (span <= 0)
        return 0;
    return (int64_t)(random_u32() % (uint64_t)span) - span / 2;
}

static void round_start(void *arg);

static void once_done(void *arg)
{
    (void)arg;
    if (once.done)
        once.done(once.arg);
}

/* Every path that ends a round comes here, after the core has the result. */
static void round_over(void)
{
    if (once_on && once_pending > 0 && --once_pending == 0)
        once_done(NULL);
}

static void round_failed(struct eng_peer *ep, enum smsa_cause cause, const char *detail)
{
    ep->busy = false;
    sink->round_failed(ep->peer, cause, detail);
    round_over();
}

static void schedule_next(struct eng_peer *ep)
{
    int64_t period = (int64_t)interval_ms * 1000 * ep->pace.poll_multiplier;
    loop_timer_start(&ep->timer, period + jitter_us(period), round_start, ep);
}

/* Abandons what is in flight and frees the round's arrays. */
static void clear_probes(struct eng_peer *ep)
{
    for (size_t i = 0; i < ep->n_probes; i++)
        if (ep->probes && ep->probes[i])
            probe_cancel(ep->probes[i]);
    free(ep->probes);
    free(ep->results);
    free(ep->slots);
    ep->probes = NULL;
    ep->results = NULL;
    ep->slots = NULL;
    ep->n_probes = ep->pending = 0;
}

/* What the core made of a round decides the next: none after a stop, a later one after a
 * slow-down (the next round was planned before this reply came). */
static void follow_pace(struct eng_peer *ep, struct smsa_pace pace)
{
    if (pace.poll_multiplier < 1)
        pace.poll_multiplier = 1;
    bool slower = pace.poll_multiplier != ep->pace.poll_multiplier;
    ep->pace = pace;
    if (pace.stopped)
        loop_timer_stop(&ep->timer);
    else if (slower && !once_on)
        schedule_next(ep);
}

static void round_finish(struct eng_peer *ep)
{
    ep->busy = false;
    follow_pace(ep, sink->round_done(ep->peer, ep->results, ep->n_probes));
    clear_probes(ep);
    round_over();
}

static void probe_done(const struct probe_addr_result *r, void *arg)
{
    struct probe_slot *slot = arg;
    struct eng_peer *ep = slot->ep;
    ep->results[slot->i] = *r;
    ep->probes[slot->i] = NULL;
    if (--ep->pending == 0)
        round_finish(ep);
}

static void probe_addresses(struct eng_peer *ep)
{
    const struct smsa_peer *p = ep->peer;
    size_t n = p->n_addrs;
    if (n == 0) {
        round_failed(ep, CAUSE_DNS_FAILURE, "no address");
        return;
    }
    ep->probes = calloc(n, sizeof(*ep->probes));
    ep->results = calloc(n, sizeof(*ep->results));
    ep->slots = calloc(n, sizeof(*ep->slots));
    if (!ep->probes || !ep->results || !ep->slots) {
        clear_probes(ep);
        round_failed(ep, CAUSE_ERROR, "out of memory");
        return;
    }
    ep->n_probes = n;
    ep->pending = n;
    for (size_t i = 0; i < n; i++) {
        struct probe_slot *slot = &ep->slots[i];
        slot->ep = ep;
        slot->i = i;
        struct probe_params pp = {.kind = p->kind,
                                  .addr = &p->addrs[i].sa,
                                  .addrlen = p->addrs[i].salen,
                                  .timeout_ms = timeout_ms,
                                  .dns_query_name = dns_query_name,
                                  .host = p->host,
                                  .port = p->port,
                                  .via_proxy = p->via_proxy};
        struct probe *pr = probe_start(&pp, probe_done, slot);
        if (!pr) {
            ep->results[i] = (struct probe_addr_result){.ok = false, .cause = CAUSE_ERROR};
            snprintf(ep->results[i].detail, sizeof(ep->results[i].detail), "out of memory");
            ep->pending--;
            continue;
        }
        ep->probes[i] = pr;
    }
    if (ep->pending == 0)
        round_finish(ep);
}

static void resolved(int status, const struct sockaddr_storage *addrs, const socklen_t *lens,
                     size_t n, void *arg)
{
    struct eng_peer *ep = arg;
    ep->lookup = NULL;
    if (status != 0 || n == 0) {
        round_failed(ep, CAUSE_DNS_FAILURE,
                     status != 0 ? resolver_status_text(status) : "no address");
        return;
    }
    sink->addresses(ep->peer, addrs, lens, n);
    probe_addresses(ep);
}

static bool is_literal(const struct smsa_peer *p)
{
    /* literals got their one address when the model was built */
    uint16_t port;
    return p->n_addrs == 1 && !strcmp(p->addrs[0].text, smsa_probe_host(p, &port));
}

/* An inbound flow is satisfied only by a socket others can reach: one bound to loopback
 * addresses only answers nobody outside this host. */
static void check_listener(struct eng_peer *ep)
{
    const struct smsa_peer *p = ep->peer;
    char addrs[SMSA_LISTENING_TEXT], brief[SMSA_DETAIL_TEXT - sizeof("bound to  only") + 1];
    struct probe_addr_result res = {.ok = false, .cause = CAUSE_ERROR, .rtt_us = -1};
    const struct cat_flow *def = cat_flow(p->flow_id);
    switch (listen_check_proto(p->port, def && def->proto == PROTO_UDP, addrs, sizeof(addrs))) {
    case LISTEN_REACHABLE:
        res.ok = true;
        res.cause = CAUSE_NONE;
        break;
    case LISTEN_LOOPBACK_ONLY:
        res.cause = CAUSE_LOOPBACK_ONLY;
        snprintf(res.detail, sizeof(res.detail), "bound to %s only",
                 listen_brief(brief, sizeof(brief), addrs));
        break;
    case LISTEN_NONE:
        res.cause = CAUSE_NOT_LISTENING;
        snprintf(res.detail, sizeof(res.detail), "nothing listens on port %u", p->port);
        break;
    case LISTEN_UNKNOWN:
        snprintf(res.detail, sizeof(res.detail), "cannot list the local sockets");
        break;
    }
    sink->listening(p, addrs);
    follow_pace(ep, sink->round_done(p, &res, 1));
}

static void round_start(void *arg)
{
    struct eng_peer *ep = arg;
    const struct smsa_peer *p = ep->peer;
    if (ep->pace.stopped)
        return; /* DENY/RSTR: never again until the configuration changes */
    if (!once_on)
        schedule_next(ep);
    if (ep->busy)
        return; /* the previous round is still out: skip rather than pile up */
    if (p->kind == PROBE_LISTEN) {
        check_listener(ep);
        round_over();
        return;
    }
    ep->busy = true;
    if (is_literal(p)) {
        probe_addresses(ep);
        return;
    }
    uint16_t port;
    const char *host = smsa_probe_host(p, &port);
    ep->lookup = resolver_lookup(host, port, resolved, ep);
    if (!ep->lookup)
        round_failed(ep, CAUSE_ERROR, "cannot start the lookup");
}

int engine_init(const struct cfg *cfg, const struct engine_sink *s)
{
    sink = s;
    resolver_servers = cfg->probe.resolver ? strdup(cfg->probe.resolver) : NULL;
    resolver_timeout_ms = cfg->probe.timeout_ms;
    return resolver_init(cfg->probe.resolver, cfg->probe.timeout_ms);
}

void engine_set_once(const struct engine_once *o)
{
    once_on = o != NULL;
    if (o)
        once = *o;
    else
        memset(&once, 0, sizeof(once));
}

static bool once_selected(const struct smsa_peer *p)
{
    /* --flow names the vendor's flows only: an extra flow runs when every flow does */
    return !once.flows ||
           (p->flow_id <= CAT_NFLOWS && (once.flows & (UINT32_C(1) << (p->flow_id - 1))));
}

void engine_fini(void)
{
    resolver_fini();
    free(resolver_servers);
    resolver_servers = NULL;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

void engine_start(const struct smsa_model *m, const struct cfg *cfg)
{
    interval_ms = cfg->probe.interval_ms;
    timeout_ms = cfg->probe.timeout_ms;
    dns_query_name = cfg->probe.dns_query_name; /* "." unless set: the loader guarantees it */
    if (!same_str(resolver_servers, cfg->probe.resolver) ||
        resolver_timeout_ms != cfg->probe.timeout_ms) {
        free(resolver_servers);
        resolver_servers = cfg->probe.resolver ? strdup(cfg->probe.resolver) : NULL;
        resolver_timeout_ms = cfg->probe.timeout_ms;
        if (resolver_configure(cfg->probe.resolver, cfg->probe.timeout_ms) < 0)
            log_err("cannot configure the resolver with %s",
                    cfg->probe.resolver ? cfg->probe.resolver : "/etc/resolv.conf");
    }
    size_t total = 0;
    for (size_t i = 0; i < m->n_flows; i++)
        total += m->flows[i].n_peers;
    peers = calloc(total ? total : 1, sizeof(*peers));
    if (!peers) {
        log_err("out of memory: probing is stopped");
        return;
    }
    n_peers = 0;
    for (size_t i = 0; i < m->n_flows; i++) {
        const struct smsa_flow *f = &m->flows[i];
        if (f->state == ST_NOT_APPLICABLE || f->state == ST_DISABLED)
            continue;
        for (size_t j = 0; j < f->n_peers; j++) {
            const struct smsa_peer *p = f->peers[j];
            if (!p->enabled || (once_on && !once_selected(p)))
                continue;
            struct eng_peer *ep = calloc(1, sizeof(*ep));
            if (!ep)
                continue;
            ep->peer = p;
            ep->pace = (struct smsa_pace){.stopped = false, .poll_multiplier = 1};
            peers[n_peers++] = ep;
        }
    }
    /* Rounds spread over the interval, never a burst: peer k of n runs at k/n of it. The phase
     * is anchored to the monotonic clock, not to this call, so that configuration changes in
     * quick succession cannot keep pushing a peer's round out of reach. */
    if (once_on) {
        /* every round at once; the result is whatever each single round finds */
        once_pending = n_peers;
        for (size_t k = 0; k < n_peers; k++)
            loop_timer_start(&peers[k]->timer, 0, round_start, peers[k]);
        if (n_peers == 0)
            loop_timer_start(&once_timer, 0, once_done, NULL);
        return;
    }
    int64_t period = (int64_t)interval_ms * 1000, now = loop_now_us();
    for (size_t k = 0; k < n_peers; k++) {
        int64_t phase = period * (int64_t)k / (int64_t)n_peers;
        int64_t delay = ((phase - now) % period + period) % period;
        loop_timer_start(&peers[k]->timer, delay, round_start, peers[k]);
    }
}

void engine_stop(const struct smsa_model *m)
{
    (void)m;
    loop_timer_stop(&once_timer);
    once_pending = 0;
    for (size_t k = 0; k < n_peers; k++) {
        struct eng_peer *ep = peers[k];
        loop_timer_stop(&ep->timer);
        if (ep->lookup)
            resolver_cancel(ep->lookup);
        clear_probes(ep);
        free(ep);
    }
    free(peers);
    peers = NULL;
    n_peers = 0;
}
