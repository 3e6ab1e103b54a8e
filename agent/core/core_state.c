/* Probe results into state and events: a peer's verdict after its hysteresis and
 * Kiss-o'-Death, its addresses' verdicts, and what follows from them: links, flows, the
 * appliances, the clock, certificates and the overall state. */
#include "core.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliances.h"
#include "core_internal.h"
#include "log.h"
#include "loop.h"
#include "ntpclock.h"
#include "probe_tls.h"

/* The core owns every peer of the model; the prober only names them (through a read-only
 * model), so the results that arrive for one are written here, by the one writer. */
static struct smsa_peer *own(const struct smsa_peer *p)
{
    return (struct smsa_peer *)p;
}

static void event_for_peer(struct smsa_event *ev, enum smsa_event_kind kind,
                           const struct smsa_peer *p)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->flow_id = p->flow_id;
    ev->peer_index = p->index;
    ev->link_index = p->link_index;
    ev->update_index = p->update_index;
    ev->appliance_index = p->appliance_index;
    ev->port = p->port;
    snprintf(ev->host, sizeof(ev->host), "%s", p->host);
    snprintf(ev->name, sizeof(ev->name), "%s",
             p->label ? p->label : model_flow(&core_m, p->flow_id)->def->purpose);
    ev->cause = p->cause;
    snprintf(ev->detail, sizeof(ev->detail), "%s", p->detail);
    ev->new_state = p->state;
    ev->rtt_us = p->rtt_us;
}

static void recompute_overall(void);
static void flow_recount(struct smsa_flow *f);
static enum smsa_state flow_state_from_counts(const struct smsa_flow *f);
static void judge_clock(void);

/* An appliance's verdict from its checks (appl_verdict); true when its state changed. */
static bool settle_appliance(struct smsa_appliance *a)
{
    struct appl_verdict v;
    appl_verdict(a->checks, a->n_checks, &v);
    a->n_up = v.up;
    a->n_down = v.down;
    a->cause = v.cause;
    snprintf(a->detail, sizeof(a->detail), "%s", v.detail);
    a->worst_flow = v.flow;
    if (v.state == a->state)
        return false;
    a->state = v.state;
    a->since = core_stamp_now();
    if (v.state == ST_DOWN)
        a->down_count++;
    return true;
}

static void update_appliance(unsigned index)
{
    struct smsa_appliance *a = appl_find(&core_m, index);
    if (!a)
        return;
    enum smsa_state old = a->state;
    if (!settle_appliance(a))
        return;
    struct smsa_event ev = {.kind = EV_APPLIANCE,
                            .appliance_index = a->index,
                            .role = a->role,
                            .old_state = old,
                            .new_state = a->state,
                            .cause = a->cause,
                            .flow_id = a->worst_flow,
                            .rtt_us = -1,
                            .at = a->since};
    snprintf(ev.name, sizeof(ev.name), "%s", a->name);
    snprintf(ev.host, sizeof(ev.host), "%s", a->host);
    snprintf(ev.detail, sizeof(ev.detail), "%s", a->detail);
    const struct smsa_addr *addr = core_appliance_address(a);
    if (addr)
        snprintf(ev.address, sizeof(ev.address), "%s", addr->text);
    core_emit(&ev);
}

/* After a configuration is applied: every verdict that derives from the peers, again. */
void core_state_settle(void)
{
    for (size_t i = 0; i < core_m.n_flows; i++) {
        struct smsa_flow *f = &core_m.flows[i];
        flow_recount(f);
        if (f->state != ST_NOT_APPLICABLE && f->state != ST_UNCONFIGURED &&
            !(f->state == ST_DISABLED && f->n_peers == 0))
            f->state = flow_state_from_counts(f);
    }
    for (size_t i = 0; i < core_m.n_appliances; i++)
        settle_appliance(&core_m.appliances[i]);
    recompute_overall();
    judge_clock(); /* NTP switched on or off, another bound, other servers */
}

/* ---- state from probe results ---- */

/* The flow's counts from its peers, from scratch: after an apply, when every peer may be new
 * or carry a state over. From then on finish_round keeps them, one peer's change at a time. */
