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
 * The sinks themselves (their names resolved on the loop, the inform sessions, a reload that
 * moves them) are snmp_sinks.c's; the varbinds are built by snmp_notify_pdu.c. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"
#include "loop.h"
#include "snmp_internal.h"

/* Notify PDUs on the AgentX stream at once; the master answers each within its loop turn. */
#define AX_WINDOW 32
/* Losses are logged at most once per this interval. */
#define LOSS_LOG_US (60 * 1000000LL)

struct notif {
    enum snmpf_notification kind;
    uint64_t seq; /* smsaNotificationSequence */
    struct smsa_event ev;
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
    snmpf_send_fn send;    /* subagent mode: the AgentX Notify */
    /* token bucket: rate_limit tokens per minute, burst of rate_limit */
    unsigned rate_limit;
    double tokens;
    int64_t refilled_us;
    uint64_t sent, suppressed, dropped;
    uint64_t unlogged_suppressed, unlogged_dropped;
    int64_t loss_logged_us;
    struct loop_timer flush_timer, loss_timer;
} nt;

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
    return n->kind == NOTIF_LINK_DOWN || n->kind == NOTIF_LINK_UP;
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
    return snmpf_sinks_acked();
}

static void release_acked(void)
{
    uint64_t acked = acked_by_all();
    while (nt.len > 0 && at(0)->seq <= acked)
        remove_at(0);
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

static netsnmp_variable_list *build(const struct notif *n)
{
    return snmpf_notify_varbinds(n->kind, n->seq, &n->ev);
}

/* For the inform sinks: the oldest notification after the one a sink acknowledged last. */
static netsnmp_variable_list *next_after(uint64_t acked, uint64_t *seq)
{
    for (size_t i = 0; i < nt.len; i++)
        if (at(i)->seq > acked) {
            *seq = at(i)->seq;
            return build(at(i));
        }
    return NULL;
}

/* ---- subagent mode: Notify PDUs, kept until the master's Response ---- */

static void flush_agentx(void)
{
    size_t inflight = 0, i = 0;
    while (i < nt.len && at(i)->seq <= nt.ax_sent) {
        i++;
        inflight++;
    }
    for (; i < nt.len && inflight < AX_WINDOW && nt.connected && nt.send; i++, inflight++) {
        struct notif *n = at(i);
        if (nt.send(build(n), n->seq) != 0)
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

/* ---- master mode ---- */

int snmpf_notify_sinks(const struct cfg *c)
{
    if (!nt.active || !nt.master)
        return 0;
    int rc = snmpf_sinks_apply(c, nt.next_seq);
    if (rc > 0) {
        release_acked();
        flush();
    }
    return rc < 0 ? -1 : 0;
}

/* ---- delivery ---- */

static void flush(void)
{
    if (!nt.active)
        return;
    if (nt.master) {
        snmpf_sinks_send();
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

static void enqueue(enum snmpf_notification kind, const struct smsa_event *ev)
{
    bool link = kind == NOTIF_LINK_DOWN || kind == NOTIF_LINK_UP;
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
        if (snmpf_sinks_informs() == 0) {
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
        enqueue(NOTIF_APPLIANCE_DOWN, ev);
    else if (ev->old_state == ST_DOWN && (ev->new_state == ST_UP || ev->new_state == ST_DEGRADED))
        enqueue(NOTIF_APPLIANCE_UP, ev);
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
            enqueue(NOTIF_LINK_DOWN, ev);
        else if (ev->new_state == ST_UP)
            enqueue(NOTIF_LINK_UP, ev);
        break;
    case EV_FLOW:
        if (is_news(ev))
            enqueue(NOTIF_FLOW_STATUS_CHANGE, ev);
        break;
    case EV_ADDRSET:
        if (ev->update_index > 0)
            enqueue(NOTIF_UPDATE_ADDRESS_CHANGE, ev);
        break;
    case EV_APPLIANCE:
        on_appliance(ev);
        break;
    case EV_TLS: /* a flow-like fact: under the rate limit */
        enqueue(NOTIF_CERTIFICATE_EXPIRY, ev);
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

int snmpf_notify_init(const struct cfg *cfg, bool master, snmpf_send_fn send)
{
    memset(&nt, 0, sizeof(nt));
    nt.cap = cfg->snmp.notify_queue;
    nt.ring = calloc(nt.cap, sizeof(*nt.ring));
    if (!nt.ring)
        return -1;
    nt.master = master;
    nt.send = send;
    nt.first_unsent = 1;
    nt.rate_limit = cfg->snmp.notify_rate_limit;
    nt.tokens = nt.rate_limit;
    nt.refilled_us = loop_now_us();
    if (core_subscribe(on_event, NULL) != 0)
        goto fail;
    if (master) {
        static const struct snmpf_sinks_queue queue = {next_after, release_acked};
        snmpf_sinks_init(&queue);
    }
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
    snmpf_sinks_fini();
    if (nt.len)
        log_warn("snmp: %zu notifications not acknowledged at shutdown", nt.len);
    while (nt.len)
        remove_at(0);
    free(nt.ring);
    memset(&nt, 0, sizeof(nt));
}
