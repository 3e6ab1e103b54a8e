/* snmp.trap_sinks: a plain address is a v2c trap sink, {"address", "inform": true} an inform
 * sink; both survive serialise -> parse and a clone, in their order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static const char text[] =
    "{\"snmp\": {\"mode\": \"master\", \"trap_sinks\": [\"udp:192.0.2.1:162\",\n"
    "  {\"address\": \"192.0.2.2\", \"inform\": true},\n"
    "  {\"address\": \"192.0.2.3:1162\", \"inform\": false}]}, \"updates\": []}";

static void check(const struct cfg *c)
{
    assert_int_equal(c->snmp.n_trap_sinks, 3);
    assert_string_equal(c->snmp.trap_sinks[0].address, "udp:192.0.2.1:162");
    assert_string_equal(c->snmp.trap_sinks[1].address, "192.0.2.2");
    assert_string_equal(c->snmp.trap_sinks[2].address, "192.0.2.3:1162");
    assert_false(c->snmp.trap_sinks[0].inform);
    assert_true(c->snmp.trap_sinks[1].inform);
    assert_false(c->snmp.trap_sinks[2].inform);
}

static void test_parse_serialise_clone(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c = cfg_parse(text, strlen(text), &err);
    assert_non_null(c);
    check(c);
    char *out = cfg_serialise(c);
    assert_non_null(out);
    assert_non_null(strstr(out, "\"inform\": true"));
    struct cfg *again = cfg_parse(out, strlen(out), &err);
    assert_non_null(again);
    check(again);
    struct cfg *copy = cfg_clone(again);
    assert_non_null(copy);
    check(copy);
    free(out);
    cfg_free(c);
    cfg_free(again);
    cfg_free(copy);
}

static void test_bad_entries_name_their_path(void **state)
{
    (void)state;
    static const struct {
        const char *sinks, *path;
    } bad[] = {
        {"[{\"address\": \"192.0.2.2\", \"inform\": 1}]", "snmp.trap_sinks[0].inform"},
        {"[\"192.0.2.1\", {\"inform\": true}]", "snmp.trap_sinks[1]"},
        {"[{\"address\": \"192.0.2.2\", \"retries\": 3}]", "snmp.trap_sinks[0].retries"},
        {"[{\"address\": 162}]", "snmp.trap_sinks[0].address"},
        {"[[\"192.0.2.1\"]]", "snmp.trap_sinks[0]"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[256];
        snprintf(doc, sizeof(doc), "{\"snmp\": {\"trap_sinks\": %s}}", bad[i].sinks);
        struct cfg_error err;
        memset(&err, 0, sizeof(err));
        struct cfg *c = cfg_parse(doc, strlen(doc), &err);
        assert_null(c);
        assert_string_equal(err.path, bad[i].path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_serialise_clone),
        cmocka_unit_test(test_bad_entries_name_their_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
