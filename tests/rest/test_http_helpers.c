/* The REST face's helpers without a daemon: entity tags and their conditional headers, the
 * route table, and problem details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_helpers.h"

static void test_etag_is_the_bytes_alone(void **state)
{
    (void)state;
    char a[64], b[64], c[64];
    httpf_etag_make(a, sizeof(a), "{\"x\":1}", 7);
    httpf_etag_make(b, sizeof(b), "{\"x\":2}", 7);
    httpf_etag_make(c, sizeof(c), "{\"x\":1}", 7);
    assert_int_equal(strlen(a), 18); /* a quoted 64-bit hash */
    assert_int_equal(a[0], '"');
    assert_int_equal(a[17], '"');
    assert_string_not_equal(a, b); /* other bytes, other tag */
    assert_string_equal(a, c);     /* same bytes, same tag, whatever happened in between */
}

static void test_if_none_match_lists(void **state)
{
    (void)state;
    const char *tag = "\"c1-g2-0000abcd\"";
    assert_true(httpf_etag_listed("\"c1-g2-0000abcd\"", tag));
    assert_true(httpf_etag_listed("\"x\", \"c1-g2-0000abcd\"", tag));
    assert_true(httpf_etag_listed("\"x\" ,\t\"c1-g2-0000abcd\"\t", tag));
    assert_true(httpf_etag_listed("*", tag));
    assert_true(httpf_etag_listed(" * ", tag));
    /* weak comparison: W/ matches by the opaque part */
    assert_true(httpf_etag_listed("W/\"c1-g2-0000abcd\"", tag));
    assert_false(httpf_etag_listed("", tag));
    assert_false(httpf_etag_listed(",,, ", tag));
    assert_false(httpf_etag_listed("\"c1-g2-0000abce\"", tag));
    assert_false(httpf_etag_listed("\"c1-g2-0000abcd", tag));    /* unterminated */
    assert_false(httpf_etag_listed("c1-g2-0000abcd", tag));      /* unquoted */
    assert_false(httpf_etag_listed("\"c1-g2-0000abcd\"x", tag)); /* trailing junk */
    assert_false(httpf_etag_listed("**", tag));
}

static void test_if_match_is_the_strong_comparison(void **state)
{
    (void)state;
    const char *tag = "\"00000000deadbeef\"";
    assert_true(httpf_etag_if_match("\"00000000deadbeef\"", tag));
    assert_true(httpf_etag_if_match("\"x\", \"00000000deadbeef\"", tag));
    assert_true(httpf_etag_if_match("*", tag));
    assert_false(httpf_etag_if_match("*", NULL)); /* no current document */
    assert_false(httpf_etag_if_match("\"00000000deadbeef\"", NULL));
    assert_false(httpf_etag_if_match("W/\"00000000deadbeef\"", tag)); /* weak never matches */
    assert_false(httpf_etag_if_match("\"00000000deadbeee\"", tag));
    assert_false(httpf_etag_if_match("", tag));
    assert_false(httpf_etag_if_match("*x", tag));
}

static void find(const char *url, struct httpf_target *t)
{
    free(t->item);
    httpf_route_find(url, t);
}

