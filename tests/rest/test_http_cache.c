/* The REST face's table and tags without a daemon: every route names its handlers (no switch
 * on the route decides them), and every entity tag comes from one builder, the hash of the
 * document's bytes, whether the document was hashed whole or as it was built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_helpers.h"

static void test_tag_builder_is_one_format(void **state)
{
    (void)state;
    char a[HTTPF_ETAG_LEN], b[HTTPF_ETAG_LEN];
    httpf_etag_from_hash(a, sizeof(a), 0x0123456789abcdefull);
    assert_string_equal(a, "\"0123456789abcdef\"");
    httpf_etag_from_hash(b, sizeof(b), 1);
    assert_string_equal(b, "\"0000000000000001\"");
    /* a document's tag is its bytes' hash through that same builder */
    const char *doc = "{\"items\":[{\"id\":1,\"state\":\"up\"}]}";
    httpf_etag_make(a, sizeof(a), doc, strlen(doc));
    httpf_etag_from_hash(b, sizeof(b), httpf_hash(0, doc, strlen(doc)));
    assert_string_equal(a, b);
}

static void test_tag_of_a_document_built_in_pieces(void **state)
{
    (void)state;
    /* http_stream.c hashes a large document as it grows, in whole 8-byte words, then the
     * rest: the tag must be that of the same bytes hashed whole (a client comparing tags
     * cannot tell how the document was built). */
    char doc[1000];
    for (size_t i = 0; i < sizeof(doc); i++)
        doc[i] = (char)('a' + (i * 7) % 26);
    for (size_t len = 0; len < sizeof(doc); len += 37) {
        uint64_t h = 0;
        size_t hashed = 0;
        for (size_t have = 0; have < len;) {
            have += 13 + have % 29; /* pieces of uneven length */
            if (have > len)
                have = len;
            size_t n = (have - hashed) & ~(size_t)7;
            h = httpf_hash(h, doc + hashed, n);
            hashed += n;
        }
        h = httpf_hash(h, doc + hashed, len - hashed);
        char whole[HTTPF_ETAG_LEN], pieces[HTTPF_ETAG_LEN];
        httpf_etag_make(whole, sizeof(whole), doc, len);
        httpf_etag_from_hash(pieces, sizeof(pieces), len ? h : httpf_hash(0, doc, 0));
        assert_string_equal(whole, pieces);
    }
}

/* The Allow text of a route follows from its method bits. */
static void allow_of(unsigned m, char *buf, size_t len)
{
    static const struct {
        unsigned bit;
        const char *name;
    } t[] = {
        {M_GET, "GET"}, {M_HEAD, "HEAD"}, {M_PUT, "PUT"}, {M_POST, "POST"}, {M_DELETE, "DELETE"}};
    buf[0] = 0;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (m & t[i].bit)
            snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "", t[i].name);
}

static void test_every_route_names_its_handlers(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct httpf_route_def *rd; (rd = httpf_route_at(n)); n++) {
        char allow[64];
        allow_of(rd->methods, allow, sizeof(allow));
        assert_string_equal(rd->allow, allow);
        assert_true(rd->methods & M_GET);
        assert_non_null(rd->get);
        unsigned writes = rd->methods & (M_PUT | M_POST | M_DELETE);
        /* one write method at most, and a handler exactly when there is one */
        assert_true(writes == 0 || writes == M_PUT || writes == M_POST || writes == M_DELETE);
        assert_true((writes != 0) == (rd->write != NULL));
        /* a document route is answered from the cache, built by its doc function */
        assert_true((rd->doc != NULL) == (rd->get == httpf_get_doc));
        size_t len = strlen(rd->path);
        bool item = len > 1 && rd->path[len - 1] == '/';
        if (rd->item_doc) {
            assert_true(item);
            assert_non_null(rd->noun);
            assert_ptr_equal(rd->get, httpf_get_item);
        }
        if (item)
            assert_true(rd->item_doc || rd->route == R_FLOW);
        assert_true(httpf_route_slot(rd) == n);
    }
    assert_true(n >= 16 && n <= HTTPF_MAX_ROUTES);
    assert_null(httpf_route_at(n));
}

static void test_routes_dispatch_by_table(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        httpf_handler_fn get, write;
    } cases[] = {
        {"/metrics", httpf_get_metrics, NULL},
        {"/api/v1/flows", httpf_get_flows, NULL},
        {"/api/v1/flows/12", httpf_get_flows, NULL},
        {"/api/v1/scanners/s1", httpf_get_item, httpf_delete_scanner},
        {"/api/v1/appliances/s1", httpf_get_item, NULL},
        {"/api/v1/scanners", httpf_get_doc, httpf_post_scanner},
        {"/api/v1/ntp", httpf_get_doc, httpf_put_ntp},
        {"/api/v1/updates", httpf_get_doc, httpf_put_updates},
        {"/", httpf_get_page, httpf_post_login},
        {"/api/v1/events", httpf_get_events, NULL},
        {"/healthz", httpf_get_healthz, NULL},
        {"/api/v1/firewall", httpf_get_firewall, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct httpf_target t;
        httpf_route_find(cases[i].url, &t);
        assert_non_null(t.rd);
        assert_false(t.bad_item);
        assert_ptr_equal(t.rd->get, cases[i].get);
        assert_ptr_equal(t.rd->write, cases[i].write);
        free(t.item);
    }
}

static void test_a_kept_percent_nul_names_no_item(void **state)
{
    (void)state;
    /* The face leaves "%00" encoded (a decoded NUL would end the name early): the item is the
     * whole text, which no scanner or appliance name can be. */
    const char *urls[] = {"/api/v1/appliances/s1%00x", "/api/v1/scanners/s1%00x"};
    for (size_t i = 0; i < 2; i++) {
        struct httpf_target t;
        httpf_route_find(urls[i], &t);
        assert_non_null(t.rd);
        assert_non_null(t.item);
        assert_string_equal(t.item, "s1%00x");
        free(t.item);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_builder_is_one_format),
        cmocka_unit_test(test_tag_of_a_document_built_in_pieces),
        cmocka_unit_test(test_every_route_names_its_handlers),
        cmocka_unit_test(test_routes_dispatch_by_table),
        cmocka_unit_test(test_a_kept_percent_nul_names_no_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
