/* The configuration file (README "Configuration"): defaults, errors with key path and line, round
 * trip, atomic save, and the sub-section writers used by REST. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>

#include "config.h"

#ifndef SMSA_TEST_DATA
#define SMSA_TEST_DATA "tests/core/data"
#endif

/* ------------------------------------------------------------- helpers */

static struct cfg *parse(const char *text, struct cfg_error *err)
{
    return cfg_parse(text, strlen(text), err);
}

static struct cfg *parse_ok(const char *text)
{
    struct cfg_error err;
    struct cfg *c = parse(text, &err);
    if (!c)
        fail_msg("unexpected error: %s (line %d)", err.message, err.line);
    return c;
}

/* The builders as the REST face calls them for PUT /api/v1/ntp and PUT /api/v1/updates
 * (agent/http/http_bodies.c owns those shapes). */
static struct cfg *cfg_with_ntp(const struct cfg *base, const char *json, size_t len,
                                struct cfg_error *err)
{
    static const char *const required[] = {"enabled", NULL};
    return cfg_with_section(base, "ntp", required, json, len, err);
}

static struct cfg *cfg_with_updates(const struct cfg *base, const char *json, size_t len,
                                    struct cfg_error *err)
{
    return cfg_with_value(base, "updates", "items", json, len, err);
}

/* A fresh empty folder under TMPDIR; removed by rm_tree. */
static char *temp_dir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    size_t len = strlen(base) + 32;
    char *dir = malloc(len);
    if (!dir) {
        fail_msg("out of memory");
        return NULL;
    }
    snprintf(dir, len, "%s/smsa-cfg-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[PATH_MAX];
    chmod(dir, 0700);
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) < 0)
            rm_tree(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, CFG_MAX_FILE_BYTES + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, CFG_MAX_FILE_BYTES, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void assert_list_equal(const struct cfg_list *a, const struct cfg_list *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->items[i].host, b->items[i].host);
        assert_int_equal(a->items[i].port, b->items[i].port);
    }
}

static void assert_strv_equal(char **a, size_t na, char **b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_string_equal(a[i], b[i]);
}

static void assert_opt_equal(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

/* Field by field, so a round trip that loses anything shows which field. */
static void assert_cfg_equal(const struct cfg *a, const struct cfg *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->role, b->role);
    assert_int_equal(a->http_management, b->http_management);
    assert_opt_equal(a->control_center, b->control_center);
    assert_int_equal(a->control_center_port, b->control_center_port);
    assert_int_equal(a->n_scanners, b->n_scanners);
    for (size_t i = 0; i < a->n_scanners; i++) {
        assert_string_equal(a->scanners[i].name, b->scanners[i].name);
        assert_string_equal(a->scanners[i].peer.host, b->scanners[i].peer.host);
        assert_int_equal(a->scanners[i].peer.port, b->scanners[i].peer.port);
    }
    assert_list_equal(&a->dns_servers, &b->dns_servers);
    assert_list_equal(&a->ldap_servers, &b->ldap_servers);
    assert_list_equal(&a->internal_mail_servers, &b->internal_mail_servers);
    assert_list_equal(&a->internet_mail_hosts, &b->internet_mail_hosts);
    assert_list_equal(&a->management_hosts, &b->management_hosts);
    assert_int_equal(a->ntp_enabled, b->ntp_enabled);
    assert_list_equal(&a->ntp_servers, &b->ntp_servers);
    assert_int_equal(a->ntp_max_offset_ms, b->ntp_max_offset_ms);
    assert_int_equal(a->tls_warn_days, b->tls_warn_days);
    if (a->probe.http_proxy || b->probe.http_proxy)
        assert_string_equal(a->probe.http_proxy, b->probe.http_proxy);
    assert_int_equal(a->n_updates, b->n_updates);
    for (size_t i = 0; i < a->n_updates; i++) {
        assert_string_equal(a->updates[i].purpose, b->updates[i].purpose);
        assert_string_equal(a->updates[i].host, b->updates[i].host);
        assert_int_equal(a->updates[i].port, b->updates[i].port);
        assert_int_equal(a->updates[i].enabled, b->updates[i].enabled);
    }
    assert_int_equal(a->probe.interval_ms, b->probe.interval_ms);
    assert_int_equal(a->probe.timeout_ms, b->probe.timeout_ms);
    assert_int_equal(a->probe.fail_threshold, b->probe.fail_threshold);
    assert_int_equal(a->probe.recover_threshold, b->probe.recover_threshold);
    assert_opt_equal(a->probe.dns_query_name, b->probe.dns_query_name);
    assert_opt_equal(a->probe.resolver, b->probe.resolver);
    assert_int_equal(a->snmp.mode, b->snmp.mode);
    assert_opt_equal(a->snmp.agentx_socket, b->snmp.agentx_socket);
    assert_opt_equal(a->snmp.master_listen, b->snmp.master_listen);
    assert_int_equal(a->snmp.ping_interval_s, b->snmp.ping_interval_s);
    assert_opt_equal(a->snmp.community, b->snmp.community);
    assert_opt_equal(a->snmp.usm_user, b->snmp.usm_user);
    assert_opt_equal(a->snmp.usm_auth_key, b->snmp.usm_auth_key);
    assert_opt_equal(a->snmp.usm_priv_key, b->snmp.usm_priv_key);
    assert_int_equal(a->snmp.n_trap_sinks, b->snmp.n_trap_sinks);
    for (size_t i = 0; i < a->snmp.n_trap_sinks; i++) {
        assert_string_equal(a->snmp.trap_sinks[i].address, b->snmp.trap_sinks[i].address);
        assert_int_equal(a->snmp.trap_sinks[i].inform, b->snmp.trap_sinks[i].inform);
    }
    assert_opt_equal(a->snmp.trap_community, b->snmp.trap_community);
    assert_int_equal(a->snmp.notify_rate_limit, b->snmp.notify_rate_limit);
    assert_int_equal(a->snmp.notify_queue, b->snmp.notify_queue);
    assert_opt_equal(a->http.listen, b->http.listen);
    assert_opt_equal(a->http.token_file, b->http.token_file);
    assert_strv_equal(a->http.allow, a->http.n_allow, b->http.allow, b->http.n_allow);
    assert_strv_equal(a->http.server_names, a->http.n_server_names, b->http.server_names,
                      b->http.n_server_names);
    assert_opt_equal(a->http.tls_cert, b->http.tls_cert);
    assert_opt_equal(a->http.tls_key, b->http.tls_key);
    assert_int_equal(a->http.max_connections, b->http.max_connections);
    assert_int_equal(a->http.per_ip_connections, b->http.per_ip_connections);
    assert_int_equal(a->http.timeout_s, b->http.timeout_s);
    assert_opt_equal(a->state_dir, b->state_dir);
}

/* Every key set away from its default, in every syntax a peer may take. */
static const char rich_doc[] =
    "{\n"
    "  \"appliance\": {\"name\": \"aio-1\", \"role\": \"all-in-one\", \"http_management\": true},\n"
    "  \"peers\": {\n"
    "    \"control_center\": \"[2001:db8::1]:41002\",\n"
    "    \"scanners\": [\n"
    "      {\"name\": \"s1\", \"host\": \"scanner1.example.net\"},\n"
    "      {\"name\": \"s_2.b\", \"host\": \"192.0.2.7:41002\"},\n"
    "      {\"name\": \"s3\", \"host\": \"2001:db8::7\"}\n"
    "    ],\n"
    "    \"dns_servers\": [\"192.0.2.53\", \"[2001:db8::53]:5353\", \"ns.example.net.\"],\n"
    "    \"ldap_servers\": [\"ldap.example.net:3389\"],\n"
    "    \"internal_mail_servers\": [\"mx1.example.net\"],\n"
    "    \"internet_mail_hosts\": [\"192.0.2.25:2525\"],\n"
    "    \"management_hosts\": [\"admin.example.net\"]\n"
    "  },\n"
    "  \"ntp\": {\"enabled\": true, \"servers\": [\"ntp1.example.net\", \"192.0.2.123:1123\"],\n"
    "          \"max_offset_ms\": 250},\n"
    "  \"updates\": [{\"purpose\": \"rules\", \"host\": \"mirror.example.net\", \"port\": 8443,"
    " \"enabled\": false}],\n"
    "  \"probe\": {\"interval_ms\": 5000, \"timeout_ms\": 4999, \"fail_threshold\": 100,\n"
    "            \"recover_threshold\": 2, \"dns_query_name\": \"example.net\",\n"
    "            \"resolver\": \"192.0.2.1:53,[2001:db8::53]\",\n"
    "            \"http_proxy\": \"proxy.example.net:3128\"},\n"
    "  \"tls\": {\"warn_days\": 30},\n"
    "  \"snmp\": {\"mode\": \"master\", \"agentx_socket\": \"tcp:127.0.0.1:705\",\n"
    "           \"master_listen\": \"udp6:[::1]:1161\", \"ping_interval_s\": 3600,\n"
    "           \"community\": null, \"usm_user\": \"monitor\", \"usm_auth_key\": "
    "\"auth-pass-1\",\n"
    "           \"usm_priv_key\": \"priv-pass-1\", \"trap_sinks\": [\"udp:192.0.2.9:162\", "
    "\"nms.example.net\"],\n"
    "           \"trap_community\": \"traps\", \"notify_rate_limit\": 0, \"notify_queue\": "
    "100000},\n"
    "  \"http\": {\"listen\": \"[::1]:8443\", \"token_file\": \"/etc/smsa-agent/token\",\n"
    "           \"allow\": [\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.1\"],\n"
    "           \"tls_cert\": \"/etc/ssl/c.pem\", \"tls_key\": \"/etc/ssl/k.pem\",\n"
    "           \"max_connections\": 10000, \"per_ip_connections\": 1, \"timeout_s\": 1}\n"
    "}\n";

