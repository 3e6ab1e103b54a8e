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
    unsigned n;
};

typedef bool (*seek_fn)(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                        struct row *out);
typedef bool (*value_fn)(const struct smsa_model *m, unsigned col, const struct row *r,
                         netsnmp_variable_list *vb);

/* A scalar group (prefix.N.0 for N in first..last) or a table (prefix is its entry). */
struct group {
    oid prefix[3];
    size_t prefix_len;
    unsigned first, last; /* scalar numbers or readable columns */
    seek_fn seek;         /* NULL: scalars */
    value_fn value;
};

/* ---- helpers ---- */

u_long snmpf_ticks_since_start(int64_t mono_us)
{
    const struct smsa_model *m = core_model();
    if (!m || mono_us <= 0 || mono_us <= m->started.mono_us)
        return 0;
    return (u_long)((mono_us - m->started.mono_us) / 10000);
}

size_t snmpf_date_and_time(int64_t wall_us, u_char out[11])
{
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    out[0] = (u_char)(year >> 8);
    out[1] = (u_char)(year & 0xff);
    out[2] = (u_char)(tm.tm_mon + 1);
    out[3] = (u_char)tm.tm_mday;
    out[4] = (u_char)tm.tm_hour;
    out[5] = (u_char)tm.tm_min;
    out[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* DateAndTime allows 60, most NMS not */
    out[7] = (u_char)((wall_us % 1000000) / 100000);
    out[8] = '+'; /* UTC */
    out[9] = 0;
    out[10] = 0;
    return 11;
}

int snmpf_inet_from_text(const char *text, u_char out[16], size_t *len)
{
    *len = 0;
    if (!text || !*text)
        return INET_TYPE_UNKNOWN;
    if (inet_pton(AF_INET, text, out) == 1) {
        *len = 4;
        return INET_TYPE_IPV4;
    }
    char buf[SMSA_ADDR_TEXT];
    snprintf(buf, sizeof(buf), "%s", text);
    char *pct = strchr(buf, '%'); /* a zone index: reported as plain ipv6 */
    if (pct)
        *pct = '\0';
    if (inet_pton(AF_INET6, buf, out) == 1) {
        *len = 16;
        return INET_TYPE_IPV6;
    }
    return INET_TYPE_UNKNOWN;
}

size_t snmpf_cut(const char *s, size_t max, bool at_word)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    n = max;
    if (at_word) {
        while (n > 0 && s[n] != ' ')
            n--;
        return n;
    }
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
        n--;
    return n;
}

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
    const struct smsa_flow *f = &m->flows[8 - 1]; /* flow 8: 123/udp to NTP servers */
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

/* ---- values ---- */

static bool value_appliance(const struct smsa_model *m, unsigned n, const struct row *r,
                            netsnmp_variable_list *vb)
{
    switch (n) {
    case 1:
        set_string(vb, m->cfg ? m->cfg->name : "");
        return true;
    case 2:
        set_int(vb, ASN_INTEGER, m->cfg ? (long)m->cfg->role + 1 : 1);
        return true;
    case 3:
        set_string(vb, SMSA_VERSION);
        return true;
    case 4:
        set_int(vb, ASN_INTEGER, (long)m->overall + 1);
        return true;
    case 5:
        set_int(vb, ASN_TIMETICKS, (long)snmpf_ticks_since_start(loop_now_us()));
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
    case 1:
        set_c64(vb, st.sent);
        return true;
    case 2:
        set_c64(vb, st.suppressed);
        return true;
    case 3:
        set_c64(vb, st.dropped);
        return true;
    case 4:
        set_int(vb, ASN_GAUGE, (long)st.queued);
        return true;
    case 5:
        set_int(vb, ASN_UNSIGNED, (long)st.rate_limit);
        return true;
    }
    return false;
}

static bool value_ntp_scalar(const struct smsa_model *m, unsigned n, const struct row *r,
                             netsnmp_variable_list *vb)
{
    if (n != 1)
        return false;
    set_int(vb, ASN_INTEGER, m->cfg && m->cfg->ntp_enabled ? 1 : 2); /* TruthValue */
    return true;
}

