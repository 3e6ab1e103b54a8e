/* The table of configuration keys and the types of its fields (see config_internal.h): the
 * one place a key's name, type, default, bounds, check and flags are written. */
#include "config_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The vendor's update sources (TECH85204), in this order. */
static const struct {
    const char *purpose, *host;
    uint16_t port;
} default_updates[] = {
    {"software", "swupdate.brightmail.com", 443},
    {"registration", "register.brightmail.com", 443},
    {"rules", "aztec.brightmail.com", 443},
    {"antivirus", "liveupdate.symantecliveupdate.com", 80},
    {"antivirus", "liveupdate.symantec.com", 80},
    {"rapid-response", "update.symantec.com", 21},
};

static const char *const default_allow[] = {"127.0.0.0/8", "::1/128", NULL};

static const char *const update_purposes[] = {"software", "registration", "rules", "antivirus",
                                              "rapid-response"};

/* The objects inside lists and REST bodies; the keys of the file are in fields[] below. */
static const char *const scanner_keys[] = {"name", "host", NULL};
static const char *const update_keys[] = {"purpose", "host", "port", "enabled", NULL};
static const char *const trap_sink_keys[] = {"address", "inform", NULL};

static void scanners_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n_scanners; i++) {
        free(c->scanners[i].name);
        free(c->scanners[i].peer.host);
    }
    free(c->scanners);
    c->scanners = NULL;
    c->n_scanners = 0;
}

static void updates_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n_updates; i++) {
        free(c->updates[i].purpose);
        free(c->updates[i].host);
    }
    free(c->updates);
    c->updates = NULL;
    c->n_updates = 0;
}

/* peers.scanners: [{"name", "host"}] */

int cfgi_parse_scanner(struct pctx *p, json_t *o, struct cfg_scanner *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    if (cfgi_want_object(p, o, scanner_keys) < 0)
        return -1;
    for (const char *const *k = scanner_keys; *k; k++)
        if (!json_object_get(o, *k))
            return fail(p, "missing key \"%s\" (a scanner has a name and a host)", *k);
    v = cfgi_enter(p, o, "name", &old);
    if (cfgi_string_value(p, v, cfgi_check_name, &s) < 0)
        return -1;
    if (!(out->name = strdup(s)))
        return cfgi_oom(p);
    jpos_path_pop(&p->path, old);
    v = cfgi_enter(p, o, "host", &old);
    if (cfgi_peer_value(p, v, &out->peer) < 0)
        return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

static int scanners_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    (void)f;
    if (cfgi_want_array(p, v) < 0)
        return -1;
    struct cfg tmp = {.scanners = calloc(json_array_size(v) + 1, sizeof *tmp.scanners)};
    if (!tmp.scanners)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        tmp.n_scanners++; /* counted before filling, so a half-built entry is freed too */
        if (cfgi_parse_scanner(p, item, &tmp.scanners[i]) < 0) {
            scanners_free(&tmp);
            return -1;
        }
        jpos_path_pop(&p->path, o);
    }
    scanners_free(c);
    c->scanners = tmp.scanners;
    c->n_scanners = tmp.n_scanners;
    return 0;
}

static json_t *scanners_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->n_scanners; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:o}", "name", c->scanners[i].name, "host",
                         cfgi_peer_json(c->scanners[i].peer.host, c->scanners[i].peer.port)));
    return a;
}

static bool scanners_default(struct cfg *c, const struct field *f)
{
    (void)f;
    c->scanners = NULL;
    c->n_scanners = 0;
    return true;
}

static bool scanners_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    d->scanners = cfgi_dup_array(c->scanners, c->n_scanners, sizeof *c->scanners, &ok);
    d->n_scanners = d->scanners ? c->n_scanners : 0;
    for (size_t i = 0; i < d->n_scanners; i++) {
        d->scanners[i].name = cfgi_dup_opt(c->scanners[i].name, &ok);
        d->scanners[i].peer.host = cfgi_dup_opt(c->scanners[i].peer.host, &ok);
    }
    return ok;
}

static void scanners_release(struct cfg *c, const struct field *f)
{
    (void)f;
    scanners_free(c);
}

