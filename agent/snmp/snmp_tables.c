/* The MIB handler of smsaObjects: one net-snmp handler serves every scalar and table of
 * SMSA-AGENT-MIB straight from core_model() at request time (no copies, no caches).
 *
 * One layer finds the row (seek_*: binary search over the model's sorted arrays, so a
 * GETNEXT costs O(log n)), another extracts the value (value_*). GETBULK is turned into
 * GETNEXTs by net-snmp's bulk_to_next helper, injected by netsnmp_register_handler. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "loop.h"
#include "snmp_internal.h"

static const oid objects_oid[] = {SMSA_ROOT_OID, 1};
#define OBJECTS_LEN (SMSA_ROOT_LEN + 1)

/* What an empty suffix points at (never read: its length is 0). */
static const oid no_suffix[1];

/* Longest index: flow, peer, InetAddressType, length, 16 address octets. */
#define MAX_INDEX 20

struct row {
    oid idx[MAX_INDEX];
    size_t idx_len;
    const struct smsa_flow *flow;
    const struct smsa_peer *peer;
    const struct smsa_addr *addr;
    const struct smsa_link *link;
    const struct smsa_appliance *appliance;
    unsigned n;
};

typedef bool (*seek_fn)(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                        struct row *out);
typedef bool (*value_fn)(const struct smsa_model *m, unsigned col, const struct row *r,
                         netsnmp_variable_list *vb);

/* A readable object of a group: its number and its name in the MIB. */
struct column {
    unsigned n;
    const char *name;
};

/* A scalar group (prefix.N.0 for each N of cols) or a table (prefix is its entry). */
struct group {
    oid prefix[3];
    size_t prefix_len;
    const struct column *cols; /* readable scalars or columns, in OID order */
    size_t n_cols;
    seek_fn seek; /* NULL: scalars */
    value_fn value;
};

static void set_string(netsnmp_variable_list *vb, const char *s)
{
    if (!s)
        s = "";
    snmp_set_var_typed_value(vb, ASN_OCTET_STR, s, snmpf_cut(s, SMSA_SNMP_STRING_MAX, false));
}

static void set_int(netsnmp_variable_list *vb, u_char type, long v)
{
    snmp_set_var_typed_integer(vb, type, v);
}

static void set_c64(netsnmp_variable_list *vb, uint64_t v)
{
    struct counter64 c = {.high = (u_long)(v >> 32), .low = (u_long)(v & 0xffffffffu)};
    snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

static void set_stamp(netsnmp_variable_list *vb, const struct smsa_stamp *st)
{
    set_int(vb, ASN_TIMETICKS, (long)snmpf_ticks_since_start(st->mono_us));
}

static long clamp32(int64_t v)
{
    if (v > INT32_MAX)
        return INT32_MAX;
    if (v < INT32_MIN)
        return INT32_MIN;
    return (long)v;
}

static long rtt_value(int64_t rtt_us)
{
    return rtt_us < 0 ? -1 : clamp32(rtt_us);
}

/* Smallest value v a single-subid index may take to sort after (incl: not before) suf.
 * false when no value can (the suffix is past the largest subid). */
static bool int_lower_bound(const oid *suf, size_t len, bool incl, uint64_t *min)
{
    if (len == 0) {
        *min = 0;
        return true;
    }
    if (len == 1 && incl) {
        *min = suf[0];
        return true;
    }
    if (suf[0] >= 0xffffffffu) /* index subids are Unsigned32 */
        return false;
    *min = (uint64_t)suf[0] + 1;
    return true;
}

/* First position in peers (sorted by index) whose index is >= min. */
static size_t peers_lower(struct smsa_peer *const *peers, size_t n, uint64_t min)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (peers[mid]->index < min)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t links_lower(const struct smsa_link *links, size_t n, uint64_t min)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (links[mid].index < min)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t appliances_lower(const struct smsa_appliance *a, size_t n, uint64_t min)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].index < min)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct smsa_flow *flow_at(const struct smsa_model *m, uint64_t id)
{
    return id >= 1 && id <= CAT_NFLOWS ? &m->flows[id - 1] : NULL;
}

/* ---- seek: find the first row whose index sorts after (incl: at or after) suf ---- */

static bool seek_flow(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                      struct row *out)
{
    uint64_t min;
    if (!int_lower_bound(suf, len, incl, &min))
        return false;
    if (min < 1)
        min = 1;
    const struct smsa_flow *f = flow_at(m, min);
    if (!f)
        return false;
    out->flow = f;
    out->idx[0] = (oid)min;
    out->idx_len = 1;
    return true;
}

static bool seek_peer(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                      struct row *out)
{
    uint64_t fid = len ? suf[0] : 0;
    if (fid < 1) {
        fid = 1;
        len = 0; /* every row of flow 1 sorts after a suffix that starts with 0 */
    }
    for (; fid <= CAT_NFLOWS; fid++, len = 0) {
        const struct smsa_flow *f = &m->flows[fid - 1];
        uint64_t min = 0;
        if (len && !int_lower_bound(suf + 1, len - 1, incl, &min))
            continue;
        size_t i = peers_lower(f->peers, f->n_peers, min);
        if (i < f->n_peers) {
            out->flow = f;
            out->peer = f->peers[i];
            out->idx[0] = (oid)fid;
            out->idx[1] = f->peers[i]->index;
            out->idx_len = 2;
            return true;
        }
    }
    return false;
}

