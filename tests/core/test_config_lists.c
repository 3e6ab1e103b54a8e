/* The lists of objects in the configuration (peers.scanners, updates, snmp.trap_sinks) are
 * read by their sub-tables: each error names the item and the member, the rows hold the
 * required members, the number of items and the checks, a copy changed in memory is held to
 * the same rows, and a reload of a bad file changes nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "catalogue.h"
#include "config.h"
#include "core.h"
#include "loop.h"

static struct cfg *parse_ok(const char *text)
{
    struct cfg_error err;
    struct cfg *c = cfg_parse(text, strlen(text), &err);
    if (!c)
        fail_msg("unexpected error: %s (line %d)", err.message, err.line);
    return c;
}

struct bad {
    const char *doc;
    const char *path;    /* the error's key path */
    const char *message; /* a part of the message */
};

static void expect_refused(const struct bad *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cfg_error err;
        struct cfg *c = cfg_parse(b[i].doc, strlen(b[i].doc), &err);
        if (c)
            fail_msg("accepted: %s", b[i].doc);
        if (err.kind != CFG_ERR_VALUE || strcmp(err.path, b[i].path) ||
            !strstr(err.message, b[i].message))
            fail_msg("%s\n  got path \"%s\", message \"%s\"\n  wanted \"%s\", \"%s\"", b[i].doc,
                     err.path, err.message, b[i].path, b[i].message);
        assert_true(err.line >= 1); /* every error points into the text */
    }
}

static void test_scanner_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\"}, {\"name\": 7, "
         "\"host\": \"192.0.2.2\"}]}}",
         "peers.scanners[1].name", "expected a string, got an integer (7)"},
        {"{\"peers\": {\"scanners\": [{\"name\": \"s1\"}]}}", "peers.scanners[0]",
         "missing key \"host\" (required: name, host)"},
        {"{\"peers\": {\"scanners\": [{\"host\": \"192.0.2.1\"}]}}", "peers.scanners[0]",
         "missing key \"name\""},
        {"{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\", \"port\": 25}]}}",
         "peers.scanners[0].port", "unknown key (expected one of: name, host)"},
        {"{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1:99999\"}]}}",
         "peers.scanners[0].host", "\"192.0.2.1:99999\""},
        {"{\"peers\": {\"scanners\": [\"s1\"]}}", "peers.scanners[0]", "expected an object"},
        {"{\"peers\": {\"scanners\": {\"name\": \"s1\"}}}", "peers.scanners", "expected an array"},
        {"{\"peers\": {\"scanners\": [{\"name\": \"s\\u00001\", \"host\": \"192.0.2.1\"}]}}",
         "peers.scanners[0].name", "contains a NUL character"},
        {"{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": null}]}}",
         "peers.scanners[0].host", "expected a string, got null"},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);
}

static void test_update_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\"},"
         " {\"purpose\": \"rules\", \"host\": \"b.example\"},"
         " {\"purpose\": \"rules\", \"host\": \"c.example\", \"port\": 70000}]}",
         "updates[2].port", "70000 is out of range (1..65535)"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\", \"port\": 0}]}",
         "updates[0].port", "0 is out of range (1..65535)"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\", \"port\": 1e30}]}",
         "updates[0].port", "expected an integer, got a real number"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\","
         " \"port\": 9223372036854775807}]}",
         "updates[0].port", "9223372036854775807 is out of range"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\", \"port\": -1}]}",
         "updates[0].port", "-1 is out of range"},
        {"{\"updates\": [{\"purpose\": [\"rules\"], \"host\": \"a.example\"}]}",
         "updates[0].purpose", "expected a string, got an array"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\", \"enabled\": \"yes\"}]}",
         "updates[0].enabled", "expected true or false"},
        {"{\"updates\": [{\"host\": \"a.example\"}]}", "updates[0]",
         "missing key \"purpose\" (required: purpose, host)"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a example\"}]}", "updates[0].host",
         "\"a example\" is not a valid host name or address"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\","
         " \"extra\": {\"a\": {\"b\": {\"c\": {\"d\": {\"e\": {\"f\": {\"g\": {\"h\": {\"i\": "
         "{\"j\": {\"k\": {\"l\": {\"m\": {}}}}}}}}}}}}}}}]}",
         "updates[0].extra.a.b.c.d.e.f.g.h.i.j.k.l.m", "is nested deeper than 16 levels"},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);
}

