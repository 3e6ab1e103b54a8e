/* The REST writers against a model built by hand: each object is written once, and every
 * document that shows it shows the same thing. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "http_face.h"
#include "http_internal.h"

static struct smsa_model model;
static struct smsa_flow flow_rows[CAT_NFLOWS]; /* the model's flows: the vendor's 20 */
static struct smsa_addr scanner_addrs[2], ntp_addrs[1];
static struct smsa_peer scanner, ntp;
static struct smsa_peer *flow11[1] = {&scanner}, *flow8[1] = {&ntp};
static struct smsa_link sc_link;

static void addr(struct smsa_addr *a, const char *text, enum smsa_state st)
{
    memset(a, 0, sizeof(*a));
    a->family = strchr(text, ':') ? AF_INET6 : AF_INET;
    snprintf(a->text, sizeof(a->text), "%s", text);
    a->state = st;
    a->cause = st == ST_DOWN ? CAUSE_REFUSED : CAUSE_NONE;
    snprintf(a->detail, sizeof(a->detail), "%s", st == ST_DOWN ? "connection refused" : "");
    a->rtt_us = st == ST_UP ? 1500 : -1;
    a->checks = 4;
    a->failures = st == ST_DOWN ? 4 : 0;
    a->since.wall_us = 1764547200000000; /* 2025-12-01T00:00:00Z */
}

static int setup(void **state)
{
    (void)state;
    memset(&model, 0, sizeof(model));
    memset(flow_rows, 0, sizeof(flow_rows));
    model.flows = flow_rows;
    model.n_flows = CAT_NFLOWS;
    for (unsigned i = 0; i < CAT_NFLOWS; i++) {
        model.flows[i].def = &cat_flows[i];
        model.flows[i].state = ST_UNCONFIGURED;
    }
    model.generation = 5;
    model.config_generation = 2;

    /* a scanner whose first address is refused and whose second answers */
    addr(&scanner_addrs[0], "192.0.2.10", ST_DOWN);
    addr(&scanner_addrs[1], "2001:db8::10", ST_UP);
    memset(&scanner, 0, sizeof(scanner));
    scanner.flow_id = 11;
    scanner.index = 1;
    scanner.host = "scanner-1.example.net";
    scanner.port = 41002;
    scanner.kind = PROBE_TCP;
    scanner.label = "scanner-1";
    scanner.enabled = true;
    scanner.state = ST_DEGRADED;
    scanner.rtt_us = 1500;
    scanner.addrs = scanner_addrs;
    scanner.n_addrs = 2;
    model.flows[10].peers = flow11;
    model.flows[10].n_peers = 1;
    model.flows[10].state = ST_DEGRADED;
    memset(&sc_link, 0, sizeof(sc_link));
    sc_link.index = 1;
    sc_link.name = "scanner-1";
    sc_link.peer = &scanner;
    sc_link.state = ST_UP;
    model.links = &sc_link;
    model.n_links = 1;

    /* an NTP server that sent a DENY Kiss-o'-Death */
    addr(&ntp_addrs[0], "192.0.2.123", ST_DOWN);
    memset(&ntp, 0, sizeof(ntp));
    ntp.flow_id = 8;
    ntp.index = 1;
    ntp.host = "ntp.example.net";
    ntp.port = 123;
    ntp.kind = PROBE_NTP;
    ntp.enabled = true;
    ntp.state = ST_DOWN;
    ntp.cause = CAUSE_KISS_OF_DEATH;
    snprintf(ntp.detail, sizeof(ntp.detail), "DENY");
    snprintf(ntp.ntp.refid, sizeof(ntp.ntp.refid), "DENY");
    ntp.kod_stopped = true;
    ntp.poll_multiplier = 1;
    ntp.rtt_us = -1;
    ntp.addrs = ntp_addrs;
    ntp.n_addrs = 1;
    model.flows[7].peers = flow8;
    model.flows[7].n_peers = 1;
    model.flows[7].state = ST_DOWN;
    return 0;
}

