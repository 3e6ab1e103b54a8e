/* Notifications from core events: smsaLinkDown/Up, smsaFlowStatusChange and
 * smsaUpdateAddressChange, through a rate limit and a bounded queue, until acknowledged.
 *
 * What is news: a link or flow leaving `unknown` for `down` or `degraded` (a link lost at
 * start is news), and every later change; leaving `unknown` for `up`, `disabled`,
 * `unconfigured` or `not-applicable` is only the first verdict, and raises nothing.
 *
 * The rate limit (a token bucket) damps flow and update notifications only: a link
 * transition is never suppressed. When the queue is full, the oldest flow or update
 * notification goes first; link notifications go only when nothing else is left. Both losses
 * are counted, and logged with their count at most once a minute.
 *
 * Every notification carries smsaNotificationSequence (1, 2, ... per start, an Unsigned32 that
 * wraps), so an NMS sees a duplicate (the same number twice) or a gap (a dropped one). The
 * queue itself counts in 64 bits, so a wrap never confuses its order. Delivery is at least once:
 * - subagent mode: each notification is an AgentX Notify PDU, which the master answers with
 *   a Response (RFC 2741 section 7.1.10). It stays queued until that Response arrives; a
 *   session lost before is followed, after the reconnection, by everything not acknowledged,
 *   in order. Responses on one stream come in order, so one acknowledges all before it.
 * - master mode: v2c traps go to the trap sinks at once; inform sinks get one inform at a
 *   time, in order, resent with a backoff until acknowledged, and the queue keeps what some
 *   inform sink has not acknowledged yet.
 *
 * A sink given by host name is resolved on the loop with the daemon's resolver (c-ares),
 * again every minute, and its transport is opened with the address found: net-snmp would
 * resolve it with a blocking getaddrinfo() at every open, and a silent DNS server would hold
 * the loop for seconds. Until its name resolves, a sink gets nothing: an inform sink's
 * notifications stay queued, as for a sink that does not answer.
 *
 * Master mode's sinks and trap community follow the running configuration: a reload that
 * changes them applies at once. An inform sink that stays keeps its place in the queue; a
 * new one gets what happens from then on; one that goes is closed, and what only it still
 * waited for is released. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "core.h"
#include "log.h"
#include "loop.h"
#include "resolver.h"
#include "snmp_internal.h"

enum notif_kind {
    N_LINK_DOWN = 1,
    N_LINK_UP = 2,
    N_FLOW = 3,
    N_ADDRSET = 4,
    N_APPLIANCE_DOWN = 5, /* an appliance of the fleet: rate-limited as flows are */
    N_APPLIANCE_UP = 6,
    N_CERTIFICATE = 10, /* a certificate crossed an expiry threshold: as flows are */
};

/* Notify PDUs on the AgentX stream at once; the master answers each within its loop turn. */
#define AX_WINDOW 32
/* Losses are logged at most once per this interval. */
#define LOSS_LOG_US (60 * 1000000LL)
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

struct notif {
    enum notif_kind kind;
    uint64_t seq; /* smsaNotificationSequence */
    struct smsa_event ev;
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
    bool master;    /* master mode: traps go straight to the configured sinks */
    bool connected; /* subagent mode: the AgentX session is open */
    struct notif **ring;
    size_t cap, head, len;
    uint64_t next_seq;
    /* subagent mode: what the master acknowledged, and what went out on this session */
    uint64_t ax_acked, ax_sent;
    uint64_t first_unsent; /* a notification sent again is not counted again */
    struct inform_sink **sinks;
    size_t n_sinks;
    struct sink_addr **traps; /* v2c trap sinks: net-snmp's trap sessions, by target */
    size_t n_traps;
    char *community;   /* the trap community of every sink */
    char *sinks_shown; /* the sinks and community applied, to see whether a reload moves them */
    /* token bucket: rate_limit tokens per minute, burst of rate_limit */
    unsigned rate_limit;
    double tokens;
    int64_t refilled_us;
    uint64_t sent, suppressed, dropped;
    uint64_t unlogged_suppressed, unlogged_dropped;
    int64_t loss_logged_us;
    struct loop_timer flush_timer, loss_timer;
} nt;