static void flow_recount(struct smsa_flow *f)
{
    memset(f->n_by_state, 0, sizeof(f->n_by_state));
    f->n_enabled = 0;
    for (size_t i = 0; i < f->n_peers; i++) {
        f->n_by_state[f->peers[i]->state]++;
        f->n_enabled += f->peers[i]->enabled;
    }
}

static enum smsa_state flow_state_from_counts(const struct smsa_flow *f)
{
    unsigned up = f->n_by_state[ST_UP], down = f->n_by_state[ST_DOWN],
             other = f->n_by_state[ST_DEGRADED];
    /* unknown and disabled peers do not count */
    if (up + down + other == 0)
        return f->n_enabled ? ST_UNKNOWN : ST_DISABLED; /* every update source switched off */
    if (down == 0 && other == 0)
        return ST_UP;
    if (up == 0 && other == 0)
        return ST_DOWN;
    return ST_DEGRADED;
}

static void recompute_overall(void)
{
    unsigned up = 0, down = 0, checked = 0;
    for (size_t i = 0; i < core_m.n_flows; i++) {
        enum smsa_state s = core_m.flows[i].state;
        if (s == ST_UP || s == ST_DOWN || s == ST_DEGRADED) {
            checked++;
            up += s == ST_UP;
            down += s == ST_DOWN;
        }
    }
    if (checked == 0)
        core_m.overall = ST_UNKNOWN;
    else if (up == checked)
        core_m.overall = ST_UP;
    else if (down == checked)
        core_m.overall = ST_DOWN;
    else
        core_m.overall = ST_DEGRADED;
}

static void update_flow(unsigned flow_id)
{
    struct smsa_flow *f = model_flow(&core_m, flow_id);
    if (!f || f->state == ST_NOT_APPLICABLE || f->state == ST_UNCONFIGURED)
        return;
    enum smsa_state s = flow_state_from_counts(f);
    if (s == f->state)
        return;
    struct smsa_event ev = {.kind = EV_FLOW,
                            .flow_id = flow_id,
                            .old_state = f->state,
                            .new_state = s,
                            .port = f->def->port};
    snprintf(ev.name, sizeof(ev.name), "%s", f->def->purpose);
    f->state = s;
    f->since = core_stamp_now();
    ev.at = f->since;
    recompute_overall();
    core_emit(&ev);
}

