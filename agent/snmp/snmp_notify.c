/* Notifications from core events: smsaLinkDown/Up, smsaFlowStatusChange and
 * smsaUpdateAddressChange, through a token-bucket rate limit and a bounded queue.
 *
 * net-snmp's subagent drops a notification raised while the AgentX session is down (there is
 * no session to send it on), so every notification goes through the queue: it is sent at once
 * while the master is there, and kept, in order and with its original event time, until the
 * session comes back otherwise. Overflow drops the oldest. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"
#include "loop.h"
#include "snmp_internal.h"

enum notif_kind { N_LINK_DOWN = 1, N_LINK_UP = 2, N_FLOW = 3, N_ADDRSET = 4 };

struct notif {
    enum notif_kind kind;
    struct smsa_event ev;
};

static struct {
    bool active;
    bool master;    /* master mode: traps go straight to the configured sinks */
    bool connected; /* subagent mode: the AgentX session is open */
    struct notif *ring;
    size_t cap, head, len;
    /* token bucket: rate_limit tokens per minute, burst of rate_limit */
    unsigned rate_limit;
    double tokens;
    int64_t refilled_us;
    uint64_t sent, suppressed, dropped;
    struct loop_timer flush_timer;
} nt;

static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
static const oid sysuptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};      /* sysUpTime.0 */

void snmpf_notify_get_stats(struct snmpf_notify_stats *out)
{
    out->sent = nt.sent;
    out->suppressed = nt.suppressed;
    out->dropped = nt.dropped;
    out->queued = (unsigned)nt.len;
    out->rate_limit = nt.rate_limit;
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
        add_int(&vars, name, len, ASN_INTEGER, (long)ev->new_state + 1);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, 1, COL_LINK_CAUSE, li);
        add_int(&vars, name, len, ASN_INTEGER, (long)ev->cause + 1);
        break;
    }
    case N_FLOW: {
        const struct cat_flow *def = cat_flow(ev->flow_id);
        oid fi = ev->flow_id;
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_PORT, fi);
        add_int(&vars, name, len, ASN_UNSIGNED, def ? def->port : ev->port);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_PROTOCOL, fi);
        add_int(&vars, name, len, ASN_INTEGER, def && def->proto == PROTO_UDP ? 2 : 1);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_PURPOSE, fi);
        add_string(&vars, name, len, def ? def->purpose : ev->name, false);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, 1, COL_FLOW_STATUS, fi);
        add_int(&vars, name, len, ASN_INTEGER, (long)ev->new_state + 1);
        len = object_oid(name, SMSA_OBJ_NOTIFY, 0, NOTIFY_PREVIOUS_STATUS, 0);
        add_int(&vars, name, len, ASN_INTEGER, (long)ev->old_state + 1);
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
    }

    u_char dt[11];
    size_t dlen = snmpf_date_and_time(ev->at.wall_us, dt);
    len = object_oid(name, SMSA_OBJ_NOTIFY, 0, NOTIFY_EVENT_TIME, 0);
    snmp_varlist_add_variable(&vars, name, len, ASN_OCTET_STR, dt, dlen);
    return vars;
}

static bool can_send(void)
{
    return nt.active && (nt.master || nt.connected);
}

static void flush(void)
{
    while (nt.len > 0 && can_send()) {
        struct notif *n = &nt.ring[nt.head];
        netsnmp_variable_list *vars = build(n);
        /* send_v2trap keeps our sysUpTime.0 and snmpTrapOID.0; in subagent mode it becomes
         * an AgentX Notify on the master session, in master mode a v2c trap to each sink. */
        send_v2trap(vars);
        snmp_free_varbind(vars);
        nt.head = (nt.head + 1) % nt.cap;
        nt.len--;
        nt.sent++;
    }
    snmpf_resync();
}

static void flush_cb(void *arg)
{
    flush();
}

