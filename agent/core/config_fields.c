/* The table of configuration keys (cfgi_file) and the sub-tables of the lists of objects in
 * it: the one place a key's or a member's name, type, default, bounds, check and flags are
 * written, with the defaults that are more than a literal. The walker that reads them is
 * config_table.c. */
#include "config_check.h"
#include "config_fields.h"
#include "config_value.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The vendor's update sources (TECH85204), in this order. */
static const struct {
    const char *purpose, *host;
    uint16_t port;
} vendor_updates[] = {
    {"software", "swupdate.brightmail.com", 443},
    {"registration", "register.brightmail.com", 443},
    {"rules", "aztec.brightmail.com", 443},
    {"antivirus", "liveupdate.symantecliveupdate.com", 80},
    {"antivirus", "liveupdate.symantec.com", 80},
    {"rapid-response", "update.symantec.com", 21},
};

/* The vendor's NTP servers, filled in when NTP is enabled with none. */
static const char *const vendor_ntp_servers[] = {"pool.ntp.org", "clock.isc.org", "time.nist.gov"};

static const char *const default_allow[] = {"127.0.0.0/8", "::1/128", NULL};

/* ------------------------------------------------------------- names and checks */

static const char *role_name(unsigned v)
{
    return cat_role_name((enum smsa_role)v);
}

const char *cfg_placement_name(enum cfg_placement p)
{
    return p == PLACEMENT_BESIDE ? "beside" : "on-box";
}

static const char *placement_name(unsigned v)
{
    return cfg_placement_name((enum cfg_placement)v);
}

const char *cfg_snmp_mode_name(enum cfg_snmp_mode m)
{
    switch (m) {
    case SNMP_MODE_SUBAGENT:
        return "subagent";
    case SNMP_MODE_MASTER:
        return "master";
    case SNMP_MODE_OFF:
        return "off";
    }
    return "?";
}

static const char *mode_name(unsigned v)
{
    return cfg_snmp_mode_name((enum cfg_snmp_mode)v);
}

static const char *check_listen_opt(const char *s)
{
    return *s ? cfgi_check_listen(s) : NULL; /* "" turns REST off, like null */
}

/* The purposes are the catalogue's (cat_update_purpose), which maps each onto its flow. */
static const char *check_update_purpose(const char *s)
{
    static char why[200];
    if (cat_update_flow(s))
        return NULL;
    snprintf(why, sizeof why, "is not an update purpose (expected ");
    for (size_t i = 0; cat_update_purpose(i); i++)
        snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s",
                 !i                          ? ""
                 : cat_update_purpose(i + 1) ? ", "
                                             : " or ",
                 cat_update_purpose(i));
    snprintf(why + strlen(why), sizeof why - strlen(why), ")");
    return why;
}

/* ------------------------------------------------------------- defaults beyond a literal */

/* The short host name, when it is usable as an appliance name. */
static bool default_name(void *o, const struct field *f)
{
    struct cfg *c = o;
    char host[256];
    (void)f;
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        host[strcspn(host, ".")] = '\0';
        if (!cfgi_check_name(host))
            return (c->name = strdup(host)) != NULL;
    }
    return (c->name = strdup("smsa")) != NULL;
}

/* Without a port, an update source is checked on its flow's port (6: 443, 19: 80, 20: 21). */
static bool default_update_port(void *o, const struct field *f)
{
    struct cfg_update *u = o;
    unsigned flow = u->purpose ? cat_update_flow(u->purpose) : 0;
    (void)f;
    u->port = flow ? cat_flow(flow)->port : 0;
    return true;
}

static bool default_updates(void *o, const struct field *f)
{
    struct cfg *c = o;
    size_t n = sizeof vendor_updates / sizeof vendor_updates[0];
    (void)f;
    c->updates = calloc(n, sizeof *c->updates);
    if (!c->updates)
        return false;
    c->n_updates = n;
    for (size_t i = 0; i < n; i++) {
        c->updates[i].purpose = strdup(vendor_updates[i].purpose);
        c->updates[i].host = strdup(vendor_updates[i].host);
        c->updates[i].port = vendor_updates[i].port;
        c->updates[i].enabled = true;
        if (!c->updates[i].purpose || !c->updates[i].host)
            return false;
    }
    return true;
}

int cfg_fill_ntp_servers(struct cfg *c)
{
    if (!c->ntp_enabled || c->ntp_servers.n)
        return 0;
    size_t n = sizeof vendor_ntp_servers / sizeof vendor_ntp_servers[0];
    struct cfg_list l = {calloc(n, sizeof *l.items), 0};
    if (!l.items)
        return -1;
    for (; l.n < n; l.n++) {
        if (!(l.items[l.n].host = strdup(vendor_ntp_servers[l.n]))) {
            cfgi_list_free(&l);
            return -1;
        }
    }
    cfgi_list_free(&c->ntp_servers);
    c->ntp_servers = l;
    return 0;
}