/* Links are sorted by index: a binary search, since every round of a linked peer asks. */
static struct smsa_link *link_of(const struct smsa_peer *p)
{
    size_t lo = 0, hi = core_m.n_links;
    while (p->link_index && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (core_m.links[mid].index == p->link_index)
            return core_m.links[mid].peer == p ? &core_m.links[mid] : NULL;
        if (core_m.links[mid].index < p->link_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A link is up while any address answers and down when none does (README, What it checks), after
 * the peer's hysteresis. */
static void update_link(struct smsa_peer *p, const char *address)
{
    struct smsa_link *l = link_of(p);
    if (!l)
        return;
    enum smsa_state s = p->hyst.verdict == HYST_UP     ? ST_UP
                        : p->hyst.verdict == HYST_DOWN ? ST_DOWN
                                                       : ST_UNKNOWN;
    if (s == l->state)
        return;
    struct smsa_event ev;
    event_for_peer(&ev, EV_LINK, p);
    snprintf(ev.name, sizeof(ev.name), "%s", l->name);
    snprintf(ev.address, sizeof(ev.address), "%s", address);
    ev.old_state = l->state;
    ev.new_state = s;
    ev.cause = s == ST_DOWN ? p->cause : CAUSE_NONE;
    snprintf(ev.detail, sizeof(ev.detail), "%s", s == ST_DOWN ? p->detail : "");
    l->state = s;
    l->cause = ev.cause;
    snprintf(l->detail, sizeof(l->detail), "%s", ev.detail);
    l->since = core_stamp_now();
    ev.at = l->since;
    if (s == ST_DOWN)
        l->down_count++;
    core_emit(&ev);
}

static int cmp_addr(const void *a, const void *b)
{
    const struct smsa_addr *x = a, *y = b;
    if (x->family != y->family)
        return x->family == AF_INET ? -1 : 1;
    return memcmp(&x->sa, &y->sa, sizeof(x->sa));
}

static void addr_init(struct smsa_addr *a, const struct sockaddr_storage *ss, socklen_t len)
{
    memset(a, 0, sizeof(*a));
    memcpy(&a->sa, ss, len);
    a->salen = len;
    a->family = ss->ss_family;
    if (a->family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a->text, sizeof(a->text));
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a->text,
                  sizeof(a->text));
    a->state = ST_UNKNOWN;
    a->rtt_us = -1;
}

bool core_addrset_equal(const struct smsa_addr *a, size_t na, const struct smsa_addr *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (cmp_addr(&a[i], &b[i]) != 0)
            return false;
    return true;
}

size_t core_addrset_normalise(struct smsa_addr *a, size_t n)
{
    qsort(a, n, sizeof(*a), cmp_addr);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || cmp_addr(&a[out - 1], &a[i]) != 0)
            a[out++] = a[i];
    return out;
}

void core_set_addresses(const struct smsa_peer *peer, const struct sockaddr_storage *addrs,
                        const socklen_t *lens, size_t n)
{
    struct smsa_peer *p = own(peer);
    struct smsa_addr *next = calloc(n ? n : 1, sizeof(*next));
    if (!next)
        return;
    for (size_t i = 0; i < n; i++)
        addr_init(&next[i], &addrs[i], lens[i]);
    n = core_addrset_normalise(next, n);
    if (p->addrset_since.mono_us != 0 && core_addrset_equal(next, n, p->addrs, p->n_addrs)) {
        free(next);
        return;
    }
    /* what was learnt about an address that stays in the set is kept */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p->n_addrs; j++) {
            if (cmp_addr(&next[i], &p->addrs[j]) == 0) {
                next[i] = p->addrs[j];
                p->addrs[j].tls = NULL; /* moved */
                break;
            }
        }
    }
    bool first = p->addrset_since.mono_us == 0;
    for (size_t j = 0; j < p->n_addrs; j++)
        free(p->addrs[j].tls);
    free(p->addrs);
    p->addrs = next;
    p->n_addrs = n;
    p->addrset_since = core_stamp_now();
    core_m.generation++;
    if (first)
        return; /* the first resolution is not a change */
    p->addrset_changes++;
    struct smsa_event ev;
    event_for_peer(&ev, EV_ADDRSET, p);
    ev.n_addresses = (unsigned)n;
    size_t off = 0;
    for (size_t i = 0; i < n && off + 1 < sizeof(ev.addresses); i++) {
        int w = snprintf(ev.addresses + off, sizeof(ev.addresses) - off, "%s%s", i ? " " : "",
                         p->addrs[i].text);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (n)
        snprintf(ev.address, sizeof(ev.address), "%s", p->addrs[0].text);
    ev.at = p->addrset_since;
    core_emit(&ev);
}

/* ok_detail: what an answer said when it proves the service (an HTTP status line, "via
 * proxy ..."), shown while the peer is up. */