static bool value_flow(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_flow *f = r->flow;
    const struct cat_flow *def = f->def ? f->def : cat_flow((unsigned)r->idx[0]);
    if (!def)
        return false;
    switch (col) {
    case 2:
        set_int(vb, ASN_UNSIGNED, def->port);
        return true;
    case 3:
        set_int(vb, ASN_INTEGER, def->proto == PROTO_UDP ? 2 : 1);
        return true;
    case 4:
        set_string(vb, def->from);
        return true;
    case 5:
        set_string(vb, def->to);
        return true;
    case 6:
        set_string(vb, def->purpose);
        return true;
    case 7:
        set_int(vb, ASN_INTEGER, (long)f->direction + 1);
        return true;
    case 8:
        set_int(vb, ASN_INTEGER, (long)f->state + 1);
        return true;
    case 9:
        set_stamp(vb, &f->since);
        return true;
    case 10:
        set_int(vb, ASN_GAUGE, (long)f->n_peers);
        return true;
    }
    return false;
}

static bool value_peer(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_peer *p = r->peer;
    switch (col) {
    case 2:
        set_string(vb, p->host);
        return true;
    case 3:
        set_int(vb, ASN_UNSIGNED, p->port);
        return true;
    case 4:
        set_string(vb, p->label);
        return true;
    case 5:
        set_int(vb, ASN_INTEGER, (long)p->state + 1);
        return true;
    case 6:
        set_int(vb, ASN_INTEGER, (long)p->cause + 1);
        return true;
    case 7:
        set_stamp(vb, &p->since);
        return true;
    case 8:
        set_int(vb, ASN_INTEGER, rtt_value(p->rtt_us));
        return true;
    case 9:
        set_c64(vb, p->checks);
        return true;
    case 10:
        set_c64(vb, p->failures);
        return true;
    case 11:
        set_int(vb, ASN_GAUGE, (long)p->n_addrs);
        return true;
    case 12:
        set_c64(vb, p->addrset_changes);
        return true;
    case 13:
        set_stamp(vb, &p->addrset_since);
        return true;
    case 14:
        set_string(vb, p->detail);
        return true;
    }
    return false;
}

static bool value_addr(const struct smsa_model *m, unsigned col, const struct row *r,
                       netsnmp_variable_list *vb)
{
    const struct smsa_addr *a = r->addr;
    switch (col) {
    case 3:
        set_int(vb, ASN_INTEGER, (long)a->state + 1);
        return true;
    case 4:
        set_int(vb, ASN_INTEGER, (long)a->cause + 1);
        return true;
    case 5:
        set_stamp(vb, &a->since);
        return true;
    case 6:
        set_int(vb, ASN_INTEGER, rtt_value(a->rtt_us));
        return true;
    case 7:
        set_c64(vb, a->checks);
        return true;
    case 8:
        set_c64(vb, a->failures);
        return true;
    case 9:
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
    case 2:
        set_string(vb, l->name);
        return true;
    case 3:
        set_string(vb, p ? p->host : "");
        return true;
    case 4:
        set_int(vb, ASN_UNSIGNED, p ? p->port : 0);
        return true;
    case 5:
        a = core_link_address(l);
        set_int(vb, ASN_INTEGER, a ? snmpf_inet_from_text(a->text, bytes, &n) : 0);
        return true;
    case 6:
        a = core_link_address(l);
        if (!a || snmpf_inet_from_text(a->text, bytes, &n) == INET_TYPE_UNKNOWN)
            n = 0;
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, bytes, n);
        return true;
    case 7:
        set_int(vb, ASN_INTEGER, (long)l->state + 1);
        return true;
    case 8:
        set_int(vb, ASN_INTEGER, (long)l->cause + 1);
        return true;
    case 9:
        set_stamp(vb, &l->since);
        return true;
    case 10:
        set_c64(vb, l->down_count);
        return true;
    case 11:
        set_int(vb, ASN_INTEGER, 1); /* enabled: every link is reported */
        return true;
    case 12:
        set_int(vb, ASN_UNSIGNED, p ? p->flow_id : 0);
        return true;
    case 13:
        set_int(vb, ASN_UNSIGNED, p ? p->index : 0);
        return true;
    case 14:
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
    case 2:
        set_string(vb, p->host);
        return true;
    case 3:
        set_int(vb, ASN_INTEGER, (long)p->state + 1);
        return true;
    case 4:
        set_int(vb, ASN_INTEGER, (long)p->cause + 1);
        return true;
    case 5:
        set_int(vb, ASN_INTEGER, nr->valid ? 1 : 2);
        return true;
    case 6:
        set_int(vb, ASN_UNSIGNED, nr->stratum > 16 ? 16 : (long)nr->stratum);
        return true;
    case 7:
        set_int(vb, ASN_INTEGER, clamp32(nr->offset_us));
        return true;
    case 8:
        set_int(vb, ASN_INTEGER, clamp32(nr->delay_us));
        return true;
    case 9: {
        char refid[sizeof(nr->refid) + 1];
        memcpy(refid, nr->refid, sizeof(nr->refid));
        refid[sizeof(nr->refid)] = '\0';
        refid[15] = '\0'; /* SIZE (0..15) */
        set_string(vb, refid);
        return true;
    }
    case 10:
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
    case 2:
        set_string(vb, p->label ? p->label : u ? u->purpose : "");
        return true;
    case 3:
        set_string(vb, p->host);
        return true;
    case 4:
        set_int(vb, ASN_UNSIGNED, p->port);
        return true;
    case 5:
        set_int(vb, ASN_INTEGER, p->enabled ? 1 : 2);
        return true;
    case 6:
        set_int(vb, ASN_INTEGER, (long)p->state + 1);
        return true;
    case 7:
        set_int(vb, ASN_INTEGER, (long)p->cause + 1);
        return true;
    case 8: {
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
    case 9:
        set_c64(vb, p->addrset_changes);
        return true;
    case 10:
        set_stamp(vb, &p->addrset_since);
        return true;
    case 11:
        set_int(vb, ASN_UNSIGNED, p->flow_id);
        return true;
    case 12:
        set_int(vb, ASN_UNSIGNED, p->flow_id ? p->index : 0);
        return true;
    }
    return false;
}

