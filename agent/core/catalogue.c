#include "catalogue.h"

#include <stdbool.h>
#include <string.h>

/* TECH85204, "Ports and hostnames used by Symantec Mail Security Appliance 5.x". */
const struct cat_flow cat_flows[CAT_NFLOWS] = {
    {1, 22, PROTO_TCP, "management hosts", "appliance", "SSH (CLI)"},
    {2, 25, PROTO_TCP, "Internet", "appliance", "inbound Internet mail"},
    {3, 25, PROTO_TCP, "appliance", "internal mail servers", "inbound internal mail"},
    {4, 25, PROTO_TCP, "internal mail servers", "appliance", "outbound internal mail"},
    {5, 25, PROTO_TCP, "appliance", "Internet mail hosts", "outbound Internet mail"},
    {6, 443, PROTO_TCP, "appliance", "Internet",
     "rule updates, software updates, license registration"},
    {7, 53, PROTO_UDP, "appliance", "DNS servers", "DNS queries"},
    {8, 123, PROTO_UDP, "appliance", "NTP servers", "time sync (NTP is disabled by default)"},
    {9, 389, PROTO_TCP, "appliance", "LDAP servers", "LDAP sync of users/groups/d-lists"},
    {10, 3268, PROTO_TCP, "appliance", "LDAP servers", "LDAP Global Catalog"},
    {11, 41002, PROTO_TCP, "Control Center", "Scanners", "Control Center-Scanner communication"},
    {12, 41002, PROTO_TCP, "Scanners", "Control Center", "Control Center-Scanner communication"},
    {13, 41025, PROTO_TCP, "Scanners", "Control Center", "quarantined messages to Control Center"},
    {14, 41080, PROTO_TCP, "management hosts", "Control Center",
     "HTTP management (disabled by default)"},
    {15, 41443, PROTO_TCP, "management hosts", "Control Center", "web management UI (HTTPS)"},
    {16, 41015, PROTO_TCP, "Control Center", "Scanners", "Transformation Engine"},
    {17, 41016, PROTO_TCP, "Control Center", "Scanners", "inbound suspect-virus message release"},
    {18, 41017, PROTO_TCP, "Control Center", "Scanners", "outbound suspect-virus message release"},
    {19, 80, PROTO_TCP, "appliance", "Internet", "antivirus definitions (LiveUpdate)"},
    {20, 21, PROTO_TCP, "appliance", "Internet", "antivirus Rapid Response updates"},
};

/* Per flow, what the code needs beyond the vendor table:
 * - dir: direction for control-center, scanner, all-in-one (O outbound, I inbound, - n/a).
 *   Mail flows (2-5) belong to boxes that scan mail; the 41xxx flows run between the Control
 *   Center end and the Scanner end; an all-in-one box is a Control Center that scans too, and
 *   still manages remote scanners.
 * - src: where the peers of the outbound flow come from in the configuration.
 * - entry_port: the flow is its list's own first flow, so a port written in a peer entry
 *   ("scanner1:41999") is the port probed; the other flows fed by the same list (13, 16-18,
 *   3268) are served on their catalogue port whatever the entry says.
 * - probe: how the outbound flow is checked (the update hosts by a TLS handshake on 443,
 *   LiveUpdate by an HTTP request, Rapid Response over FTP; mail by its greeting, following
 *   STARTTLS when offered).
 * - from: who connects on the inbound flow.
 * - sw: the configuration switch the flow depends on. */