static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
static const oid sysuptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};      /* sysUpTime.0 */

static void flush(void);
static void flush_cb(void *arg);

void snmpf_notify_get_stats(struct snmpf_notify_stats *out)
{
    out->sent = nt.sent;
    out->suppressed = nt.suppressed;
    out->dropped = nt.dropped;
    out->queued = (unsigned)nt.len;
    out->rate_limit = nt.rate_limit;
}

/* ---- losses: counted, logged with their count at most once a minute ---- */

static void log_losses(void *arg)
{
    if (!nt.unlogged_suppressed && !nt.unlogged_dropped)
        return;
    log_warn("snmp: %llu notifications suppressed by the rate limit (%u per minute), %llu "
             "dropped from the full queue (%zu) since the last report",
             (unsigned long long)nt.unlogged_suppressed, nt.rate_limit,
             (unsigned long long)nt.unlogged_dropped, nt.cap);
    nt.unlogged_suppressed = nt.unlogged_dropped = 0;
    nt.loss_logged_us = loop_now_us();
}

static void note_loss(void)
{
    if (loop_timer_armed(&nt.loss_timer))
        return;
    int64_t since = loop_now_us() - nt.loss_logged_us;
    /* The first loss waits for the end of its loop turn, so a burst is one line. */
    loop_timer_start(&nt.loss_timer,
                     nt.loss_logged_us && since < LOSS_LOG_US ? LOSS_LOG_US - since : 0, log_losses,
                     NULL);
}

static bool take_token(void)
{
    if (nt.rate_limit == 0)
        return true;
    int64_t now = loop_now_us();
    nt.tokens += (double)(now - nt.refilled_us) * nt.rate_limit / 60e6;
    if (nt.tokens > nt.rate_limit)
        nt.tokens = nt.rate_limit;
    nt.refilled_us = now;
    if (nt.tokens < 1.0)
        return false;
    nt.tokens -= 1.0;
    return true;
}

/* ---- the queue: a ring of notifications, oldest first ---- */

static struct notif *at(size_t i)
{
    return nt.ring[(nt.head + i) % nt.cap];
}

static bool is_link(const struct notif *n)
{
    return n->kind == N_LINK_DOWN || n->kind == N_LINK_UP;
}

/* Removes the i-th oldest: the older ones move up by one. */
static void remove_at(size_t i)
{
    free(at(i));
    for (; i > 0; i--)
        nt.ring[(nt.head + i) % nt.cap] = nt.ring[(nt.head + i - 1) % nt.cap];
    nt.ring[nt.head] = NULL;
    nt.head = (nt.head + 1) % nt.cap;
    nt.len--;
}

static void count_drop(uint64_t seq)
{
    log_debug("snmp: queue full, notification %llu dropped", (unsigned long long)seq);
    nt.dropped++;
    nt.unlogged_dropped++;
    note_loss();
}

/* Makes room for incoming (NULL: for nothing) in a full queue, or says that incoming itself
 * is what goes: the oldest flow or update notification goes first, a link one only if there
 * is nothing else. */
static bool make_room(const struct notif *incoming)
{
    size_t victim = 0;
    bool found = false;
    for (size_t i = 0; i < nt.len && !found; i++)
        if (!is_link(at(i))) {
            victim = i;
            found = true;
        }
    if (!found && incoming && !is_link(incoming)) {
        count_drop(incoming->seq);
        return false;
    }
    count_drop(at(victim)->seq);
    remove_at(victim);
    return true;
}

/* The highest sequence number every receiver has acknowledged. */
static uint64_t acked_by_all(void)
{
    if (!nt.master)
        return nt.ax_acked;
    uint64_t low = UINT64_MAX;
    for (size_t i = 0; i < nt.n_sinks; i++)
        if (nt.sinks[i]->acked < low)
            low = nt.sinks[i]->acked;
    return low;
}

static void release_acked(void)
{
    uint64_t acked = acked_by_all();
    while (nt.len > 0 && at(0)->seq <= acked)
        remove_at(0);
}

/* ---- the PDU ---- */