/* ------------------------------------------------------------- defaults */

static void test_defaults(void **state)
{
    (void)state;
    struct cfg *c = cfg_defaults();
    char host[256] = "";
    assert_non_null(c);

    /* The short host name, or "smsa" when there is none. */
    if (gethostname(host, sizeof host) == 0 && host[0] && host[0] != '.') {
        host[strcspn(host, ".")] = '\0';
        assert_string_equal(c->name, host);
    } else {
        assert_string_equal(c->name, "smsa");
    }
    assert_int_equal(c->role, ROLE_CONTROL_CENTER);
    assert_false(c->http_management);

    assert_null(c->control_center);
    assert_int_equal(c->control_center_port, 0);
    assert_int_equal(c->n_scanners, 0);
    assert_int_equal(c->dns_servers.n, 0);
    assert_int_equal(c->ldap_servers.n, 0);
    assert_int_equal(c->internal_mail_servers.n, 0);
    assert_int_equal(c->internet_mail_hosts.n, 0);
    assert_int_equal(c->management_hosts.n, 0);

    assert_false(c->ntp_enabled);
    assert_int_equal(c->ntp_servers.n, 0);

    static const struct {
        const char *purpose, *host;
        uint16_t port;
    } want[] = {
        {"software", "swupdate.brightmail.com", 443},
        {"registration", "register.brightmail.com", 443},
        {"rules", "aztec.brightmail.com", 443},
        {"antivirus", "liveupdate.symantecliveupdate.com", 80},
        {"antivirus", "liveupdate.symantec.com", 80},
        {"rapid-response", "update.symantec.com", 21},
    };
    assert_int_equal(c->n_updates, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(c->updates[i].purpose, want[i].purpose);
        assert_string_equal(c->updates[i].host, want[i].host);
        assert_int_equal(c->updates[i].port, want[i].port);
        assert_true(c->updates[i].enabled);
    }

    assert_int_equal(c->ntp_max_offset_ms, 1000); /* the clock's bound */
    assert_int_equal(c->tls_warn_days, 14);       /* a certificate's warning */
    assert_null(c->probe.http_proxy);             /* the update hosts are reached directly */
    assert_int_equal(c->probe.interval_ms, 10000);
    assert_int_equal(c->probe.timeout_ms, 3000);
    assert_int_equal(c->probe.fail_threshold, 3);
    assert_int_equal(c->probe.recover_threshold, 1);
    assert_string_equal(c->probe.dns_query_name, ".");
    assert_null(c->probe.resolver);

    assert_int_equal(c->snmp.mode, SNMP_MODE_SUBAGENT);
    assert_string_equal(c->snmp.agentx_socket, "/var/agentx/master");
    assert_string_equal(c->snmp.master_listen, "udp:127.0.0.1:1161");
    assert_int_equal(c->snmp.ping_interval_s, 5);
    assert_string_equal(c->snmp.community, "public");
    assert_null(c->snmp.usm_user);
    assert_null(c->snmp.usm_auth_key);
    assert_null(c->snmp.usm_priv_key);
    assert_int_equal(c->snmp.n_trap_sinks, 0);
    assert_string_equal(c->snmp.trap_community, "public");
    assert_int_equal(c->snmp.notify_rate_limit, 60);
    assert_int_equal(c->snmp.notify_queue, 1000);

    assert_string_equal(c->http.listen, "127.0.0.1:8161");
    assert_null(c->http.token_file);
    assert_int_equal(c->http.n_allow, 2);
    assert_string_equal(c->http.allow[0], "127.0.0.0/8");
    assert_string_equal(c->http.allow[1], "::1/128");
    assert_int_equal(c->http.n_server_names, 0);
    assert_null(c->http.tls_cert);
    assert_null(c->http.tls_key);
    assert_int_equal(c->http.max_connections, 256);
    assert_int_equal(c->http.per_ip_connections, 64);
    assert_int_equal(c->http.timeout_s, 30);

    /* The defaults are valid, and an empty document is exactly the defaults. */
    struct cfg_error err;
    assert_int_equal(cfg_validate(c, &err), 0);
    struct cfg *empty = parse_ok("{}");
    assert_cfg_equal(empty, c);
    cfg_free(empty);
    cfg_free(c);
}

static void test_updates_absent_or_empty(void **state)
{
    (void)state;
    struct cfg *c = parse_ok("{\"updates\": []}");
    assert_int_equal(c->n_updates, 0);
    cfg_free(c);
    c = parse_ok("{\"ntp\": {\"enabled\": false}}");
    assert_int_equal(c->n_updates, 6);
    cfg_free(c);
    /* Without a port an update source is checked on its flow's port (TECH85204). */
    c = parse_ok("{\"updates\": [{\"purpose\": \"antivirus\", \"host\": \"lu.example.net\"}]}");
    assert_int_equal(c->n_updates, 1);
    assert_int_equal(c->updates[0].port, 80);
    assert_true(c->updates[0].enabled);
    cfg_free(c);
}

static void test_nullable_and_partial(void **state)
{
    (void)state;
    struct cfg *c = parse_ok("{\"peers\": {\"control_center\": \"cc1.example.net:41002\"},\n"
                             " \"http\": {\"listen\": null},\n"
                             " \"probe\": {\"interval_ms\": 20000}}");
    assert_string_equal(c->control_center, "cc1.example.net");
    assert_int_equal(c->control_center_port, 41002);
    assert_null(c->http.listen);
    assert_int_equal(c->probe.interval_ms, 20000);
    assert_int_equal(c->probe.timeout_ms, 3000); /* untouched keys keep their default */
    assert_string_equal(c->http.allow[0], "127.0.0.0/8");
    cfg_free(c);

    c = parse_ok("{\"http\": {\"listen\": \"\"}, \"peers\": {\"control_center\": null}}");
    assert_string_equal(c->http.listen, "");
    assert_null(c->control_center);
    cfg_free(c);
}

/* ------------------------------------------------------------- round trip */

static void round_trip(const struct cfg *c)
{
    char *text = cfg_serialise(c);
    assert_non_null(text);
    size_t n = strlen(text);
    assert_true(n > 2 && text[n - 1] == '\n');
    struct cfg *back = parse_ok(text);
    assert_cfg_equal(c, back);
    char *again = cfg_serialise(back);
    assert_string_equal(text, again);
    free(again);
    free(text);
    cfg_free(back);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct cfg *d = cfg_defaults();
    round_trip(d);

    /* Every key is written, in the documented order. */
    char *text = cfg_serialise(d);
    const char *order[] = {"\"appliance\"",
                           "\"http_management\"",
                           "\"peers\"",
                           "\"control_center\"",
                           "\"management_hosts\"",
                           "\"ntp\"",
                           "\"updates\"",
                           "\"probe\"",
                           "\"resolver\"",
                           "\"snmp\"",
                           "\"usm_priv_key\"",
                           "\"notify_queue\"",
                           "\"http\"",
                           "\"tls_key\"",
                           "\"timeout_s\""};
    const char *at = text;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *next = strstr(at, order[i]);
        if (!next)
            fail_msg("%s missing or out of order", order[i]);
        at = next;
    }
    assert_non_null(strstr(text, "\n  \"appliance\": {\n    \"name\"")); /* JSON_INDENT(2) */
    free(text);
    cfg_free(d);

    struct cfg *rich = parse_ok(rich_doc);
    assert_int_equal(rich->role, ROLE_ALL_IN_ONE);
    assert_string_equal(rich->control_center, "2001:db8::1");
    assert_int_equal(rich->control_center_port, 41002);
    assert_string_equal(rich->scanners[1].peer.host, "192.0.2.7");
    assert_int_equal(rich->scanners[1].peer.port, 41002);
    assert_string_equal(rich->scanners[2].peer.host, "2001:db8::7");
    assert_int_equal(rich->scanners[2].peer.port, 0);
    assert_int_equal(rich->dns_servers.items[1].port, 5353);
    assert_int_equal(rich->ntp_max_offset_ms, 250);
    assert_int_equal(rich->tls_warn_days, 30);
    assert_string_equal(rich->probe.http_proxy, "proxy.example.net:3128");
    assert_int_equal(rich->snmp.mode, SNMP_MODE_MASTER);
    assert_null(rich->snmp.community);
    assert_int_equal(rich->ntp_servers.n, 2); /* servers given: no vendor defaults added */
    round_trip(rich);

    struct cfg *copy = cfg_clone(rich);
    assert_non_null(copy);
    assert_cfg_equal(copy, rich);
    assert_ptr_not_equal(copy->scanners, rich->scanners);
    assert_ptr_not_equal(copy->scanners[0].name, rich->scanners[0].name);
    cfg_free(rich);
    round_trip(copy); /* still whole after the original is gone */
    cfg_free(copy);
}