static size_t addr_index(const struct smsa_addr *a, oid *idx)
{
    const u_char *b;
    size_t n;
    if (a->family == AF_INET6) {
        b = (const u_char *)&((const struct sockaddr_in6 *)&a->sa)->sin6_addr;
        n = 16;
        idx[0] = INET_TYPE_IPV6;
    } else {
        b = (const u_char *)&((const struct sockaddr_in *)&a->sa)->sin_addr;
        n = 4;
        idx[0] = INET_TYPE_IPV4;
    }
    idx[1] = n;
    for (size_t i = 0; i < n; i++)
        idx[2 + i] = b[i];
    return 2 + n;
}

/* The address of p whose (type, address) index is the smallest after suf. A peer has a
 * handful of addresses, kept in the core's order, so this is a linear scan. */
static bool seek_addr_in_peer(const struct smsa_peer *p, const oid *suf, size_t len, bool incl,
                              struct row *out)
{
    oid best[MAX_INDEX], cur[MAX_INDEX];
    size_t best_len = 0;
    const struct smsa_addr *found = NULL;
    for (size_t i = 0; i < p->n_addrs; i++) {
        size_t n = addr_index(&p->addrs[i], cur);
        int c = snmp_oid_compare(cur, n, suf, len);
        if (c < 0 || (c == 0 && !incl))
            continue;
        if (!found || snmp_oid_compare(cur, n, best, best_len) < 0) {
            memcpy(best, cur, n * sizeof(oid));
            best_len = n;
            found = &p->addrs[i];
        }
    }
    if (!found)
        return false;
    out->addr = found;
    memcpy(out->idx + 2, best, best_len * sizeof(oid));
    out->idx_len = 2 + best_len;
    return true;
}

static bool seek_addr(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                      struct row *out)
{
    uint64_t fid = len ? suf[0] : 0;
    if (fid < 1) {
        fid = 1;
        len = 0;
    }
    for (; fid <= CAT_NFLOWS; fid++, len = 0) {
        const struct smsa_flow *f = &m->flows[fid - 1];
        uint64_t pmin = len > 1 ? suf[1] : 0;
        for (size_t i = peers_lower(f->peers, f->n_peers, pmin); i < f->n_peers; i++) {
            const struct smsa_peer *p = f->peers[i];
            bool same = len > 1 && p->index == suf[1];
            if (seek_addr_in_peer(p, same ? suf + 2 : no_suffix, same ? len - 2 : 0, incl, out)) {
                out->flow = f;
                out->peer = p;
                out->idx[0] = (oid)fid;
                out->idx[1] = p->index;
                return true;
            }
        }
    }
    return false;
}

static bool seek_link(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                      struct row *out)
{
    uint64_t min;
    if (!int_lower_bound(suf, len, incl, &min))
        return false;
    size_t i = links_lower(m->links, m->n_links, min);
    if (i >= m->n_links)
        return false;
    out->link = &m->links[i];
    out->peer = m->links[i].peer;
    out->idx[0] = m->links[i].index;
    out->idx_len = 1;
    return true;
}

static bool seek_ntp(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                     struct row *out)
{
    const struct smsa_flow *f = &m->flows[CAT_FLOW_NTP - 1];
    uint64_t min;
    if (!int_lower_bound(suf, len, incl, &min))
        return false;
    size_t i = peers_lower(f->peers, f->n_peers, min);
    if (i >= f->n_peers)
        return false;
    out->peer = f->peers[i];
    out->idx[0] = f->peers[i]->index;
    out->idx_len = 1;
    return true;
}

static bool seek_update(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                        struct row *out)
{
    uint64_t min;
    if (!int_lower_bound(suf, len, incl, &min))
        return false;
    if (min < 1)
        min = 1;
    for (; min <= m->n_updates; min++) {
        if (m->updates[min - 1]) {
            out->peer = m->updates[min - 1];
            out->n = (unsigned)min;
            out->idx[0] = (oid)min;
            out->idx_len = 1;
            return true;
        }
    }
    return false;
}

/* The fleet: model.appliances is sorted by index, as links are. */
static bool seek_appliance(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                           struct row *out)
{
    uint64_t min;
    if (!int_lower_bound(suf, len, incl, &min))
        return false;
    size_t i = appliances_lower(m->appliances, m->n_appliances, min);
    if (i >= m->n_appliances)
        return false;
    out->appliance = &m->appliances[i];
    out->idx[0] = m->appliances[i].index;
    out->idx_len = 1;
    return true;
}

/* ---- values ---- */

static bool value_appliance(const struct smsa_model *m, unsigned n, const struct row *r,
                            netsnmp_variable_list *vb)
{
    switch (n) {
    case SMSA_APPLIANCE_NAME:
        set_string(vb, m->cfg ? m->cfg->name : "");
        return true;
    case SMSA_APPLIANCE_ROLE:
        set_int(vb, ASN_INTEGER, snmpf_mib_role(m->cfg ? m->cfg->role : ROLE_CONTROL_CENTER));
        return true;
    case SMSA_AGENT_VERSION:
        set_string(vb, SMSA_VERSION);
        return true;
    case SMSA_OVERALL_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(m->overall));
        return true;
    case SMSA_AGENT_UP_TIME:
        set_int(vb, ASN_TIMETICKS, (long)snmpf_ticks_since_start(loop_now_us()));
        return true;
    case SMSA_AGENT_PLACEMENT:
        set_int(vb, ASN_INTEGER,
                snmpf_mib_placement(m->cfg ? m->cfg->placement : PLACEMENT_ON_BOX));
        return true;
    case SMSA_AGENT_VANTAGE:
        set_string(vb, core_vantage());
        return true;
    }
    return false;
}