static void test_routes(void **state)
{
    (void)state;
    struct httpf_target t = {0};
    find("/api/v1/status", &t);
    assert_non_null(t.rd);
    assert_int_equal(t.rd->route, R_STATUS);
    assert_true(t.rd->auth);
    assert_non_null(t.rd->doc); /* a document, cached per generation and per second */
    assert_true(t.rd->per_second);
    size_t status_slot = httpf_route_slot(t.rd);
    find("/api/v1/links", &t);
    assert_non_null(t.rd->doc);
    assert_false(t.rd->per_second);
    assert_true(httpf_route_slot(t.rd) != status_slot);
    assert_true(httpf_route_slot(t.rd) < HTTPF_MAX_ROUTES);
    find("/healthz", &t);
    assert_int_equal(t.rd->route, R_HEALTHZ);
    assert_false(t.rd->auth);
    assert_null(t.rd->doc);
    find("/", &t);
    assert_int_equal(t.rd->route, R_PAGE);
    find("/api/v1/flows", &t);
    assert_int_equal(t.rd->route, R_FLOWS);

    find("/api/v1/flows/8", &t);
    assert_int_equal(t.rd->route, R_FLOW);
    assert_false(t.bad_item);
    assert_int_equal(t.flow_id, 8);
    find("/api/v1/flows/20", &t);
    assert_int_equal(t.flow_id, 20);
    static const char *const bad_flows[] = {"/api/v1/flows/0",
                                            "/api/v1/flows/1000",
                                            "/api/v1/flows/01",
                                            "/api/v1/flows/1x",
                                            "/api/v1/flows/-1",
                                            "/api/v1/flows/+1",
                                            "/api/v1/flows/99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_flows) / sizeof(bad_flows[0]); i++) {
        find(bad_flows[i], &t);
        assert_non_null(t.rd);
        assert_int_equal(t.rd->route, R_FLOW);
        assert_true(t.bad_item);
    }

    /* ids up to 999 are routed (extra flows); one the model lacks is answered 404 there */
    find("/api/v1/flows/21", &t);
    assert_false(t.bad_item);
    assert_int_equal(t.flow_id, 21);
    find("/api/v1/flows/999", &t);
    assert_false(t.bad_item);
    assert_int_equal(t.flow_id, 999);

    find("/api/v1/scanners/scanner-1", &t);
    assert_int_equal(t.rd->route, R_SCANNER);
    assert_string_equal(t.item, "scanner-1");
    char longname[200];
    memset(longname, 'a', sizeof(longname));
    memcpy(longname, "/api/v1/scanners/", 17);
    longname[sizeof(longname) - 1] = 0;
    find(longname, &t);
    assert_int_equal(t.rd->route, R_SCANNER);
    assert_true(t.bad_item);
    assert_null(t.item);

    static const char *const none[] = {
        "/api/v1/scanners/a/b", "/api/v1/flows/", "/api/v1/status/", "/api/v1", "/nope", "",
        "/api/v1/flows/8/"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        find(none[i], &t);
        assert_null(t.rd);
    }
    free(t.item);
}

static void test_methods(void **state)
{
    (void)state;
    struct httpf_target t;
    httpf_route_find("/api/v1/ntp", &t);
    assert_true(t.rd->methods & httpf_method_bit("PUT"));
    assert_false(t.rd->methods & httpf_method_bit("POST"));
    assert_string_equal(t.rd->allow, "GET, HEAD, PUT");
    assert_int_equal(httpf_method_bit("GET"), M_GET);
    assert_int_equal(httpf_method_bit("get"), 0); /* methods are case-sensitive */
    assert_int_equal(httpf_method_bit("PATCH"), 0);
}

static json_t *problem_doc(unsigned status, const char *detail, json_t *extra)
{
    size_t len;
    char *s = httpf_problem_body(status, "not-found", detail, extra, &len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    json_error_t err;
    json_t *doc = json_loads(s, 0, &err);
    free(s);
    assert_non_null(doc);
    return doc;
}

static void test_problem_body(void **state)
{
    (void)state;
    json_t *d = problem_doc(404, "no scanner named \"x\"", json_pack("{s:i}", "line", 3));
    assert_string_equal(json_string_value(json_object_get(d, "type")),
                        "urn:smsa-agent:problem:not-found");
    assert_string_equal(json_string_value(json_object_get(d, "title")), "Not Found");
    assert_int_equal(json_integer_value(json_object_get(d, "status")), 404);
    assert_string_equal(json_string_value(json_object_get(d, "detail")), "no scanner named \"x\"");
    assert_int_equal(json_integer_value(json_object_get(d, "line")), 3);
    json_decref(d);
    d = problem_doc(499, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(d, "title")), "Error");
    assert_string_equal(json_string_value(json_object_get(d, "detail")), "");
    json_decref(d);
}

static void test_problem_body_of_bytes_that_are_not_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"no scanner named \"\xff\"", "no scanner named \"\\xff\""},
        {"cut \xc3", "cut \\xc3"},                    /* truncated é */
        {"\xc0\xaf", "\\xc0\\xaf"},                   /* overlong / */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},          /* a surrogate */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, /* > U+10FFFF */
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *d = problem_doc(404, cases[i].in, NULL);
        assert_string_equal(json_string_value(json_object_get(d, "detail")), cases[i].out);
        json_decref(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etag_is_the_bytes_alone),
        cmocka_unit_test(test_if_none_match_lists),
        cmocka_unit_test(test_if_match_is_the_strong_comparison),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_problem_body),
        cmocka_unit_test(test_problem_body_of_bytes_that_are_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
