/* The tables with an index of their own: smsaLinkTable (links), smsaNtpServerTable,
 * smsaUpdateSourceTable and smsaApplianceTable (the fleet). */
#include <string.h>

#include "snmp_rows.h"

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

/* ---- seek: find the first row whose index sorts after (incl: at or after) suf ---- */

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
    const struct smsa_flow *f = model_flow(m, CAT_FLOW_NTP);
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

const struct group snmpf_group_link = {
    {SMSA_OBJ_LINK_TABLE, SMSA_ENTRY}, 2, COLS(link_cols), seek_link, value_link};
const struct group snmpf_group_ntp = {
    {SMSA_OBJ_NTP, NTP_SERVER_TABLE, SMSA_ENTRY}, 3, COLS(ntp_cols), seek_ntp, value_ntp};
const struct group snmpf_group_update = {
    {SMSA_OBJ_UPDATE_TABLE, SMSA_ENTRY}, 2, COLS(update_cols), seek_update, value_update};
const struct group snmpf_group_fleet = {
    {SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY}, 2, COLS(fleet_cols), seek_appliance, value_fleet};
