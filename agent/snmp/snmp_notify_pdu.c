/* The varbinds of a notification: sysUpTime.0 (the event's own time), snmpTrapOID.0, the
 * objects the MIB's NOTIFICATION-TYPE lists, taken from the event as it was (a late delivery
 * says what happened, not what is now), then smsaNotificationEventTime and
 * smsaNotificationSequence. The same list goes out as a v2c trap, an inform or an AgentX
 * Notify. */
#include <string.h>

#include "core.h"
#include "snmp_internal.h"

static const oid trap_oid_oid[] = {SNMP_TRAP_OID_0};
static const oid sysuptime_oid[] = {SNMP_SYS_UPTIME_0};

/* An object instance of smsaObjects: obj.sub.col.index (sub 0 = none). */
static size_t object_oid(oid *out, unsigned obj, unsigned sub, unsigned col, oid index)
{
    static const oid root[] = {SMSA_OBJECTS_OID};
    size_t n = sizeof(root) / sizeof(root[0]);
    memcpy(out, root, sizeof(root));
    out[n++] = obj;
    if (sub)
        out[n++] = sub;
    out[n++] = col;
    out[n++] = index;
    return n;
}

/* A scalar's instance: group.n.0. */
static size_t scalar_oid(oid *out, unsigned group, unsigned n)
{
    return object_oid(out, group, 0, n, SMSA_SCALAR_INSTANCE);
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
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_LABEL, ai);
    add_string(vars, name, len, ev->name, false);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_ROLE, ai);
    add_int(vars, name, len, ASN_INTEGER, snmpf_mib_role(ev->role));
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_HOST, ai);
    add_string(vars, name, len, ev->host, false);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_ADDR_TYPE, ai);
    add_int(vars, name, len, ASN_INTEGER, type);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_ADDR, ai);
    snmp_varlist_add_variable(vars, name, len, ASN_OCTET_STR, bytes, blen);
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_STATUS, ai);
    add_int(vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->new_state));
    len = object_oid(name, SMSA_OBJ_APPLIANCE_TABLE, SMSA_ENTRY, COL_APPL_CAUSE, ai);
    add_int(vars, name, len, ASN_INTEGER, snmpf_mib_cause(ev->cause));
}

netsnmp_variable_list *snmpf_notify_varbinds(enum snmpf_notification kind, uint64_t seq,
                                             const struct smsa_event *ev)
{
    netsnmp_variable_list *vars = NULL;
    oid name[MAX_OID_LEN];
    size_t len;

    /* sysUpTime.0 first: the event's own time, so a late delivery still says when. */
    add_int(&vars, sysuptime_oid, OID_LENGTH(sysuptime_oid), ASN_TIMETICKS,
            (long)snmpf_ticks_since_start(ev->at.mono_us));
    oid trap[] = {SMSA_NOTIFICATIONS_OID, (oid)kind};
    snmp_varlist_add_variable(&vars, trap_oid_oid, OID_LENGTH(trap_oid_oid), ASN_OBJECT_ID, trap,
                              sizeof(trap));

    switch (kind) {
    case NOTIF_LINK_DOWN:
    case NOTIF_LINK_UP: {
        oid li = ev->link_index;
        u_char bytes[16];
        size_t blen;
        int type = snmpf_inet_from_text(ev->address, bytes, &blen);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, SMSA_ENTRY, COL_LINK_NAME, li);
        add_string(&vars, name, len, ev->name, false);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, SMSA_ENTRY, COL_LINK_HOST, li);
        add_string(&vars, name, len, ev->host, false);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, SMSA_ENTRY, COL_LINK_ADDR_TYPE, li);
        add_int(&vars, name, len, ASN_INTEGER, type);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, SMSA_ENTRY, COL_LINK_ADDR, li);
        snmp_varlist_add_variable(&vars, name, len, ASN_OCTET_STR, bytes, blen);
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, SMSA_ENTRY, COL_LINK_STATUS, li);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->new_state));
        len = object_oid(name, SMSA_OBJ_LINK_TABLE, SMSA_ENTRY, COL_LINK_CAUSE, li);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_cause(ev->cause));
        break;
    }
    case NOTIF_FLOW_STATUS_CHANGE: {
        const struct cat_flow *def = cat_flow(ev->flow_id);
        oid fi = ev->flow_id;
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, SMSA_ENTRY, COL_FLOW_PORT, fi);
        add_int(&vars, name, len, ASN_UNSIGNED, def ? def->port : ev->port);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, SMSA_ENTRY, COL_FLOW_PROTOCOL, fi);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_protocol(def ? def->proto : PROTO_TCP));
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, SMSA_ENTRY, COL_FLOW_PURPOSE, fi);
        add_string(&vars, name, len, def ? def->purpose : ev->name, false);
        len = object_oid(name, SMSA_OBJ_FLOW_TABLE, SMSA_ENTRY, COL_FLOW_STATUS, fi);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->new_state));
        len = scalar_oid(name, SMSA_OBJ_NOTIFY, NOTIFY_PREVIOUS_STATUS);
        add_int(&vars, name, len, ASN_INTEGER, snmpf_mib_state(ev->old_state));
        break;
    }
    case NOTIF_UPDATE_ADDRESS_CHANGE: {
        oid ui = ev->update_index;
        len = object_oid(name, SMSA_OBJ_UPDATE_TABLE, SMSA_ENTRY, COL_UPD_PURPOSE, ui);
        add_string(&vars, name, len, ev->name, false);
        len = object_oid(name, SMSA_OBJ_UPDATE_TABLE, SMSA_ENTRY, COL_UPD_HOST, ui);
        add_string(&vars, name, len, ev->host, false);
        len = object_oid(name, SMSA_OBJ_UPDATE_TABLE, SMSA_ENTRY, COL_UPD_ADDRESSES, ui);
        add_string(&vars, name, len, ev->addresses, true);
        break;
    }
    case NOTIF_APPLIANCE_DOWN:
    case NOTIF_APPLIANCE_UP:
        add_appliance(&vars, ev);
        break;
    case NOTIF_CERTIFICATE_EXPIRY: {
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
            len = object_oid(name, SMSA_OBJ_PEER_TABLE, SMSA_ENTRY, cols[i], ev->flow_id);
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
    len = scalar_oid(name, SMSA_OBJ_NOTIFY, NOTIFY_EVENT_TIME);
    snmp_varlist_add_variable(&vars, name, len, ASN_OCTET_STR, dt, dlen);
    /* An Unsigned32 that wraps: a Counter64 cannot travel in an SNMPv1 trap (RFC 3584 section
     * 3.2), and net-snmp then refuses the whole notification for every v1 sink. */
    len = scalar_oid(name, SMSA_OBJ_NOTIFY, NOTIFY_SEQUENCE);
    add_int(&vars, name, len, ASN_UNSIGNED, (long)(uint32_t)seq);
    return vars;
}