static void finish_round(struct smsa_peer *p, bool any_ok, bool all_ok, enum smsa_cause cause,
                         const char *detail, const char *ok_detail, const char *address)
{
    const struct cfg *c = core_running;
    p->checks++;
    if (!any_ok)
        p->failures++;
    hyst_feed(&p->hyst, any_ok, c->probe.fail_threshold, c->probe.recover_threshold);
    if (p->kod_stopped) {
        /* DENY/RSTR: the server asked us to stop; that is a verdict, not a glitch */
        p->hyst.verdict = HYST_DOWN;
    }
    /* degraded is "some addresses answer"; a round where none answered, still inside the
     * hysteresis, leaves the verdict as it was */
    enum smsa_state up_state = all_ok   ? ST_UP
                               : any_ok ? ST_DEGRADED
                                        : (p->state == ST_DEGRADED ? ST_DEGRADED : ST_UP);
    enum smsa_state s = p->hyst.verdict == HYST_UP     ? up_state
                        : p->hyst.verdict == HYST_DOWN ? ST_DOWN
                                                       : ST_UNKNOWN;
    /* A down peer that answers, short of recover_threshold, is still down for the reason it
     * went down: an answer is no cause, and no news until the peer is up again. */
    bool held = s == ST_DOWN && p->state == ST_DOWN && any_ok;
    enum smsa_cause new_cause = held ? p->cause : s == ST_UP ? CAUSE_NONE : cause;
    if (s == ST_UNKNOWN)
        new_cause = any_ok ? CAUSE_NONE : cause;
    /* a transition, or a down/degraded peer failing for another reason */
    bool changed = s != p->state || ((s == ST_DOWN || s == ST_DEGRADED) && new_cause != p->cause);
    enum smsa_state old = p->state;
    p->cause = new_cause;
    if (!held)
        snprintf(p->detail, sizeof(p->detail), "%s",
                 new_cause != CAUSE_NONE ? detail
                 : any_ok                ? ok_detail
                                         : "");
    core_m.generation++;
    if (changed) {
        if (s != old) {
            struct smsa_flow *f = model_flow(&core_m, p->flow_id);
            if (f) {
                f->n_by_state[old]--;
                f->n_by_state[s]++;
            }
        }
        p->state = s;
        p->since = core_stamp_now();
        if (s == ST_DOWN && old != ST_DOWN)
            p->down_count++;
        struct smsa_event ev;
        event_for_peer(&ev, EV_PEER, p);
        ev.old_state = old;
        snprintf(ev.address, sizeof(ev.address), "%s", address);
        ev.at = p->since;
        core_emit(&ev);
        if (p->kind == PROBE_NTP) {
            ev.kind = EV_NTP;
            core_emit(&ev);
        }
    }
    update_link(p, address);
    update_flow(p->flow_id);
    if (p->kind == PROBE_NTP)
        judge_clock();
    /* A check that was and stays up or unknown is neither counted differently nor the worst
     * (appl_verdict): its appliance's verdict stands, and reading all its checks is skipped. */
    if (p->appliance_index && (s != old || (s != ST_UP && s != ST_UNKNOWN)))
        update_appliance(p->appliance_index);
}

void core_round_failed(const struct smsa_peer *peer, enum smsa_cause cause, const char *detail)
{
    struct smsa_peer *p = own(peer);
    core_m.probes_total++;
    core_m.probe_failures_total++;
    p->ntp.valid = false;
    finish_round(p, false, false, cause, detail ? detail : "", "", "");
}

void core_set_listening(const struct smsa_peer *peer, const char *addrs)
{
    struct smsa_peer *p = own(peer);
    if (strcmp(p->listening_on ? p->listening_on : "", addrs) != 0) {
        char *copy = strndup(addrs, SMSA_LISTENING_TEXT - 1);
        if (!copy)
            return; /* no memory: the next check tries again */
        free(p->listening_on);
        p->listening_on = copy;
        core_m.generation++;
    }
}

/* Whose clock the NTP servers judge: the agent's host, which is the appliance itself when the
 * agent runs on it (the one place to tell otherwise when the agent runs beside it). */
/* Beside the appliance, the NTP servers answer this host: it is this host's clock. */
static const char *clock_measured_from(const struct cfg *c)
{
    return smsa_measured_from_name(c->placement == PLACEMENT_BESIDE ? MEASURED_FROM_VANTAGE
                                                                    : MEASURED_FROM_APPLIANCE);
}

/* The clock's verdict is derived here, once, when it may have changed; faces read it. Every
 * change is an event, but for "disabled" at start (NTP is off by default). */
static void judge_clock(void)
{
    struct smsa_clock *k = &core_m.clock;
    enum smsa_state old = k->state;
    k->measured_from = clock_measured_from(core_running);
    if (!ntpclock_judge(k, model_flow(&core_m, CAT_FLOW_NTP), core_running->ntp_enabled,
                        core_running->ntp_max_offset_ms))
        return;
    bool quiet_start = k->since.mono_us == 0 && k->state == ST_DISABLED; /* NTP off at start */
    k->since = core_stamp_now();
    core_m.generation++;
    if (quiet_start)
        return;
    struct smsa_event ev = {.kind = EV_CLOCK,
                            .old_state = old,
                            .new_state = k->state,
                            .cause = k->cause,
                            .flow_id = CAT_FLOW_NTP,
                            .at = k->since};
    snprintf(ev.name, sizeof(ev.name), "clock");
    snprintf(ev.detail, sizeof(ev.detail), "%s", k->detail);
    core_emit(&ev);
}