static void test_sample_config(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c = cfg_load(SMSA_TEST_DATA "/../../../etc/examples/smsa-agent.json", &err);
    if (!c)
        fail_msg("%s:%d:%d: %s", "etc/examples/smsa-agent.json", err.line, err.column, err.message);
    assert_int_equal(c->role, ROLE_CONTROL_CENTER);
    assert_int_equal(c->n_scanners, 2);
    assert_string_equal(c->scanners[0].peer.host, "scanner1.example.net");
    assert_string_equal(c->scanners[1].peer.host, "scanner2.example.net");
    assert_int_equal(c->dns_servers.n, 1);
    assert_string_equal(c->dns_servers.items[0].host, "192.0.2.53");
    assert_int_equal(c->snmp.mode, SNMP_MODE_SUBAGENT);
    cfg_free(c);
}

/* The configuration installed to /etc: it starts probing nothing beyond the box (no peers,
 * the vendor's update sources listed but disabled) until the operator fills it in. */
static void test_installed_config_is_quiet(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c = cfg_load(SMSA_TEST_DATA "/../../../etc/smsa-agent.json", &err);
    if (!c)
        fail_msg("%s:%d:%d: %s", "etc/smsa-agent.json", err.line, err.column, err.message);
    assert_null(c->control_center);
    assert_int_equal(c->n_scanners, 0);
    const struct cfg_list *lists[] = {&c->dns_servers,           &c->ldap_servers,
                                      &c->internal_mail_servers, &c->internet_mail_hosts,
                                      &c->management_hosts,      &c->ntp_servers};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        assert_int_equal(lists[i]->n, 0);
    assert_false(c->ntp_enabled);
    assert_int_equal(c->n_updates, 6);
    for (size_t i = 0; i < c->n_updates; i++)
        assert_false(c->updates[i].enabled);
    assert_string_equal(c->http.listen, "127.0.0.1:8161");
    cfg_free(c);
}

/* ------------------------------------------------------------- invalid documents */