/* An object instance of smsaObjects: obj.sub.col.index (sub 0 = none). */
static size_t object_oid(oid *out, unsigned obj, unsigned sub, unsigned col, oid index)
{
    static const oid root[] = {SMSA_ROOT_OID, 1};
    size_t n = sizeof(root) / sizeof(root[0]);
    memcpy(out, root, sizeof(root));
    out[n++] = obj;
    if (sub)
        out[n++] = sub;
    out[n++] = col;
    out[n++] = index;
    return n;
}

static void add_string(netsnmp_variable_list **vars, const oid *name, size_t len, const char *s,
                       bool at_word)
{
    snmp_varlist_add_variable(vars, name, len, ASN_OCTET_STR, s,
                              snmpf_cut(s, SMSA_SNMP_STRING_MAX, at_word));
}

static void add_int(netsnmp_variable_list **vars, const oid *name, size_t len, u_char type, long v)
{
    snmp_varlist_add_variable(vars, name, len, type, &v, sizeof(v));
}

/* smsaApplianceDown/Up: the appliance's row as it was at the event (its smsaApplianceIndex
 * is the instance). */
static void add_appliance(netsnmp_variable_list **vars, const struct smsa_event *ev)
{
    oid name[MAX_OID_LEN];
    size_t len;
    oid ai = ev->appliance_index;
    u_char bytes[16];
    size_t blen;
    int type = snmpf_inet_from_text(ev->address, bytes, &blen);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_LABEL, ai);
    add_string(vars, name, len, ev->name, false);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_ROLE, ai);
    add_int(vars, name, len, ASN_INTEGER, snmpf_mib_role(ev->role));
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_HOST, ai);
    add_string(vars, name, len, ev->host, false);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_ADDR_TYPE, ai);
    add_int(vars, name, len, ASN_INTEGER, type);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_ADDR, ai);
    snmp_varlist_add_variable(vars, name, len, ASN_OCTET_STR, bytes, blen);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_STATUS, ai);
    add_int(vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->new_state));
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, 1, COL_APPL_CAUSE, ai);
    add_int(vars, name, len, ASN_INTEGER, snmpf_mib_cause(ev->cause));
}

