/* The tables indexed by flow: smsaFlowTable (flow), smsaPeerTable (flow, peer) and
 * smsaPeerAddressTable (flow, peer, InetAddressType, address). */
#include <string.h>

#include "snmp_rows.h"

/* What an empty suffix points at (never read: its length is 0). */
static const oid no_suffix[1];

/* The position of the first of the model's flows (sorted by id) whose id is min or more. */
static size_t flows_lower(const struct smsa_model *m, uint64_t min)
{
    size_t lo = 0, hi = m->n_flows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->flows[mid].def->id < min)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- seek: find the first row whose index sorts after (incl: at or after) suf ---- */

static bool seek_flow(const struct smsa_model *m, const oid *suf, size_t len, bool incl,
                      struct row *out)
{
    uint64_t min;
    if (!int_lower_bound(suf, len, incl, &min))
        return false;
    size_t k = flows_lower(m, min);
    if (k >= m->n_flows)
        return false;
    const struct smsa_flow *f = &m->flows[k];
    out->flow = f;
    out->idx[0] = (oid)f->def->id;
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
    for (size_t k = flows_lower(m, fid); k < m->n_flows; k++, len = 0) {
        const struct smsa_flow *f = &m->flows[k];
        if (f->def->id != fid)
            len = 0; /* the suffix was of a flow the model does not have: its next flow whole */
        uint64_t min = 0;
        if (len && !int_lower_bound(suf + 1, len - 1, incl, &min))
            continue;
        size_t i = peers_lower(f->peers, f->n_peers, min);
        if (i < f->n_peers) {
            out->flow = f;
            out->peer = f->peers[i];
            out->idx[0] = (oid)f->def->id;
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
    for (size_t k = flows_lower(m, fid); k < m->n_flows; k++, len = 0) {
        const struct smsa_flow *f = &m->flows[k];
        if (f->def->id != fid)
            len = 0;
        uint64_t pmin = len > 1 ? suf[1] : 0;
        for (size_t i = peers_lower(f->peers, f->n_peers, pmin); i < f->n_peers; i++) {
            const struct smsa_peer *p = f->peers[i];
            bool same = len > 1 && p->index == suf[1];
            if (seek_addr_in_peer(p, same ? suf + 2 : no_suffix, same ? len - 2 : 0, incl, out)) {
                out->flow = f;
                out->peer = p;
                out->idx[0] = (oid)f->def->id;
                out->idx[1] = p->index;
                return true;
            }
        }
    }
    return false;
}

/* ---- values ---- */

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
        set_int(vb, ASN_INTEGER, snmpf_mib_tls_state(smsa_tls_of(p->tls)));
        return true;
    case COL_PEER_TLS_NOT_AFTER: {
        u_char dt[11];
        size_t n = snmpf_tls_not_after(smsa_tls_of(p->tls), dt);
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, dt, n);
        return true;
    }
    case COL_PEER_TLS_DAYS_LEFT:
        set_int(vb, ASN_INTEGER, p->tls && p->tls->seen ? p->tls->days_left : 0);
        return true;
    case COL_PEER_TLS_VERIFIED:
        set_int(vb, ASN_INTEGER, snmpf_mib_truth(p->tls && p->tls->seen && p->tls->verified));
        return true;
    case COL_PEER_TLS_SUBJECT:
        set_string(vb, p->tls && p->tls->seen ? p->tls->subject : "");
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

const struct group snmpf_group_flow = {
    {SMSA_OBJ_FLOW_TABLE, SMSA_ENTRY}, 2, COLS(flow_cols), seek_flow, value_flow};
const struct group snmpf_group_peer = {
    {SMSA_OBJ_PEER_TABLE, SMSA_ENTRY}, 2, COLS(peer_cols), seek_peer, value_peer};
const struct group snmpf_group_addr = {
    {SMSA_OBJ_ADDR_TABLE, SMSA_ENTRY}, 2, COLS(addr_cols), seek_addr, value_addr};