/* ------------------------------------------------------------- the lists' items */

#define IN(T, m) offsetof(T, m)
#define TABLE(rows, T, short_key)                                                                  \
    {                                                                                              \
        rows, sizeof rows / sizeof rows[0], sizeof(T), short_key                                   \
    }

/* peers.scanners: [{"name", "host"}] */
static const struct field scanner_members[] = {
    {.path = "name",
     .type = &cfgi_t_str,
     .off = IN(struct cfg_scanner, name),
     .check = cfgi_check_name,
     .flags = F_REQUIRED},
    {.path = "host",
     .type = &cfgi_t_peer,
     .off = IN(struct cfg_scanner, peer.host),
     .n_off = IN(struct cfg_scanner, peer.port),
     .flags = F_REQUIRED},
};
static const struct ftable scanner_table = TABLE(scanner_members, struct cfg_scanner, NULL);

/* updates: [{"purpose", "host", "port", "enabled"}], the vendor's sources by default */
static const struct field update_members[] = {
    {.path = "purpose",
     .type = &cfgi_t_str,
     .off = IN(struct cfg_update, purpose),
     .check = check_update_purpose,
     .flags = F_REQUIRED},
    {.path = "host",
     .type = &cfgi_t_str,
     .off = IN(struct cfg_update, host),
     .check = cfgi_check_host,
     .flags = F_REQUIRED},
    {.path = "port",
     .type = &cfgi_t_port,
     .off = IN(struct cfg_update, port),
     .min = 1,
     .max = 65535,
     .set_default = default_update_port},
    {.path = "enabled", .type = &cfgi_t_bool, .off = IN(struct cfg_update, enabled), .def = 1},
};
static const struct ftable update_table = TABLE(update_members, struct cfg_update, NULL);

/* snmp.trap_sinks: a transport address (an SNMPv2c trap sink), or {"address", "inform"} (an
 * inform when true, resent until acknowledged) */
static const struct field trap_sink_members[] = {
    {.path = "address",
     .type = &cfgi_t_str,
     .off = IN(struct cfg_trap_sink, address),
     .check = cfgi_check_trap_sink,
     .flags = F_REQUIRED},
    {.path = "inform", .type = &cfgi_t_bool, .off = IN(struct cfg_trap_sink, inform)},
};
static const struct ftable trap_sink_table =
    TABLE(trap_sink_members, struct cfg_trap_sink, "address");

/* extra_flows: [{"id", "port", "protocol", "direction", "purpose", "check", "peers"}], rows an
 * operator adds to the published table (later versions of the appliance). The rules across
 * members and items (a check's protocol, unique ids) are validate()'s. */
static const char *proto_name(unsigned v)
{
    return cat_proto_name((enum smsa_proto)v);
}

static const char *direction_name(unsigned v)
{
    return v == DIR_NOT_APPLICABLE ? "" : cat_direction_name((enum smsa_direction)v);
}

/* every check but ftp, which no later flow needs */
static const char *check_name(unsigned v)
{
    return v == PROBE_FTP ? "" : cat_probe_kind_name((enum smsa_probe_kind)v);
}

/* Printable ASCII without quotes or backslashes: the purpose is shown in nft and iptables
 * comments, label values and SNMP strings, none of which may be broken out of. */
static const char *check_purpose(const char *s)
{
    if (!*s)
        return "is empty";
    if (strlen(s) > CFG_MAX_PURPOSE)
        return "is longer than 64 characters";
    for (const char *c = s; *c; c++)
        if (*c < ' ' || *c > '~' || *c == '"' || *c == '\'' || *c == '\\')
            return "must be printable ASCII without quotes or backslashes";
    return NULL;
}

