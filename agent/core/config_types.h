/* The configuration as data (README, Configuration): what a loaded file holds, and the
 * errors of loading one. The functions are in config.h. */
#ifndef SMSA_CONFIG_TYPES_H
#define SMSA_CONFIG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalogue.h"

#define CFG_MAX_FILE_BYTES (1024 * 1024)
#define CFG_MAX_HOST 253
#define CFG_MAX_NAME 64
#define CFG_MAX_LIST 4096 /* entries in any one list */

/* Error of load/validate: a human message and where it points. */
enum cfg_error_kind {
    CFG_ERR_SYNTAX,    /* not JSON (line, column) */
    CFG_ERR_VALUE,     /* valid JSON, bad value or unknown key (path) */
    CFG_ERR_IO,        /* cannot read or write the file */
    CFG_ERR_NOT_FOUND, /* the named item does not exist (REST 404) */
};

struct cfg_error {
    enum cfg_error_kind kind;
    char path[256]; /* key path, e.g. "peers.scanners[1].host"; "" for the whole document */
    int line;       /* 1-based line in the file, 0 when unknown (REST bodies, internal) */
    int column;
    char message[512];
};

struct cfg_peer {
    char *host;    /* hostname or address, without brackets */
    uint16_t port; /* 0: the flow's port */
};

struct cfg_scanner {
    char *name;
    struct cfg_peer peer;
};

struct cfg_update {
    char *purpose; /* software, registration, rules, antivirus, rapid-response */
    char *host;
    uint16_t port;
    bool enabled;
};

struct cfg_list {
    struct cfg_peer *items;
    size_t n;
};

/* extra_flows: a row the operator adds to the published table (row.def.purpose is owned;
 * row.def.from and .to are fixed words, set by validation). Peers: outbound flows only. */
struct cfg_extra_flow {
    struct cat_extra row;
    struct cfg_list peers;
};
/* ids are unique in CAT_EXTRA_MIN..CAT_EXTRA_MAX, so no more entries than that */
#define CFG_MAX_EXTRA_FLOWS (CAT_EXTRA_MAX - CAT_EXTRA_MIN + 1)
#define CFG_MAX_PURPOSE 64

/* A receiver of notifications (snmp.trap_sinks). */
struct cfg_trap_sink {
    char *address; /* "host[:port]" or "udp:host:port" */
    bool inform;   /* an inform, resent until acknowledged; else an SNMPv2c trap */
};

enum cfg_snmp_mode { SNMP_MODE_SUBAGENT, SNMP_MODE_MASTER, SNMP_MODE_OFF };

/* Where the agent runs (appliance.placement): on the appliance itself, checking its inbound
 * flows by the local listening sockets, or on a host beside it, checking them by connecting
 * to appliance.address from here. */
enum cfg_placement { PLACEMENT_ON_BOX, PLACEMENT_BESIDE };

struct cfg {
    char *name;
    enum smsa_role role;
    bool http_management; /* flow 14, port 41080: disabled by default (TECH85204) */
    enum cfg_placement placement;
    char *address; /* appliance.address: the appliance's host name or address; required
                    * beside, NULL when not set */

    char *control_center; /* NULL when not set */
    uint16_t control_center_port;
    struct cfg_scanner *scanners;
    size_t n_scanners;
    struct cfg_list dns_servers, ldap_servers, internal_mail_servers, internet_mail_hosts,
        management_hosts;

    bool ntp_enabled;
    struct cfg_list ntp_servers;
    unsigned ntp_max_offset_ms; /* the clock is degraded beyond this offset */

    struct cfg_update *updates;
    size_t n_updates;

    struct cfg_extra_flow *extra_flows; /* sorted by id once validated */
    size_t n_extra_flows;

    struct {
        unsigned interval_ms, timeout_ms, fail_threshold, recover_threshold;
        char *dns_query_name; /* what the DNS probe asks each server */
        char *resolver;       /* "host:port,..." for name resolution; NULL: /etc/resolv.conf */
        char *http_proxy;     /* "host:port": the update flows (6, 19) are checked through it
                               * with CONNECT; NULL: direct */
    } probe;

    unsigned tls_warn_days; /* a certificate within this many days of not-after is announced */

    struct {
        enum cfg_snmp_mode mode;
        char *agentx_socket;
        char *master_listen;
        unsigned ping_interval_s;
        char *community;    /* read-only community in master mode; NULL: none */
        char *usm_user;     /* read-only USM user (authPriv) in master mode; NULL: none */
        char *usm_auth_key; /* passphrases for usm_user */
        char *usm_priv_key;
        struct cfg_trap_sink *trap_sinks;
        size_t n_trap_sinks;
        char *trap_community;
        unsigned notify_rate_limit; /* notifications per minute, 0 = unlimited */
        unsigned notify_queue;      /* notifications kept while the master is away */
    } snmp;

    struct {
        char *listen; /* "host:port", "[v6]:port"; NULL or "" disables REST */
        char *token_file;
        char **allow; /* CIDRs */
        size_t n_allow;
        char **server_names; /* names the Host header may give besides our own */
        size_t n_server_names;
        char *tls_cert, *tls_key;
        unsigned max_connections, per_ip_connections, timeout_s;
    } http;

    char *state_dir; /* absolute path */
};

/* The community refused in master mode beyond loopback (cfg_check_master_exposure). */
#define CFG_WELL_KNOWN_COMMUNITY "public"

#endif