struct bad_case {
    const char *what;
    const char *text;
    enum cfg_error_kind kind;
    const char *path;
    int line, column; /* column 0: not checked */
    const char *says; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    {"not JSON", "{\n  \"appliance\": {\n    \"name\": \"cc1\",\n  }\n}\n", CFG_ERR_SYNTAX, "", 4,
     3, "not valid JSON"},
    {"not JSON at all", "this is not json", CFG_ERR_SYNTAX, "", 1, 4, "expected"},
    {"duplicate key", "{\n  \"ntp\": {},\n  \"ntp\": {}\n}\n", CFG_ERR_SYNTAX, "", 3, 0,
     "duplicate"},
    {"not an object", "\n[1, 2]\n", CFG_ERR_VALUE, "", 2, 1, "expected an object, got an array"},
    {"unknown top key", "{\n  \"appliance\": {},\n  \"bogus\": 1\n}\n", CFG_ERR_VALUE, "bogus", 3,
     3, "unknown key"},
    {"unknown nested key",
     "{\n  \"probe\": {\n    \"interval_ms\": 5000,\n    \"intervall\": 1\n  }\n}\n", CFG_ERR_VALUE,
     "probe.intervall", 4, 5, "expected one of: interval_ms, timeout_ms"},
    {"unknown key in a scanner",
     "{\"peers\": {\"scanners\": [\n  {\"name\": \"a\", \"host\": \"a.example\"},\n"
     "  {\"name\": \"b\", \"host\": \"b.example\", \"port\": 1}]}}",
     CFG_ERR_VALUE, "peers.scanners[1].port", 3, 38, "unknown key"},
    {"role of the wrong type", "{\n  \"appliance\": {\n    \"role\": 3\n  }\n}\n", CFG_ERR_VALUE,
     "appliance.role", 3, 13, "expected a string, got an integer (3)"},
    {"bad role word", "{\n  \"appliance\": {\n    \"role\": \"manager\"\n  }\n}\n", CFG_ERR_VALUE,
     "appliance.role", 3, 13, "\"manager\" is not a role (expected control-center"},
    {"http_management not a boolean", "{\"appliance\": {\n\"http_management\": \"yes\"}}",
     CFG_ERR_VALUE, "appliance.http_management", 2, 20, "expected true or false"},
    {"duplicate scanner names",
     "{\"peers\": {\"scanners\": [\n"
     "  {\"name\": \"s1\", \"host\": \"a.example.net\"},\n"
     "  {\"name\": \"s2\", \"host\": \"b.example.net\"},\n"
     "  {\"name\": \"s1\", \"host\": \"c.example.net\"}\n]}}\n",
     CFG_ERR_VALUE, "peers.scanners[2].name", 4, 12, "duplicate scanner name \"s1\""},
    {"port 70000 in a peer",
     "{\n  \"peers\": {\n    \"control_center\": \"cc1.example.net:70000\"}}", CFG_ERR_VALUE,
     "peers.control_center", 3, 23, "port \"70000\" (expected 1..65535)"},
    {"bad host",
     "{\"peers\": {\"scanners\": [{\"name\": \"a\", \"host\": \"a.example\"},\n"
     "  {\"name\": \"b\",\n   \"host\": \"exa mple\"}]}}",
     CFG_ERR_VALUE, "peers.scanners[1].host", 3, 12, "\"exa mple\" is not a valid host name"},
    {"IPv6 with port, no brackets", "{\"peers\": {\"dns_servers\": [\n\"[2001:db8::1]53\"]}}",
     CFG_ERR_VALUE, "peers.dns_servers[0]", 2, 1, "text after ']'"},
    {"host label too long",
     "{\"peers\": {\"ldap_servers\": "
     "[\"x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aa.example\"]}}",
     CFG_ERR_VALUE, "peers.ldap_servers[0]", 1, 29, "not a valid host name"},
    {"list of the wrong type", "{\"peers\": {\n  \"dns_servers\": \"192.0.2.53\"}}", CFG_ERR_VALUE,
     "peers.dns_servers", 2, 18, "expected an array, got a string (\"192.0.2.53\")"},
    {"bad scanner name",
     "{\"peers\": {\"scanners\": [\n {\"name\": \"scan ner\", \"host\": \"a\"}]}}", CFG_ERR_VALUE,
     "peers.scanners[0].name", 2, 11, "\"scan ner\" is not a valid name"},
    {"scanner without host", "{\"peers\": {\"scanners\": [\n  {\"name\": \"a\"}]}}", CFG_ERR_VALUE,
     "peers.scanners[0]", 2, 3, "missing key \"host\""},
    {"interval_ms 0", "{\n\"probe\": {\"interval_ms\": 0}}", CFG_ERR_VALUE, "probe.interval_ms", 2,
     26, "0 is out of range (100..3600000)"},
    {"interval_ms too big", "{\"probe\": {\n\"interval_ms\": 70000000}}", CFG_ERR_VALUE,
     "probe.interval_ms", 2, 16, "70000000 is out of range (100..3600000)"},
    {"interval_ms negative", "{\"probe\": {\n\"interval_ms\": -5}}", CFG_ERR_VALUE,
     "probe.interval_ms", 2, 16, "-5 is out of range"},
    {"interval_ms a real number", "{\"probe\": {\n\"interval_ms\": 1.5e4}}", CFG_ERR_VALUE,
     "probe.interval_ms", 2, 16, "expected an integer, got a real number"},
    {"timeout >= interval", "{\"probe\": {\n  \"interval_ms\": 2000,\n  \"timeout_ms\": 2000\n}}",
     CFG_ERR_VALUE, "probe.timeout_ms", 3, 17, "2000 must be less than probe.interval_ms (2000)"},
    {"default timeout >= interval", "{\"probe\": {\n  \"interval_ms\": 3000}}", CFG_ERR_VALUE,
     "probe.timeout_ms", 1, 11, "must be less than probe.interval_ms (3000)"},
    {"max_offset_ms 0", "{\"ntp\": {\n  \"max_offset_ms\": 0}}", CFG_ERR_VALUE, "ntp.max_offset_ms",
     2, 20, "0 is out of range (1..86400000)"},
    {"max_offset_ms negative", "{\"ntp\": {\n  \"max_offset_ms\": -5}}", CFG_ERR_VALUE,
     "ntp.max_offset_ms", 2, 20, "-5 is out of range"},
    {"http_proxy without a port", "{\"probe\": {\n  \"http_proxy\": \"proxy.example.net\"}}",
     CFG_ERR_VALUE, "probe.http_proxy", 2, 17, "has no port"},
    {"http_proxy a URL", "{\"probe\": {\n  \"http_proxy\": \"http://proxy:3128/\"}}", CFG_ERR_VALUE,
     "probe.http_proxy", 2, 17, "is not host:port"},
    {"warn_days 0", "{\"tls\": {\n  \"warn_days\": 0}}", CFG_ERR_VALUE, "tls.warn_days", 2, 16,
     "0 is out of range (1..3650)"},
    {"fail_threshold 0", "{\"probe\": {\n  \"fail_threshold\": 0}}", CFG_ERR_VALUE,
     "probe.fail_threshold", 2, 21, "0 is out of range (1..100)"},
    {"recover_threshold 0", "{\"probe\": {\n  \"recover_threshold\": 0}}", CFG_ERR_VALUE,
     "probe.recover_threshold", 2, 24, "0 is out of range (1..100)"},
    {"resolver names a host", "{\"probe\": {\n  \"resolver\": \"ns.example.net\"}}", CFG_ERR_VALUE,
     "probe.resolver", 2, 15, "resolvers must be addresses"},
    {"bad CIDR", "{\"http\": {\"allow\": [\n  \"10.0.0.0/8\",\n  \"10.0.0.0/33\"]}}", CFG_ERR_VALUE,
     "http.allow[1]", 3, 3, "\"10.0.0.0/33\" is not an address or CIDR"},
    {"server name with a space",
     "{\"http\": {\"server_names\": [\n  \"agent.example\",\n  \"bad name\"]}}", CFG_ERR_VALUE,
     "http.server_names[1]", 3, 3, "is not a valid host name or address"},
    {"bad purpose",
     "{\"updates\": [\n  {\"purpose\": \"firmware\", \"host\": \"fw.example.net\", \"port\": "
     "443}]}",
     CFG_ERR_VALUE, "updates[0].purpose", 2, 15, "\"firmware\" is not an update purpose"},
    {"updates entry missing host",
     "{\"updates\": [\n  {\"purpose\": \"rules\", \"host\": \"a.example\"},\n"
     "  {\"purpose\": \"rules\", \"port\": 443}\n]}",
     CFG_ERR_VALUE, "updates[1]", 3, 3, "missing key \"host\""},
    {"update port 0",
     "{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\",\n"
     "  \"port\": 0}]}",
     CFG_ERR_VALUE, "updates[0].port", 2, 11, "0 is out of range (1..65535)"},
    {"NUL in a string", "{\"appliance\": {\n  \"name\": \"cc\\u0000one\"}}", CFG_ERR_VALUE,
     "appliance.name", 2, 11, "\"cc\\x00one\" contains a NUL character"},
    {"snmp mode", "{\"snmp\": {\n  \"mode\": \"proxy\"}}", CFG_ERR_VALUE, "snmp.mode", 2, 11,
     "expected subagent, master or off"},
    {"agentx socket", "{\"snmp\": {\n  \"agentx_socket\": \"agentx\"}}", CFG_ERR_VALUE,
     "snmp.agentx_socket", 2, 20, "not an AgentX address"},
    {"master_listen without port", "{\"snmp\": {\n  \"master_listen\": \"udp:127.0.0.1\"}}",
     CFG_ERR_VALUE, "snmp.master_listen", 2, 20, "has no port"},
    {"community of two words", "{\"snmp\": {\n  \"community\": \"open sesame\"}}", CFG_ERR_VALUE,
     "snmp.community", 2, 16, "must be one word"},
    {"trap community with a quote", "{\"snmp\": {\n  \"trap_community\": \"a\\\"b\"}}",
     CFG_ERR_VALUE, "snmp.trap_community", 2, 21, "must be one word"},
    {"usm user of two words",
     "{\"snmp\": {\"usm_user\": \"a b\", \"usm_auth_key\": \"long enough\",\n"
     "  \"usm_priv_key\": \"long enough\"}}",
     CFG_ERR_VALUE, "snmp.usm_user", 1, 23, "must be one word"},
    {"usm key with a quote",
     "{\"snmp\": {\"usm_user\": \"m\", \"usm_auth_key\": \"long enough\",\n"
     "  \"usm_priv_key\": \"long \\\"enough\"}}",
     CFG_ERR_VALUE, "snmp.usm_priv_key", 2, 19, "must not hold quotes"},
    {"public beyond loopback in master mode",
     "{\"snmp\": {\"mode\": \"master\",\n  \"master_listen\": \"udp:0.0.0.0:1161\"}}",
     CFG_ERR_VALUE, "snmp.community", 1, 10, "refuses the well-known community"},
    {"notify_queue 0", "{\"snmp\": {\n  \"notify_queue\": 0}}", CFG_ERR_VALUE, "snmp.notify_queue",
     2, 19, "0 is out of range (1..100000)"},
    {"usm user without keys", "{\n  \"snmp\": {\"usm_user\": \"monitor\"}}", CFG_ERR_VALUE,
     "snmp.usm_auth_key", 2, 11, "must be set when snmp.usm_user is"},
    {"usm key too short",
     "{\"snmp\": {\"usm_user\": \"m\",\n \"usm_auth_key\": \"short\", \"usm_priv_key\": \"long "
     "enough\"}}",
     CFG_ERR_VALUE, "snmp.usm_auth_key", 2, 18, "shorter than 8 characters"},
    {"http listen without port", "{\"http\": {\n  \"listen\": \"localhost\"}}", CFG_ERR_VALUE,
     "http.listen", 2, 13, "has no port"},
    {"tls cert without key", "{\"http\": {\n  \"tls_cert\": \"/c.pem\"}}", CFG_ERR_VALUE,
     "http.tls_key", 1, 10, "must be set together with http.tls_cert"},
    {"section of the wrong type", "{\n  \"peers\": null}", CFG_ERR_VALUE, "peers", 2, 12,
     "expected an object, got null"},
    {"ntp server not a string", "{\"ntp\": {\"servers\": [\n  \"a.example\", 123]}}", CFG_ERR_VALUE,
     "ntp.servers[1]", 2, 16, "expected a string, got an integer (123)"},
    {"max_connections 0", "{\"http\": {\n  \"max_connections\": 0}}", CFG_ERR_VALUE,
     "http.max_connections", 2, 22, "0 is out of range (1..10000)"},
    {"placement unknown", "{\"appliance\": {\n  \"placement\": \"nearby\"}}", CFG_ERR_VALUE,
     "appliance.placement", 2, 16, "expected on-box or beside"},
    {"beside without an address", "{\"appliance\": {\n  \"placement\": \"beside\"}}", CFG_ERR_VALUE,
     "appliance.placement", 2, 16, "beside needs appliance.address"},
    {"address not a host", "{\"appliance\": {\"placement\": \"beside\",\n  \"address\": \"cc 1\"}}",
     CFG_ERR_VALUE, "appliance.address", 2, 14, "is not a valid host name or address"},
    {"scanner named like the appliance",
     "{\"appliance\": {\"name\": \"cc1\"},\n \"peers\": {\"scanners\": [\n  {\"name\": \"cc1\", "
     "\"host\": \"192.0.2.1\"}]}}",
     CFG_ERR_VALUE, "peers.scanners[0].name", 3, 12, "is also appliance.name"},
};