/* The purposes, and the list in the message, are the catalogue's: one list. */
static void test_update_purposes_are_the_catalogues(void **state)
{
    (void)state;
    const char *doc = "{\"updates\": [{\"purpose\": \"firmware\", \"host\": \"a.example\"}]}";
    struct cfg_error err;
    assert_null(cfg_parse(doc, strlen(doc), &err));
    assert_string_equal(err.path, "updates[0].purpose");
    size_t n = 0;
    for (; cat_update_purpose(n); n++) {
        assert_non_null(strstr(err.message, cat_update_purpose(n)));
        char text[160];
        snprintf(text, sizeof text,
                 "{\"updates\": [{\"purpose\": \"%s\", \"host\": \"a.example\"}]}",
                 cat_update_purpose(n));
        struct cfg *c = parse_ok(text);
        /* without a port, the source is checked on its flow's port */
        assert_int_equal(c->updates[0].port,
                         cat_flow(cat_update_flow(cat_update_purpose(n)))->port);
        assert_true(c->updates[0].enabled);
        cfg_free(c);
    }
    assert_int_equal(n, 5);
}

static void test_trap_sink_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"{\"snmp\": {\"trap_sinks\": [\"192.0.2.1\", \"192.0.2.2\", \"sctp:192.0.2.3\"]}}",
         "snmp.trap_sinks[2]", "\"sctp:192.0.2.3\" is not"},
        {"{\"snmp\": {\"trap_sinks\": [\"192.0.2.1\", {\"address\": \"192.0.2.2:70000\"}]}}",
         "snmp.trap_sinks[1].address", "\"192.0.2.2:70000\" is not"},
        {"{\"snmp\": {\"trap_sinks\": [{\"inform\": true}]}}", "snmp.trap_sinks[0]",
         "missing key \"address\" (required: address)"},
        {"{\"snmp\": {\"trap_sinks\": [162]}}", "snmp.trap_sinks[0]",
         "expected a string or an object, got an integer (162)"},
        {"{\"snmp\": {\"trap_sinks\": [{\"address\": \"192.0.2.1\", \"inform\": null}]}}",
         "snmp.trap_sinks[0].inform", "expected true or false, got null"},
        {"{\"snmp\": {\"trap_sinks\": [\"192.0.2.1\\u0000:162\"]}}", "snmp.trap_sinks[0]",
         "contains a NUL character"},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);
}

/* A sink is written back as it was given: an address alone when it is a trap sink. */
static void test_trap_sinks_round_trip(void **state)
{
    (void)state;
    struct cfg *c = parse_ok("{\"snmp\": {\"trap_sinks\": [\"192.0.2.1\", {\"address\": "
                             "\"192.0.2.2\", \"inform\": true}, {\"address\": \"192.0.2.3\", "
                             "\"inform\": false}]}}");
    assert_int_equal(c->snmp.n_trap_sinks, 3);
    assert_false(c->snmp.trap_sinks[0].inform);
    assert_true(c->snmp.trap_sinks[1].inform);
    char *text = cfg_serialise(c);
    assert_non_null(strstr(text, "\"trap_sinks\": [\n      \"192.0.2.1\",\n      {\n"
                                 "        \"address\": \"192.0.2.2\",\n"
                                 "        \"inform\": true\n      },\n      \"192.0.2.3\"\n"));
    struct cfg *again = parse_ok(text);
    char *text2 = cfg_serialise(again);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    cfg_free(again);
    cfg_free(c);
}

