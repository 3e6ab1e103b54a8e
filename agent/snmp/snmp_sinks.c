/* Master mode's sinks: v2c trap sinks (net-snmp's trap sessions, fire and forget) and inform
 * sinks (a session of ours each, one inform at a time, in order, resent with a backoff until
 * acknowledged).
 *
 * A sink given by host name is resolved on the loop with the daemon's resolver (c-ares),
 * again every minute, and its transport is opened with the address found: net-snmp would
 * resolve it with a blocking getaddrinfo() at every open, and a silent DNS server would hold
 * the loop for seconds. Until its name resolves, a sink gets nothing: an inform sink's
 * notifications stay queued, as for a sink that does not answer.
 *
 * The sinks and trap community follow the running configuration: a reload that changes them
 * applies at once. An inform sink that stays keeps its place in the queue; a new one gets what
 * happens from then on; one that goes is closed, and what only it still waited for is
 * released. What an inform sink sends comes from the queue (snmp_notify.c) through the
 * functions it handed to snmpf_sinks_init; this file names nothing of the queue. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "loop.h"
#include "resolver.h"
#include "snmp_internal.h"

/* An unanswered inform is sent again after 1 s, 2 s, 4 s ... up to this. */
#define INFORM_TIMEOUT_US 1000000L
#define INFORM_BACKOFF_MAX_US (30 * 1000000LL)
/* A sink's name is looked up again this often, and this soon after a failed lookup. */
#define SINK_RESOLVE_US (60 * 1000000LL)
#define SINK_RETRY_US (5 * 1000000LL)
/* What net-snmp's "snmptrap" transports use when an address has no port. */
#define SNMP_TRAP_PORT 162

/* A sink's address as configured ([udp:|tcp:|udp6:|tcp6:]host[:port]) and the address literal
 * its transport is opened with (target; NULL while a name has not resolved yet). */
struct sink_addr {
    char *address;
    char *target;
    struct resolver_req *lookup;
    struct loop_timer timer;
    bool failing; /* the last lookup failed: said once, until it resolves again */
    void (*changed)(struct sink_addr *sa); /* target is new */
};

struct inform_sink {
    struct sink_addr sa; /* first: changed() gets the sink from it */
    netsnmp_session *sess;
    uint64_t acked;    /* every notification up to this sequence number is acknowledged */
    uint64_t inflight; /* the sequence number of the inform awaiting its answer, 0 = none */
    int64_t backoff_us;
    struct loop_timer retry_timer;
};

static struct {
    bool active;
    struct snmpf_sinks_queue queue;
    struct inform_sink **sinks;
    size_t n_sinks;
    struct sink_addr **traps; /* v2c trap sinks: net-snmp's trap sessions, by target */
    size_t n_traps;
    char *community;   /* the trap community of every sink */
    char *sinks_shown; /* the sinks and community applied, to see whether a reload moves them */
} sk;

static void sink_addr_lookup(void *arg);
static void send_inform(void *arg);

/* ---- sink addresses, resolved on the loop ---- */

/* The target for one address: the sink's transport with the literal, the port written or 162;
 * 0 for an address of the other family than the transport names. */
static int target_of(const struct addr_endpoint *e, const struct sockaddr_storage *ss, char *out,
                     size_t len)
{
    char text[INET6_ADDRSTRLEN];
    bool v6 = ss->ss_family == AF_INET6;
    const void *bin = v6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                         : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
    if ((ss->ss_family != AF_INET && !v6) || !inet_ntop(ss->ss_family, bin, text, sizeof text))
        return 0;
    const char *prefix;
    switch (e->transport) {
    case ADDR_UDP:
    case ADDR_UDP6:
        if (v6 != (e->transport == ADDR_UDP6))
            return 0;
        prefix = v6 ? "udp6" : "udp";
        break;
    case ADDR_TCP:
    case ADDR_TCP6:
        if (v6 != (e->transport == ADDR_TCP6))
            return 0;
        prefix = v6 ? "tcp6" : "tcp";
        break;
    default: /* net-snmp's default transport, udp, has an IPv6 twin */
        prefix = v6 ? "udp6" : "udp";
        break;
    }
    unsigned port = e->hp.port ? e->hp.port : SNMP_TRAP_PORT;
    snprintf(out, len, v6 ? "%s:[%s]:%u" : "%s:%s:%u", prefix, text, port);
    return 1;
}