static void check_bad(const struct bad_case *b, const char *text, size_t len)
{
    struct cfg_error err;
    memset(&err, 0x5a, sizeof err);
    struct cfg *c = cfg_parse(text, len, &err);
    if (c) {
        cfg_free(c);
        fail_msg("%s: accepted", b->what);
    }
    if (err.kind != b->kind || strcmp(err.path, b->path) || err.line != b->line ||
        (b->column && err.column != b->column) || !strstr(err.message, b->says))
        fail_msg("%s: got kind %d path \"%s\" line %d column %d message \"%s\"; want kind %d "
                 "path \"%s\" line %d column %d message with \"%s\"",
                 b->what, err.kind, err.path, err.line, err.column, err.message, b->kind, b->path,
                 b->line, b->column, b->says);
    /* A value error's message names its path first. */
    if (err.kind == CFG_ERR_VALUE && *err.path)
        assert_int_equal(strncmp(err.message, err.path, strlen(err.path)), 0);
}

/* Beside: the placement and the appliance's address, as written and as serialised. */
static void test_placement(void **state)
{
    (void)state;
    struct cfg *c = parse_ok("{}");
    assert_int_equal(c->placement, PLACEMENT_ON_BOX);
    assert_null(c->address);
    cfg_free(c);
    c = parse_ok("{\"appliance\": {\"role\": \"scanner\", \"placement\": \"beside\", "
                 "\"address\": \"scanner1.example.net\"}}");
    assert_int_equal(c->placement, PLACEMENT_BESIDE);
    assert_string_equal(c->address, "scanner1.example.net");
    assert_string_equal(cfg_placement_name(c->placement), "beside");
    char *text = cfg_serialise(c);
    assert_non_null(strstr(text, "\"placement\": \"beside\""));
    assert_non_null(strstr(text, "\"address\": \"scanner1.example.net\""));
    struct cfg *back = parse_ok(text);
    assert_int_equal(back->placement, PLACEMENT_BESIDE);
    assert_string_equal(back->address, "scanner1.example.net");
    free(text);
    cfg_free(back);
    cfg_free(c);
    /* a Scanner's own scanners list is none of its fleet: a name clash there is harmless */
    c = parse_ok("{\"appliance\": {\"name\": \"s1\", \"role\": \"scanner\"}, \"peers\": "
                 "{\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\"}]}}");
    cfg_free(c);
}

static void test_invalid_documents(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
        check_bad(&bad_cases[i], bad_cases[i].text, strlen(bad_cases[i].text));
    assert_true(sizeof bad_cases / sizeof bad_cases[0] >= 20);
}

static void test_nested_too_deep(void **state)
{
    (void)state;
    /* 100 arrays inside peers.scanners, on line 3. */
    char text[512], path[256] = "peers.scanners";
    size_t n = (size_t)sprintf(text, "{\n\"peers\": {\"scanners\":\n");
    for (int i = 0; i < 100; i++)
        text[n++] = '[';
    for (int i = 0; i < 100; i++)
        text[n++] = ']';
    strcpy(text + n, "}}");
    /* The root is level 1, peers 2, scanners 3: level 17 is scanners' 14th nested array. */
    for (int i = 0; i < 14; i++)
        strcat(path, "[0]");
    struct bad_case b = {
        "nested 100 deep", text, CFG_ERR_VALUE, path, 3, 15, "nested deeper than 16 levels"};
    check_bad(&b, text, strlen(text));

    /* Deeper than jansson's own limit is a syntax error, not a crash. */
    size_t deep = 5000;
    char *big = malloc(2 * deep + 1);
    assert_non_null(big);
    memset(big, '[', deep);
    memset(big + deep, ']', deep);
    big[2 * deep] = '\0';
    struct cfg_error err;
    assert_null(cfg_parse(big, 2 * deep, &err));
    assert_int_equal(err.kind, CFG_ERR_SYNTAX);
    assert_int_equal(err.line, 1);
    free(big);
}

static void test_too_many_entries(void **state)
{
    (void)state;
    size_t cap = 32 + (CFG_MAX_LIST + 1) * 8;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "{\"http\": {\n\"allow\": [");
    for (int i = 0; i <= CFG_MAX_LIST; i++)
        n += (size_t)sprintf(text + n, "%s\"::1\"", i ? "," : "");
    strcpy(text + n, "]}}");
    struct bad_case b = {"too many entries",
                         text,
                         CFG_ERR_VALUE,
                         "http.allow",
                         2,
                         10,
                         "has 4097 entries (at most 4096)"};
    check_bad(&b, text, strlen(text));
    free(text);
}

/* A document that is not NUL-terminated is read only up to len. */
static void test_parse_with_length(void **state)
{
    (void)state;
    const char text[] = "{\"probe\": {\"interval_ms\": 20000}}GARBAGE";
    struct cfg_error err;
    struct cfg *c = cfg_parse(text, strlen(text) - 7, &err);
    assert_non_null(c);
    assert_int_equal(c->probe.interval_ms, 20000);
    cfg_free(c);
}

/* A raw NUL byte would end jansson's input early: the rest must not be silently ignored. */
static void test_raw_nul_byte_is_a_syntax_error(void **state)
{
    (void)state;
    const char text[] = "{\"ntp\": {\"enabled\": true}\n\0, \"probe\": 7}";
    struct cfg_error err;
    assert_null(cfg_parse(text, sizeof text - 1, &err));
    assert_int_equal(err.kind, CFG_ERR_SYNTAX);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    struct cfg *base = cfg_defaults();
    assert_null(cfg_with_ntp(base, text, sizeof text - 1, &err));
    assert_int_equal(err.kind, CFG_ERR_SYNTAX);
    cfg_free(base);
}

/* ------------------------------------------------------------- files */

static void test_load_missing_file(void **state)
{
    (void)state;
    struct cfg_error err;
    char *dir = temp_dir(), path[PATH_MAX];
    snprintf(path, sizeof path, "%s/absent.json", dir);
    assert_null(cfg_load(path, &err));
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, strerror(ENOENT)));

    /* A folder is not a configuration file. */
    assert_null(cfg_load(dir, &err));
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_non_null(strstr(err.message, dir));
    rm_tree(dir);
    free(dir);
}

static void test_load_too_large(void **state)
{
    (void)state;
    struct cfg_error err;
    char *dir = temp_dir(), path[PATH_MAX];
    snprintf(path, sizeof path, "%s/huge.json", dir);

    /* 10 MB of real JSON whitespace: refused from its size alone, before any read. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char chunk[1 << 16];
    memset(chunk, ' ', sizeof chunk);
    chunk[0] = '{';
    for (size_t done = 0; done < 10u * 1024 * 1024; done += sizeof chunk) {
        assert_int_equal(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
        chunk[0] = ' ';
    }
    assert_int_equal(write(fd, "}", 1), 1);
    close(fd);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(cfg_load(path, &err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "larger than"));
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 50);

    /* One byte over the limit is refused; the limit itself is read (and parsed). */
    assert_int_equal(truncate(path, CFG_MAX_FILE_BYTES + 1), 0);
    assert_null(cfg_load(path, &err));
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_int_equal(truncate(path, CFG_MAX_FILE_BYTES - 1), 0);
    fd = open(path, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "}", 1), 1);
    close(fd);
    struct cfg *c = cfg_load(path, &err);
    assert_non_null(c);
    cfg_free(c);
    rm_tree(dir);
    free(dir);
}

/* A file's error points at the line and column of the bad value in that file. */
static void test_load_reports_line(void **state)
{
    (void)state;
    struct cfg_error err;
    assert_null(cfg_load(SMSA_TEST_DATA "/bad-scanner-host.json", &err));
    assert_int_equal(err.kind, CFG_ERR_VALUE);
    assert_string_equal(err.path, "peers.scanners[1].host");
    assert_int_equal(err.line, 6);
    assert_int_equal(err.column, 37);
    assert_string_equal(err.message,
                        "peers.scanners[1].host: expected a string, got an integer (41002)");
}