/* head, n items (item formatted with its index) separated by commas, tail. */
static char *many(const char *head, const char *item, size_t n, const char *tail)
{
    size_t len = strlen(head) + n * (strlen(item) + 24) + strlen(tail) + 1, at = 0;
    char *doc = malloc(len);
    assert_non_null(doc);
    at += (size_t)snprintf(doc, len, "%s", head);
    for (size_t i = 0; i < n; i++) {
        if (i)
            at += (size_t)snprintf(doc + at, len - at, ", ");
        at += (size_t)snprintf(doc + at, len - at, item, i);
    }
    snprintf(doc + at, len - at, "%s", tail);
    return doc;
}

/* At most CFG_MAX_LIST items in each list, said at the list's path. */
static void test_max_items(void **state)
{
    (void)state;
    static const struct {
        const char *head, *item, *tail, *path;
    } lists[] = {
        {"{\"peers\": {\"scanners\": [", "{\"name\": \"s%zu\", \"host\": \"192.0.2.1\"}", "]}}",
         "peers.scanners"},
        {"{\"updates\": [", "{\"purpose\": \"rules\", \"host\": \"h%zu.example\"}", "]}",
         "updates"},
        {"{\"snmp\": {\"trap_sinks\": [", "\"h%zu.example\"", "]}}", "snmp.trap_sinks"},
    };
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        char *doc = many(lists[k].head, lists[k].item, CFG_MAX_LIST, lists[k].tail);
        struct cfg *c = parse_ok(doc); /* as many as allowed */
        cfg_free(c);
        free(doc);
        doc = many(lists[k].head, lists[k].item, CFG_MAX_LIST + 1, lists[k].tail);
        struct cfg_error err;
        assert_null(cfg_parse(doc, strlen(doc), &err));
        assert_string_equal(err.path, lists[k].path);
        assert_non_null(strstr(err.message, "has 4097 entries (at most 4096)"));
        free(doc);
    }
}

/* A copy changed by code is held to the same rows as a file (cfg_validate, run by every
 * change): the old validate() knew nothing of the trap sinks' members. */
static void test_changed_copy_checked_by_rows(void **state)
{
    (void)state;
    struct cfg *base =
        parse_ok("{\"appliance\": {\"name\": \"cc\"},"
                 " \"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\"}]},"
                 " \"snmp\": {\"trap_sinks\": [\"192.0.2.9\"]}}");
    struct cfg_error err;
    assert_int_equal(cfg_validate(base, &err), 0);

    struct cfg *c = cfg_clone(base);
    free(c->scanners[0].peer.host);
    c->scanners[0].peer.host = strdup("exa mple");
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "peers.scanners[0].host");
    cfg_free(c);

    c = cfg_clone(base);
    c->updates[1].port = 0;
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "updates[1].port");
    assert_non_null(strstr(err.message, "0 is out of range (1..65535)"));
    cfg_free(c);

    c = cfg_clone(base);
    free(c->snmp.trap_sinks[0].address);
    c->snmp.trap_sinks[0].address = NULL;
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "snmp.trap_sinks[0].address");
    assert_non_null(strstr(err.message, "must be set"));
    cfg_free(c);

    c = cfg_clone(base);
    free(c->snmp.trap_sinks[0].address);
    c->snmp.trap_sinks[0].address = strdup("sctp:192.0.2.9");
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "snmp.trap_sinks[0].address");
    cfg_free(c);

    c = cfg_clone(base);
    free(c->updates[0].purpose);
    c->updates[0].purpose = strdup("firmware");
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "updates[0].purpose");
    cfg_free(c);
    cfg_free(base);

    /* an extra flow's enumerations take only the values the file can name: no direction
     * "not applicable", no ftp check */
    base = parse_ok("{\"extra_flows\": [{\"id\": 443, \"port\": 443, \"protocol\": \"tcp\","
                    " \"direction\": \"outbound\", \"purpose\": \"URL reputation\","
                    " \"check\": \"tls\", \"peers\": [\"192.0.2.44\"]}]}");
    c = cfg_clone(base);
    c->extra_flows[0].row.direction = DIR_NOT_APPLICABLE;
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "extra_flows[0].direction");
    cfg_free(c);
    c = cfg_clone(base);
    c->extra_flows[0].row.check = PROBE_FTP;
    assert_int_equal(cfg_validate(c, &err), -1);
    assert_string_equal(err.path, "extra_flows[0].check");
    cfg_free(c);
    cfg_free(base);
}