static const struct {
    char dir[3];
    enum cat_peer_source src;
    bool entry_port;
    enum smsa_probe_kind probe;
    enum cat_inbound_source from;
    enum cat_switch sw;
} rules[CAT_NFLOWS] = {
    [CAT_FLOW_SSH - 1] = {"III", SRC_NONE, false, PROBE_TCP, CAT_FROM_MANAGEMENT, CAT_SWITCH_NONE},
    [CAT_FLOW_MAIL_FROM_INTERNET - 1] = {"-II", SRC_NONE, false, PROBE_TCP, CAT_FROM_ANY,
                                         CAT_SWITCH_NONE},
    [CAT_FLOW_MAIL_TO_INTERNAL - 1] = {"-OO", SRC_INTERNAL_MAIL, true, PROBE_SMTP,
                                       CAT_FROM_MANAGEMENT, CAT_SWITCH_NONE},
    [CAT_FLOW_MAIL_FROM_INTERNAL - 1] = {"-II", SRC_NONE, false, PROBE_TCP, CAT_FROM_INTERNAL_MAIL,
                                         CAT_SWITCH_NONE},
    [CAT_FLOW_MAIL_TO_INTERNET - 1] = {"-OO", SRC_INTERNET_MAIL, true, PROBE_SMTP,
                                       CAT_FROM_MANAGEMENT, CAT_SWITCH_NONE},
    /* each update source has its own port */
    [CAT_FLOW_UPDATES - 1] = {"OOO", SRC_UPDATES, false, PROBE_TLS, CAT_FROM_MANAGEMENT,
                              CAT_SWITCH_NONE},
    [CAT_FLOW_DNS - 1] = {"OOO", SRC_DNS_SERVERS, true, PROBE_DNS, CAT_FROM_MANAGEMENT,
                          CAT_SWITCH_NONE},
    [CAT_FLOW_NTP - 1] = {"OOO", SRC_NTP_SERVERS, true, PROBE_NTP, CAT_FROM_MANAGEMENT,
                          CAT_SWITCH_NTP},
    [CAT_FLOW_LDAP - 1] = {"OOO", SRC_LDAP_SERVERS, true, PROBE_TCP, CAT_FROM_MANAGEMENT,
                           CAT_SWITCH_NONE},
    /* Global Catalog: always 3268 */
    [CAT_FLOW_LDAP_GC - 1] = {"OOO", SRC_LDAP_SERVERS, false, PROBE_TCP, CAT_FROM_MANAGEMENT,
                              CAT_SWITCH_NONE},
    [CAT_FLOW_LINK_CC - 1] = {"OIO", SRC_SCANNERS, true, PROBE_TCP, CAT_FROM_CONTROL_CENTER,
                              CAT_SWITCH_NONE},
    [CAT_FLOW_LINK_SCANNER - 1] = {"IOI", SRC_CONTROL_CENTER, true, PROBE_TCP, CAT_FROM_SCANNERS,
                                   CAT_SWITCH_NONE},
    [CAT_FLOW_QUARANTINE - 1] = {"IOI", SRC_CONTROL_CENTER, false, PROBE_TCP, CAT_FROM_SCANNERS,
                                 CAT_SWITCH_NONE},
    [CAT_FLOW_HTTP_MANAGEMENT - 1] = {"I-I", SRC_NONE, false, PROBE_TCP, CAT_FROM_MANAGEMENT,
                                      CAT_SWITCH_HTTP_MANAGEMENT},
    [CAT_FLOW_HTTPS_MANAGEMENT - 1] = {"I-I", SRC_NONE, false, PROBE_TCP, CAT_FROM_MANAGEMENT,
                                       CAT_SWITCH_NONE},
    [CAT_FLOW_TRANSFORMATION - 1] = {"OIO", SRC_SCANNERS, false, PROBE_TCP, CAT_FROM_CONTROL_CENTER,
                                     CAT_SWITCH_NONE},
    [CAT_FLOW_VIRUS_RELEASE_IN - 1] = {"OIO", SRC_SCANNERS, false, PROBE_TCP,
                                       CAT_FROM_CONTROL_CENTER, CAT_SWITCH_NONE},
    [CAT_FLOW_VIRUS_RELEASE_OUT - 1] = {"OIO", SRC_SCANNERS, false, PROBE_TCP,
                                        CAT_FROM_CONTROL_CENTER, CAT_SWITCH_NONE},
    /* LiveUpdate is fetched over HTTP: any status line proves it */
    [CAT_FLOW_LIVEUPDATE - 1] = {"OOO", SRC_UPDATES, false, PROBE_HTTP, CAT_FROM_MANAGEMENT,
                                 CAT_SWITCH_NONE},
    [CAT_FLOW_RAPID_RESPONSE - 1] = {"OOO", SRC_UPDATES, false, PROBE_FTP, CAT_FROM_MANAGEMENT,
                                     CAT_SWITCH_NONE},
};

/* Update purposes (the updates[].purpose key) onto the flows they travel on. */
static const struct {
    const char *purpose;
    unsigned flow;
} update_flows[] = {
    {"software", CAT_FLOW_UPDATES},
    {"registration", CAT_FLOW_UPDATES},
    {"rules", CAT_FLOW_UPDATES},
    {"antivirus", CAT_FLOW_LIVEUPDATE},
    {"rapid-response", CAT_FLOW_RAPID_RESPONSE},
};

/* The one place an extra flow's rules are read: every rule function asks here first. */
static struct cat_extra_rows extra;

struct cat_extra_rows cat_extra_use(struct cat_extra_rows rows)
{
    struct cat_extra_rows old = extra;
    extra = rows;
    return old;
}