static void test_save_then_load(void **state)
{
    (void)state;
    struct cfg_error err;
    char *dir = temp_dir(), path[PATH_MAX];
    snprintf(path, sizeof path, "%s/smsa-agent.json", dir);
    struct cfg *c = parse_ok(rich_doc);
    assert_int_equal(cfg_save(c, path, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left behind */
    struct cfg *back = cfg_load(path, &err);
    assert_non_null(back);
    assert_cfg_equal(c, back);
    cfg_free(back);

    /* Saving again replaces the file whole. */
    struct cfg *d = cfg_defaults();
    assert_int_equal(cfg_save(d, path, &err), 0);
    back = cfg_load(path, &err);
    assert_non_null(back);
    assert_cfg_equal(d, back);
    assert_int_equal(count_entries(dir), 1);
    cfg_free(back);
    cfg_free(d);
    cfg_free(c);
    rm_tree(dir);
    free(dir);
}

/* Saving into a folder we may not write fails with CFG_ERR_IO and leaves the old file.
 * Root writes anywhere, so the attempt runs in a child that becomes nobody first. */
static void test_save_read_only_folder(void **state)
{
    (void)state;
    char *dir = temp_dir(), path[PATH_MAX];
    snprintf(path, sizeof path, "%s/smsa-agent.json", dir);
    write_file(path, "{\"appliance\": {\"name\": \"old\"}}\n");
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(chmod(dir, 0555), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0)) {
            free(dir);
            _exit(77);
        }
        struct cfg *c = cfg_defaults();
        struct cfg_error err;
        int rc = cfg_save(c, path, &err);
        cfg_free(c);
        free(dir);
        _exit(rc == -1 && err.kind == CFG_ERR_IO && strstr(err.message, path) &&
                      strstr(err.message, strerror(EACCES))
                  ? 0
                  : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        rm_tree(dir);
        free(dir);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    char *text = read_file(path);
    assert_string_equal(text, "{\"appliance\": {\"name\": \"old\"}}\n");
    free(text);
    assert_int_equal(count_entries(dir), 1);
    rm_tree(dir);
    free(dir);
}

/* A failure after the temporary file exists (the rename) removes it. */
static void test_save_rename_fails(void **state)
{
    (void)state;
    struct cfg_error err;
    char *dir = temp_dir(), path[PATH_MAX], inner[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/conf", dir);
    assert_int_equal(mkdir(path, 0700), 0); /* a non-empty folder cannot be renamed over */
    snprintf(inner, sizeof inner, "%s/keep", path);
    write_file(inner, "x");
    struct cfg *c = cfg_defaults();
    assert_int_equal(cfg_save(c, path, &err), -1);
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(count_entries(dir), 1);

    snprintf(path, sizeof path, "%s/no/such/folder/conf.json", dir);
    assert_int_equal(cfg_save(c, path, &err), -1);
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_non_null(strstr(err.message, strerror(ENOENT)));
    cfg_free(c);
    rm_tree(dir);
    free(dir);
}

/* A save whose change cannot be applied is taken back: the old file returns byte for byte,
 * and a file the save created goes away; a stale copy left by a crash does not stop the
 * next save. */
static void test_save_undo(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg_saved sv;
    char *dir = temp_dir(), path[PATH_MAX], stale[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/smsa-agent.json", dir);
    struct cfg *c = cfg_defaults();

    assert_int_equal(cfg_save_begin(c, path, &sv, &err), 0);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(cfg_save_undo(&sv), 0);
    assert_int_equal(count_entries(dir), 0); /* there was no file before */

    write_file(path, "{\"appliance\": {\"name\": \"old\"}}\n");
    snprintf(stale, sizeof stale, "%s" CFG_SAVE_OLD_SUFFIX, path);
    write_file(stale, "left by a crash");
    assert_int_equal(cfg_save_begin(c, path, &sv, &err), 0);
    char *text = read_file(path);
    assert_null(strstr(text, "\"old\""));
    free(text);
    assert_int_equal(cfg_save_undo(&sv), 0);
    text = read_file(path);
    assert_string_equal(text, "{\"appliance\": {\"name\": \"old\"}}\n");
    free(text);
    assert_int_equal(count_entries(dir), 1);

    assert_int_equal(cfg_save_begin(c, path, &sv, &err), 0);
    cfg_save_commit(&sv);
    assert_int_equal(count_entries(dir), 1);
    struct cfg *back = cfg_load(path, &err);
    assert_non_null(back);
    assert_cfg_equal(c, back);
    cfg_free(back);
    cfg_free(c);
    rm_tree(dir);
    free(dir);
}

/* ------------------------------------------------------------- NTP defaults */

static void test_ntp_enable_fills_defaults(void **state)
{
    (void)state;
    static const char *const vendor[] = {"pool.ntp.org", "clock.isc.org", "time.nist.gov"};
    struct cfg *c = parse_ok("{\"ntp\": {\"enabled\": true}}");
    assert_true(c->ntp_enabled);
    assert_int_equal(c->ntp_servers.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(c->ntp_servers.items[i].host, vendor[i]);
        assert_int_equal(c->ntp_servers.items[i].port, 0);
    }
    /* Filled in the configuration, so they are persisted too. */
    char *text = cfg_serialise(c);
    assert_non_null(strstr(text, "\"time.nist.gov\""));
    free(text);
    cfg_free(c);

    /* Disabled with no servers stays empty. */
    c = parse_ok("{\"ntp\": {\"enabled\": false, \"servers\": []}}");
    assert_int_equal(c->ntp_servers.n, 0);
    /* A copy changed in memory: validation changes nothing, the explicit fill step does. */
    struct cfg_error err;
    c->ntp_enabled = true;
    assert_int_equal(cfg_validate(c, &err), 0);
    assert_int_equal(c->ntp_servers.n, 0);
    assert_int_equal(cfg_fill_ntp_servers(c), 0);
    assert_int_equal(c->ntp_servers.n, 3);
    cfg_free(c);
}

static void test_validate_in_memory(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c = cfg_defaults();
    c->probe.timeout_ms = c->probe.interval_ms;
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_int_equal(err.kind, CFG_ERR_VALUE);
    assert_string_equal(err.path, "probe.timeout_ms");
    assert_int_equal(err.line, 0); /* no file to point into */
    c->probe.timeout_ms = 3000;
    c->snmp.notify_queue = 0;
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "snmp.notify_queue");
    assert_non_null(strstr(err.message, "0 is out of range (1..100000)"));
    cfg_free(c);
}

/* ------------------------------------------------------------- peers and hosts */

static void test_parse_peer(void **state)
{
    (void)state;
    static const struct {
        const char *in, *host;
        uint16_t port;
        const char *formatted;
    } good[] = {
        {"host", "host", 0, "host"},
        {"mx.example.net:25", "mx.example.net", 25, "mx.example.net:25"},
        {"192.0.2.1:25", "192.0.2.1", 25, "192.0.2.1:25"},
        {"[2001:db8::1]:25", "2001:db8::1", 25, "[2001:db8::1]:25"},
        {"2001:db8::1", "2001:db8::1", 0, "2001:db8::1"},
        {"[::1]", "::1", 0, "::1"},
        {"example.net.:65535", "example.net.", 65535, "example.net.:65535"},
    };
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"", "empty"},
        {"host:0", "port \"0\""},
        {"host:70000", "port \"70000\""},
        {"host:", "port \"\""},
        {"host:2x", "port \"2x\""},
        {"host:+25", "port \"+25\""},
        {"exa mple", "not a valid host"},
        {"[2001:db8::1", "without ']'"},
        {"[192.0.2.1]:25", "IPv6 address in brackets"},
        {"[2001:db8::1]x", "text after ']'"},
        {"2001:db8::1::2:25", "write [address]:port"},
        {"-bad.example", "not a valid host"},
    };
    struct cfg_peer p;
    char why[128], buf[300];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (cfg_parse_peer(good[i].in, &p, why, sizeof why) < 0)
            fail_msg("\"%s\" refused: %s", good[i].in, why);
        assert_string_equal(p.host, good[i].host);
        assert_int_equal(p.port, good[i].port);
        cfg_peer_format(&p, buf, sizeof buf);
        assert_string_equal(buf, good[i].formatted);
        free(p.host);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (cfg_parse_peer(bad[i].in, &p, why, sizeof why) == 0)
            fail_msg("\"%s\" accepted", bad[i].in);
        assert_null(p.host);
        if (!strstr(why, bad[i].why))
            fail_msg("\"%s\": \"%s\" does not say \"%s\"", bad[i].in, why, bad[i].why);
    }
}

static void test_host_valid(void **state)
{
    (void)state;
    char label63[64], label64[65], long_name[400];
    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'a', 64);
    label64[64] = '\0';
    /* 4 labels of 63 + 3 dots = 255 characters: too long */
    snprintf(long_name, sizeof long_name, "%s.%s.%s.%s", label63, label63, label63, label63);

    assert_true(cfg_host_valid("example.net"));
    assert_true(cfg_host_valid("example.net."));
    assert_true(cfg_host_valid("a-b.c0"));
    assert_true(cfg_host_valid("localhost"));
    assert_true(cfg_host_valid("192.0.2.1"));
    assert_true(cfg_host_valid("2001:db8::1"));
    assert_true(cfg_host_valid("::"));
    assert_true(cfg_host_valid(label63));
    long_name[253] = '\0'; /* exactly 253: allowed */
    assert_true(long_name[252] != '.' && cfg_host_valid(long_name));

    assert_false(cfg_host_valid(NULL));
    assert_false(cfg_host_valid(""));
    assert_false(cfg_host_valid("."));
    assert_false(cfg_host_valid("exa mple"));
    assert_false(cfg_host_valid("-a.example"));
    assert_false(cfg_host_valid("a-.example"));
    assert_false(cfg_host_valid("a..example"));
    assert_false(cfg_host_valid(".example"));
    assert_false(cfg_host_valid("under_score.example"));
    assert_false(cfg_host_valid(label64));
    assert_false(cfg_host_valid("192.0.2.300"));
    assert_false(cfg_host_valid("[::1]"));
    long_name[253] = 'a';
    long_name[254] = '\0'; /* 254 */
    assert_false(cfg_host_valid(long_name));
}

