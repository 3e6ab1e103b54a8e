/* The MIB handler of smsaObjects: one net-snmp handler serves every scalar and table of
 * SMSA-AGENT-MIB straight from core_model() at request time (no copies, no caches).
 *
 * This file finds the group an OID falls in and walks the groups in OID order; each group's
 * file (snmp_scalars.c, snmp_flow_tables.c, snmp_link_tables.c) has one layer that finds the
 * row (seek_*: binary search over the model's sorted arrays, so a GETNEXT costs O(log n)) and
 * another that extracts the value (value_*). GETBULK is turned into GETNEXTs by net-snmp's
 * bulk_to_next helper, injected by netsnmp_register_handler. */
#include <string.h>

#include "snmp_rows.h"

static const oid objects_oid[] = {SMSA_OBJECTS_OID};
#define OBJECTS_LEN SMSA_OBJECTS_LEN

/* What an empty suffix points at (never read: its length is 0). */
/* What an empty suffix points at (never read: its length is 0). */
static const oid no_suffix[1];

/* In OID order. */
static const struct group *const groups[] = {
    &snmpf_group_appliance, &snmpf_group_notify, &snmpf_group_flow,       &snmpf_group_peer,
    &snmpf_group_addr,      &snmpf_group_link,   &snmpf_group_ntp_scalar, &snmpf_group_ntp,
    &snmpf_group_clock,     &snmpf_group_update, &snmpf_group_fleet,
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
        const struct group *gr = groups[g];
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
        const struct group *gr = groups[g];
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
        const struct group *gr = groups[g];
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