const struct cat_extra *cat_extra(unsigned id)
{
    size_t lo = 0, hi = extra.n;
    if (id < CAT_EXTRA_MIN || id > CAT_EXTRA_MAX)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct cat_extra *x =
            (const struct cat_extra *)((const char *)extra.rows + mid * extra.stride);
        if (x->def.id == id)
            return x;
        if (x->def.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct cat_flow *cat_flow(unsigned id)
{
    if (id >= 1 && id <= CAT_NFLOWS)
        return &cat_flows[id - 1];
    const struct cat_extra *x = cat_extra(id);
    return x ? &x->def : NULL;
}

enum smsa_direction cat_direction(unsigned id, enum smsa_role role)
{
    const struct cat_extra *x = cat_extra(id);
    if (x)
        return x->direction;
    if (id < 1 || id > CAT_NFLOWS || (unsigned)role > ROLE_ALL_IN_ONE)
        return DIR_NOT_APPLICABLE;
    switch (rules[id - 1].dir[role]) {
    case 'O':
        return DIR_OUTBOUND;
    case 'I':
        return DIR_INBOUND;
    default:
        return DIR_NOT_APPLICABLE;
    }
}

enum cat_peer_source cat_peer_source(unsigned id)
{
    if (cat_extra(id))
        return cat_extra(id)->direction == DIR_OUTBOUND ? SRC_EXTRA : SRC_NONE;
    return id >= 1 && id <= CAT_NFLOWS ? rules[id - 1].src : SRC_NONE;
}

bool cat_takes_entry_port(unsigned id)
{
    if (cat_extra(id))
        return true; /* an extra flow's peers are its own: "host:port" is the port probed */
    return id >= 1 && id <= CAT_NFLOWS && rules[id - 1].entry_port;
}

enum smsa_probe_kind cat_probe_kind(unsigned id, enum smsa_role role)
{
    if (cat_direction(id, role) != DIR_OUTBOUND)
        return PROBE_LISTEN;
    const struct cat_extra *x = cat_extra(id);
    return x ? x->check : rules[id - 1].probe;
}

enum cat_inbound_source cat_inbound_source(unsigned id)
{
    if (cat_extra(id))
        return CAT_FROM_MANAGEMENT_OR_ANY;
    return id >= 1 && id <= CAT_NFLOWS ? rules[id - 1].from : CAT_FROM_MANAGEMENT;
}

enum smsa_probe_kind cat_service_probe_kind(unsigned id)
{
    const struct cat_extra *x = cat_extra(id);
    if (x) /* beside, a listen check is a connection to the appliance's port */
        return x->check == PROBE_LISTEN ? PROBE_TCP : x->check;
    switch (id) {
    case CAT_FLOW_SSH:
        return PROBE_SSH;
    case CAT_FLOW_MAIL_FROM_INTERNET:
    case CAT_FLOW_MAIL_FROM_INTERNAL:
        return PROBE_SMTP;
    case CAT_FLOW_HTTP_MANAGEMENT:
        return PROBE_HTTP;
    case CAT_FLOW_HTTPS_MANAGEMENT:
        return PROBE_TLS;
    default:
        return PROBE_TCP;
    }
}

enum cat_switch cat_flow_switch(unsigned id)
{
    /* an extra flow depends on no switch: it is there because the operator wrote it */
    return id >= 1 && id <= CAT_NFLOWS ? rules[id - 1].sw : CAT_SWITCH_NONE;
}

unsigned cat_link_flow(enum smsa_role role)
{
    return role == ROLE_SCANNER ? CAT_FLOW_LINK_SCANNER : CAT_FLOW_LINK_CC;
}

unsigned cat_update_flow(const char *purpose)
{
    for (size_t i = 0; i < sizeof(update_flows) / sizeof(update_flows[0]); i++)
        if (!strcmp(purpose, update_flows[i].purpose))
            return update_flows[i].flow;
    return 0;
}

const char *cat_update_purpose(size_t i)
{
    return i < sizeof(update_flows) / sizeof(update_flows[0]) ? update_flows[i].purpose : NULL;
}

static const char *const role_names[] = {"control-center", "scanner", "all-in-one"};

const char *cat_role_name(enum smsa_role role)
{
    return (unsigned)role <= ROLE_ALL_IN_ONE ? role_names[role] : "?";
}

int cat_role_parse(const char *s, enum smsa_role *out)
{
    for (unsigned i = 0; i <= ROLE_ALL_IN_ONE; i++) {
        if (!strcmp(s, role_names[i])) {
            *out = (enum smsa_role)i;
            return 0;
        }
    }
    return -1;
}

const char *cat_direction_name(enum smsa_direction d)
{
    static const char *const n[] = {"not-applicable", "outbound", "inbound"};
    return (unsigned)d <= DIR_INBOUND ? n[d] : "?";
}

const char *cat_proto_name(enum smsa_proto p)
{
    return p == PROTO_UDP ? "udp" : "tcp";
}

const char *cat_probe_kind_name(enum smsa_probe_kind k)
{
    static const char *const n[] = {"tcp",    "smtp", "ftp", "dns", "ntp",
                                    "listen", "ssh",  "tls", "http"};
    return (unsigned)k <= PROBE_HTTP ? n[k] : "?";
}