static bool value_notify(const struct smsa_model *m, unsigned n, const struct row *r,
                         netsnmp_variable_list *vb)
{
    struct snmpf_notify_stats st;
    snmpf_notify_get_stats(&st);
    switch (n) {
    case NOTIFY_SENT:
        set_c64(vb, st.sent);
        return true;
    case NOTIFY_SUPPRESSED:
        set_c64(vb, st.suppressed);
        return true;
    case NOTIFY_DROPPED:
        set_c64(vb, st.dropped);
        return true;
    case NOTIFY_QUEUED:
        set_int(vb, ASN_GAUGE, (long)st.queued);
        return true;
    case NOTIFY_RATE_LIMIT:
        set_int(vb, ASN_UNSIGNED, (long)st.rate_limit);
        return true;
    }
    return false;
}

static bool value_ntp_scalar(const struct smsa_model *m, unsigned n, const struct row *r,
                             netsnmp_variable_list *vb)
{
    if (n != NTP_ENABLED)
        return false;
    set_int(vb, ASN_INTEGER, snmpf_mib_truth(m->cfg && m->cfg->ntp_enabled));
    return true;
}

static bool value_clock(const struct smsa_model *m, unsigned n, const struct row *r,
                        netsnmp_variable_list *vb)
{
    switch (n) {
    case NTP_CLOCK_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(m->clock.state));
        return true;
    case NTP_CLOCK_OFFSET: /* milliseconds, 0 while no server has answered */
        set_int(vb, ASN_INTEGER, m->clock.has_offset ? clamp32(m->clock.offset_us / 1000) : 0);
        return true;
    }
    return false;
}

static bool value_flow(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_flow *f = r->flow;
    const struct cat_flow *def = f->def ? f->def : cat_flow((unsigned)r->idx[0]);
    if (!def)
        return false;
    switch (col) {
    case COL_FLOW_PORT:
        set_int(vb, ASN_UNSIGNED, def->port);
        return true;
    case COL_FLOW_PROTOCOL:
        set_int(vb, ASN_INTEGER, snmpf_mib_protocol(def->proto));
        return true;
    case COL_FLOW_FROM:
        set_string(vb, def->from);
        return true;
    case COL_FLOW_TO:
        set_string(vb, def->to);
        return true;
    case COL_FLOW_PURPOSE:
        set_string(vb, def->purpose);
        return true;
    case COL_FLOW_DIRECTION:
        set_int(vb, ASN_INTEGER, snmpf_mib_direction(f->direction));
        return true;
    case COL_FLOW_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(f->state));
        return true;
    case COL_FLOW_LAST_CHANGE:
        set_stamp(vb, &f->since);
        return true;
    case COL_FLOW_PEER_COUNT:
        set_int(vb, ASN_GAUGE, (long)f->n_peers);
        return true;
    case COL_FLOW_MEASURED_FROM:
        set_int(vb, ASN_INTEGER, snmpf_mib_measured_from(f->measured_from));
        return true;
    }
    return false;
}

static bool value_peer(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_peer *p = r->peer;
    switch (col) {
    case COL_PEER_HOST:
        set_string(vb, p->host);
        return true;
    case COL_PEER_PORT:
        set_int(vb, ASN_UNSIGNED, p->port);
        return true;
    case COL_PEER_LABEL:
        set_string(vb, p->label);
        return true;
    case COL_PEER_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(p->state));
        return true;
    case COL_PEER_CAUSE:
        set_int(vb, ASN_INTEGER, snmpf_mib_cause(p->cause));
        return true;
    case COL_PEER_LAST_CHANGE:
        set_stamp(vb, &p->since);
        return true;
    case COL_PEER_RTT:
        set_int(vb, ASN_INTEGER, rtt_value(p->rtt_us));
        return true;
    case COL_PEER_CHECKS:
        set_c64(vb, p->checks);
        return true;
    case COL_PEER_FAILURES:
        set_c64(vb, p->failures);
        return true;
    case COL_PEER_ADDRESS_COUNT:
        set_int(vb, ASN_GAUGE, (long)p->n_addrs);
        return true;
    case COL_PEER_ADDRESS_CHANGES:
        set_c64(vb, p->addrset_changes);
        return true;
    case COL_PEER_ADDRESS_LAST_CHANGE:
        set_stamp(vb, &p->addrset_since);
        return true;
    case COL_PEER_DETAIL:
        set_string(vb, p->detail);
        return true;
    case COL_PEER_TLS_STATE:
        set_int(vb, ASN_INTEGER, snmpf_mib_tls_state(&p->tls));
        return true;
    case COL_PEER_TLS_NOT_AFTER: {
        u_char dt[11];
        size_t n = snmpf_tls_not_after(&p->tls, dt);
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, dt, n);
        return true;
    }
    case COL_PEER_TLS_DAYS_LEFT:
        set_int(vb, ASN_INTEGER, p->tls.seen ? p->tls.days_left : 0);
        return true;
    case COL_PEER_TLS_VERIFIED:
        set_int(vb, ASN_INTEGER, snmpf_mib_truth(p->tls.seen && p->tls.verified));
        return true;
    case COL_PEER_TLS_SUBJECT:
        set_string(vb, p->tls.seen ? p->tls.subject : "");
        return true;
    }
    return false;
}

