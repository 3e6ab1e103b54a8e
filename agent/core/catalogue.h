/* The vendor's port table (TECH85204) as data, and what each flow means for each role. */
#ifndef SMSA_CATALOGUE_H
#define SMSA_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAT_NFLOWS 20

/* The vendor's flow numbers, which are also the SNMP index and the REST id of each flow:
 * stable forever, so code names a flow only through these. */
enum cat_flow_id {
    CAT_FLOW_SSH = 1,
    CAT_FLOW_MAIL_FROM_INTERNET = 2,
    CAT_FLOW_MAIL_TO_INTERNAL = 3,
    CAT_FLOW_MAIL_FROM_INTERNAL = 4,
    CAT_FLOW_MAIL_TO_INTERNET = 5,
    CAT_FLOW_UPDATES = 6, /* rules, software, registration over HTTPS */
    CAT_FLOW_DNS = 7,
    CAT_FLOW_NTP = 8,
    CAT_FLOW_LDAP = 9,
    CAT_FLOW_LDAP_GC = 10,
    CAT_FLOW_LINK_CC = 11,      /* Control Center -> Scanners, the link seen from the CC */
    CAT_FLOW_LINK_SCANNER = 12, /* Scanner -> Control Center, the link seen from a Scanner */
    CAT_FLOW_QUARANTINE = 13,
    CAT_FLOW_HTTP_MANAGEMENT = 14,
    CAT_FLOW_HTTPS_MANAGEMENT = 15,
    CAT_FLOW_TRANSFORMATION = 16,
    CAT_FLOW_VIRUS_RELEASE_IN = 17,
    CAT_FLOW_VIRUS_RELEASE_OUT = 18,
    CAT_FLOW_LIVEUPDATE = 19,
    CAT_FLOW_RAPID_RESPONSE = 20,
};

enum smsa_role { ROLE_CONTROL_CENTER, ROLE_SCANNER, ROLE_ALL_IN_ONE };

enum smsa_direction { DIR_NOT_APPLICABLE, DIR_OUTBOUND, DIR_INBOUND };

enum smsa_proto { PROTO_TCP, PROTO_UDP };

/* How a peer is checked. The last three prove a service beside the appliance: the SSH
 * identification line, a TLS handshake, an HTTP status line. */
enum smsa_probe_kind {
    PROBE_TCP,
    PROBE_SMTP,
    PROBE_FTP,
    PROBE_DNS,
    PROBE_NTP,
    PROBE_LISTEN,
    PROBE_SSH,
    PROBE_TLS,
    PROBE_HTTP,
};

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
    SRC_EXTRA,   /* an operator-added flow: the peers of its extra_flows entry */
};

/* Who connects to this appliance on an inbound flow (the "from" column of the vendor table). */
enum cat_inbound_source {
    CAT_FROM_MANAGEMENT, /* management hosts */
    CAT_FROM_ANY,        /* the Internet */
    CAT_FROM_INTERNAL_MAIL,
    CAT_FROM_CONTROL_CENTER, /* on a Scanner */
    CAT_FROM_SCANNERS,       /* on a Control Center */
    /* an operator-added flow: management_hosts when set, else anywhere (the operator named
     * no source, and the flow exists because the appliance needs it) */
    CAT_FROM_MANAGEMENT_OR_ANY,
};

/* The configuration switch a flow depends on: off, the flow is neither checked nor opened. */
enum cat_switch {
    CAT_SWITCH_NONE,
    CAT_SWITCH_NTP,             /* ntp.enabled (TECH85204: NTP is off by default) */
    CAT_SWITCH_HTTP_MANAGEMENT, /* http_management (41080 is off by default) */
};

struct cat_flow {
    unsigned id; /* 1..20 (CAT_EXTRA_MIN..CAT_EXTRA_MAX for extra flows): SNMP index, REST id */
    uint16_t port;
    enum smsa_proto proto;
    const char *from;
    const char *to;
    const char *purpose;
};

extern const struct cat_flow cat_flows[CAT_NFLOWS];

/* Rows an operator adds to the published table (extra_flows, for later versions of the
 * appliance): the ids above the vendor's, direction and check as configured. */
#define CAT_EXTRA_MIN 101
#define CAT_EXTRA_MAX 999
#define CAT_MAX_ID CAT_EXTRA_MAX
struct cat_extra {
    struct cat_flow def;
    enum smsa_direction direction; /* the same for every role */
    enum smsa_probe_kind check;    /* PROBE_LISTEN: inbound, checked by its listener */
};
/* The extra rows in force: n rows sorted by id, stride bytes apart (each begins with a struct
 * cat_extra); the owner (the configuration) keeps them alive while they are in force. */
struct cat_extra_rows {
    const void *rows;
    size_t n, stride;
};
/* Puts rows in force and returns the rows in force before, for a caller that puts them back.
 * Every rule function below answers for an extra id from these rows. */
struct cat_extra_rows cat_extra_use(struct cat_extra_rows rows);
/* The extra row of id in force, NULL when none. */
const struct cat_extra *cat_extra(unsigned id);

const struct cat_flow *cat_flow(unsigned id); /* NULL when neither published nor in force */
enum smsa_direction cat_direction(unsigned id, enum smsa_role role);
enum cat_peer_source cat_peer_source(unsigned id);
/* Whether a port written in a peer entry is the port probed on this flow: true only for the
 * first flow of the entry's list (the link flow 11 or 12, LDAP 389, single-flow lists). */
bool cat_takes_entry_port(unsigned id);
/* How an outbound flow is probed; PROBE_LISTEN where the flow is inbound for this role. */
enum smsa_probe_kind cat_probe_kind(unsigned id, enum smsa_role role);
enum cat_inbound_source cat_inbound_source(unsigned id);
/* How an inbound flow is checked from beside the appliance, by the service on its port:
 * PROBE_SSH on 22, PROBE_SMTP on 25, PROBE_TLS on 41443, PROBE_HTTP on 41080, PROBE_TCP on
 * the others (41002, 41025, 41015-41017). */
enum smsa_probe_kind cat_service_probe_kind(unsigned id);
enum cat_switch cat_flow_switch(unsigned id);
/* The flow a role checks its Control Center-Scanner links on (CAT_FLOW_LINK_*). */
unsigned cat_link_flow(enum smsa_role role);
/* The flow an update source of this purpose is checked under (CAT_FLOW_UPDATES,
 * CAT_FLOW_LIVEUPDATE or CAT_FLOW_RAPID_RESPONSE), 0 if none. */
unsigned cat_update_flow(const char *purpose);
/* The i-th update purpose, in the catalogue's order; NULL past the last. */
const char *cat_update_purpose(size_t i);

const char *cat_role_name(enum smsa_role role);
int cat_role_parse(const char *s, enum smsa_role *out);
const char *cat_direction_name(enum smsa_direction d);
const char *cat_proto_name(enum smsa_proto p);
const char *cat_probe_kind_name(enum smsa_probe_kind k);

#endif