static netsnmp_variable_list *build(const struct notif *n)
{
    const struct smsa_event *ev = &n->ev;
    netsnmp_variable_list *vars = NULL;
    oid name[MAX_OID_LEN];
    size_t len;

    /* sysUpTime.0 first: the event's own time, so a late delivery still says when. */
    add_int(&vars, sysuptime_oid, OID_LENGTH(sysuptime_oid), ASN_TIMETICKS,
            (long)snmpf_ticks_since_start(ev->at.mono_us));
    oid trap[] = {SMSA_ROOT_OID, 0, (oid)n->kind};
    snmp_varlist_add_variable(&vars, trap_oid_oid, OID_LENGTH(trap_oid_oid), ASN_OBJECT_ID, trap,
                              sizeof(trap));

    switch (n->kind) {
    case N_LINK_DOWN:
    case N_LINK_UP: {
        oid li = ev->link_index;
        u_char bytes[16];
        size_t blen;
        int type = snmpf_inet_from_text(ev->address, bytes, &blen);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_NAME, li);
        add_string(&vars, name, len, ev->name, false);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_HOST, li);
        add_string(&vars, name, len, ev->host, false);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_ADDR_TYPE, li);
        add_int(&vars, name, len, ASN_INTEGER, type);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_ADDR, li);
        snmp_varlist_add_variable(&vars, name, len, ASN_OCTET_STR, bytes, blen);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_STATUS, li);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->new_state));
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_CAUSE, li);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_cause(ev->cause));
        break;
    }
    case N_FLOW: {
        const struct cat_flow *def = cat_flow(ev->flow_id);
        oid fi = ev->flow_id;
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_PORT, fi);
        add_int(&vars, name, len, ASN_UNSIGNED, def ? def->port : ev->port);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_PROTOCOL, fi);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_protocol(def ? def->proto : PROTO_TCP));
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_PURPOSE, fi);
        add_string(&vars, name, len, def ? def->purpose : ev->name, false);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_STATUS, fi);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->new_state));
        len = object_oid(name, SMSA_OBJ_NOTIFY, 0, NOTIFY_PREVIOUS_STATUS, 0);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->old_state));
        break;
    }
    case N_ADDRSET: {
        oid ui = ev->update_index;
        len = object_oid(name, SMSA_OBJ_UPDATE_TABLE, 1, COL_UPD_PURPOSE, ui);
        add_string(&vars, name, len, ev->name, false);
        len = object_oid(name, SMSA_OBJ_UPDATE_TABLE, 1, COL_UPD_HOST, ui);
        add_string(&vars, name, len, ev->host, false);
        len = object_oid(name, SMSA_OBJ_UPDATE_TABLE, 1, COL_UPD_ADDRESSES, ui);
        add_string(&vars, name, len, ev->addresses, true);
        break;
    }
    case N_APPLIANCE_DOWN:
    case N_APPLIANCE_UP:
        add_appliance(&vars, ev);
        break;
    case N_CERTIFICATE: {
        /* the peer table's instance is flow.peer; the values are the event's own */
        struct smsa_tls t = {.seen = true,
                             .expiry = (uint8_t)ev->expiry,
                             .not_after = ev->not_after,
                             .days_left = ev->days_left};
        u_char dt[11];
        size_t dlen = snmpf_tls_not_after(&t, dt);
        static const unsigned cols[] = {COL_PEER_HOST,          COL_PEER_PORT,
                                        COL_PEER_TLS_STATE,     COL_PEER_TLS_NOT_AFTER,
                                        COL_PEER_TLS_DAYS_LEFT, COL_PEER_TLS_SUBJECT};
        for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
            len = object_oid(name, SMSA_OBJ_PEER_TABLE, 1, cols[i], ev->flow_id);
            name[len++] = ev->peer_index;
            switch (cols[i]) {
            case COL_PEER_HOST:
                add_string(&vars, name, len, ev->host, false);
                break;
            case COL_PEER_PORT:
                add_int(&vars, name, len, ASN_UNSIGNED, ev->port);
                break;
            case COL_PEER_TLS_STATE:
                add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_tls_state(&t));
                break;
            case COL_PEER_TLS_NOT_AFTER:
                snmp_varlist_add_variable(&vars, name, len, ASN_OCTET_STR, dt, dlen);
                break;
            case COL_PEER_TLS_DAYS_LEFT:
                add_int(&vars, name, len, ASN_INTEGER, ev->days_left);
                break;
            default:
                add_string(&vars, name, len, ev->subject, false);
                break;
            }
        }
        break;
    }
    }

    u_char dt[11];
    size_t dlen = snmpf_date_and_time(ev->at.wall_us, dt);
    len = object_oid(name, SMSA_OBJ_NOTIFY, 0, NOTIFY_EVENT_TIME, 0);
    snmp_varlist_add_variable(&vars, name, len, ASN_OCTET_STR, dt, dlen);
    /* An Unsigned32 that wraps: a Counter64 cannot travel in an SNMPv1 trap (RFC 3584 section
     * 3.2), and net-snmp then refuses the whole notification for every v1 sink. */
    len = object_oid(name, SMSA_OBJ_NOTIFY, 0, NOTIFY_SEQUENCE, 0);
    add_int(&vars, name, len, ASN_UNSIGNED, (long)(uint32_t)n->seq);
    return vars;
}

static void count_sent(uint64_t seq)
{
    if (seq >= nt.first_unsent) {
        nt.sent++;
        nt.first_unsent = seq + 1;
    } else {
        log_debug("snmp: notification %llu sent again", (unsigned long long)seq);
    }
}

/* ---- subagent mode: Notify PDUs, kept until the master's Response ---- */

static void flush_agentx(void)
{
    size_t inflight = 0, i = 0;
    while (i < nt.len && at(i)->seq <= nt.ax_sent) {
        i++;
        inflight++;
    }
    for (; i < nt.len && inflight < AX_WINDOW && nt.connected; i++, inflight++) {
        struct notif *n = at(i);
        if (snmpf_agentx_notify(build(n), n->seq) != 0)
            break; /* the session is going; everything not acknowledged goes again */
        nt.ax_sent = n->seq;
        count_sent(n->seq);
    }
}