static void test_snmp_mode_name(void **state)
{
    (void)state;
    assert_string_equal(cfg_snmp_mode_name(SNMP_MODE_SUBAGENT), "subagent");
    assert_string_equal(cfg_snmp_mode_name(SNMP_MODE_MASTER), "master");
    assert_string_equal(cfg_snmp_mode_name(SNMP_MODE_OFF), "off");
}

/* ------------------------------------------------------------- REST writers */

static struct cfg *base_with_scanners(void)
{
    return parse_ok("{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"s1.example\"},"
                    " {\"name\": \"s2\", \"host\": \"s2.example:41002\"}]}}");
}

static void assert_unchanged(const struct cfg *base)
{
    struct cfg *fresh = base_with_scanners();
    assert_cfg_equal(base, fresh);
    cfg_free(fresh);
}

#define BODY(s) s, strlen(s)

/* The key paths a change touched, as the log names them. */
static void test_diff_names_changed_keys(void **state)
{
    (void)state;
    struct cfg_error err;
    char buf[512];
    struct cfg *base = base_with_scanners();
    struct cfg *same = cfg_clone(base);
    assert_int_equal(cfg_diff(base, same, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");

    struct cfg *next = cfg_with_ntp(base, BODY("{\"enabled\": true}"), &err);
    assert_non_null(next);
    cfg_diff(base, next, buf, sizeof(buf));
    assert_string_equal(buf, "ntp.enabled, ntp.servers (0 -> 3 items)");
    cfg_free(next);

    next = cfg_without_scanner(base, base->scanners[0].name, &err);
    assert_non_null(next);
    cfg_diff(base, next, buf, sizeof(buf));
    assert_string_equal(buf, "peers.scanners (2 -> 1 items)");
    cfg_free(next);

    /* same length: item by item; a tiny buffer ends in "..." */
    free(same->scanners[1].peer.host);
    same->scanners[1].peer.host = strdup("scanner9.example.net");
    cfg_diff(base, same, buf, sizeof(buf));
    assert_string_equal(buf, "peers.scanners[1].host");
    cfg_diff(base, same, buf, 12);
    assert_int_equal(strlen(buf), 11);
    assert_string_equal(buf + 8, "...");
    cfg_free(same);
    cfg_free(base);
}

static void test_with_ntp(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *base = base_with_scanners();

    struct cfg *next = cfg_with_ntp(base, BODY("{\"enabled\": true}"), &err);
    assert_non_null(next);
    assert_true(next->ntp_enabled);
    assert_int_equal(next->ntp_servers.n, 3);
    assert_string_equal(next->ntp_servers.items[0].host, "pool.ntp.org");
    assert_int_equal(next->n_scanners, 2); /* the rest is carried over */
    cfg_free(next);

    next =
        cfg_with_ntp(base, BODY("{\"enabled\": true, \"servers\": [\"ntp.example:1123\"]}"), &err);
    assert_non_null(next);
    assert_int_equal(next->ntp_servers.n, 1);
    assert_int_equal(next->ntp_servers.items[0].port, 1123);
    /* Absent "servers" means none, even when the base had some. */
    struct cfg *off = cfg_with_ntp(next, BODY("{\"enabled\": false}"), &err);
    assert_non_null(off);
    assert_int_equal(off->ntp_servers.n, 0);
    cfg_free(off);
    cfg_free(next);

    assert_null(cfg_with_ntp(base, BODY("{\"servers\": []}"), &err));
    assert_int_equal(err.kind, CFG_ERR_VALUE);
    assert_string_equal(err.path, "");
    assert_non_null(strstr(err.message, "missing key \"enabled\""));

    assert_null(cfg_with_ntp(base,
                             BODY("{\"enabled\": true,\n \"servers\": [\"a\", \"b\", "
                                  "\"c d\"]}"),
                             &err));
    assert_int_equal(err.kind, CFG_ERR_VALUE);
    assert_string_equal(err.path, "servers[2]");
    assert_int_equal(err.line, 2);

    assert_null(cfg_with_ntp(base, BODY("{\"enabled\": true, \"pool\": 1}"), &err));
    assert_string_equal(err.path, "pool");
    assert_non_null(strstr(err.message, "unknown key"));

    assert_null(cfg_with_ntp(base, BODY("{\"enabled\": \"yes\"}"), &err));
    assert_string_equal(err.path, "enabled");

    assert_null(cfg_with_ntp(base, BODY("{\"enabled\": true,\n"), &err));
    assert_int_equal(err.kind, CFG_ERR_SYNTAX);
    assert_int_equal(err.line, 2);
    assert_unchanged(base);
    cfg_free(base);
}

static void test_with_updates(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *base = base_with_scanners();
    const char *item = "{\"purpose\": \"rapid-response\", \"host\": \"rr.example\", \"port\": 2121,"
                       " \"enabled\": false}";
    char body[512];

    snprintf(body, sizeof body, "{\"items\": [%s]}", item);
    struct cfg *next = cfg_with_updates(base, BODY(body), &err);
    assert_non_null(next);
    assert_int_equal(next->n_updates, 1);
    assert_string_equal(next->updates[0].purpose, "rapid-response");
    assert_string_equal(next->updates[0].host, "rr.example");
    assert_int_equal(next->updates[0].port, 2121);
    assert_false(next->updates[0].enabled);
    cfg_free(next);

    snprintf(body, sizeof body, "[%s, %s]", item, item);
    next = cfg_with_updates(base, BODY(body), &err);
    assert_non_null(next);
    assert_int_equal(next->n_updates, 2);
    cfg_free(next);

    next = cfg_with_updates(base, BODY("[]"), &err);
    assert_non_null(next);
    assert_int_equal(next->n_updates, 0);
    cfg_free(next);

    assert_null(cfg_with_updates(base, BODY("{\"items\": [{\"purpose\": \"rules\"}]}"), &err));
    assert_int_equal(err.kind, CFG_ERR_VALUE);
    assert_string_equal(err.path, "items[0]");
    assert_non_null(strstr(err.message, "missing key \"host\""));

    assert_null(cfg_with_updates(
        base,
        BODY(
            "[{\"purpose\": \"rules\", \"host\": \"a\"},\n {\"purpose\": \"x\", \"host\": \"a\"}]"),
        &err));
    assert_string_equal(err.path, "[1].purpose");
    assert_int_equal(err.line, 2);

    assert_null(cfg_with_updates(base, BODY("{\"list\": []}"), &err));
    assert_string_equal(err.path, "list");
    assert_null(cfg_with_updates(base, BODY("{}"), &err));
    assert_non_null(strstr(err.message, "missing key \"items\""));
    assert_null(cfg_with_updates(base, BODY("[,]"), &err));
    assert_int_equal(err.kind, CFG_ERR_SYNTAX);
    assert_int_equal(err.line, 1);
    assert_unchanged(base);
    cfg_free(base);
}

static void test_with_scanner(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *base = base_with_scanners();

    struct cfg *next =
        cfg_with_scanner(base, BODY("{\"name\": \"s3\", \"host\": \"[2001:db8::3]:41002\"}"), &err);
    assert_non_null(next);
    assert_int_equal(next->n_scanners, 3);
    assert_string_equal(next->scanners[2].name, "s3");
    assert_string_equal(next->scanners[2].peer.host, "2001:db8::3");
    assert_int_equal(next->scanners[2].peer.port, 41002);
    round_trip(next);
    cfg_free(next);

    assert_null(
        cfg_with_scanner(base, BODY("{\"name\": \"s2\",\n \"host\": \"x.example\"}"), &err));
    assert_int_equal(err.kind, CFG_ERR_VALUE);
    assert_string_equal(err.path, "name");
    assert_non_null(strstr(err.message, "a scanner named \"s2\" already exists"));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 10);

    assert_null(cfg_with_scanner(base, BODY("{\"name\": \"s4\",\n \"host\": \"x:0\"}"), &err));
    assert_string_equal(err.path, "host");
    assert_int_equal(err.line, 2);
    assert_null(cfg_with_scanner(base, BODY("{\"name\": \"s4\"}"), &err));
    assert_string_equal(err.path, "");
    assert_non_null(strstr(err.message, "missing key \"host\""));
    assert_null(
        cfg_with_scanner(base, BODY("{\"name\": \"s4\", \"host\": \"h\", \"x\": 1}"), &err));
    assert_string_equal(err.path, "x");
    assert_null(cfg_with_scanner(base, BODY("[]"), &err));
    assert_non_null(strstr(err.message, "expected an object"));
    assert_null(cfg_with_scanner(base, BODY("{\"name\": \"s4\" \"host\": \"h\"}"), &err));
    assert_int_equal(err.kind, CFG_ERR_SYNTAX);
    assert_int_equal(err.line, 1);
    assert_true(err.column > 0);
    assert_unchanged(base);
    cfg_free(base);
}

static void test_without_scanner(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *base = base_with_scanners();
    struct cfg *next = cfg_without_scanner(base, "s1", &err);
    assert_non_null(next);
    assert_int_equal(next->n_scanners, 1);
    assert_string_equal(next->scanners[0].name, "s2");
    assert_int_equal(next->scanners[0].peer.port, 41002);
    struct cfg *none = cfg_without_scanner(next, "s2", &err);
    assert_non_null(none);
    assert_int_equal(none->n_scanners, 0);
    round_trip(none);
    cfg_free(none);
    cfg_free(next);

    assert_null(cfg_without_scanner(base, "s9", &err));
    assert_int_equal(err.kind, CFG_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "s9"));
    assert_unchanged(base);
    cfg_free(base);
}