static const struct ftype t_scanners = {scanners_read, scanners_write, scanners_default,
                                        scanners_copy, scanners_release};

/* updates: [{"purpose", "host", "port", "enabled"}], the vendor's sources by default */

static int parse_update(struct pctx *p, json_t *o, struct cfg_update *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    char shown[96];
    size_t k;
    if (cfgi_want_object(p, o, update_keys) < 0)
        return -1;
    if (!json_object_get(o, "purpose"))
        return fail(p, "missing key \"purpose\"");
    if (!json_object_get(o, "host"))
        return fail(p, "missing key \"host\"");
    v = cfgi_enter(p, o, "purpose", &old);
    if (cfgi_string_value(p, v, NULL, &s) < 0)
        return -1;
    for (k = 0; k < sizeof update_purposes / sizeof update_purposes[0]; k++)
        if (!strcmp(s, update_purposes[k]))
            break;
    if (k == sizeof update_purposes / sizeof update_purposes[0])
        return fail(p,
                    "%s is not an update purpose (expected software, registration, rules, "
                    "antivirus or rapid-response)",
                    cfgi_quote(s, shown, sizeof shown));
    if (!(out->purpose = strdup(s)))
        return cfgi_oom(p);
    jpos_path_pop(&p->path, old);
    if (cfgi_read_member(p, o, "host", cfgi_host_member, &out->host) < 0)
        return -1;
    /* Without a port, the source is checked on its flow's port (6: 443, 19: 80, 20: 21). */
    out->port = cat_flow(cat_update_flow(out->purpose))->port;
    out->enabled = true;
    unsigned port = out->port;
    if ((v = cfgi_enter(p, o, "port", &old))) {
        if (!json_is_integer(v))
            return cfgi_fail_type(p, v, "an integer");
        json_int_t n = json_integer_value(v);
        if (n < 1 || n > 65535)
            return fail(p, "%" JSON_INTEGER_FORMAT " is out of range (1..65535)", n);
        port = (unsigned)n;
        jpos_path_pop(&p->path, old);
    }
    out->port = (uint16_t)port;
    return cfgi_read_member(p, o, "enabled", cfgi_bool_member, &out->enabled);
}

static int updates_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    (void)f;
    if (cfgi_want_array(p, v) < 0)
        return -1;
    struct cfg tmp = {.updates = calloc(json_array_size(v) + 1, sizeof *tmp.updates)};
    if (!tmp.updates)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        tmp.n_updates++;
        if (parse_update(p, item, &tmp.updates[i]) < 0) {
            updates_free(&tmp);
            return -1;
        }
        jpos_path_pop(&p->path, o);
    }
    updates_free(c);
    c->updates = tmp.updates;
    c->n_updates = tmp.n_updates;
    return 0;
}

static json_t *updates_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->n_updates; i++)
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:i, s:b}", "purpose", c->updates[i].purpose,
                                        "host", c->updates[i].host, "port", (int)c->updates[i].port,
                                        "enabled", c->updates[i].enabled));
    return a;
}

static bool updates_default(struct cfg *c, const struct field *f)
{
    size_t n = sizeof default_updates / sizeof default_updates[0];
    (void)f;
    c->updates = calloc(n, sizeof *c->updates);
    if (!c->updates)
        return false;
    c->n_updates = n;
    for (size_t i = 0; i < n; i++) {
        c->updates[i].purpose = strdup(default_updates[i].purpose);
        c->updates[i].host = strdup(default_updates[i].host);
        c->updates[i].port = default_updates[i].port;
        c->updates[i].enabled = true;
        if (!c->updates[i].purpose || !c->updates[i].host)
            return false;
    }
    return true;
}

static bool updates_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    d->updates = cfgi_dup_array(c->updates, c->n_updates, sizeof *c->updates, &ok);
    d->n_updates = d->updates ? c->n_updates : 0;
    for (size_t i = 0; i < d->n_updates; i++) {
        d->updates[i].purpose = cfgi_dup_opt(c->updates[i].purpose, &ok);
        d->updates[i].host = cfgi_dup_opt(c->updates[i].host, &ok);
    }
    return ok;
}

static void updates_release(struct cfg *c, const struct field *f)
{
    (void)f;
    updates_free(c);
}

