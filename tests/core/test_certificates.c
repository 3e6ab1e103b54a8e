/* Checks one level up, the pure parts: the SMTP reply parser that finds STARTTLS, the end of an
 * HTTP header block and a proxy's status line, days left to a certificate's end; and the core's
 * handling of what a TLS check learnt: facts, never a verdict, and one event per threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "core.h"
#include "loop.h"
#include "probe.h"
#include "probe_tls.h"

static int smtp(const char *text, unsigned *code, bool *starttls)
{
    char why[SMSA_DETAIL_TEXT] = "";
    *code = 0;
    return probe_parse_smtp_reply(text, strlen(text), code, starttls, why, sizeof(why));
}

static void test_ehlo_reply_offers_starttls(void **state)
{
    (void)state;
    unsigned code;
    bool tls;
    assert_int_equal(smtp("250-mx.example.net\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
                          "250 8BITMIME\r\n",
                          &code, &tls),
                     1);
    assert_int_equal(code, 250);
    assert_true(tls);
    /* RFC 3207: the keyword is case-insensitive; a longer word is another extension */
    assert_int_equal(smtp("250-mx\r\n250 starttls\r\n", &code, &tls), 1);
    assert_true(tls);
    assert_int_equal(smtp("250-mx\r\n250-STARTTLSX\r\n250 OK\r\n", &code, &tls), 1);
    assert_false(tls);
    assert_int_equal(smtp("250-mx\n250 SIZE\n", &code, &tls), 1); /* bare LF */
    assert_false(tls);
    /* the reply is not over until a line has a space after its code */
    assert_int_equal(smtp("250-mx\r\n250-STARTTLS\r\n", &code, &tls), 0);
    assert_int_equal(smtp("250-mx\r\n250 OK", &code, &tls), 0);
    assert_int_equal(smtp("", &code, &tls), 0);
    /* no EHLO here (RFC 821 servers): a reply all the same */
    assert_int_equal(smtp("502 5.5.2 command not recognised\r\n", &code, &tls), 1);
    assert_int_equal(code, 502);
    assert_int_equal(smtp("220 ready\r\n", &code, &tls), 1);
    assert_int_equal(code, 220);
}

static void test_smtp_reply_that_is_not_one(void **state)
{
    (void)state;
    unsigned code;
    bool tls;
    char why[SMSA_DETAIL_TEXT];
    const char *junk = "SSH-2.0-OpenSSH_9.2\r\n";
    assert_int_equal(probe_parse_smtp_reply(junk, strlen(junk), &code, &tls, why, sizeof(why)), -1);
    assert_string_equal(why, "reply \"SSH-2.0-OpenSSH_9.2\"");
    assert_int_equal(smtp("250-mx\r\n354 go on\r\n", &code, &tls), -1); /* codes differ */
    assert_int_equal(smtp("25\r\n", &code, &tls), -1);
    assert_int_equal(smtp("250x\r\n", &code, &tls), -1);
    assert_int_equal(smtp("020 mx ESMTP\r\n", &code, &tls), -1); /* first digit 2 to 5 */
    assert_int_equal(smtp("650 no\r\n", &code, &tls), -1);
    /* a line longer than any reply line, with no end in sight */
    char long_line[700];
    memset(long_line, 'a', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    assert_int_equal(smtp(long_line, &code, &tls), -1);
}

static void test_http_header_end_and_a_proxy_status(void **state)
{
    (void)state;
    const char *ok = "HTTP/1.1 200 Connection established\r\nVia: proxy\r\n\r\n\x16\x03";
    assert_int_equal(probe_http_header_end(ok, strlen(ok)), strlen(ok) - 2);
    const char *lf = "HTTP/1.0 200 OK\n\n";
    assert_int_equal(probe_http_header_end(lf, strlen(lf)), strlen(lf));
    const char *partial = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n";
    assert_int_equal(probe_http_header_end(partial, strlen(partial)), 0);
    assert_int_equal(probe_http_header_end("", 0), 0);

    unsigned code = 0;
    char line[SMSA_DETAIL_TEXT], why[SMSA_DETAIL_TEXT];
    const char *refused = "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    assert_int_equal(probe_parse_http_status(refused, strlen(refused), &code, line, sizeof(line),
                                             why, sizeof(why)),
                     1);
    assert_int_equal(code, 407);
    assert_string_equal(line, "HTTP/1.1 407 Proxy Authentication Required");
}