int snmpf_sink_target(const char *address, const struct sockaddr_storage *addrs, size_t n,
                      char *out, size_t len)
{
    struct addr_endpoint e;
    char why[128];
    if (addr_parse_transport(address, &e, why, sizeof why) < 0)
        return 0;
    /* without a transport, net-snmp's default is udp (IPv4): IPv6 only for a name without an
     * IPv4 address */
    for (int want_v4 = 1; want_v4 >= 0; want_v4--)
        for (size_t i = 0; i < n; i++)
            if ((e.transport != ADDR_DEFAULT || (addrs[i].ss_family == AF_INET) == want_v4) &&
                target_of(&e, &addrs[i], out, len))
                return 1;
    return 0;
}

static void sink_addr_set_target(struct sink_addr *sa, const char *target)
{
    if (sa->target && !strcmp(sa->target, target))
        return;
    char *copy = strdup(target);
    if (!copy)
        return; /* the previous target, if any, stays */
    free(sa->target);
    sa->target = copy;
    sa->changed(sa);
}

static void sink_addr_resolved(int status, const struct sockaddr_storage *addrs,
                               const socklen_t *lens, size_t n, void *arg)
{
    struct sink_addr *sa = arg;
    sa->lookup = NULL;
    char target[128];
    if (status != 0 || !snmpf_sink_target(sa->address, addrs, n, target, sizeof target)) {
        if (!sa->failing)
            log_warn("snmp: sink %s: %s; %s%s", sa->address,
                     status ? resolver_status_text(status) : "no address for its transport",
                     sa->target ? "it keeps " : "it gets nothing until its name resolves",
                     sa->target ? sa->target : "");
        sa->failing = true;
        loop_timer_start(&sa->timer, SINK_RETRY_US, sink_addr_lookup, sa);
        return;
    }
    if (sa->failing || !sa->target || strcmp(sa->target, target) != 0)
        log_info("snmp: sink %s is %s", sa->address, target);
    sa->failing = false;
    loop_timer_start(&sa->timer, SINK_RESOLVE_US, sink_addr_lookup, sa);
    sink_addr_set_target(sa, target);
}

static void sink_addr_lookup(void *arg)
{
    struct sink_addr *sa = arg;
    struct addr_endpoint e;
    char why[128];
    if (sa->lookup || addr_parse_transport(sa->address, &e, why, sizeof why) < 0)
        return;
    sa->lookup = resolver_lookup(e.hp.host, e.hp.port, sink_addr_resolved, sa);
    if (!sa->lookup)
        loop_timer_start(&sa->timer, SINK_RETRY_US, sink_addr_lookup, sa);
}

/* An address literal is the target as written (net-snmp opens it without a lookup); a name
 * is looked up from the next loop turn. */
static void sink_addr_start(struct sink_addr *sa)
{
    struct addr_endpoint e;
    char why[128];
    if (addr_parse_transport(sa->address, &e, why, sizeof why) < 0) {
        log_warn("snmp: sink \"%s\" %s", sa->address, why); /* the loader checked it */
        return;
    }
    if (!e.hp.family)
        loop_timer_start(&sa->timer, 0, sink_addr_lookup, sa);
    else if (!sa->target && !(sa->target = strdup(sa->address)))
        log_warn("snmp: no memory for the sink %s", sa->address);
}

static void sink_addr_fini(struct sink_addr *sa)
{
    loop_timer_stop(&sa->timer);
    resolver_cancel(sa->lookup);
    sa->lookup = NULL;
    free(sa->address);
    free(sa->target);
    sa->address = sa->target = NULL;
}

/* ---- informs, one at a time per sink, until acknowledged ---- */

static int on_inform_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    struct inform_sink *k = magic;
    if (!sk.active || k->sess != s || !k->inflight)
        return 1;
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        k->acked = k->inflight;
        k->inflight = 0;
        k->backoff_us = INFORM_TIMEOUT_US;
        sk.queue.acknowledged();
        loop_timer_start(&k->retry_timer, 0, send_inform, k);
    } else {
        log_debug("snmp: inform %llu to %s not acknowledged; again in %lld ms",
                  (unsigned long long)k->inflight, k->sa.address, (long long)k->backoff_us / 1000);
        k->inflight = 0;
        loop_timer_start(&k->retry_timer, k->backoff_us, send_inform, k);
        k->backoff_us *= 2;
        if (k->backoff_us > INFORM_BACKOFF_MAX_US)
            k->backoff_us = INFORM_BACKOFF_MAX_US;
    }
    return 1;
}