static const struct ftype t_updates = {updates_read, updates_write, updates_default, updates_copy,
                                       updates_release};

/* snmp.trap_sinks: each entry is a transport address (an SNMPv2c trap) or an object
 * {"address": ..., "inform": true|false} (an inform when true, resent until acknowledged). */

static int trap_sinks_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i, n = 0;
    json_t *item;
    (void)f;
    if (cfgi_want_array(p, v) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    bool *inform = calloc(json_array_size(v) + 1, sizeof *inform);
    if (!l || !inform) {
        free(l);
        free(inform);
        return cfgi_oom(p);
    }
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i), ko = 0;
        const char *s;
        json_t *a = item;
        if (json_is_object(item)) {
            if (cfgi_want_object(p, item, trap_sink_keys) < 0 ||
                cfgi_read_member(p, item, "inform", cfgi_bool_member, &inform[n]) < 0)
                goto fail;
            if (!(a = cfgi_enter(p, item, "address", &ko))) {
                fail(p, "missing key \"address\" (a sink object has an address and inform)");
                goto fail;
            }
        }
        if (cfgi_string_value(p, a, cfgi_check_trap_sink, &s) < 0)
            goto fail;
        if (!(l[n] = strdup(s))) {
            cfgi_oom(p);
            goto fail;
        }
        n++;
        if (a != item)
            jpos_path_pop(&p->path, ko);
        jpos_path_pop(&p->path, o);
    }
    cfgi_strv_free(&c->snmp.trap_sinks, &c->snmp.n_trap_sinks);
    free(c->snmp.trap_sink_inform);
    c->snmp.trap_sinks = l;
    c->snmp.trap_sink_inform = inform;
    c->snmp.n_trap_sinks = n;
    return 0;
fail:
    cfgi_strv_free(&l, &n);
    free(inform);
    return -1;
}

/* A trap sink as written: its address, or {"address", "inform": true} for an inform. */
static json_t *trap_sinks_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->snmp.n_trap_sinks; i++)
        json_array_append_new(
            a, c->snmp.trap_sink_inform && c->snmp.trap_sink_inform[i]
                   ? json_pack("{s:s, s:b}", "address", c->snmp.trap_sinks[i], "inform", 1)
                   : json_string(c->snmp.trap_sinks[i]));
    return a;
}

static bool trap_sinks_default(struct cfg *c, const struct field *f)
{
    (void)f;
    c->snmp.trap_sinks = NULL;
    c->snmp.trap_sink_inform = NULL;
    c->snmp.n_trap_sinks = 0;
    return true;
}

static bool trap_sinks_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    cfgi_strv_copy(&d->snmp.trap_sinks, &d->snmp.n_trap_sinks, c->snmp.trap_sinks,
                   c->snmp.n_trap_sinks, &ok);
    d->snmp.trap_sink_inform = NULL;
    if (c->snmp.trap_sink_inform && d->snmp.n_trap_sinks)
        d->snmp.trap_sink_inform =
            cfgi_dup_array(c->snmp.trap_sink_inform, d->snmp.n_trap_sinks, sizeof(bool), &ok);
    return ok;
}

static void trap_sinks_release(struct cfg *c, const struct field *f)
{
    (void)f;
    cfgi_strv_free(&c->snmp.trap_sinks, &c->snmp.n_trap_sinks);
    free(c->snmp.trap_sink_inform);
    c->snmp.trap_sink_inform = NULL;
}

static const struct ftype t_trap_sinks = {trap_sinks_read, trap_sinks_write, trap_sinks_default,
                                          trap_sinks_copy, trap_sinks_release};

/* ------------------------------------------------------------- the keys */

static const char *role_name(unsigned v)
{
    return cat_role_name((enum smsa_role)v);
}

static const char *placement_name(unsigned v)
{
    return cfg_placement_name((enum cfg_placement)v);
}

static const char *mode_name(unsigned v)
{
    return cfg_snmp_mode_name((enum cfg_snmp_mode)v);
}