void snmpf_notify_answered(uint64_t seq, enum snmpf_answer answer)
{
    if (!nt.active || nt.master)
        return;
    if (answer == SNMPF_ANSWER_REFUSED) {
        /* The master took it and refused it (not a lost session): sending it again would be
         * refused again. */
        log_warn("snmp: the AgentX master refused notification %llu", (unsigned long long)seq);
    } else if (answer != SNMPF_ANSWER_ACK) {
        return; /* the session is being dropped; snmpf_notify_connected(false) follows */
    }
    if (seq > nt.ax_acked)
        nt.ax_acked = seq;
    if (nt.ax_sent < nt.ax_acked)
        nt.ax_sent = nt.ax_acked;
    release_acked();
    if (nt.len > 0 && !loop_timer_armed(&nt.flush_timer))
        loop_timer_start(&nt.flush_timer, 0, flush_cb, NULL);
}

/* ---- master mode: sink addresses, resolved on the loop ---- */

static void sink_addr_lookup(void *arg);

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

/* ---- master mode: informs, one at a time per sink, until acknowledged ---- */

static void send_inform(void *arg);

static int on_inform_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    struct inform_sink *k = magic;
    if (!nt.active || k->sess != s || !k->inflight)
        return 1;
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        k->acked = k->inflight;
        k->inflight = 0;
        k->backoff_us = INFORM_TIMEOUT_US;
        release_acked();
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
    sess.community = (u_char *)nt.community;
    sess.community_len = strlen(nt.community);
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
    if (!nt.active || k->inflight)
        return;
    struct notif *n = NULL;
    for (size_t i = 0; i < nt.len && !n; i++)
        if (at(i)->seq > k->acked)
            n = at(i);
    if (!n || !k->sa.target)
        return; /* nothing to send, or a name not resolved yet: the queue keeps it */
    if (!k->sess && !(k->sess = open_inform_session(k))) {
        loop_timer_start(&k->retry_timer, INFORM_BACKOFF_MAX_US, send_inform, k);
        return;
    }
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_INFORM);
    if (!pdu)
        return;
    pdu->variables = build(n);
    if (!snmp_async_send(k->sess, pdu, on_inform_response, k)) {
        snmp_free_pdu(pdu);
        loop_timer_start(&k->retry_timer, k->backoff_us, send_inform, k);
        return;
    }
    k->inflight = n->seq;
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
    for (size_t i = 0; i < nt.n_traps; i++) {
        if (!nt.traps[i]->target)
            continue;
        char line[512];
        snprintf(line, sizeof(line), "%s %s", nt.traps[i]->target, nt.community);
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
    for (size_t i = 0; i < nt.n_sinks; i++) {
        struct inform_sink *k = nt.sinks[i];
        if (k && !strcmp(k->sa.address, address)) {
            nt.sinks[i] = NULL;
            return k;
        }
    }
    return NULL;
}

int snmpf_notify_sinks(const struct cfg *c)
{
    if (!nt.active || !nt.master)
        return 0;
    char *shown = sinks_shown(c);
    if (!shown)
        return -1;
    if (nt.sinks_shown && !strcmp(shown, nt.sinks_shown)) {
        free(shown);
        return 0;
    }
    const char *community = c->snmp.trap_community;
    bool new_community = !nt.community || strcmp(nt.community, community) != 0;
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
            list[i]->acked = nt.sinks_shown ? nt.next_seq : 0;
            list[i]->backoff_us = INFORM_TIMEOUT_US;
            sink_addr_start(&list[i]->sa);
        }
    }
    for (size_t i = 0; i < nt.n_sinks; i++)
        sink_free(nt.sinks[i]);
    free(nt.sinks);
    nt.sinks = list;
    nt.n_sinks = n;
    free(nt.community);
    nt.community = comm;
    free(nt.sinks_shown);
    nt.sinks_shown = shown;
    /* a trap sink that stays keeps its address while its name is looked up again */
    for (size_t i = 0; i < n_traps; i++) {
        for (size_t j = 0; j < nt.n_traps; j++) {
            struct sink_addr *old = nt.traps[j];
            if (old->target && !strcmp(old->address, traps[i]->address)) {
                traps[i]->target = old->target;
                old->target = NULL;
                break;
            }
        }
    }
    traps_free(nt.traps, nt.n_traps);
    nt.traps = traps;
    nt.n_traps = n_traps;

    /* a literal is a trap session at once; a name, once it resolves */
    for (size_t i = 0; i < n_traps; i++)
        sink_addr_start(traps[i]);
    apply_trap_sinks();
    log_info("snmp: notifications go to %zu trap sink%s and %zu inform sink%s", n_traps,
             n_traps == 1 ? "" : "s", n, n == 1 ? "" : "s");
    release_acked();
    flush();
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        sink_free(list[i]);
    free(list);
    traps_free(traps, n_traps);
    free(comm);
    free(shown);
    return -1;
}