static const struct field extra_flow_members[] = {
    {.path = "id",
     .type = &cfgi_t_uint,
     .off = IN(struct cfg_extra_flow, row.def.id),
     .min = CAT_EXTRA_MIN,
     .max = CAT_EXTRA_MAX,
     .flags = F_REQUIRED},
    {.path = "port",
     .type = &cfgi_t_port,
     .off = IN(struct cfg_extra_flow, row.def.port),
     .min = 1,
     .max = 65535,
     .flags = F_REQUIRED},
    {.path = "protocol",
     .type = &cfgi_t_enum,
     .off = IN(struct cfg_extra_flow, row.def.proto),
     .name = proto_name,
     .n_names = PROTO_UDP + 1,
     .what = "a protocol (expected tcp or udp)",
     .flags = F_REQUIRED},
    {.path = "direction",
     .type = &cfgi_t_enum,
     .off = IN(struct cfg_extra_flow, row.direction),
     .name = direction_name,
     .n_names = DIR_INBOUND + 1,
     .what = "a direction (expected inbound or outbound)",
     .flags = F_REQUIRED},
    {.path = "purpose",
     .type = &cfgi_t_str,
     .off = IN(struct cfg_extra_flow, row.def.purpose),
     .check = check_purpose,
     .flags = F_REQUIRED},
    {.path = "check",
     .type = &cfgi_t_enum,
     .off = IN(struct cfg_extra_flow, row.check),
     .name = check_name,
     .n_names = PROBE_HTTP + 1,
     .what = "a check (expected tcp, smtp, tls, http, ssh, dns, ntp or listen)",
     .flags = F_REQUIRED},
    {.path = "peers", .type = &cfgi_t_peers, .off = IN(struct cfg_extra_flow, peers)},
};
static const struct ftable extra_flow_table =
    TABLE(extra_flow_members, struct cfg_extra_flow, NULL);

/* ------------------------------------------------------------- the keys */

#define AT(m) offsetof(struct cfg, m)
#define UINT_KEY(p, m, d, lo, hi, fl)                                                              \
    {                                                                                              \
        .path = p, .type = &cfgi_t_uint, .off = AT(m), .def = d, .min = lo, .max = hi, .flags = fl \
    }
#define STR_KEY(p, m, d, chk, fl)                                                                  \
    {                                                                                              \
        .path = p, .type = &cfgi_t_str, .off = AT(m), .def_str = d, .check = chk, .flags = fl      \
    }
#define PEERS_KEY(p, m)                                                                            \
    {                                                                                              \
        .path = p, .type = &cfgi_t_peers, .off = AT(m)                                             \
    }
/* A list of objects: items at m, their count at n, members in table, at most CFG_MAX_LIST. */
#define LIST_KEY(p, m, n, table, def)                                                              \
    {                                                                                              \
        .path = p, .type = &cfgi_t_list, .off = AT(m), .n_off = AT(n), .sub = &table,              \
        .set_default = def                                                                         \
    }

/* Every key of the file, in the order cfg_serialise writes them (grouped by section). Parse,
 * defaults, serialise, clone, free, diff and the restart keys are all driven from here. */