/* The short host name, when it is usable as an appliance name. */
static bool default_name(struct cfg *c, const struct field *f)
{
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

static const char *check_listen_opt(const char *s)
{
    return *s ? cfgi_check_listen(s) : NULL; /* "" turns REST off, like null */
}

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
    {.path = "peers.scanners", .type = &t_scanners},
    PEERS_KEY("peers.dns_servers", dns_servers),
    PEERS_KEY("peers.ldap_servers", ldap_servers),
    PEERS_KEY("peers.internal_mail_servers", internal_mail_servers),
    PEERS_KEY("peers.internet_mail_hosts", internet_mail_hosts),
    PEERS_KEY("peers.management_hosts", management_hosts),
    {.path = "ntp.enabled", .type = &cfgi_t_bool, .off = AT(ntp_enabled)},
    PEERS_KEY("ntp.servers", ntp_servers),
    /* the clock is degraded beyond this offset (a day at most: more is a typo) */
    UINT_KEY("ntp.max_offset_ms", ntp_max_offset_ms, 1000, 1, 86400000, 0),
    {.path = "updates", .type = &t_updates},
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
    {.path = "snmp.trap_sinks", .type = &t_trap_sinks},
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
    STR_KEY("state_dir", state_dir, CFG_DEFAULT_STATE_DIR, cfgi_check_state_dir, F_RESTART),
};

#define N_FIELDS (sizeof fields / sizeof fields[0])

static const struct field *field_at(const char *path)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].path, path))
            return &fields[i];
    return NULL;
}

/* The length of the section part of a path ("snmp" of "snmp.mode"); 0 for a top-level key. */
static size_t section_len(const char *path)
{
    const char *dot = strchr(path, '.');
    return dot ? (size_t)(dot - path) : 0;
}

static bool same_section(const struct field *a, const struct field *b)
{
    size_t n = section_len(a->path);
    return n && n == section_len(b->path) && !strncmp(a->path, b->path, n);
}

/* The keys of the object at section (NULL: the document), in table order, NULL-terminated.
 * The document's keys are the sections and the top-level keys. */
static void keys_of(const char *section, const char **keys, char names[][32])
{
    size_t n = 0, slen = section ? strlen(section) : 0;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *path = fields[i].path;
        size_t len = section_len(path);
        if (section) {
            if (len == slen && !strncmp(path, section, slen))
                keys[n++] = path + slen + 1;
        } else if (!len) {
            keys[n++] = path;
        } else if (!i || !same_section(&fields[i - 1], &fields[i])) {
            snprintf(names[n], sizeof names[n], "%.*s", (int)len, path);
            keys[n] = names[n];
            n++;
        }
    }
    keys[n] = NULL;
}

static int read_field(struct pctx *p, json_t *obj, const char *key, const struct field *f,
                      struct cfg *c)
{
    size_t old = 0;
    json_t *v = cfgi_enter(p, obj, key, &old);
    if (!v)
        return 0;
    if (f->type->read(p, v, c, f) < 0)
        return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

/* An object with no key that section lacks. */
int cfgi_want_section(struct pctx *p, json_t *obj, const char *section)
{
    const char *keys[N_FIELDS + 1];
    keys_of(section, keys, NULL);
    return cfgi_want_object(p, obj, keys);
}

/* The object of one section ("snmp"), every key it has replacing its default. */
int cfgi_read_section(struct pctx *p, json_t *obj, const char *section, struct cfg *c)
{
    size_t slen = strlen(section);
    if (cfgi_want_section(p, obj, section) < 0)
        return -1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        if (section_len(f->path) == slen && !strncmp(f->path, section, slen) &&
            read_field(p, obj, f->path + slen + 1, f, c) < 0)
            return -1;
    }
    return 0;
}

/* The whole document, section by section in table order. */
int cfgi_read_document(struct pctx *p, json_t *root, struct cfg *c)
{
    const char *keys[N_FIELDS + 1];
    char names[N_FIELDS + 1][32];
    keys_of(NULL, keys, names);
    if (cfgi_want_object(p, root, keys) < 0)
        return -1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        size_t len = section_len(f->path), old = 0;
        if (!len) {
            if (read_field(p, root, f->path, f, c) < 0)
                return -1;
            continue;
        }
        if (i && same_section(&fields[i - 1], f))
            continue;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)len, f->path);
        json_t *v = cfgi_enter(p, root, name, &old);
        if (!v)
            continue;
        if (cfgi_read_section(p, v, name, c) < 0)
            return -1;
        jpos_path_pop(&p->path, old);
    }
    return 0;
}