static void test_days_left(void **state)
{
    (void)state;
    const int64_t now = 1798761600, day = 86400;
    assert_int_equal(tlsp_days_left(now + 5 * day, now), 5);
    assert_int_equal(tlsp_days_left(now + 5 * day - 1, now), 4); /* `-days 5`, a second on */
    assert_int_equal(tlsp_days_left(now + 1, now), 0);
    assert_int_equal(tlsp_days_left(now, now), 0);
    /* ended: never 0, which would read "still valid today" */
    assert_int_equal(tlsp_days_left(now - 1, now), -1);
    assert_int_equal(tlsp_days_left(now - day - day / 2, now), -1);
    assert_int_equal(tlsp_days_left(now - 2 * day - 1, now), -2);
    assert_int_equal(tlsp_days_left(INT64_MAX / 2, 0), INT32_MAX);
    assert_int_equal(tlsp_days_left(INT64_MIN / 2, 0), INT32_MIN);
}

/* ---- the core: facts beside the verdict, and the thresholds ---- */

#include "event_record.h"

static size_t count_tls(enum smsa_tls_expiry e)
{
    size_t n = 0;
    for (size_t i = 0; i < n_events; i++)
        n += events[i].kind == EV_TLS && events[i].expiry == e;
    return n;
}

static struct cfg *config_with_update(const char *proxy)
{
    struct cfg *c = cfg_defaults();
    c->probe.interval_ms = 3600000;
    c->probe.fail_threshold = 2;
    free(c->state_dir);
    c->state_dir = strdup("/nonexistent/smsa-test-state");
    for (size_t i = 0; i < c->n_updates; i++) {
        free(c->updates[i].purpose);
        free(c->updates[i].host);
    }
    free(c->updates);
    c->updates = calloc(2, sizeof(*c->updates));
    c->updates[0] = (struct cfg_update){strdup("software"), strdup("127.0.0.9"), 443, true};
    c->updates[1] = (struct cfg_update){strdup("antivirus"), strdup("lu.example.net"), 80, true};
    c->n_updates = 2;
    c->probe.http_proxy = proxy ? strdup(proxy) : NULL;
    return c;
}

static struct smsa_peer *start(const char *proxy, unsigned flow)
{
    n_events = 0;
    assert_int_equal(loop_init(), 0);
    assert_int_equal(core_init(config_with_update(proxy), NULL, NULL), 0);
    assert_int_equal(core_subscribe(collect, NULL), 0);
    const struct smsa_flow *f = &core_model()->flows[flow - 1];
    assert_int_equal(f->n_peers, 1);
    return f->peers[0];
}

static void stop(void)
{
    core_fini();
    loop_fini();
}

static void handshake(struct smsa_peer *p, int64_t not_after)
{
    struct probe_addr_result r = {.ok = true, .rtt_us = 300};
    r.tls.handshake = true;
    r.tls.cert.seen = true;
    r.tls.cert.not_after = not_after;
    snprintf(r.tls.cert.subject, sizeof(r.tls.cert.subject), "swupdate.example.net");
    core_round_done(p, &r, 1);
}