static bool value_addr(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_addr *a = r->addr;
    switch (col) {
    case COL_ADDR_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(a->state));
        return true;
    case COL_ADDR_CAUSE:
        set_int(vb, ASN_INTEGER, snmpf_mib_cause(a->cause));
        return true;
    case COL_ADDR_STATUS_SINCE:
        set_stamp(vb, &a->since);
        return true;
    case COL_ADDR_RTT:
        set_int(vb, ASN_INTEGER, rtt_value(a->rtt_us));
        return true;
    case COL_ADDR_CHECKS:
        set_c64(vb, a->checks);
        return true;
    case COL_ADDR_FAILURES:
        set_c64(vb, a->failures);
        return true;
    case COL_ADDR_DETAIL:
        set_string(vb, a->detail);
        return true;
    }
    return false;
}

static bool value_link(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_link *l = r->link;
    const struct smsa_peer *p = l->peer;
    const struct smsa_addr *a;
    u_char bytes[16];
    size_t n;
    switch (col) {
    case COL_LINK_NAME:
        set_string(vb, l->name);
        return true;
    case COL_LINK_HOST:
        set_string(vb, p ? p->host : "");
        return true;
    case COL_LINK_PORT:
        set_int(vb, ASN_UNSIGNED, p ? p->port : 0);
        return true;
    case COL_LINK_ADDR_TYPE:
        a = core_link_address(l);
        set_int(vb, ASN_INTEGER, a ? snmpf_inet_from_text(a->text, bytes, &n) : 0);
        return true;
    case COL_LINK_ADDR:
        a = core_link_address(l);
        if (!a || snmpf_inet_from_text(a->text, bytes, &n) == INET_TYPE_UNKNOWN)
            n = 0;
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, bytes, n);
        return true;
    case COL_LINK_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(l->state));
        return true;
    case COL_LINK_CAUSE:
        set_int(vb, ASN_INTEGER, snmpf_mib_cause(l->cause));
        return true;
    case COL_LINK_LAST_CHANGE:
        set_stamp(vb, &l->since);
        return true;
    case COL_LINK_DOWN_COUNT:
        set_c64(vb, l->down_count);
        return true;
    case COL_LINK_TRAP_ENABLE:
        set_int(vb, ASN_INTEGER, snmpf_mib_enabled(true)); /* every link is reported */
        return true;
    case COL_LINK_FLOW_INDEX:
        set_int(vb, ASN_UNSIGNED, p ? p->flow_id : 0);
        return true;
    case COL_LINK_PEER_INDEX:
        set_int(vb, ASN_UNSIGNED, p ? p->index : 0);
        return true;
    case COL_LINK_DETAIL:
        set_string(vb, l->detail);
        return true;
    }
    return false;
}

static bool value_ntp(const struct smsa_model *m, unsigned col, const struct row *r,
                      netsnmp_variable_list *vb)
{
    const struct smsa_peer *p = r->peer;
    const struct smsa_ntp_result *nr = &p->ntp;
    switch (col) {
    case COL_NTP_HOST:
        set_string(vb, p->host);
        return true;
    case COL_NTP_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(p->state));
        return true;
    case COL_NTP_CAUSE:
        set_int(vb, ASN_INTEGER, snmpf_mib_cause(p->cause));
        return true;
    case COL_NTP_REPLY_VALID:
        set_int(vb, ASN_INTEGER, snmpf_mib_truth(nr->valid));
        return true;
    case COL_NTP_STRATUM:
        set_int(vb, ASN_UNSIGNED, nr->stratum > 16 ? 16 : (long)nr->stratum);
        return true;
    case COL_NTP_OFFSET:
        set_int(vb, ASN_INTEGER, clamp32(nr->offset_us));
        return true;
    case COL_NTP_DELAY:
        set_int(vb, ASN_INTEGER, clamp32(nr->delay_us));
        return true;
    case COL_NTP_REFID: {
        char refid[sizeof(nr->refid) + 1];
        memcpy(refid, nr->refid, sizeof(nr->refid));
        refid[sizeof(nr->refid)] = '\0';
        refid[15] = '\0'; /* SIZE (0..15) */
        set_string(vb, refid);
        return true;
    }
    case COL_NTP_LAST_CHANGE:
        set_stamp(vb, &p->since);
        return true;
    }
    return false;
}