/* The configuration as JSON; secrets as "********" when masked. */
json_t *cfgi_to_json(const struct cfg *c, bool masked)
{
    json_t *doc = json_object(), *sec = NULL;
    for (size_t i = 0; doc && i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        size_t len = section_len(f->path);
        json_t *v = masked && (f->flags & F_SECRET) && *CFIELD(c, f, char *)
                        ? json_string("********")
                        : f->type->write(c, f);
        if (len && (!i || !same_section(&fields[i - 1], f))) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)len, f->path);
            sec = json_object();
            if (json_object_set_new(doc, name, sec) < 0)
                sec = NULL;
        }
        json_t *into = len ? sec : doc;
        if (!v || !into) {
            json_decref(v);
            json_decref(doc);
            return NULL;
        }
        if (json_object_set_new(into, f->path + (len ? len + 1 : 0), v) < 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

/* Each number within its bounds (a copy changed in memory may not be). */
int cfgi_check_numbers(struct pctx *p, const struct cfg *c)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        unsigned v = f->type == &cfgi_t_uint ? *CFIELD(c, f, unsigned) : 0;
        if (f->type == &cfgi_t_uint && (v < f->min || v > f->max)) {
            jpos_path_key(&p->path, f->path);
            return fail(p, "%u is out of range (%u..%u)", v, f->min, f->max);
        }
    }
    return 0;
}

/* Every key of section back to its default; -1: no memory. */
int cfgi_reset_section(struct cfg *c, const char *section)
{
    size_t slen = strlen(section);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        if (section_len(f->path) != slen || strncmp(f->path, section, slen))
            continue;
        f->type->release(c, f);
        if (!(f->set_default ? f->set_default : f->type->set_default)(c, f))
            return -1;
    }
    return 0;
}

/* The value v (p's path at it) as the key at path. */
int cfgi_read_key(struct pctx *p, json_t *v, struct cfg *c, const char *path)
{
    const struct field *f = field_at(path);
    if (!f)
        return fail(p, "no configuration key %s", path);
    return f->type->read(p, v, c, f);
}

void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < N_FIELDS; i++)
        fields[i].type->release(c, &fields[i]);
    free(c);
}

struct cfg *cfg_clone(const struct cfg *c)
{
    bool ok = true;
    struct cfg *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = *c;
    /* every field is copied, even after a failure, so that d shares no pointer with c */
    for (size_t i = 0; i < N_FIELDS; i++)
        ok = fields[i].type->copy(d, c, &fields[i]) && ok;
    if (!ok) {
        cfg_free(d);
        return NULL;
    }
    return d;
}

struct cfg *cfg_defaults(void)
{
    bool ok = true;
    struct cfg *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        ok = (f->set_default ? f->set_default : f->type->set_default)(c, f) && ok;
    }
    if (!ok) {
        cfg_free(c);
        return NULL;
    }
    return c;
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

/* ------------------------------------------------------------- restart keys */

/* Compared as written, so a list is equal when every item is. */
static bool field_equal(const struct cfg *a, const struct cfg *b, const struct field *f)
{
    json_t *x = f->type->write(a, f), *y = f->type->write(b, f);
    bool eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

size_t cfg_restart_keys(const struct cfg *running, const struct cfg *wanted, const char **keys,
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < N_FIELDS; i++)
        if ((fields[i].flags & F_RESTART) && !field_equal(running, wanted, &fields[i]) && n < max)
            keys[n++] = fields[i].path;
    return n;
}

int cfg_keep_restart_values(struct cfg *dst, const struct cfg *src)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        if (!(f->flags & F_RESTART) || field_equal(dst, src, f))
            continue;
        f->type->release(dst, f);
        if (!f->type->copy(dst, src, f))
            return -1;
    }
    return 0;
}

const char *cfg_placement_name(enum cfg_placement p)
{
    return p == PLACEMENT_BESIDE ? "beside" : "on-box";
}