static netsnmp_session *open_inform_session(struct inform_sink *k)
{
    /* "snmptrap": a sink without a port gets 162, as with trap2sink. */
    netsnmp_transport *t = netsnmp_transport_open_client("snmptrap", k->sa.target);
    if (!t) {
        log_warn("snmp: cannot open the inform sink %s (%s)", k->sa.address, k->sa.target);
        return NULL;
    }
    netsnmp_session sess;
    snmp_sess_init(&sess);
    sess.version = SNMP_VERSION_2c;
    sess.community = (u_char *)sk.community;
    sess.community_len = strlen(sk.community);
    sess.retries = 0; /* resent by us, with a backoff and without limit */
    sess.timeout = INFORM_TIMEOUT_US;
    netsnmp_session *s = snmp_add(&sess, t, NULL, NULL);
    if (!s)
        log_warn("snmp: cannot open the inform sink %s", k->sa.address);
    return s;
}

static void send_inform(void *arg)
{
    struct inform_sink *k = arg;
    if (!sk.active || k->inflight || !k->sa.target)
        return; /* a name not resolved yet: the queue keeps what it has not had */
    uint64_t seq;
    netsnmp_variable_list *vars = sk.queue.next_after(k->acked, &seq);
    if (!vars)
        return; /* nothing to send */
    if (!k->sess && !(k->sess = open_inform_session(k))) {
        snmp_free_varbind(vars);
        loop_timer_start(&k->retry_timer, INFORM_BACKOFF_MAX_US, send_inform, k);
        return;
    }
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_INFORM);
    if (!pdu) {
        snmp_free_varbind(vars);
        return;
    }
    pdu->variables = vars;
    if (!snmp_async_send(k->sess, pdu, on_inform_response, k)) {
        snmp_free_pdu(pdu);
        loop_timer_start(&k->retry_timer, k->backoff_us, send_inform, k);
        return;
    }
    k->inflight = seq;
    snmpf_resync();
}

/* Closes an inform sink's session: its pending inform is answered with a timeout, which
 * on_inform_response ignores (the session is no longer the sink's), and goes again on the
 * next session. */
static void sink_close(struct inform_sink *k)
{
    loop_timer_stop(&k->retry_timer);
    netsnmp_session *s = k->sess;
    k->sess = NULL;
    k->inflight = 0;
    k->backoff_us = INFORM_TIMEOUT_US;
    if (s) {
        snmp_close(s);
        snmpf_sessions_changed();
    }
}

static void sink_free(struct inform_sink *k)
{
    if (!k)
        return;
    sink_close(k);
    sink_addr_fini(&k->sa);
    free(k);
}

/* The inform sink's name resolved to a new address: a new session, where what was not
 * acknowledged goes again. */
static void inform_target_changed(struct sink_addr *sa)
{
    struct inform_sink *k = (struct inform_sink *)sa;
    sink_close(k);
    send_inform(k);
}

/* v2c trap sinks are net-snmp's trap sessions, fire and forget: made again from every trap
 * sink with a target whenever one changes. */
static void apply_trap_sinks(void)
{
    snmpd_free_trapsinks();
    snmpf_sessions_changed();
    for (size_t i = 0; i < sk.n_traps; i++) {
        if (!sk.traps[i]->target)
            continue;
        char line[512];
        snprintf(line, sizeof(line), "%s %s", sk.traps[i]->target, sk.community);
        snmpd_parse_config_trap2sink("trap2sink", line);
    }
    snmpf_resync();
}

static void trap_target_changed(struct sink_addr *sa)
{
    apply_trap_sinks();
}

static void traps_free(struct sink_addr **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        if (list[i])
            sink_addr_fini(list[i]);
        free(list[i]);
    }
    free(list);
}

/* The sinks and community of a configuration as one text: equal texts, equal sinks. */
static char *sinks_shown(const struct cfg *c)
{
    const char *community = c->snmp.trap_community;
    size_t n = strlen(community) + 2;
    for (size_t i = 0; i < c->snmp.n_trap_sinks; i++)
        n += strlen(c->snmp.trap_sinks[i].address) + 3;
    char *t = malloc(n);
    if (!t)
        return NULL;
    size_t at = (size_t)snprintf(t, n, "%s\n", community);
    for (size_t i = 0; i < c->snmp.n_trap_sinks; i++)
        at += (size_t)snprintf(t + at, n - at, "%c %s\n", c->snmp.trap_sinks[i].inform ? 'i' : 't',
                               c->snmp.trap_sinks[i].address);
    return t;
}

static struct inform_sink *take_sink(const char *address)
{
    for (size_t i = 0; i < sk.n_sinks; i++) {
        struct inform_sink *k = sk.sinks[i];
        if (k && !strcmp(k->sa.address, address)) {
            sk.sinks[i] = NULL;
            return k;
        }
    }
    return NULL;
}