static bool value_update(const struct smsa_model *m, unsigned col, const struct row *r,
                         netsnmp_variable_list *vb)
{
    const struct smsa_peer *p = r->peer;
    const struct cfg_update *u =
        m->cfg && r->n <= m->cfg->n_updates ? &m->cfg->updates[r->n - 1] : NULL;
    switch (col) {
    case COL_UPD_PURPOSE:
        set_string(vb, p->label ? p->label : u ? u->purpose : "");
        return true;
    case COL_UPD_HOST:
        set_string(vb, p->host);
        return true;
    case COL_UPD_PORT:
        set_int(vb, ASN_UNSIGNED, p->port);
        return true;
    case COL_UPD_ENABLED:
        set_int(vb, ASN_INTEGER, snmpf_mib_truth(p->enabled));
        return true;
    case COL_UPD_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(p->state));
        return true;
    case COL_UPD_CAUSE:
        set_int(vb, ASN_INTEGER, snmpf_mib_cause(p->cause));
        return true;
    case COL_UPD_ADDRESSES: {
        char buf[SMSA_SNMP_STRING_MAX + 1];
        size_t n = 0;
        for (size_t i = 0; i < p->n_addrs; i++) {
            size_t l = strlen(p->addrs[i].text);
            if (n + (n ? 1 : 0) + l > SMSA_SNMP_STRING_MAX)
                break; /* cut at the last whole address */
            if (n)
                buf[n++] = ' ';
            memcpy(buf + n, p->addrs[i].text, l);
            n += l;
        }
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, n);
        return true;
    }
    case COL_UPD_ADDRESS_CHANGES:
        set_c64(vb, p->addrset_changes);
        return true;
    case COL_UPD_ADDR_LAST_CHANGE:
        set_stamp(vb, &p->addrset_since);
        return true;
    case COL_UPD_FLOW_INDEX:
        set_int(vb, ASN_UNSIGNED, p->flow_id);
        return true;
    case COL_UPD_PEER_INDEX:
        set_int(vb, ASN_UNSIGNED, p->flow_id ? p->index : 0);
        return true;
    }
    return false;
}

static bool value_fleet(const struct smsa_model *m, unsigned col, const struct row *r,
                        netsnmp_variable_list *vb)
{
    const struct smsa_appliance *a = r->appliance;
    const struct smsa_addr *ad;
    u_char bytes[16];
    size_t n;
    switch (col) {
    case COL_APPL_LABEL:
        set_string(vb, a->name);
        return true;
    case COL_APPL_ROLE:
        set_int(vb, ASN_INTEGER, snmpf_mib_role(a->role));
        return true;
    case COL_APPL_SELF:
        set_int(vb, ASN_INTEGER, snmpf_mib_truth(a->self));
        return true;
    case COL_APPL_HOST:
        set_string(vb, a->host);
        return true;
    case COL_APPL_ADDR_TYPE:
        /* the address every face reports: the first that answers, else the first */
        ad = core_appliance_address(a);
        set_int(vb, ASN_INTEGER, ad ? snmpf_inet_from_text(ad->text, bytes, &n) : 0);
        return true;
    case COL_APPL_ADDR:
        ad = core_appliance_address(a);
        if (!ad || snmpf_inet_from_text(ad->text, bytes, &n) == INET_TYPE_UNKNOWN)
            n = 0;
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, bytes, n);
        return true;
    case COL_APPL_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(a->state));
        return true;
    case COL_APPL_CAUSE:
        set_int(vb, ASN_INTEGER, snmpf_mib_cause(a->cause));
        return true;
    case COL_APPL_LAST_CHANGE:
        set_stamp(vb, &a->since);
        return true;
    case COL_APPL_DOWN_COUNT:
        set_c64(vb, a->down_count);
        return true;
    case COL_APPL_CHECKS:
        set_int(vb, ASN_GAUGE, (long)a->n_checks);
        return true;
    case COL_APPL_CHECKS_UP:
        set_int(vb, ASN_GAUGE, (long)a->n_up);
        return true;
    case COL_APPL_CHECKS_DOWN:
        set_int(vb, ASN_GAUGE, (long)a->n_down);
        return true;
    case COL_APPL_DETAIL:
        set_string(vb, a->detail);
        return true;
    }
    return false;
}

