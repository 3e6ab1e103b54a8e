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

/* Per flow: direction for control-center, scanner, all-in-one (O outbound, I inbound, - n/a),
 * and where outbound peers come from. Mail flows (2-5) belong to boxes that scan mail; the
 * 41xxx flows run between the Control Center end and the Scanner end; an all-in-one box is a
 * Control Center that scans too, and still manages remote scanners. */
/* entry_port: the flow is its list's own first flow, so a port written in a peer entry
 * ("scanner1:41999") is the port probed; the other flows fed by the same list (13, 16-18,
 * 3268) are served on their catalogue port whatever the entry says. */
static const struct {
    char dir[3];
    enum cat_peer_source src;
    bool entry_port;
} rules[CAT_NFLOWS] = {
    {"III", SRC_NONE, false},           /* 1 SSH */
    {"-II", SRC_NONE, false},           /* 2 inbound Internet mail */
    {"-OO", SRC_INTERNAL_MAIL, true},   /* 3 */
    {"-II", SRC_NONE, false},           /* 4 */
    {"-OO", SRC_INTERNET_MAIL, true},   /* 5 */
    {"OOO", SRC_UPDATES, false},        /* 6: each update source has its own port */
    {"OOO", SRC_DNS_SERVERS, true},     /* 7 */
    {"OOO", SRC_NTP_SERVERS, true},     /* 8 */
    {"OOO", SRC_LDAP_SERVERS, true},    /* 9 LDAP */
    {"OOO", SRC_LDAP_SERVERS, false},   /* 10 Global Catalog: always 3268 */
    {"OIO", SRC_SCANNERS, true},        /* 11 CC -> scanners: the Control Center-Scanner link */
    {"IOI", SRC_CONTROL_CENTER, true},  /* 12 scanner -> CC: the link seen from a scanner */
    {"IOI", SRC_CONTROL_CENTER, false}, /* 13 */
    {"I-I", SRC_NONE, false},           /* 14 */
    {"I-I", SRC_NONE, false},           /* 15 */
    {"OIO", SRC_SCANNERS, false},       /* 16 */
    {"OIO", SRC_SCANNERS, false},       /* 17 */
    {"OIO", SRC_SCANNERS, false},       /* 18 */
    {"OOO", SRC_UPDATES, false},        /* 19 */
    {"OOO", SRC_UPDATES, false},        /* 20 */
};

const struct cat_flow *cat_flow(unsigned id)
{
    return id >= 1 && id <= CAT_NFLOWS ? &cat_flows[id - 1] : NULL;
}

enum smsa_direction cat_direction(unsigned id, enum smsa_role role)
{
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
    return id >= 1 && id <= CAT_NFLOWS ? rules[id - 1].src : SRC_NONE;
}

bool cat_takes_entry_port(unsigned id)
{
    return id >= 1 && id <= CAT_NFLOWS && rules[id - 1].entry_port;
}

enum smsa_probe_kind cat_probe_kind(unsigned id, enum smsa_role role)
{
    if (cat_direction(id, role) != DIR_OUTBOUND)
        return PROBE_LISTEN;
    switch (cat_flows[id - 1].port) {
    case 25:
        return PROBE_SMTP;
    case 21:
        return PROBE_FTP;
    case 53:
        return PROBE_DNS;
    case 123:
        return PROBE_NTP;
    default:
        return PROBE_TCP;
    }
}

unsigned cat_update_flow(const char *purpose)
{
    if (!strcmp(purpose, "software") || !strcmp(purpose, "registration") ||
        !strcmp(purpose, "rules"))
        return 6;
    if (!strcmp(purpose, "antivirus"))
        return 19;
    if (!strcmp(purpose, "rapid-response"))
        return 20;
    return 0;
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
    static const char *const n[] = {"tcp", "smtp", "ftp", "dns", "ntp", "listen"};
    return (unsigned)k <= PROBE_LISTEN ? n[k] : "?";
}
