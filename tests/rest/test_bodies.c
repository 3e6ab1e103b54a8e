/* The REST write bodies: their shapes, turned into a changed copy of the configuration, and
 * refused with the key path, line and column a client can act on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_bodies.h"

#define BODY(s) s, strlen(s)

static struct cfg *base(void)
{
    static const char doc[] = "{\"peers\": {\"scanners\": [{\"name\": \"s1\", \"host\": "
                              "\"192.0.2.1\"}]}, \"ntp\": {\"enabled\": false, \"servers\": "
                              "[\"ntp.example.net\"]}}";
    struct cfg_error err;
    struct cfg *c = cfg_parse(doc, sizeof doc - 1, &err);
    assert_non_null(c);
    return c;
}

static void test_ntp_body(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *b = base();
    struct cfg *n = httpb_ntp(b, BODY("{\"enabled\": true}"), &err);
    assert_non_null(n);
    /* servers left out: none, so the vendor's are filled in */
    assert_int_equal(n->ntp_servers.n, 3);
    assert_string_equal(n->ntp_servers.items[2].host, "time.nist.gov");
    cfg_free(n);
    assert_null(httpb_ntp(b, BODY("{\n  \"servers\": []\n}"), &err));
    assert_string_equal(err.message, "missing key \"enabled\"");
    assert_int_equal(err.line, 1);
    assert_null(httpb_ntp(b, BODY("{\"enabled\": true, \"pool\": 1}"), &err));
    assert_string_equal(err.path, "pool");
    assert_int_equal(err.column, 19);
    cfg_free(b);
}

static void test_updates_body(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *b = base();
    struct cfg *n =
        httpb_updates(b, BODY("[{\"purpose\": \"rules\", \"host\": \"r.example\"}]"), &err);
    assert_non_null(n);
    assert_int_equal(n->n_updates, 1);
    assert_int_equal(n->updates[0].port, 443);
    cfg_free(n);
    n = httpb_updates(b, BODY("{\"items\": []}"), &err);
    assert_non_null(n);
    assert_int_equal(n->n_updates, 0);
    cfg_free(n);
    assert_null(
        httpb_updates(b, BODY("{\"items\": [{\"purpose\": \"rules\",\n \"host\": 7}]}"), &err));
    assert_string_equal(err.path, "items[0].host");
    assert_int_equal(err.line, 2);
    assert_null(httpb_updates(b, BODY("{}"), &err));
    assert_string_equal(err.message,
                        "missing key \"items\" (expected {\"items\": [...]} or an array)");
    cfg_free(b);
}

static void test_scanner_bodies(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *b = base();
    struct cfg *n =
        httpb_scanner_add(b, BODY("{\"name\": \"s2\", \"host\": \"[::1]:41002\"}"), &err);
    assert_non_null(n);
    assert_int_equal(n->n_scanners, 2);
    assert_int_equal(n->scanners[1].peer.port, 41002);
    struct cfg *m = httpb_scanner_remove(n, "s1", &err);
    assert_non_null(m);
    assert_int_equal(m->n_scanners, 1);
    assert_string_equal(m->scanners[0].name, "s2");
    assert_null(httpb_scanner_remove(m, "s1", &err));
    assert_int_equal(err.kind, CFG_ERR_NOT_FOUND);
    cfg_free(m);
    cfg_free(n);
    cfg_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntp_body),
        cmocka_unit_test(test_updates_body),
        cmocka_unit_test(test_scanner_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