static void enqueue(enum notif_kind kind, const struct smsa_event *ev)
{
    if (!take_token()) {
        nt.suppressed++;
        log_debug("snmp: notification for event %llu suppressed by the rate limit",
                  (unsigned long long)ev->seq);
        return;
    }
    if (nt.len == nt.cap) {
        nt.head = (nt.head + 1) % nt.cap; /* drop the oldest */
        nt.len--;
        nt.dropped++;
        log_warn("snmp: notification queue full (%zu), oldest dropped", nt.cap);
    }
    struct notif *n = &nt.ring[(nt.head + nt.len) % nt.cap];
    n->kind = kind;
    n->ev = *ev;
    nt.len++;
    if (can_send())
        flush();
}

/* A reload may change the rate limit and the queue size; the mode, sockets and sinks need a
 * restart (net-snmp cannot be re-initialised in place). */
static void apply_config(const struct cfg *c)
{
    if (!c)
        return;
    if (c->snmp.notify_rate_limit != nt.rate_limit) {
        nt.rate_limit = c->snmp.notify_rate_limit;
        if (nt.tokens > nt.rate_limit)
            nt.tokens = nt.rate_limit;
    }
    size_t cap = c->snmp.notify_queue ? c->snmp.notify_queue : 1;
    if (cap == nt.cap)
        return;
    struct notif *ring = calloc(cap, sizeof(*ring));
    if (!ring) {
        log_warn("snmp: no memory to resize the notification queue");
        return;
    }
    size_t keep = nt.len < cap ? nt.len : cap;
    nt.dropped += nt.len - keep; /* the oldest go */
    for (size_t i = 0; i < keep; i++)
        ring[i] = nt.ring[(nt.head + nt.len - keep + i) % nt.cap];
    free(nt.ring);
    nt.ring = ring;
    nt.cap = cap;
    nt.head = 0;
    nt.len = keep;
}

static void on_event(const struct smsa_event *ev, void *arg)
{
    switch (ev->kind) {
    case EV_CONFIG:
        apply_config(core_config());
        break;
    case EV_LINK:
        if (ev->new_state == ST_DOWN)
            enqueue(N_LINK_DOWN, ev);
        else if (ev->new_state == ST_UP)
            enqueue(N_LINK_UP, ev);
        break;
    case EV_FLOW:
        enqueue(N_FLOW, ev);
        break;
    case EV_ADDRSET:
        if (ev->update_index > 0)
            enqueue(N_ADDRSET, ev);
        break;
    default:
        break;
    }
}

void snmpf_notify_connected(bool up)
{
    nt.connected = up;
    /* Not from inside net-snmp's callback: the subagent re-registers its subtrees right after
     * announcing the session, so send on the next loop turn. */
    if (up && nt.active && nt.len > 0)
        loop_timer_start(&nt.flush_timer, 0, flush_cb, NULL);
}

int snmpf_notify_init(const struct cfg *cfg, bool master)
{
    memset(&nt, 0, sizeof(nt));
    nt.cap = cfg->snmp.notify_queue ? cfg->snmp.notify_queue : 1;
    nt.ring = calloc(nt.cap, sizeof(*nt.ring));
    if (!nt.ring)
        return -1;
    nt.master = master;
    nt.rate_limit = cfg->snmp.notify_rate_limit;
    nt.tokens = nt.rate_limit;
    nt.refilled_us = loop_now_us();
    if (core_subscribe(on_event, NULL) != 0) {
        free(nt.ring);
        nt.ring = NULL;
        return -1;
    }
    nt.active = true;
    return 0;
}

void snmpf_notify_fini(void)
{
    if (!nt.active)
        return;
    core_unsubscribe(on_event, NULL);
    loop_timer_stop(&nt.flush_timer);
    if (nt.len)
        log_warn("snmp: %zu notifications not delivered at shutdown", nt.len);
    free(nt.ring);
    memset(&nt, 0, sizeof(nt));
}