int snmpf_sinks_apply(const struct cfg *c, uint64_t next_seq)
{
    if (!sk.active)
        return 0;
    char *shown = sinks_shown(c);
    if (!shown)
        return -1;
    if (sk.sinks_shown && !strcmp(shown, sk.sinks_shown)) {
        free(shown);
        return 0;
    }
    const char *community = c->snmp.trap_community;
    bool new_community = !sk.community || strcmp(sk.community, community) != 0;
    char *comm = strdup(community);
    struct inform_sink **list = calloc(c->snmp.n_trap_sinks + 1, sizeof(*list));
    struct sink_addr **traps = calloc(c->snmp.n_trap_sinks + 1, sizeof(*traps));
    size_t n = 0, n_traps = 0;
    if (!comm || !list || !traps)
        goto fail;
    /* everything that can fail first, so that a failure leaves the running sinks as they are */
    for (size_t i = 0; i < c->snmp.n_trap_sinks; i++) {
        bool inform = c->snmp.trap_sinks[i].inform;
        struct inform_sink *k = inform ? calloc(1, sizeof(*k)) : NULL;
        struct sink_addr *sa = inform ? (k ? &k->sa : NULL) : calloc(1, sizeof(*sa));
        if (!sa || !(sa->address = strdup(c->snmp.trap_sinks[i].address))) {
            free(inform ? (void *)k : (void *)sa);
            goto fail;
        }
        sa->changed = inform ? inform_target_changed : trap_target_changed;
        if (inform)
            list[n++] = k;
        else
            traps[n_traps++] = sa;
    }
    /* an inform sink that stays keeps its session and its place; a new one starts now */
    for (size_t i = 0; i < n; i++) {
        struct inform_sink *old = take_sink(list[i]->sa.address);
        if (old) {
            sink_free(list[i]);
            list[i] = old;
            if (new_community) /* a session keeps the community it was opened with */
                sink_close(old);
        } else {
            /* at start: everything; after a reload: what happens from now on */
            list[i]->acked = sk.sinks_shown ? next_seq : 0;
            list[i]->backoff_us = INFORM_TIMEOUT_US;
            sink_addr_start(&list[i]->sa);
        }
    }
    for (size_t i = 0; i < sk.n_sinks; i++)
        sink_free(sk.sinks[i]);
    free(sk.sinks);
    sk.sinks = list;
    sk.n_sinks = n;
    free(sk.community);
    sk.community = comm;
    free(sk.sinks_shown);
    sk.sinks_shown = shown;
    /* a trap sink that stays keeps its address while its name is looked up again */
    for (size_t i = 0; i < n_traps; i++) {
        for (size_t j = 0; j < sk.n_traps; j++) {
            struct sink_addr *old = sk.traps[j];
            if (old->target && !strcmp(old->address, traps[i]->address)) {
                traps[i]->target = old->target;
                old->target = NULL;
                break;
            }
        }
    }
    traps_free(sk.traps, sk.n_traps);
    sk.traps = traps;
    sk.n_traps = n_traps;

    /* a literal is a trap session at once; a name, once it resolves */
    for (size_t i = 0; i < n_traps; i++)
        sink_addr_start(traps[i]);
    apply_trap_sinks();
    log_info("snmp: notifications go to %zu trap sink%s and %zu inform sink%s", n_traps,
             n_traps == 1 ? "" : "s", n, n == 1 ? "" : "s");
    return 1;
fail:
    for (size_t i = 0; i < n; i++)
        sink_free(list[i]);
    free(list);
    traps_free(traps, n_traps);
    free(comm);
    free(shown);
    return -1;
}

/* ---- what the queue asks ---- */

void snmpf_sinks_init(const struct snmpf_sinks_queue *queue)
{
    memset(&sk, 0, sizeof(sk));
    sk.queue = *queue;
    sk.active = true;
}

void snmpf_sinks_send(void)
{
    for (size_t i = 0; i < sk.n_sinks; i++)
        send_inform(sk.sinks[i]);
}

uint64_t snmpf_sinks_acked(void)
{
    uint64_t low = UINT64_MAX;
    for (size_t i = 0; i < sk.n_sinks; i++)
        if (sk.sinks[i]->acked < low)
            low = sk.sinks[i]->acked;
    return low;
}

size_t snmpf_sinks_informs(void)
{
    return sk.n_sinks;
}

void snmpf_sinks_fini(void)
{
    if (!sk.active)
        return;
    sk.active = false; /* closing a session answers its pending informs with a timeout */
    for (size_t i = 0; i < sk.n_sinks; i++)
        sink_free(sk.sinks[i]);
    traps_free(sk.traps, sk.n_traps);
    free(sk.sinks);
    free(sk.community);
    free(sk.sinks_shown);
    memset(&sk, 0, sizeof(sk));
}