/* ---- delivery ---- */

static void flush(void)
{
    if (!nt.active)
        return;
    if (nt.master) {
        for (size_t i = 0; i < nt.n_sinks; i++)
            send_inform(nt.sinks[i]);
    } else if (nt.connected) {
        flush_agentx();
    }
    snmpf_resync();
}

static void flush_cb(void *arg)
{
    flush();
}

/* A link notification's smsaLinkAddress is the link's current address by the one rule every
 * face reports (core_link_address), as a GET of smsaLinkAddress answers at that moment; not
 * the address the round happened to name (none at all after a failed lookup). */
static void use_link_address(struct smsa_event *ev)
{
    const struct smsa_model *m = core_model();
    size_t lo = 0, hi = m ? m->n_links : 0;
    while (lo < hi) { /* links are sorted by index */
        size_t mid = lo + (hi - lo) / 2;
        const struct smsa_link *l = &m->links[mid];
        if (l->index == ev->link_index) {
            const struct smsa_addr *a = core_link_address(l);
            snprintf(ev->address, sizeof(ev->address), "%s", a ? a->text : "");
            return;
        }
        if (l->index < ev->link_index)
            lo = mid + 1;
        else
            hi = mid;
    }
}

static void enqueue(enum notif_kind kind, const struct smsa_event *ev)
{
    bool link = kind == N_LINK_DOWN || kind == N_LINK_UP;
    if (!link && !take_token()) {
        nt.suppressed++;
        nt.unlogged_suppressed++;
        note_loss();
        log_debug("snmp: notification for event %llu suppressed by the rate limit",
                  (unsigned long long)ev->seq);
        return;
    }
    struct notif *n = malloc(sizeof(*n));
    if (!n) {
        nt.dropped++;
        nt.unlogged_dropped++;
        note_loss();
        return;
    }
    n->kind = kind;
    n->seq = ++nt.next_seq;
    n->ev = *ev;
    if (link)
        use_link_address(&n->ev);
    if (nt.master) {
        /* v2c traps to the trap sinks (net-snmp's trap sessions), fire and forget. */
        netsnmp_variable_list *vars = build(n);
        send_v2trap(vars);
        snmp_free_varbind(vars);
        count_sent(n->seq);
        if (nt.n_sinks == 0) {
            free(n);
            snmpf_resync();
            return;
        }
    }
    if (nt.len == nt.cap && !make_room(n)) {
        free(n);
        return;
    }
    nt.ring[(nt.head + nt.len) % nt.cap] = n;
    nt.len++;
    flush();
}

/* A reload may change the rate limit, the queue size and (master mode) the sinks; the mode
 * needs a restart. */
static void apply_config(const struct cfg *c)
{
    if (!c)
        return;
    if (nt.master && snmpf_notify_sinks(c) < 0)
        log_warn("snmp: no memory to apply the new trap sinks; the previous ones stay");
    if (c->snmp.notify_rate_limit != nt.rate_limit) {
        nt.rate_limit = c->snmp.notify_rate_limit;
        if (nt.tokens > nt.rate_limit)
            nt.tokens = nt.rate_limit;
    }
    size_t cap = c->snmp.notify_queue;
    if (cap == nt.cap)
        return;
    while (nt.len > cap)
        make_room(NULL);
    struct notif **ring = calloc(cap, sizeof(*ring));
    if (!ring) {
        log_warn("snmp: no memory to resize the notification queue");
        return;
    }
    for (size_t i = 0; i < nt.len; i++)
        ring[i] = at(i);
    free(nt.ring);
    nt.ring = ring;
    nt.cap = cap;
    nt.head = 0;
}