static const struct column appliance_cols[] = {
    {SMSA_APPLIANCE_NAME, "smsaApplianceName"}, {SMSA_APPLIANCE_ROLE, "smsaApplianceRole"},
    {SMSA_AGENT_VERSION, "smsaAgentVersion"},   {SMSA_OVERALL_STATUS, "smsaOverallStatus"},
    {SMSA_AGENT_UP_TIME, "smsaAgentUpTime"},    {SMSA_AGENT_PLACEMENT, "smsaAgentPlacement"},
    {SMSA_AGENT_VANTAGE, "smsaAgentVantage"},
};
/* NOTIFY_EVENT_TIME and the rest are accessible-for-notify: never read */
static const struct column notify_cols[] = {
    {NOTIFY_SENT, "smsaNotificationsSent"},
    {NOTIFY_SUPPRESSED, "smsaNotificationsSuppressed"},
    {NOTIFY_DROPPED, "smsaNotificationsDropped"},
    {NOTIFY_QUEUED, "smsaNotificationsQueued"},
    {NOTIFY_RATE_LIMIT, "smsaNotificationRateLimit"},
};
static const struct column flow_cols[] = {
    {COL_FLOW_PORT, "smsaFlowPort"},
    {COL_FLOW_PROTOCOL, "smsaFlowProtocol"},
    {COL_FLOW_FROM, "smsaFlowFrom"},
    {COL_FLOW_TO, "smsaFlowTo"},
    {COL_FLOW_PURPOSE, "smsaFlowPurpose"},
    {COL_FLOW_DIRECTION, "smsaFlowDirection"},
    {COL_FLOW_STATUS, "smsaFlowStatus"},
    {COL_FLOW_LAST_CHANGE, "smsaFlowLastChange"},
    {COL_FLOW_PEER_COUNT, "smsaFlowPeerCount"},
    {COL_FLOW_MEASURED_FROM, "smsaFlowMeasuredFrom"},
};
static const struct column peer_cols[] = {
    {COL_PEER_HOST, "smsaPeerHost"},
    {COL_PEER_PORT, "smsaPeerPort"},
    {COL_PEER_LABEL, "smsaPeerLabel"},
    {COL_PEER_STATUS, "smsaPeerStatus"},
    {COL_PEER_CAUSE, "smsaPeerCause"},
    {COL_PEER_LAST_CHANGE, "smsaPeerLastChange"},
    {COL_PEER_RTT, "smsaPeerRtt"},
    {COL_PEER_CHECKS, "smsaPeerChecks"},
    {COL_PEER_FAILURES, "smsaPeerFailures"},
    {COL_PEER_ADDRESS_COUNT, "smsaPeerAddressCount"},
    {COL_PEER_ADDRESS_CHANGES, "smsaPeerAddressChanges"},
    {COL_PEER_ADDRESS_LAST_CHANGE, "smsaPeerAddressLastChange"},
    {COL_PEER_DETAIL, "smsaPeerDetail"},
    {COL_PEER_TLS_STATE, "smsaPeerTlsState"},
    {COL_PEER_TLS_NOT_AFTER, "smsaPeerTlsNotAfter"},
    {COL_PEER_TLS_DAYS_LEFT, "smsaPeerTlsDaysLeft"},
    {COL_PEER_TLS_VERIFIED, "smsaPeerTlsVerified"},
    {COL_PEER_TLS_SUBJECT, "smsaPeerTlsSubject"},
};
static const struct column addr_cols[] = {
    {COL_ADDR_STATUS, "smsaPeerAddressStatus"},
    {COL_ADDR_CAUSE, "smsaPeerAddressCause"},
    {COL_ADDR_STATUS_SINCE, "smsaPeerAddressStatusSince"},
    {COL_ADDR_RTT, "smsaPeerAddressRtt"},
    {COL_ADDR_CHECKS, "smsaPeerAddressChecks"},
    {COL_ADDR_FAILURES, "smsaPeerAddressFailures"},
    {COL_ADDR_DETAIL, "smsaPeerAddressDetail"},
};
static const struct column link_cols[] = {
    {COL_LINK_NAME, "smsaLinkName"},
    {COL_LINK_HOST, "smsaLinkHost"},
    {COL_LINK_PORT, "smsaLinkPort"},
    {COL_LINK_ADDR_TYPE, "smsaLinkAddressType"},
    {COL_LINK_ADDR, "smsaLinkAddress"},
    {COL_LINK_STATUS, "smsaLinkStatus"},
    {COL_LINK_CAUSE, "smsaLinkCause"},
    {COL_LINK_LAST_CHANGE, "smsaLinkLastChange"},
    {COL_LINK_DOWN_COUNT, "smsaLinkDownCount"},
    {COL_LINK_TRAP_ENABLE, "smsaLinkTrapEnable"},
    {COL_LINK_FLOW_INDEX, "smsaLinkFlowIndex"},
    {COL_LINK_PEER_INDEX, "smsaLinkPeerIndex"},
    {COL_LINK_DETAIL, "smsaLinkDetail"},
};
static const struct column ntp_scalar_cols[] = {{NTP_ENABLED, "smsaNtpEnabled"}};
static const struct column clock_cols[] = {{NTP_CLOCK_STATUS, "smsaClockStatus"},
                                           {NTP_CLOCK_OFFSET, "smsaClockOffset"}};
static const struct column ntp_cols[] = {
    {COL_NTP_HOST, "smsaNtpServerHost"},
    {COL_NTP_STATUS, "smsaNtpServerStatus"},
    {COL_NTP_CAUSE, "smsaNtpServerCause"},
    {COL_NTP_REPLY_VALID, "smsaNtpServerReplyValid"},
    {COL_NTP_STRATUM, "smsaNtpServerStratum"},
    {COL_NTP_OFFSET, "smsaNtpServerOffset"},
    {COL_NTP_DELAY, "smsaNtpServerDelay"},
    {COL_NTP_REFID, "smsaNtpServerRefId"},
    {COL_NTP_LAST_CHANGE, "smsaNtpServerLastChange"},
};
static const struct column update_cols[] = {
    {COL_UPD_PURPOSE, "smsaUpdateSourcePurpose"},
    {COL_UPD_HOST, "smsaUpdateSourceHost"},
    {COL_UPD_PORT, "smsaUpdateSourcePort"},
    {COL_UPD_ENABLED, "smsaUpdateSourceEnabled"},
    {COL_UPD_STATUS, "smsaUpdateSourceStatus"},
    {COL_UPD_CAUSE, "smsaUpdateSourceCause"},
    {COL_UPD_ADDRESSES, "smsaUpdateSourceAddresses"},
    {COL_UPD_ADDRESS_CHANGES, "smsaUpdateSourceAddressChanges"},
    {COL_UPD_ADDR_LAST_CHANGE, "smsaUpdateSourceAddrLastChange"},
    {COL_UPD_FLOW_INDEX, "smsaUpdateSourceFlowIndex"},
    {COL_UPD_PEER_INDEX, "smsaUpdateSourcePeerIndex"},
};
static const struct column fleet_cols[] = {
    {COL_APPL_LABEL, "smsaApplianceLabel"},
    {COL_APPL_ROLE, "smsaApplianceFleetRole"},
    {COL_APPL_SELF, "smsaApplianceSelf"},
    {COL_APPL_HOST, "smsaApplianceHost"},
    {COL_APPL_ADDR_TYPE, "smsaApplianceAddressType"},
    {COL_APPL_ADDR, "smsaApplianceAddress"},
    {COL_APPL_STATUS, "smsaApplianceStatus"},
    {COL_APPL_CAUSE, "smsaApplianceCause"},
    {COL_APPL_LAST_CHANGE, "smsaApplianceLastChange"},
    {COL_APPL_DOWN_COUNT, "smsaApplianceDownCount"},
    {COL_APPL_CHECKS, "smsaApplianceChecks"},
    {COL_APPL_CHECKS_UP, "smsaApplianceChecksUp"},
    {COL_APPL_CHECKS_DOWN, "smsaApplianceChecksDown"},
    {COL_APPL_DETAIL, "smsaApplianceDetail"},
};
#define COLS(a) a, sizeof(a) / sizeof(a[0])