/* The peer's certificate is the one of its addresses that expires first; crossing a threshold
 * (tls.warn_days, expired) is announced once. A renewed certificate starts over, silently. */
static void judge_certificate(struct smsa_peer *p)
{
    const struct smsa_addr *first = NULL;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].tls && p->addrs[i].tls->seen &&
            (!first || p->addrs[i].tls->not_after < first->tls->not_after))
            first = &p->addrs[i];
    if (!first)
        return; /* nothing seen yet, or the handshake fails: the last facts stay */
    if (!p->tls && !(p->tls = calloc(1, sizeof(*p->tls))))
        return; /* no memory: the facts wait for the next round */
    uint8_t announced = p->tls->expiry;
    *p->tls = *first->tls;
    enum smsa_tls_expiry level = p->tls->days_left < 0 ? TLS_EXPIRY_EXPIRED
                                 : p->tls->days_left < (int32_t)core_running->tls_warn_days
                                     ? TLS_EXPIRY_SOON
                                     : TLS_EXPIRY_NONE;
    p->tls->expiry = (uint8_t)level;
    if (level <= announced)
        return;
    struct smsa_event ev;
    event_for_peer(&ev, EV_TLS, p);
    ev.expiry = level;
    ev.not_after = p->tls->not_after;
    ev.days_left = p->tls->days_left;
    memcpy(ev.subject, p->tls->subject, sizeof(ev.subject));
    snprintf(ev.address, sizeof(ev.address), "%s", first->text);
    char date[32];
    time_t t = (time_t)p->tls->not_after;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(date, sizeof(date), "?");
    if (level == TLS_EXPIRY_EXPIRED)
        snprintf(ev.detail, sizeof(ev.detail), "certificate expired %.24s", date);
    else
        snprintf(ev.detail, sizeof(ev.detail), "certificate expires %.24s, %d days left", date,
                 (int)p->tls->days_left);
    core_emit(&ev);
}

/* RFC 5905 §7.4: DENY and RSTR ask the client to stop. */
static bool kod_stops(const struct probe_addr_result *r)
{
    return r->cause == CAUSE_KISS_OF_DEATH &&
           (!strcmp(r->ntp.refid, "DENY") || !strcmp(r->ntp.refid, "RSTR"));
}

/* RFC 5905 §7.4: a Kiss-o'-Death asks the client to slow down (RATE) or to stop (DENY,
 * RSTR). Stopping is a verdict, applied in finish_round. */
static void kiss_of_death(struct smsa_peer *p, const struct probe_addr_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct probe_addr_result *r = &results[i];
        if (r->cause != CAUSE_KISS_OF_DEATH)
            continue;
        if (!strcmp(r->ntp.refid, "RATE")) {
            if (p->poll_multiplier < 64)
                p->poll_multiplier *= 2;
            log_warn("NTP server %s sent RATE: polling every %u intervals", p->host,
                     p->poll_multiplier);
        } else if (kod_stops(r)) {
            p->kod_stopped = true;
            log_warn("NTP server %s sent %s: no longer polled until the configuration changes",
                     p->host, r->ntp.refid);
        }
    }
}

static struct smsa_pace pace_of(const struct smsa_peer *p)
{
    return (struct smsa_pace){.stopped = p->kod_stopped, .poll_multiplier = p->poll_multiplier};
}