/* The first verdict after `unknown` is news only when something is lost. */
static bool is_news(const struct smsa_event *ev)
{
    return ev->old_state != ST_UNKNOWN || ev->new_state == ST_DOWN || ev->new_state == ST_DEGRADED;
}

/* An appliance is news when it goes down (also as its first verdict: one lost at start is
 * news) and when it leaves down for an answer (up, or degraded: something answers again).
 * Leaving unknown for up or degraded, and down for unknown (its checks were reconfigured
 * away), raise nothing. */
static void on_appliance(const struct smsa_event *ev)
{
    if (ev->new_state == ST_DOWN && ev->old_state != ST_DOWN)
        enqueue(N_APPLIANCE_DOWN, ev);
    else if (ev->old_state == ST_DOWN && (ev->new_state == ST_UP || ev->new_state == ST_DEGRADED))
        enqueue(N_APPLIANCE_UP, ev);
}

static void on_event(const struct smsa_event *ev, void *arg)
{
    switch (ev->kind) {
    case EV_CONFIG:
        apply_config(core_config());
        break;
    case EV_LINK:
        if (!is_news(ev))
            break;
        if (ev->new_state == ST_DOWN)
            enqueue(N_LINK_DOWN, ev);
        else if (ev->new_state == ST_UP)
            enqueue(N_LINK_UP, ev);
        break;
    case EV_FLOW:
        if (is_news(ev))
            enqueue(N_FLOW, ev);
        break;
    case EV_ADDRSET:
        if (ev->update_index > 0)
            enqueue(N_ADDRSET, ev);
        break;
    case EV_APPLIANCE:
        on_appliance(ev);
        break;
    case EV_TLS: /* a flow-like fact: under the rate limit */
        enqueue(N_CERTIFICATE, ev);
        break;
    default:
        break;
    }
}

void snmpf_notify_connected(bool up)
{
    nt.connected = up;
    if (!up) {
        /* Everything not acknowledged goes again on the next session. */
        nt.ax_sent = nt.ax_acked;
        return;
    }
    /* Not from inside net-snmp's callback: the subagent re-registers its subtrees right after
     * announcing the session, so send on the next loop turn. */
    if (nt.active && nt.len > 0)
        loop_timer_start(&nt.flush_timer, 0, flush_cb, NULL);
}

int snmpf_notify_init(const struct cfg *cfg, bool master)
{
    memset(&nt, 0, sizeof(nt));
    nt.cap = cfg->snmp.notify_queue;
    nt.ring = calloc(nt.cap, sizeof(*nt.ring));
    if (!nt.ring)
        return -1;
    nt.master = master;
    nt.first_unsent = 1;
    nt.rate_limit = cfg->snmp.notify_rate_limit;
    nt.tokens = nt.rate_limit;
    nt.refilled_us = loop_now_us();
    if (core_subscribe(on_event, NULL) != 0)
        goto fail;
    nt.active = true;
    return 0;
fail:
    free(nt.ring);
    memset(&nt, 0, sizeof(nt));
    return -1;
}

void snmpf_notify_fini(void)
{
    if (!nt.active)
        return;
    core_unsubscribe(on_event, NULL);
    loop_timer_stop(&nt.flush_timer);
    log_losses(NULL);
    loop_timer_stop(&nt.loss_timer);
    nt.active = false; /* closing a session answers its pending informs with a timeout */
    for (size_t i = 0; i < nt.n_sinks; i++)
        sink_free(nt.sinks[i]);
    traps_free(nt.traps, nt.n_traps);
    if (nt.len)
        log_warn("snmp: %zu notifications not acknowledged at shutdown", nt.len);
    while (nt.len)
        remove_at(0);
    free(nt.sinks);
    free(nt.community);
    free(nt.sinks_shown);
    free(nt.ring);
    memset(&nt, 0, sizeof(nt));
}