/* The file the daemon writes has "trap_sinks": []: a SIGHUP parses that, and every REST write
 * then clones the running configuration and frees the old one. The clone must own all of its
 * memory, or the second free is a double free (found by bench/soak). */
static void test_clone_of_empty_trap_sinks(void **state)
{
    (void)state;
    struct cfg *base = parse_ok("{\"snmp\": {\"trap_sinks\": []}}");
    assert_int_equal(base->snmp.n_trap_sinks, 0);
    struct cfg *copy = cfg_clone(base);
    assert_non_null(copy);
    assert_true(copy->snmp.trap_sinks == NULL || copy->snmp.trap_sinks != base->snmp.trap_sinks);
    struct cfg_error err;
    const char *ntp = "{\"enabled\": false}";
    struct cfg *next = cfg_with_ntp(copy, ntp, strlen(ntp), &err);
    assert_non_null(next);
    assert_true(next->snmp.trap_sinks == NULL || next->snmp.trap_sinks != base->snmp.trap_sinks);
    cfg_free(next);
    cfg_free(copy);
    cfg_free(base);
}

static void test_state_dir(void **state)
{
    (void)state;
    struct cfg *c = cfg_defaults();
    assert_string_equal(c->state_dir, "/var/lib/smsa-agent");
    cfg_free(c);
    c = parse_ok("{\"state_dir\": \"/tmp/smsa-state\"}");
    assert_string_equal(c->state_dir, "/tmp/smsa-state");
    round_trip(c);
    cfg_free(c);
    struct cfg_error err;
    assert_null(parse("{\"state_dir\": \"relative/dir\"}", &err));
    assert_string_equal(err.path, "state_dir");
    assert_non_null(strstr(err.message, "absolute"));
}

/* http.server_names: the names a Host header may give besides the agent's own; host names
 * or addresses, applied live like http.allow. */
static void test_server_names(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c =
        parse("{\"http\": {\"server_names\": [\"agent.example\", \"192.0.2.7\"]}}", &err);
    assert_non_null(c);
    assert_int_equal(c->http.n_server_names, 2);
    assert_string_equal(c->http.server_names[0], "agent.example");
    assert_string_equal(c->http.server_names[1], "192.0.2.7");
    struct cfg *running = cfg_defaults();
    const char *keys[4];
    assert_int_equal(cfg_restart_keys(running, c, keys, 4), 0);
    cfg_free(running);
    cfg_free(c);
    /* Bounded like http.allow: every request's Host is compared with each. */
    size_t cap = 64 + (CFG_MAX_LIST + 1) * 8;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "{\"http\": {\"server_names\": [");
    for (int i = 0; i <= CFG_MAX_LIST; i++)
        n += (size_t)sprintf(text + n, "%s\"a.b\"", i ? "," : "");
    strcpy(text + n, "]}}");
    assert_null(parse(text, &err));
    assert_string_equal(err.path, "http.server_names");
    assert_non_null(strstr(err.message, "has 4097 entries (at most 4096)"));
    free(text);
}

/* Which keys wait for a restart is the configuration module's knowledge: the names of
 * those that differ, and a running copy that keeps their old values. */
static void test_restart_keys(void **state)
{
    (void)state;
    struct cfg *running = cfg_defaults(), *file = cfg_defaults();
    const char *keys[8];
    assert_int_equal(cfg_restart_keys(running, file, keys, 8), 0);
    free(file->http.listen);
    file->http.listen = strdup("127.0.0.1:9999");
    file->snmp.mode = SNMP_MODE_MASTER;
    file->probe.interval_ms = 1234; /* applied live: not a restart key */
    free(file->http.allow[0]);
    file->http.allow[0] = strdup("10.0.0.0/8"); /* applied live too */
    assert_int_equal(cfg_restart_keys(running, file, keys, 8), 2);
    assert_string_equal(keys[0], "snmp.mode");
    assert_string_equal(keys[1], "http.listen");
    assert_int_equal(cfg_restart_keys(running, file, keys, 1), 1);

    struct cfg *effective = cfg_clone(file);
    assert_int_equal(cfg_keep_restart_values(effective, running), 0);
    assert_int_equal(cfg_restart_keys(running, effective, keys, 8), 0);
    assert_string_equal(effective->http.listen, "127.0.0.1:8161");
    assert_int_equal(effective->snmp.mode, SNMP_MODE_SUBAGENT);
    assert_int_equal(effective->probe.interval_ms, 1234);
    assert_string_equal(effective->http.allow[0], "10.0.0.0/8");

    /* trap sinks and communities apply live: the file keeps its own */
    char *sinks[] = {"udp:127.0.0.1:162"};
    file->snmp.trap_sinks = calloc(1, sizeof *file->snmp.trap_sinks);
    file->snmp.trap_sinks[0].address = strdup(sinks[0]);
    file->snmp.n_trap_sinks = 1;
    free(file->snmp.community);
    file->snmp.community = strdup("s3cret");
    assert_int_equal(cfg_restart_keys(effective, file, keys, 8), 2);
    assert_int_equal(cfg_keep_restart_values(file, effective), 0);
    assert_int_equal(file->snmp.mode, SNMP_MODE_SUBAGENT);
    assert_int_equal(file->snmp.n_trap_sinks, 1);
    assert_string_equal(file->snmp.trap_sinks[0].address, sinks[0]);
    assert_string_equal(file->snmp.community, "s3cret");
    assert_int_equal(cfg_restart_keys(effective, file, keys, 8), 0);
    cfg_free(effective);
    cfg_free(running);
    cfg_free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_dir),
        cmocka_unit_test(test_clone_of_empty_trap_sinks),
        cmocka_unit_test(test_restart_keys),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_updates_absent_or_empty),
        cmocka_unit_test(test_nullable_and_partial),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_sample_config),
        cmocka_unit_test(test_installed_config_is_quiet),
        cmocka_unit_test(test_diff_names_changed_keys),
        cmocka_unit_test(test_invalid_documents),
        cmocka_unit_test(test_placement),
        cmocka_unit_test(test_nested_too_deep),
        cmocka_unit_test(test_too_many_entries),
        cmocka_unit_test(test_parse_with_length),
        cmocka_unit_test(test_raw_nul_byte_is_a_syntax_error),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_load_too_large),
        cmocka_unit_test(test_load_reports_line),
        cmocka_unit_test(test_save_then_load),
        cmocka_unit_test(test_save_read_only_folder),
        cmocka_unit_test(test_save_rename_fails),
        cmocka_unit_test(test_save_undo),
        cmocka_unit_test(test_ntp_enable_fills_defaults),
        cmocka_unit_test(test_validate_in_memory),
        cmocka_unit_test(test_parse_peer),
        cmocka_unit_test(test_host_valid),
        cmocka_unit_test(test_snmp_mode_name),
        cmocka_unit_test(test_server_names),
        cmocka_unit_test(test_with_ntp),
        cmocka_unit_test(test_with_updates),
        cmocka_unit_test(test_with_scanner),
        cmocka_unit_test(test_without_scanner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