struct smsa_pace core_round_done(const struct smsa_peer *peer,
                                 const struct probe_addr_result *results, size_t n)
{
    struct smsa_peer *p = own(peer);
    if (p->kind == PROBE_LISTEN) {
        /* an inbound check has no remote address: one result for the local port */
        core_m.probes_total++;
        core_m.probe_failures_total += n && !results[0].ok;
        bool ok = n && results[0].ok;
        finish_round(p, ok, ok, n ? results[0].cause : CAUSE_ERROR, n ? results[0].detail : "", "",
                     "");
        return pace_of(p);
    }
    if (n > p->n_addrs)
        n = p->n_addrs; /* results are per address of the set the round probed */
    bool any_ok = false, all_ok = n > 0;
    enum smsa_cause cause = n ? CAUSE_NONE : CAUSE_DNS_FAILURE;
    const char *detail = n ? "" : "no address";
    const char *ok_detail = "";
    const char *address = "";
    int64_t now_s = loop_wall_us() / 1000000;
    int64_t best_rtt = -1;
    const struct smsa_ntp_result *ntp = NULL;
    const struct cfg *c = core_running;
    for (size_t i = 0; i < n; i++) {
        struct smsa_addr *a = &p->addrs[i];
        const struct probe_addr_result *r = &results[i];
        a->checks++;
        core_m.probes_total++;
        if (r->ok) {
            a->rtt_us = r->rtt_us;
            if (best_rtt < 0 || r->rtt_us < best_rtt)
                best_rtt = r->rtt_us;
            if (!any_ok) {
                address = a->text;
                ok_detail = r->detail;
            }
            any_ok = true;
            if (r->tls.handshake && r->tls.cert.seen &&
                (a->tls || (a->tls = malloc(sizeof(*a->tls))))) {
                *a->tls = r->tls.cert;
                a->tls->days_left = tlsp_days_left(a->tls->not_after, now_s);
            }
            if (r->ntp.valid && !ntp)
                ntp = &r->ntp;
        } else {
            a->failures++;
            core_m.probe_failures_total++;
            all_ok = false;
            if (cause == CAUSE_NONE) {
                cause = r->cause;
                detail = r->detail;
                if (!any_ok)
                    address = a->text;
            }
        }
        a->ntp = r->ntp;
        hyst_feed(&a->hyst, r->ok, c->probe.fail_threshold, c->probe.recover_threshold);
        if (kod_stops(r))
            a->hyst.verdict = HYST_DOWN; /* no round follows a stop: its verdict is now */
        enum smsa_state s = a->hyst.verdict == HYST_UP     ? ST_UP
                            : a->hyst.verdict == HYST_DOWN ? ST_DOWN
                                                           : ST_UNKNOWN;
        a->cause = r->ok ? CAUSE_NONE : r->cause;
        snprintf(a->detail, sizeof(a->detail), "%s", r->detail);
        if (s != a->state) {
            a->state = s;
            a->since = core_stamp_now();
        }
    }
    if (best_rtt >= 0)
        p->rtt_us = best_rtt;
    if (p->kind == PROBE_NTP) {
        kiss_of_death(p, results, n);
        if (ntp)
            p->ntp = *ntp;
        else
            p->ntp.valid = false;
        /* a Kiss-o'-Death code is kept in refid so that operators see why */
        for (size_t i = 0; i < n && !ntp; i++)
            if (results[i].cause == CAUSE_KISS_OF_DEATH)
                snprintf(p->ntp.refid, sizeof(p->ntp.refid), "%s", results[i].ntp.refid);
    }
    if (p->kind == PROBE_TLS || p->kind == PROBE_SMTP)
        judge_certificate(p);
    finish_round(p, any_ok, all_ok, cause, detail, ok_detail, address);
    return pace_of(p);
}

const struct smsa_appliance *core_appliance(unsigned index)
{
    return appl_find(&core_m, index);
}

const struct smsa_appliance *core_appliance_by_name(const char *name)
{
    return name ? appl_find_name(&core_m, name) : NULL;
}

const struct smsa_addr *core_appliance_addresses(const struct smsa_appliance *a, size_t *n)
{
    for (size_t i = 0; i < a->n_checks; i++) {
        if (a->checks[i]->kind != PROBE_LISTEN && a->checks[i]->n_addrs) {
            *n = a->checks[i]->n_addrs;
            return a->checks[i]->addrs;
        }
    }
    *n = 0;
    return NULL;
}

const struct smsa_addr *core_appliance_address(const struct smsa_appliance *a)
{
    size_t n;
    const struct smsa_addr *addrs = core_appliance_addresses(a, &n);
    for (size_t i = 0; i < n; i++)
        if (addrs[i].state == ST_UP)
            return &addrs[i];
    return n ? &addrs[0] : NULL;
}

const struct smsa_addr *core_link_address(const struct smsa_link *l)
{
    const struct smsa_peer *p = l->peer;
    if (!p || p->n_addrs == 0)
        return NULL;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].state == ST_UP)
            return &p->addrs[i];
    return &p->addrs[0];
}