/* In OID order. Relative to smsaObjects. */
static const struct group groups[] = {
    {{SMSA_OBJ_APPLIANCE}, 1, COLS(appliance_cols), NULL, value_appliance},
    {{SMSA_OBJ_NOTIFY}, 1, COLS(notify_cols), NULL, value_notify},
    {{SMSA_OBJ_FLOW_TABLE, 1}, 2, COLS(flow_cols), seek_flow, value_flow},
    {{SMSA_OBJ_PEER_TABLE, 1}, 2, COLS(peer_cols), seek_peer, value_peer},
    {{SMSA_OBJ_ADDR_TABLE, 1}, 2, COLS(addr_cols), seek_addr, value_addr},
    {{SMSA_OBJ_LINK_TABLE, 1}, 2, COLS(link_cols), seek_link, value_link},
    {{SMSA_OBJ_NTP}, 1, COLS(ntp_scalar_cols), NULL, value_ntp_scalar},
    {{SMSA_OBJ_NTP, NTP_SERVER_TABLE, 1}, 3, COLS(ntp_cols), seek_ntp, value_ntp},
    {{SMSA_OBJ_NTP}, 1, COLS(clock_cols), NULL, value_clock}, /* after the table, in OID order */
    {{SMSA_OBJ_UPDATE_TABLE, 1}, 2, COLS(update_cols), seek_update, value_update},
    {{SMSA_OBJ_APPLIANCE_TABLE, 1}, 2, COLS(fleet_cols), seek_appliance, value_fleet},
};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* -1: every OID under pfx sorts after req; 0: req is inside pfx; 1: req is past it. */
static int subtree_cmp(const oid *req, size_t req_len, const oid *pfx, size_t pfx_len)
{
    size_t n = req_len < pfx_len ? req_len : pfx_len;
    for (size_t i = 0; i < n; i++)
        if (req[i] != pfx[i])
            return req[i] < pfx[i] ? -1 : 1;
    return req_len >= pfx_len ? 0 : -1;
}

static void answer_oid(netsnmp_variable_list *vb, const oid *rel, size_t rel_len)
{
    oid full[MAX_OID_LEN];
    memcpy(full, objects_oid, sizeof(objects_oid));
    memcpy(full + OBJECTS_LEN, rel, rel_len * sizeof(oid));
    snmp_set_var_objid(vb, full, OBJECTS_LEN + rel_len);
}

/* GETNEXT: the first object instance after rel (relative to smsaObjects). */
static bool get_next(const struct smsa_model *m, const oid *rel, size_t rel_len,
                     netsnmp_variable_list *vb)
{
    for (size_t g = 0; g < N_GROUPS; g++) {
        const struct group *gr = &groups[g];
        int c = subtree_cmp(rel, rel_len, gr->prefix, gr->prefix_len);
        if (c > 0)
            continue;
        for (size_t k = 0; k < gr->n_cols; k++) {
            unsigned col = gr->cols[k].n;
            oid pfx[4];
            memcpy(pfx, gr->prefix, gr->prefix_len * sizeof(oid));
            pfx[gr->prefix_len] = col;
            size_t pfx_len = gr->prefix_len + 1;
            int cc = subtree_cmp(rel, rel_len, pfx, pfx_len);
            if (cc > 0)
                continue;
            const oid *suf = cc == 0 ? rel + pfx_len : no_suffix;
            size_t suf_len = cc == 0 ? rel_len - pfx_len : 0;
            struct row r;
            memset(&r, 0, sizeof(r));
            if (!gr->seek) {
                /* a scalar has the one instance .0 */
                oid zero = 0;
                if (suf_len > 0 && snmp_oid_compare(&zero, 1, suf, suf_len) <= 0)
                    continue;
                r.idx_len = 1;
            } else if (!gr->seek(m, suf, suf_len, false, &r)) {
                continue;
            }
            if (!gr->value(m, col, &r, vb))
                continue;
            oid out[4 + MAX_INDEX];
            memcpy(out, pfx, pfx_len * sizeof(oid));
            memcpy(out + pfx_len, r.idx, r.idx_len * sizeof(oid));
            answer_oid(vb, out, pfx_len + r.idx_len);
            return true;
        }
    }
    return false;
}