/* One scanner written through REST goes through the same sub-table. */
static void test_with_scanner_uses_the_rows(void **state)
{
    (void)state;
    struct cfg *base = parse_ok("{\"appliance\": {\"name\": \"cc\"}}");
    struct cfg_error err;
    const char *bad = "{\"name\": \"s1\", \"host\": \"192.0.2.1\", \"color\": \"red\"}";
    assert_null(cfg_with_scanner(base, bad, strlen(bad), &err));
    assert_string_equal(err.path, "color");
    const char *missing = "{\"name\": \"s1\"}";
    assert_null(cfg_with_scanner(base, missing, strlen(missing), &err));
    assert_non_null(strstr(err.message, "missing key \"host\""));
    const char *good = "{\"name\": \"s1\", \"host\": \"[2001:db8::1]:41002\"}";
    struct cfg *next = cfg_with_scanner(base, good, strlen(good), &err);
    assert_non_null(next);
    assert_int_equal(next->n_scanners, 1);
    assert_string_equal(next->scanners[0].peer.host, "2001:db8::1");
    assert_int_equal(next->scanners[0].peer.port, 41002);
    struct cfg *gone = cfg_without_scanner(next, "s1", &err);
    assert_non_null(gone);
    assert_int_equal(gone->n_scanners, 0);
    cfg_free(gone);
    cfg_free(next);
    cfg_free(base);
}

/* SIGHUP with a file that breaks one list: refused with the item's path, and the running
 * configuration, lists included, stays exactly as it was. */
static void test_reload_of_bad_file_changes_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/smsa-lists-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/smsa-agent.json", dir);
    struct cfg *start =
        parse_ok("{\"appliance\": {\"name\": \"cc\"},"
                 " \"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\"}]},"
                 " \"updates\": [{\"purpose\": \"rules\", \"host\": \"a.example\"}],"
                 " \"snmp\": {\"trap_sinks\": [{\"address\": \"192.0.2.9\", \"inform\": true}]},"
                 " \"probe\": {\"interval_ms\": 3600000}}");
    free(start->state_dir);
    start->state_dir = strdup(dir);
    struct cfg_error err;
    assert_int_equal(cfg_save(start, path, &err), 0);
    assert_int_equal(loop_init(), 0);
    assert_int_equal(core_init(start, path, NULL), 0);
    char *before = cfg_serialise(core_config());

    static const struct {
        const char *doc, *path;
    } bad[] = {
        {"{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": \"192.0.2.1\"},"
         " {\"name\": \"s2\"}]}}",
         "peers.scanners[1]"},
        {"{\"updates\": [{\"purpose\": \"rules\", \"host\": \"b.example\", \"port\": 70000}]}",
         "updates[0].port"},
        {"{\"snmp\": {\"trap_sinks\": [\"192.0.2.9\", {\"address\": 5}]}}",
         "snmp.trap_sinks[1].address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(bad[i].doc, f);
        fclose(f);
        assert_int_equal(core_reload(&err), -1);
        assert_string_equal(err.path, bad[i].path);
        char *after = cfg_serialise(core_config());
        assert_string_equal(after, before);
        free(after);
        assert_int_equal(core_config()->n_scanners, 1);
        assert_true(core_config()->snmp.trap_sinks[0].inform);
    }
    free(before);
    core_fini();
    loop_fini();
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_errors),
        cmocka_unit_test(test_update_errors),
        cmocka_unit_test(test_update_purposes_are_the_catalogues),
        cmocka_unit_test(test_trap_sink_errors),
        cmocka_unit_test(test_trap_sinks_round_trip),
        cmocka_unit_test(test_max_items),
        cmocka_unit_test(test_changed_copy_checked_by_rows),
        cmocka_unit_test(test_with_scanner_uses_the_rows),
        cmocka_unit_test(test_reload_of_bad_file_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
