/* The vendor's port table (TECH85204) as data, and what each flow means for each role. */
#ifndef SMSA_CATALOGUE_H
#define SMSA_CATALOGUE_H

#include <stdbool.h>
#include <stdint.h>

#define CAT_NFLOWS 20

enum smsa_role { ROLE_CONTROL_CENTER, ROLE_SCANNER, ROLE_ALL_IN_ONE };

enum smsa_direction { DIR_NOT_APPLICABLE, DIR_OUTBOUND, DIR_INBOUND };

enum smsa_proto { PROTO_TCP, PROTO_UDP };

enum smsa_probe_kind { PROBE_TCP, PROBE_SMTP, PROBE_FTP, PROBE_DNS, PROBE_NTP, PROBE_LISTEN };

/* Where the peers of an outbound flow come from in the configuration. */
enum cat_peer_source {
    SRC_NONE,
    SRC_CONTROL_CENTER,
    SRC_SCANNERS,
    SRC_DNS_SERVERS,
    SRC_NTP_SERVERS,
    SRC_LDAP_SERVERS,
    SRC_INTERNAL_MAIL,
    SRC_INTERNET_MAIL,
    SRC_UPDATES, /* update sources whose purpose maps to this flow */
};

struct cat_flow {
    unsigned id; /* 1..20, the SNMP index and REST id, stable forever */
    uint16_t port;
    enum smsa_proto proto;
    const char *from;
    const char *to;
    const char *purpose;
};

extern const struct cat_flow cat_flows[CAT_NFLOWS];

const struct cat_flow *cat_flow(unsigned id); /* NULL when out of range */
enum smsa_direction cat_direction(unsigned id, enum smsa_role role);
enum cat_peer_source cat_peer_source(unsigned id);
/* Whether a port written in a peer entry is the port probed on this flow: true only for the
 * first flow of the entry's list (the link flow 11 or 12, LDAP 389, single-flow lists). */
bool cat_takes_entry_port(unsigned id);
enum smsa_probe_kind cat_probe_kind(unsigned id, enum smsa_role role);
/* The flow an update source of this purpose is checked under (6, 19 or 20), 0 if none. */
unsigned cat_update_flow(const char *purpose);

const char *cat_role_name(enum smsa_role role);
int cat_role_parse(const char *s, enum smsa_role *out);
const char *cat_direction_name(enum smsa_direction d);
const char *cat_proto_name(enum smsa_proto p);
const char *cat_probe_kind_name(enum smsa_probe_kind k);

#endif
