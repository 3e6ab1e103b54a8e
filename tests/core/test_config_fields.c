/* The table of configuration keys: every key written once drives parse, defaults, serialise,
 * clone, free and the restart keys; copies never share memory with their original. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct cfg *parse_ok(const char *text)
{
    struct cfg_error err;
    struct cfg *c = cfg_parse(text, strlen(text), &err);
    if (!c)
        fail_msg("unexpected error: %s (line %d)", err.message, err.line);
    return c;
}

/* An empty trap sink list, cloned (every REST write clones) and both freed: on main the
 * clone shared the original's inform array and the second free crashed. */
static void test_clone_of_empty_trap_sinks(void **state)
{
    (void)state;
    struct cfg *c = parse_ok("{\"snmp\": {\"trap_sinks\": []}}");
    struct cfg *d = cfg_clone(c);
    assert_non_null(d);
    assert_true(d->snmp.trap_sinks != c->snmp.trap_sinks || !c->snmp.trap_sinks);
    cfg_free(c);
    cfg_free(d);
}

/* A clone owns every string and list: changing and freeing the original leaves it whole. */
static void test_clone_is_deep(void **state)
{
    (void)state;
    struct cfg *c = parse_ok(
        "{\"appliance\": {\"name\": \"cc1\"},"
        " \"peers\": {\"control_center\": \"[2001:db8::1]:41002\","
        "             \"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\"}],"
        "             \"dns_servers\": [\"192.0.2.53\"]},"
        " \"ntp\": {\"enabled\": true},"
        " \"snmp\": {\"usm_user\": \"u\", \"usm_auth_key\": \"12345678\","
        "          \"usm_priv_key\": \"abcdefgh\","
        "          \"trap_sinks\": [{\"address\": \"udp:127.0.0.1:162\", \"inform\": true}]},"
        " \"http\": {\"allow\": [\"192.0.2.0/24\"], \"token_file\": \"/etc/t\"}}");
    char *before = cfg_serialise(c);
    struct cfg *d = cfg_clone(c);
    assert_non_null(d);
    assert_ptr_not_equal(d->name, c->name);
    assert_ptr_not_equal(d->control_center, c->control_center);
    assert_ptr_not_equal(d->scanners, c->scanners);
    assert_ptr_not_equal(d->ntp_servers.items, c->ntp_servers.items);
    assert_ptr_not_equal(d->snmp.trap_sinks, c->snmp.trap_sinks);
    assert_ptr_not_equal(d->snmp.trap_sinks[0].address, c->snmp.trap_sinks[0].address);
    assert_true(d->snmp.trap_sinks[0].inform);
    assert_ptr_not_equal(d->http.allow, c->http.allow);
    c->name[0] = 'X';
    cfg_free(c);
    char *after = cfg_serialise(d);
    assert_string_equal(before, after);
    free(before);
    free(after);
    cfg_free(d);
}

/* Defaults written out and read back are the defaults: each key's default is in one place. */
static void test_defaults_round_trip(void **state)
{
    (void)state;
    struct cfg *c = cfg_defaults();
    char *text = cfg_serialise(c);
    struct cfg *d = parse_ok(text);
    char *again = cfg_serialise(d);
    assert_string_equal(text, again);
    char diff[256];
    assert_int_equal(cfg_diff(c, d, diff, sizeof diff), 0);
    assert_int_equal(c->http.per_ip_connections, 64);
    free(text);
    free(again);
    cfg_free(c);
    cfg_free(d);
}

/* Secrets that are set are masked; unset ones stay null; nothing else changes. */
static void test_masked_serialise(void **state)
{
    (void)state;
    struct cfg *c = parse_ok("{\"snmp\": {\"community\": \"s3cret-c\", \"usm_user\": \"u\","
                             " \"usm_auth_key\": \"12345678\", \"usm_priv_key\": \"abcdefgh\","
                             " \"trap_community\": \"tc-secret\"}}");
    char *m = cfg_serialise_masked(c);
    assert_null(strstr(m, "s3cret-c"));
    assert_null(strstr(m, "12345678"));
    assert_null(strstr(m, "abcdefgh"));
    assert_null(strstr(m, "tc-secret"));
    assert_non_null(strstr(m, "\"usm_user\": \"u\""));
    assert_non_null(strstr(m, "\"community\": \"********\""));
    free(m);
    free(c->snmp.community);
    c->snmp.community = NULL;
    m = cfg_serialise_masked(c);
    assert_non_null(strstr(m, "\"community\": null"));
    free(m);
    cfg_free(c);
}

/* A trap sink turned into an inform is a change of a restart key (net-snmp read the sinks at
 * start), and keeping the running value keeps its inform flags with it. */
/* A sink that turns into an inform sink is a change (the diff of a reload names it), and one
 * that applies live: no restart key. */
static void test_diff_sees_inform(void **state)
{
    (void)state;
    const char *keys[8];
    char changed[256];
    struct cfg *running = parse_ok("{\"snmp\": {\"trap_sinks\": [\"udp:127.0.0.1:162\"]}}");
    struct cfg *file = parse_ok(
        "{\"snmp\": {\"trap_sinks\": [{\"address\": \"udp:127.0.0.1:162\", \"inform\": true}]}}");
    cfg_diff(running, file, changed, sizeof(changed));
    assert_string_equal(changed, "snmp.trap_sinks[0]");
    assert_int_equal(cfg_restart_keys(running, file, keys, 8), 0);
    cfg_diff(running, running, changed, sizeof(changed));
    assert_string_equal(changed, "");
    cfg_free(running);
    cfg_free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clone_of_empty_trap_sinks), cmocka_unit_test(test_clone_is_deep),
        cmocka_unit_test(test_defaults_round_trip),       cmocka_unit_test(test_masked_serialise),
        cmocka_unit_test(test_diff_sees_inform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