static json_t *parse(struct httpf_buf *b)
{
    httpf_put(b, "", 1);
    json_error_t err;
    json_t *doc = json_loads(b->s, 0, &err);
    if (!doc)
        fail_msg("not JSON (%s): %s", err.text, b->s);
    httpf_buf_free(b);
    return doc;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_link_address_is_the_one_that_answers(void **state)
{
    (void)state;
    assert_string_equal(core_link_address(&sc_link)->text, "2001:db8::10");
    struct httpf_buf b = {0};
    httpf_json_link(&b, &sc_link);
    json_t *l = parse(&b);
    assert_string_equal(str(l, "address"), "2001:db8::10");
    assert_string_equal(str(l, "host"), "scanner-1.example.net");
    assert_int_equal(json_integer_value(json_object_get(l, "port")), 41002);
    json_decref(l);

    /* none answers: the first known; none known: null */
    scanner_addrs[1].state = ST_DOWN;
    assert_string_equal(core_link_address(&sc_link)->text, "192.0.2.10");
    scanner.n_addrs = 0;
    assert_null(core_link_address(&sc_link));
    httpf_json_link(&b, &sc_link);
    l = parse(&b);
    assert_true(json_is_null(json_object_get(l, "address")));
    json_decref(l);
}

static void test_flows_document_shows_peers_and_addresses(void **state)
{
    (void)state;
    size_t len;
    char *s = httpf_flows_document(&model, 11, &len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    json_t *f = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(f);
    assert_int_equal(json_integer_value(json_object_get(f, "id")), 11);
    assert_string_equal(str(f, "state"), "degraded");
    json_t *p = json_array_get(json_object_get(f, "peers"), 0);
    assert_string_equal(str(p, "host"), "scanner-1.example.net");
    assert_string_equal(str(p, "label"), "scanner-1");
    assert_null(json_object_get(p, "ntp"));
    json_t *addrs = json_object_get(p, "addresses");
    assert_int_equal(json_array_size(addrs), 2);
    json_t *a0 = json_array_get(addrs, 0), *a1 = json_array_get(addrs, 1);
    assert_string_equal(str(a0, "family"), "ipv4");
    assert_string_equal(str(a0, "cause"), "refused");
    assert_string_equal(str(a0, "detail"), "connection refused");
    assert_true(json_is_null(json_object_get(a0, "rtt_ms")));
    assert_string_equal(str(a1, "family"), "ipv6");
    assert_true(json_real_value(json_object_get(a1, "rtt_ms")) == 1.5);
    assert_string_equal(str(a1, "since"), "2025-12-01T00:00:00.000Z");
    json_decref(f);

    s = httpf_flows_document(&model, 0, &len);
    assert_non_null(s);
    f = json_loads(s, 0, NULL);
    free(s);
    assert_int_equal(json_array_size(json_object_get(f, "items")), CAT_NFLOWS);
    json_decref(f);
}

/* /api/v1/ntp and /api/v1/flows/8 show an NTP server's result under the same names. */
static void test_ntp_server_in_ntp_and_in_flows(void **state)
{
    (void)state;
    struct httpf_buf b = {0};
    httpf_json_ntp_server(&b, &ntp);
    json_t *srv = parse(&b);
    size_t len;
    char *s = httpf_flows_document(&model, 8, &len);
    json_t *flow = json_loads(s, 0, NULL);
    free(s);
    json_t *peer = json_array_get(json_object_get(flow, "peers"), 0);
    json_t *nt = json_object_get(peer, "ntp");
    assert_non_null(nt);
    static const char *const keys[] = {"stratum", "offset_ms",   "delay_ms",       "refid",
                                       "leap",    "kod_stopped", "poll_multiplier"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_non_null(json_object_get(srv, keys[i]));
        assert_true(json_equal(json_object_get(srv, keys[i]), json_object_get(nt, keys[i])));
    }
    assert_true(json_is_true(json_object_get(srv, "kod_stopped")));
    assert_null(json_object_get(srv, "kod"));
    assert_string_equal(str(srv, "refid"), "DENY");
    assert_true(json_is_null(json_object_get(srv, "stratum")));
    assert_string_equal(str(srv, "cause"), "kiss-of-death");
    assert_true(json_equal(json_object_get(srv, "addresses"), json_object_get(peer, "addresses")));
    json_decref(srv);
    json_decref(flow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_link_address_is_the_one_that_answers, setup),
        cmocka_unit_test_setup(test_flows_document_shows_peers_and_addresses, setup),
        cmocka_unit_test_setup(test_ntp_server_in_ntp_and_in_flows, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