static const struct field fields[] = {
    {.path = "appliance.name",
     .type = &cfgi_t_str,
     .off = AT(name),
     .check = cfgi_check_name,
     .set_default = default_name},
    {.path = "appliance.role",
     .type = &cfgi_t_enum,
     .off = AT(role),
     .def = ROLE_CONTROL_CENTER,
     .name = role_name,
     .n_names = ROLE_ALL_IN_ONE + 1,
     .what = "a role (expected control-center, scanner or all-in-one)"},
    /* flow 14, port 41080: disabled by default (TECH85204) */
    {.path = "appliance.http_management", .type = &cfgi_t_bool, .off = AT(http_management)},
    /* on-box: checks the local listeners; beside: connects to appliance.address from here */
    {.path = "appliance.placement",
     .type = &cfgi_t_enum,
     .off = AT(placement),
     .def = PLACEMENT_ON_BOX,
     .name = placement_name,
     .n_names = PLACEMENT_BESIDE + 1,
     .what = "a placement (expected on-box or beside)"},
    STR_KEY("appliance.address", address, NULL, cfgi_check_host, F_NULLABLE),
    {.path = "peers.control_center",
     .type = &cfgi_t_peer,
     .off = AT(control_center),
     .n_off = AT(control_center_port),
     .flags = F_NULLABLE},
    LIST_KEY("peers.scanners", scanners, n_scanners, scanner_table, NULL),
    PEERS_KEY("peers.dns_servers", dns_servers),
    PEERS_KEY("peers.ldap_servers", ldap_servers),
    PEERS_KEY("peers.internal_mail_servers", internal_mail_servers),
    PEERS_KEY("peers.internet_mail_hosts", internet_mail_hosts),
    PEERS_KEY("peers.management_hosts", management_hosts),
    {.path = "ntp.enabled", .type = &cfgi_t_bool, .off = AT(ntp_enabled)},
    PEERS_KEY("ntp.servers", ntp_servers),
    /* the clock is degraded beyond this offset (a day at most: more is a typo) */
    UINT_KEY("ntp.max_offset_ms", ntp_max_offset_ms, 1000, 1, 86400000, 0),
    LIST_KEY("updates", updates, n_updates, update_table, default_updates),
    /* at most one entry per id (101-999) */
    {.path = "extra_flows",
     .type = &cfgi_t_list,
     .off = AT(extra_flows),
     .n_off = AT(n_extra_flows),
     .max = CFG_MAX_EXTRA_FLOWS,
     .sub = &extra_flow_table},
    UINT_KEY("probe.interval_ms", probe.interval_ms, 10000, 100, 3600000, 0),
    UINT_KEY("probe.timeout_ms", probe.timeout_ms, 3000, 50, 60000, 0),
    UINT_KEY("probe.fail_threshold", probe.fail_threshold, 3, 1, 100, 0),
    UINT_KEY("probe.recover_threshold", probe.recover_threshold, 1, 1, 100, 0),
    STR_KEY("probe.dns_query_name", probe.dns_query_name, ".", cfgi_check_query_name, 0),
    STR_KEY("probe.resolver", probe.resolver, NULL, cfgi_check_resolver, F_NULLABLE),
    /* as the appliance reaches its update hosts when it is set to use a proxy */
    STR_KEY("probe.http_proxy", probe.http_proxy, NULL, cfgi_check_listen, F_NULLABLE),
    /* a certificate this close to its not-after raises an event and a notification */
    UINT_KEY("tls.warn_days", tls_warn_days, 14, 1, 3650, 0),
    {.path = "snmp.mode",
     .type = &cfgi_t_enum,
     .off = AT(snmp.mode),
     .def = SNMP_MODE_SUBAGENT,
     .name = mode_name,
     .n_names = SNMP_MODE_OFF + 1,
     .what = "an SNMP mode (expected subagent, master or off)",
     .flags = F_RESTART},
    STR_KEY("snmp.agentx_socket", snmp.agentx_socket, "/var/agentx/master", cfgi_check_agentx, 0),
    STR_KEY("snmp.master_listen", snmp.master_listen, "udp:127.0.0.1:1161",
            cfgi_check_master_listen, F_RESTART),
    UINT_KEY("snmp.ping_interval_s", snmp.ping_interval_s, 5, 1, 3600, 0),
    STR_KEY("snmp.community", snmp.community, CFG_WELL_KNOWN_COMMUNITY, cfgi_check_word,
            F_NULLABLE | F_SECRET),
    STR_KEY("snmp.usm_user", snmp.usm_user, NULL, cfgi_check_word, F_NULLABLE | F_RESTART),
    STR_KEY("snmp.usm_auth_key", snmp.usm_auth_key, NULL, cfgi_check_passphrase,
            F_NULLABLE | F_RESTART | F_SECRET),
    STR_KEY("snmp.usm_priv_key", snmp.usm_priv_key, NULL, cfgi_check_passphrase,
            F_NULLABLE | F_RESTART | F_SECRET),
    LIST_KEY("snmp.trap_sinks", snmp.trap_sinks, snmp.n_trap_sinks, trap_sink_table, NULL),
    STR_KEY("snmp.trap_community", snmp.trap_community, CFG_WELL_KNOWN_COMMUNITY, cfgi_check_word,
            F_SECRET),
    UINT_KEY("snmp.notify_rate_limit", snmp.notify_rate_limit, 60, 0, 100000, 0),
    UINT_KEY("snmp.notify_queue", snmp.notify_queue, 1000, 1, 100000, 0),
    STR_KEY("http.listen", http.listen, "127.0.0.1:8161", check_listen_opt, F_NULLABLE | F_RESTART),
    STR_KEY("http.token_file", http.token_file, NULL, cfgi_check_nonempty, F_NULLABLE),
    {.path = "http.allow",
     .type = &cfgi_t_strv,
     .off = AT(http.allow),
     .n_off = AT(http.n_allow),
     .def_strv = default_allow,
     .check = cfgi_check_cidr},
    {.path = "http.server_names",
     .type = &cfgi_t_strv,
     .off = AT(http.server_names),
     .n_off = AT(http.n_server_names),
     .check = cfgi_check_host},
    STR_KEY("http.tls_cert", http.tls_cert, NULL, cfgi_check_nonempty, F_NULLABLE | F_RESTART),
    STR_KEY("http.tls_key", http.tls_key, NULL, cfgi_check_nonempty, F_NULLABLE | F_RESTART),
    UINT_KEY("http.max_connections", http.max_connections, 256, 1, 10000, F_RESTART),
    UINT_KEY("http.per_ip_connections", http.per_ip_connections, 64, 1, 10000, F_RESTART),
    UINT_KEY("http.timeout_s", http.timeout_s, 30, 1, 3600, F_RESTART),
    /* what must survive a restart (the index map); systemd's StateDirectory=smsa-agent makes it */
    STR_KEY("state_dir", state_dir, "/var/lib/smsa-agent", cfgi_check_state_dir, F_RESTART),
};

const struct ftable cfgi_file = {fields, sizeof fields / sizeof fields[0], sizeof(struct cfg),
                                 NULL};
