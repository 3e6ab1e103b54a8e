/* What the MIB handler's files share (snmp_tables.c finds the group, the files of the groups
 * find the row and its value): a row, a group of scalars or a table's columns, and the small
 * helpers that set a varbind's value. Only the handler's files include it. */
#ifndef SMSA_SNMP_ROWS_H
#define SMSA_SNMP_ROWS_H

#include "core.h"
#include "snmp_internal.h"

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

#define COLS(a) a, sizeof(a) / sizeof(a[0])

/* The groups, in OID order in snmp_tables.c: snmp_scalars.c, snmp_flow_tables.c and
 * snmp_link_tables.c. */
extern const struct group snmpf_group_appliance, snmpf_group_notify, snmpf_group_ntp_scalar,
    snmpf_group_clock;
extern const struct group snmpf_group_flow, snmpf_group_peer, snmpf_group_addr;
extern const struct group snmpf_group_link, snmpf_group_ntp, snmpf_group_update, snmpf_group_fleet;

static inline void set_string(netsnmp_variable_list *vb, const char *s)
{
    if (!s)
        s = "";
    snmp_set_var_typed_value(vb, ASN_OCTET_STR, s, snmpf_cut(s, SMSA_SNMP_STRING_MAX, false));
}

static inline void set_int(netsnmp_variable_list *vb, u_char type, long v)
{
    snmp_set_var_typed_integer(vb, type, v);
}

static inline void set_c64(netsnmp_variable_list *vb, uint64_t v)
{
    struct counter64 c = {.high = (u_long)(v >> 32), .low = (u_long)(v & 0xffffffffu)};
    snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

static inline void set_stamp(netsnmp_variable_list *vb, const struct smsa_stamp *st)
{
    set_int(vb, ASN_TIMETICKS, (long)snmpf_ticks_since_start(st->mono_us));
}

static inline long clamp32(int64_t v)
{
    if (v > INT32_MAX)
        return INT32_MAX;
    if (v < INT32_MIN)
        return INT32_MIN;
    return (long)v;
}

static inline long rtt_value(int64_t rtt_us)
{
    return rtt_us < 0 ? -1 : clamp32(rtt_us);
}

/* Smallest value v a single-subid index may take to sort after (incl: not before) suf.
 * false when no value can (the suffix is past the largest subid). */
static inline bool int_lower_bound(const oid *suf, size_t len, bool incl, uint64_t *min)
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
static inline size_t peers_lower(struct smsa_peer *const *peers, size_t n, uint64_t min)
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

#endif