static void test_certificate_thresholds_announced_once(void **state)
{
    (void)state;
    struct smsa_peer *p = start(NULL, CAT_FLOW_UPDATES);
    assert_int_equal(p->kind, PROBE_TLS);
    assert_null(p->via_proxy);
    /* a minute short of whole days: the loop's clock may be a second behind time() */
    const int64_t now = (int64_t)time(NULL) - 60, day = 86400;
    /* no facts are held until a certificate is seen: most checks never show one */
    assert_null(p->tls);
    assert_null(p->addrs[0].tls);

    handshake(p, now + 20 * day);
    assert_int_equal(p->state, ST_UP);
    assert_true(p->tls->seen);
    assert_int_equal(p->addrs[0].tls->days_left, 19); /* 20 days less a minute */
    assert_int_equal(p->tls->expiry, TLS_EXPIRY_NONE);
    assert_int_equal(count_tls(TLS_EXPIRY_SOON) + count_tls(TLS_EXPIRY_EXPIRED), 0);

    /* within tls.warn_days (14): one event, however many rounds see it */
    handshake(p, now + 5 * day);
    handshake(p, now + 5 * day);
    assert_int_equal(count_tls(TLS_EXPIRY_SOON), 1);
    assert_int_equal(p->tls->expiry, TLS_EXPIRY_SOON);
    const struct smsa_event *ev = &events[n_events - 1];
    for (size_t i = n_events; i > 0; i--)
        if (events[i - 1].kind == EV_TLS)
            ev = &events[i - 1];
    assert_int_equal(ev->days_left, 4);
    assert_int_equal(ev->not_after, now + 5 * day);
    assert_string_equal(ev->address, "127.0.0.9");
    assert_string_equal(ev->subject, "swupdate.example.net");

    /* ended: the next threshold, and the check stays up */
    handshake(p, now - 3600);
    handshake(p, now - 3600);
    assert_int_equal(count_tls(TLS_EXPIRY_EXPIRED), 1);
    assert_int_equal(p->tls->days_left, -1);
    assert_int_equal(p->state, ST_UP);

    /* renewed: quiet, and a later approach is announced again */
    handshake(p, now + 300 * day);
    assert_int_equal(p->tls->expiry, TLS_EXPIRY_NONE);
    assert_int_equal(count_tls(TLS_EXPIRY_SOON), 1);
    handshake(p, now + 3 * day);
    assert_int_equal(count_tls(TLS_EXPIRY_SOON), 2);

    /* a failed handshake is the verdict; the certificate last seen stays published */
    struct probe_addr_result bad = {.ok = false, .cause = CAUSE_PROTOCOL_ERROR, .rtt_us = -1};
    snprintf(bad.detail, sizeof(bad.detail), "TLS: Error in the pull function.");
    core_round_done(p, &bad, 1);
    core_round_done(p, &bad, 1);
    assert_int_equal(p->state, ST_DOWN);
    assert_string_equal(p->detail, "TLS: Error in the pull function.");
    assert_true(p->tls->seen);
    stop();
}

static void test_update_flows_through_a_proxy(void **state)
{
    (void)state;
    struct smsa_peer *p = start("127.0.0.7:3128", CAT_FLOW_LIVEUPDATE);
    assert_int_equal(p->kind, PROBE_HTTP);
    assert_string_equal(p->via_proxy, "127.0.0.7:3128");
    uint16_t port = 0;
    assert_string_equal(smsa_probe_host(p, &port), "127.0.0.7");
    assert_int_equal(port, 3128);
    /* the proxy is a literal: its address is the one probed, known at once */
    assert_int_equal(p->n_addrs, 1);
    assert_string_equal(p->addrs[0].text, "127.0.0.7");
    assert_string_equal(p->host, "lu.example.net");
    assert_int_equal(p->port, 80);
    /* an answer that proves the service is the detail while up */
    struct probe_addr_result r = {.ok = true, .rtt_us = 300};
    snprintf(r.detail, sizeof(r.detail), "HTTP/1.1 200 OK via proxy 127.0.0.7:3128");
    core_round_done(p, &r, 1);
    assert_int_equal(p->state, ST_UP);
    assert_string_equal(p->detail, "HTTP/1.1 200 OK via proxy 127.0.0.7:3128");
    assert_string_equal(p->addrs[0].detail, "HTTP/1.1 200 OK via proxy 127.0.0.7:3128");
    stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ehlo_reply_offers_starttls),
        cmocka_unit_test(test_smtp_reply_that_is_not_one),
        cmocka_unit_test(test_http_header_end_and_a_proxy_status),
        cmocka_unit_test(test_days_left),
        cmocka_unit_test(test_certificate_thresholds_announced_once),
        cmocka_unit_test(test_update_flows_through_a_proxy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