static bool has_column(const struct group *gr, oid col)
{
    for (size_t k = 0; k < gr->n_cols; k++)
        if (gr->cols[k].n == col)
            return true;
    return false;
}

/* GET: SNMP_ERR_NOERROR with the value set, or the exception to answer. */
static int get_exact(const struct smsa_model *m, const oid *rel, size_t rel_len,
                     netsnmp_variable_list *vb)
{
    for (size_t g = 0; g < N_GROUPS; g++) {
        const struct group *gr = &groups[g];
        if (subtree_cmp(rel, rel_len, gr->prefix, gr->prefix_len) != 0)
            continue;
        if (rel_len <= gr->prefix_len)
            return SNMP_NOSUCHOBJECT;
        oid col = rel[gr->prefix_len];
        if (!gr->seek && !has_column(gr, col))
            continue; /* smsaNtp holds a scalar and a table: the table's group is further on */
        if (!has_column(gr, col))
            return SNMP_NOSUCHOBJECT;
        const oid *suf = rel + gr->prefix_len + 1;
        size_t suf_len = rel_len - gr->prefix_len - 1;
        struct row r;
        memset(&r, 0, sizeof(r));
        if (!gr->seek) {
            if (suf_len != 1 || suf[0] != 0)
                return SNMP_NOSUCHINSTANCE;
        } else if (suf_len == 0 || suf_len > MAX_INDEX || !gr->seek(m, suf, suf_len, true, &r) ||
                   snmp_oid_compare(r.idx, r.idx_len, suf, suf_len) != 0) {
            return SNMP_NOSUCHINSTANCE;
        }
        return gr->value(m, (unsigned)col, &r, vb) ? SNMP_ERR_NOERROR : SNMP_NOSUCHINSTANCE;
    }
    return SNMP_NOSUCHOBJECT;
}

int snmpf_tables_get(const struct smsa_model *m, netsnmp_variable_list *vb)
{
    if (!m || subtree_cmp(vb->name, vb->name_length, objects_oid, OBJECTS_LEN) != 0)
        return SNMP_NOSUCHOBJECT;
    return get_exact(m, vb->name + OBJECTS_LEN, vb->name_length - OBJECTS_LEN, vb);
}

bool snmpf_tables_get_next(const struct smsa_model *m, netsnmp_variable_list *vb)
{
    int c = subtree_cmp(vb->name, vb->name_length, objects_oid, OBJECTS_LEN);
    if (!m || c > 0)
        return false;
    const oid *rel = c == 0 ? vb->name + OBJECTS_LEN : no_suffix;
    size_t rel_len = c == 0 ? vb->name_length - OBJECTS_LEN : 0;
    return get_next(m, rel, rel_len, vb);
}

void snmpf_tables_describe(void (*cb)(const char *name, const oid *o, size_t len, void *arg),
                           void *arg)
{
    for (size_t g = 0; g < N_GROUPS; g++) {
        const struct group *gr = &groups[g];
        for (size_t k = 0; k < gr->n_cols; k++) {
            oid full[OBJECTS_LEN + 4];
            memcpy(full, objects_oid, sizeof(objects_oid));
            memcpy(full + OBJECTS_LEN, gr->prefix, gr->prefix_len * sizeof(oid));
            full[OBJECTS_LEN + gr->prefix_len] = gr->cols[k].n;
            cb(gr->cols[k].name, full, OBJECTS_LEN + gr->prefix_len + 1, arg);
        }
    }
}

static int mib_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    const struct smsa_model *m = core_model();
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        if (req->processed)
            continue;
        netsnmp_variable_list *vb = req->requestvb;
        switch (reqinfo->mode) {
        case MODE_GET: {
            int rc = snmpf_tables_get(m, vb);
            if (rc != SNMP_ERR_NOERROR)
                netsnmp_set_request_error(reqinfo, req, rc);
            break;
        }
        case MODE_GETNEXT:
            /* Nothing after it here: leave the varbind unanswered and net-snmp moves on to
             * the next registered subtree (or answers endOfMibView). */
            snmpf_tables_get_next(m, vb);
            break;
        default:
            /* Every object is read-only: the configuration changes through REST. */
            netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
            break;
        }
    }
    return SNMP_ERR_NOERROR;
}

static netsnmp_handler_registration *registration;

int snmpf_tables_register(void)
{
    /* HANDLER_CAN_RONLY: net-snmp itself answers SETs with notWritable; the handler's default
     * branch covers the modes that still reach it. */
    registration = netsnmp_create_handler_registration("smsaObjects", mib_handler, objects_oid,
                                                       OBJECTS_LEN, HANDLER_CAN_RONLY);
    if (!registration)
        return -1;
    if (netsnmp_register_handler(registration) != MIB_REGISTERED_OK) {
        registration = NULL; /* freed by net-snmp on failure */
        return -1;
    }
    return 0;
}

void snmpf_tables_unregister(void)
{
    if (registration)
        netsnmp_unregister_handler(registration);
    registration = NULL;
}