/* In OID order. Relative to smsaObjects. */
static const struct group groups[] = {
    {{SMSA_OBJ_APPLIANCE}, 1, 1, 5, NULL, value_appliance},
    {{SMSA_OBJ_NOTIFY}, 1, 1, 5, NULL, value_notify}, /* 6, 7: accessible-for-notify */
    {{SMSA_OBJ_FLOW_TABLE, 1}, 2, 2, 10, seek_flow, value_flow},
    {{SMSA_OBJ_PEER_TABLE, 1}, 2, 2, 14, seek_peer, value_peer},
    {{SMSA_OBJ_ADDR_TABLE, 1}, 2, 3, 9, seek_addr, value_addr},
    {{SMSA_OBJ_LINK_TABLE, 1}, 2, 2, 14, seek_link, value_link},
    {{SMSA_OBJ_NTP}, 1, 1, 1, NULL, value_ntp_scalar},
    {{SMSA_OBJ_NTP, 2, 1}, 3, 2, 10, seek_ntp, value_ntp},
    {{SMSA_OBJ_UPDATE_TABLE, 1}, 2, 2, 12, seek_update, value_update},
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
        for (unsigned col = gr->first; col <= gr->last; col++) {
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
        if (col < gr->first || col > gr->last)
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

static int mib_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    const struct smsa_model *m = core_model();
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        if (req->processed)
            continue;
        netsnmp_variable_list *vb = req->requestvb;
        int c = subtree_cmp(vb->name, vb->name_length, objects_oid, OBJECTS_LEN);
        const oid *rel = c == 0 ? vb->name + OBJECTS_LEN : no_suffix;
        size_t rel_len = c == 0 ? vb->name_length - OBJECTS_LEN : 0;
        switch (reqinfo->mode) {
        case MODE_GET: {
            int rc = c != 0 || !m ? (int)SNMP_NOSUCHOBJECT : get_exact(m, rel, rel_len, vb);
            if (rc != SNMP_ERR_NOERROR)
                netsnmp_set_request_error(reqinfo, req, rc);
            break;
        }
        case MODE_GETNEXT:
            /* Nothing after it here: leave the varbind unanswered and net-snmp moves on to
             * the next registered subtree (or answers endOfMibView). */
            if (m && c <= 0)
                get_next(m, rel, rel_len, vb);
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
