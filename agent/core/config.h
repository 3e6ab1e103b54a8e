/* The configuration file (README, Configuration): load, validate, defaults, serialise,
 * atomic save. */
#ifndef SMSA_CONFIG_H
#define SMSA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "catalogue.h"

#define CFG_MAX_FILE_BYTES (1024 * 1024)
#define CFG_MAX_HOST 253
#define CFG_MAX_NAME 64
#define CFG_MAX_LIST 4096 /* entries in any one list */
/* Where the daemon keeps what must survive a restart (the index map); systemd's
 * StateDirectory=smsa-agent creates it. */
#define CFG_DEFAULT_STATE_DIR "/var/lib/smsa-agent"

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
 * row.def.from and .to are fixed words). Peers: outbound flows only. */
struct cfg_extra_flow {
    struct cat_extra row;
    struct cfg_list peers;
};
/* ids are unique in CAT_EXTRA_MIN..CAT_EXTRA_MAX, so no more entries than that */
#define CFG_MAX_EXTRA_FLOWS (CAT_EXTRA_MAX - CAT_EXTRA_MIN + 1)
#define CFG_MAX_PURPOSE 64

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

    struct cfg_extra_flow *extra_flows; /* sorted by id */
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
        char **trap_sinks; /* "host:port" or "udp:host:port", SNMPv2c traps */
        size_t n_trap_sinks;
        bool *trap_sink_inform; /* per sink: an inform, resent until acknowledged */
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

/* A configuration of embedded defaults (README, Configuration). */
struct cfg *cfg_defaults(void);
void cfg_free(struct cfg *c);
struct cfg *cfg_clone(const struct cfg *c);

/* Parse a document; missing keys take defaults. NULL on error (err filled). */
struct cfg *cfg_parse(const char *text, size_t len, struct cfg_error *err);
/* Read and parse a file, refusing files over CFG_MAX_FILE_BYTES without reading them. */
struct cfg *cfg_load(const char *path, struct cfg_error *err);
/* Checks that span keys (unique scanner names, ...); changes nothing. Run by cfg_parse;
 * writers call it on a changed copy. */
int cfg_validate(struct cfg *c, struct cfg_error *err);
/* NTP enabled with no servers takes the vendor's (pool.ntp.org, clock.isc.org,
 * time.nist.gov), written into c so that they are persisted too. A step of its own where a
 * configuration is completed: cfg_parse, the REST write bodies and core_change. -1: no
 * memory. */
int cfg_fill_ntp_servers(struct cfg *c);

/* The whole configuration as a JSON document (malloc'd, caller frees). */
char *cfg_serialise(const struct cfg *c);
/* The same with every secret (communities, USM passphrases) that is set written as
 * "********": what may leave the box. */
char *cfg_serialise_masked(const struct cfg *c);
/* Replaces the file atomically (atomic.h). On failure the file is exactly the old one (or
 * still absent). */
int cfg_save(const struct cfg *c, const char *path, struct cfg_error *err);

/* A save in two steps (atomic_begin): for a caller that has more to do before the change
 * counts; commit drops the old file, undo puts it back. */
#define CFG_SAVE_OLD_SUFFIX ATOMIC_OLD_SUFFIX
struct cfg_saved {
    struct atomic_save file;
};
int cfg_save_begin(const struct cfg *c, const char *path, struct cfg_saved *s,
                   struct cfg_error *err);
void cfg_save_commit(struct cfg_saved *s);
int cfg_save_undo(struct cfg_saved *s);
/* The key paths where b differs from a, comma-separated into buf (e.g. "ntp.enabled,
 * ntp.servers (0 -> 3 items)"); "" when equal. Returns the length written. */
size_t cfg_diff(const struct cfg *a, const struct cfg *b, char *buf, size_t len);

/* Keys whose change needs a restart (http.listen, snmp.mode, ...): the names of those that
 * differ between running and wanted, at most max of them; returns how many. */
size_t cfg_restart_keys(const struct cfg *running, const struct cfg *wanted, const char **keys,
                        size_t max);
/* Copies src's values of every restart key into dst: what a reload keeps. -1: no memory. */
int cfg_keep_restart_values(struct cfg *dst, const struct cfg *src);

/* The extra_flows entry of id, NULL when none; and the entries as the catalogue's extra rows
 * (cat_extra_use), for the code that builds from c. */
const struct cfg_extra_flow *cfg_extra_flow(const struct cfg *c, unsigned id);
struct cat_extra_rows cfg_extra_rows(const struct cfg *c);
/* The flows c has, in id order: the vendor's 1..20, then its extra flows; i < cfg_n_flows. */
size_t cfg_n_flows(const struct cfg *c);
unsigned cfg_flow_id(const struct cfg *c, size_t i);

/* "host", "host:port", "192.0.2.1:25", "[2001:db8::1]:25". */
int cfg_parse_peer(const char *s, struct cfg_peer *out, char *why, size_t why_len);
/* The peer as configured text, e.g. "[2001:db8::1]:25" (static buffer per call site OK). */
void cfg_peer_format(const struct cfg_peer *p, char *buf, size_t len);
bool cfg_host_valid(const char *host);

const char *cfg_snmp_mode_name(enum cfg_snmp_mode m);
const char *cfg_placement_name(enum cfg_placement p); /* "on-box", "beside" */

/* Master mode beyond loopback needs an access secret, as REST needs a token: the community
 * "public" (the default) is refused there. -1 with err
 * (CFG_ERR_VALUE, path snmp.community) when c must not run as a master agent. */
#define CFG_WELL_KNOWN_COMMUNITY "public"
int cfg_check_master_exposure(const struct cfg *c, struct cfg_error *err);

/* Changes written as JSON text other than the file (the REST write bodies, whose shapes are
 * the REST face's): each validates the result whole and returns a changed clone of base; NULL
 * on error with err->path relative to the text and the line and column in it. */
/* The object in text replaces section ("ntp"): a key it leaves out takes its default; each
 * key of required (NULL-terminated, may be NULL) must be there. */
struct cfg *cfg_with_section(const struct cfg *base, const char *section,
                             const char *const *required, const char *text, size_t len,
                             struct cfg_error *err);
/* The value in text replaces key ("updates"); with a wrapper, the text may also be an object
 * that holds the value under that one member ({"items": [...]}). */
struct cfg *cfg_with_value(const struct cfg *base, const char *key, const char *wrapper,
                           const char *text, size_t len, struct cfg_error *err);
/* One scanner added (its name must be new) or removed by name (CFG_ERR_NOT_FOUND). */
struct cfg *cfg_with_scanner(const struct cfg *base, const char *json, size_t len,
                             struct cfg_error *err);
struct cfg *cfg_without_scanner(const struct cfg *base, const char *name, struct cfg_error *err);

#endif
