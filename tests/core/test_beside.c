/* Beside the appliance: the parsers that prove a service (SSH identification, HTTP status
 * line), the appliance state rule, and the model a placement builds (which checks, of which
 * kind, at which host, concerning which appliance). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appliances.h"
#include "config.h"
#include "core.h"
#include "indexes.h"
#include "loop.h"
#include "probe.h"

/* ---- the parsers ---- */

static int ssh(const char *text, char *why)
{
    return probe_parse_ssh_ident(text, strlen(text), why, SMSA_DETAIL_TEXT);
}

static void test_ssh_identification(void **state)
{
    (void)state;
    char why[SMSA_DETAIL_TEXT] = "";
    assert_int_equal(ssh("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", why), 1);
    assert_int_equal(ssh("SSH-1.99-Cisco-1.25\n", why), 1);
    assert_int_equal(ssh("SSH-2.0-Open", why), 0); /* the line is still coming */
    assert_int_equal(ssh("", why), 0);
    assert_int_equal(ssh("220 mail.example.net ESMTP\r\n", why), -1);
    assert_string_equal(why, "banner \"220 mail.example.net ESMTP\"");
    assert_int_equal(ssh("ssh-2.0-lowercase\r\n", why), -1);
    /* a hostile peer's bytes are made printable before anyone reads them */
    assert_int_equal(ssh("\x1b[31mred\"\\\x01\r\n", why), -1);
    assert_string_equal(why, "banner \"?[31mred???\"");
    /* 255 characters without an end of line is no identification (RFC 4253 §4.2) */
    char long_line[300];
    memset(long_line, 'A', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    assert_int_equal(ssh(long_line, why), -1);
    assert_true(strlen(why) < SMSA_DETAIL_TEXT);
    assert_non_null(strstr(why, "...\""));
}

static int http(const char *text, unsigned *code, char *line, char *why)
{
    return probe_parse_http_status(text, strlen(text), code, line, SMSA_DETAIL_TEXT, why,
                                   SMSA_DETAIL_TEXT);
}

static void test_http_status_line(void **state)
{
    (void)state;
    char why[SMSA_DETAIL_TEXT] = "", line[SMSA_DETAIL_TEXT] = "";
    unsigned code = 0;
    assert_int_equal(http("HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n", &code, line, why), 1);
    assert_int_equal(code, 302);
    assert_string_equal(line, "HTTP/1.1 302 Found");
    /* any status proves the service, an error status too */
    assert_int_equal(http("HTTP/1.0 503 Service Unavailable\r\n", &code, line, why), 1);
    assert_int_equal(code, 503);
    assert_int_equal(http("HTTP/1.1 204\r\n", &code, line, why), 1);
    assert_int_equal(http("HTTP/1.1 20", &code, line, why), 0);
    assert_int_equal(http("SSH-2.0-OpenSSH_9.2\r\n", &code, line, why), -1);
    assert_string_equal(why, "answer \"SSH-2.0-OpenSSH_9.2\"");
    assert_int_equal(http("HTTP/2 200\r\n", &code, line, why), -1);
    assert_int_equal(http("HTTP/1.1 2x0 OK\r\n", &code, line, why), -1);
    assert_int_equal(http("HTTP/1.1 2000 OK\r\n", &code, line, why), -1);
}

static void test_printable(void **state)
{
    (void)state;
    char out[8];
    probe_printable("abc\r\ndef", 8, out, sizeof(out));
    assert_string_equal(out, "abc");
    probe_printable("abcdefghijkl", 12, out, sizeof(out));
    assert_string_equal(out, "abcd...");
    probe_printable("a\0b\xff", 4, out, sizeof(out));
    assert_string_equal(out, "a?b?");
}

static void test_service_probe_kinds(void **state)
{
    (void)state;
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_SSH), PROBE_SSH);
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_MAIL_FROM_INTERNET), PROBE_SMTP);
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_MAIL_FROM_INTERNAL), PROBE_SMTP);
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_HTTPS_MANAGEMENT), PROBE_TLS);
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_HTTP_MANAGEMENT), PROBE_HTTP);
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_LINK_SCANNER), PROBE_TCP);
    assert_int_equal(cat_service_probe_kind(CAT_FLOW_QUARANTINE), PROBE_TCP);
    assert_string_equal(cat_probe_kind_name(PROBE_TLS), "tls");
    assert_string_equal(cat_probe_kind_name(PROBE_SSH), "ssh");
    assert_string_equal(cat_probe_kind_name(PROBE_HTTP), "http");
}

/* ---- the state rule ---- */

static void test_appliance_state_rule(void **state)
{
    (void)state;
    struct smsa_peer p[4];
    struct smsa_peer *checks[4] = {&p[0], &p[1], &p[2], &p[3]};
    struct appl_verdict v;
    memset(p, 0, sizeof(p));
    for (unsigned i = 0; i < 4; i++) {
        p[i].flow_id = i + 1;
        p[i].state = ST_UNKNOWN;
    }
    appl_verdict(checks, 4, &v);
    assert_int_equal(v.state, ST_UNKNOWN); /* no verdict yet */
    appl_verdict(checks, 0, &v);
    assert_int_equal(v.state, ST_UNKNOWN);

    p[0].state = ST_UP;
    p[3].state = ST_DISABLED; /* a disabled check counts for nothing */
    appl_verdict(checks, 4, &v);
    assert_int_equal(v.state, ST_UP);
    assert_int_equal(v.up, 1);
    assert_int_equal(v.cause, CAUSE_NONE);

    p[1].state = ST_DEGRADED;
    p[1].cause = CAUSE_TIMEOUT;
    snprintf(p[1].detail, sizeof(p[1].detail), "no answer in 200 ms");
    appl_verdict(checks, 4, &v);
    assert_int_equal(v.state, ST_DEGRADED);
    assert_int_equal(v.cause, CAUSE_TIMEOUT);
    assert_int_equal(v.flow, 2);

    /* a down check is worse than a degraded one: its cause is the appliance's */
    p[2].state = ST_DOWN;
    p[2].cause = CAUSE_PROTOCOL_ERROR;
    snprintf(p[2].detail, sizeof(p[2].detail), "greeting 554");
    appl_verdict(checks, 4, &v);
    assert_int_equal(v.state, ST_DEGRADED);
    assert_int_equal(v.cause, CAUSE_PROTOCOL_ERROR);
    assert_string_equal(v.detail, "greeting 554");
    assert_int_equal(v.flow, 3);
    assert_int_equal(v.up, 1);
    assert_int_equal(v.down, 1);

    /* down when none answers */
    p[0].state = p[1].state = ST_DOWN;
    p[0].cause = CAUSE_REFUSED;
    appl_verdict(checks, 4, &v);
    assert_int_equal(v.state, ST_DOWN);
    assert_int_equal(v.cause, CAUSE_REFUSED);
    assert_int_equal(v.down, 3);
}

/* ---- the model of each placement ---- */

#include "event_record.h"

static void add_scanner(struct cfg *c, const char *name, const char *host)
{
    c->scanners = realloc(c->scanners, (c->n_scanners + 1) * sizeof(*c->scanners));
    c->scanners[c->n_scanners].name = strdup(name);
    c->scanners[c->n_scanners].peer.host = strdup(host);
    c->scanners[c->n_scanners].peer.port = 0;
    c->n_scanners++;
}

static struct cfg *fleet(enum smsa_role role, enum cfg_placement placement)
{
    struct cfg *c = cfg_defaults();
    c->role = role;
    c->placement = placement;
    free(c->name);
    c->name = strdup("cc1");
    if (placement == PLACEMENT_BESIDE)
        c->address = strdup("192.0.2.10");
    c->control_center = strdup("192.0.2.10");
    c->probe.interval_ms = 3600000;
    c->probe.fail_threshold = 1;
    free(c->state_dir);
    c->state_dir = strdup("/nonexistent/smsa-test-state");
    add_scanner(c, "s1", "192.0.2.11");
    add_scanner(c, "s2", "s2.example.net");
    return c;
}

static void start(struct cfg *c)
{
    n_events = 0;
    assert_int_equal(loop_init(), 0);
    assert_int_equal(core_init(c, NULL, NULL), 0);
    assert_int_equal(core_subscribe(collect, NULL), 0);
}

static int stop(void **state)
{
    (void)state;
    core_fini();
    loop_fini();
    return 0;
}

static const struct smsa_peer *peer_of(unsigned flow, const char *appliance)
{
    const struct smsa_flow *f = &core_model()->flows[flow - 1];
    const struct smsa_appliance *a = core_appliance_by_name(appliance);
    for (size_t i = 0; a && i < f->n_peers; i++)
        if (f->peers[i]->appliance_index == a->index)
            return f->peers[i];
    return NULL;
}

static void feed(const struct smsa_peer *cp, bool ok, enum smsa_cause cause, const char *detail)
{
    struct probe_addr_result r = {.ok = ok, .cause = ok ? CAUSE_NONE : cause, .rtt_us = 100};
    snprintf(r.detail, sizeof(r.detail), "%s", ok ? "" : detail);
    core_round_done((struct smsa_peer *)cp, &r, 1);
}

static void test_beside_a_control_center(void **state)
{
    (void)state;
    start(fleet(ROLE_CONTROL_CENTER, PLACEMENT_BESIDE));
    const struct smsa_model *m = core_model();
    assert_int_equal(m->n_appliances, 3);
    const struct smsa_appliance *cc = core_appliance_by_name("cc1");
    assert_non_null(cc);
    assert_true(cc->self);
    assert_string_equal(cc->host, "192.0.2.10");
    assert_int_equal(cc->state, ST_UNKNOWN);
    /* its own inbound flows at its address, each with the check that proves it */
    const struct smsa_peer *p = peer_of(CAT_FLOW_SSH, "cc1");
    assert_non_null(p);
    assert_string_equal(p->host, "192.0.2.10");
    assert_string_equal(p->label, "cc1");
    assert_int_equal(p->kind, PROBE_SSH);
    assert_int_equal(p->port, 22);
    assert_int_equal(peer_of(CAT_FLOW_LINK_SCANNER, "cc1")->kind, PROBE_TCP);
    assert_int_equal(peer_of(CAT_FLOW_QUARANTINE, "cc1")->port, 41025);
    assert_int_equal(peer_of(CAT_FLOW_HTTPS_MANAGEMENT, "cc1")->kind, PROBE_TLS);
    assert_int_equal(m->flows[CAT_FLOW_HTTP_MANAGEMENT - 1].state, ST_DISABLED); /* off */
    assert_int_equal(cc->n_checks, 4);                                           /* 1, 12, 13, 15 */
    /* each scanner's 22 and 25 (flows 1, 2, 4), at the scanner's host */
    assert_int_equal(m->flows[CAT_FLOW_SSH - 1].n_peers, 3);
    assert_int_equal(peer_of(CAT_FLOW_SSH, "s2")->kind, PROBE_SSH);
    assert_string_equal(peer_of(CAT_FLOW_SSH, "s2")->host, "s2.example.net");
    const struct smsa_flow *mail = &m->flows[CAT_FLOW_MAIL_FROM_INTERNET - 1];
    assert_int_equal(mail->direction, DIR_INBOUND);
    assert_int_equal(mail->n_peers, 2);
    assert_int_equal(peer_of(CAT_FLOW_MAIL_FROM_INTERNAL, "s1")->kind, PROBE_SMTP);
    assert_null(peer_of(CAT_FLOW_MAIL_FROM_INTERNET, "cc1")); /* a CC receives no mail */
    /* and the Control Center's own flows to them concern them too */
    assert_non_null(peer_of(CAT_FLOW_LINK_CC, "s1"));
    assert_non_null(peer_of(CAT_FLOW_VIRUS_RELEASE_OUT, "s1"));
    assert_int_equal(core_appliance_by_name("s1")->n_checks, 7); /* 1, 2, 4, 11, 16-18 */
    /* every flow beside is measured from this host */
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        assert_int_equal(m->flows[i].measured_from, MEASURED_FROM_VANTAGE);
    /* no listen check is left */
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        for (size_t j = 0; j < m->flows[i].n_peers; j++)
            assert_int_not_equal(m->flows[i].peers[j]->kind, PROBE_LISTEN);
}

static void test_appliance_events(void **state)
{
    (void)state;
    start(fleet(ROLE_CONTROL_CENTER, PLACEMENT_BESIDE));
    const struct smsa_appliance *s1 = core_appliance_by_name("s1");
    const unsigned flows[] = {1, 2, 4, 11, 16, 17, 18};
    for (size_t i = 0; i < 7; i++)
        feed(peer_of(flows[i], "s1"), true, CAUSE_NONE, "");
    assert_int_equal(s1->state, ST_UP);
    assert_int_equal(s1->n_up, 7);
    const struct smsa_event *ev = NULL;
    for (size_t i = 0; i < n_events; i++)
        if (events[i].kind == EV_APPLIANCE)
            ev = &events[i];
    assert_non_null(ev);
    assert_string_equal(ev->name, "s1");
    assert_int_equal(ev->appliance_index, s1->index);
    assert_int_equal(ev->role, ROLE_SCANNER);
    assert_int_equal(ev->new_state, ST_UP);
    assert_string_equal(ev->address, "192.0.2.11");
    assert_string_equal(smsa_event_kind_name(ev->kind), "appliance");

    /* SMTP answering 554: the appliance is degraded, and says why */
    n_events = 0;
    feed(peer_of(CAT_FLOW_MAIL_FROM_INTERNET, "s1"), false, CAUSE_PROTOCOL_ERROR, "greeting 554");
    assert_int_equal(s1->state, ST_DEGRADED);
    assert_int_equal(s1->cause, CAUSE_PROTOCOL_ERROR);
    assert_string_equal(s1->detail, "greeting 554");
    size_t appliance_events = 0;
    for (size_t i = 0; i < n_events; i++)
        if (events[i].kind == EV_APPLIANCE) {
            appliance_events++;
            assert_int_equal(events[i].old_state, ST_UP);
            assert_int_equal(events[i].new_state, ST_DEGRADED);
            assert_int_equal(events[i].cause, CAUSE_PROTOCOL_ERROR);
            assert_string_equal(events[i].detail, "greeting 554");
        }
    assert_int_equal(appliance_events, 1);
    /* a second failing check while degraded is no new event */
    n_events = 0;
    feed(peer_of(CAT_FLOW_SSH, "s1"), false, CAUSE_REFUSED, "connection refused");
    for (size_t i = 0; i < n_events; i++)
        assert_int_not_equal(events[i].kind, EV_APPLIANCE);
    /* none answers: down, counted once */
    for (size_t i = 0; i < 7; i++)
        feed(peer_of(flows[i], "s1"), false, CAUSE_REFUSED, "connection refused");
    assert_int_equal(s1->state, ST_DOWN);
    assert_int_equal(s1->down_count, 1);
    assert_int_equal(s1->n_down, 7);
    /* the other appliances are untouched */
    assert_int_equal(core_appliance_by_name("cc1")->state, ST_UNKNOWN);
}

static void test_on_box_is_as_before(void **state)
{
    (void)state;
    start(fleet(ROLE_CONTROL_CENTER, PLACEMENT_ON_BOX));
    const struct smsa_model *m = core_model();
    const struct smsa_appliance *cc = core_appliance_by_name("cc1");
    assert_string_equal(cc->host, "local");
    const struct smsa_peer *p = peer_of(CAT_FLOW_SSH, "cc1");
    assert_int_equal(p->kind, PROBE_LISTEN);
    assert_string_equal(p->host, "local");
    assert_int_equal(m->flows[CAT_FLOW_SSH - 1].n_peers, 1);
    assert_int_equal(m->flows[CAT_FLOW_MAIL_FROM_INTERNET - 1].state, ST_NOT_APPLICABLE);
    assert_int_equal(core_appliance_by_name("s1")->n_checks, 4); /* 11, 16-18 */
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        assert_int_equal(m->flows[i].measured_from, MEASURED_FROM_APPLIANCE);
    size_t n;
    assert_null(core_appliance_addresses(cc, &n));
    assert_int_equal(n, 0);
}

static void test_beside_a_scanner(void **state)
{
    (void)state;
    start(fleet(ROLE_SCANNER, PLACEMENT_BESIDE));
    const struct smsa_model *m = core_model();
    assert_int_equal(m->n_appliances, 1); /* a Scanner's fleet is itself */
    const unsigned inbound[] = {1, 2, 4, 11, 16, 17, 18};
    for (size_t i = 0; i < 7; i++) {
        const struct smsa_peer *p = peer_of(inbound[i], "cc1");
        assert_non_null(p);
        assert_string_equal(p->host, "192.0.2.10");
    }
    assert_int_equal(peer_of(CAT_FLOW_MAIL_FROM_INTERNET, "cc1")->kind, PROBE_SMTP);
    /* flows 12 and 13 stay outbound probes to the Control Center */
    const struct smsa_flow *f12 = &m->flows[CAT_FLOW_LINK_SCANNER - 1];
    assert_int_equal(f12->direction, DIR_OUTBOUND);
    assert_int_equal(f12->n_peers, 1);
    assert_string_equal(f12->peers[0]->label, "control-center");
    assert_int_equal(f12->peers[0]->appliance_index, 0);
    assert_int_equal(m->flows[CAT_FLOW_QUARANTINE - 1].direction, DIR_OUTBOUND);
}

static void test_all_in_one_beside(void **state)
{
    (void)state;
    struct cfg *c = fleet(ROLE_ALL_IN_ONE, PLACEMENT_BESIDE);
    c->http_management = true;
    start(c);
    const struct smsa_appliance *self = core_appliance_by_name("cc1");
    assert_int_equal(self->n_checks, 7); /* 1, 2, 4, 12, 13, 14, 15 */
    assert_int_equal(peer_of(CAT_FLOW_HTTP_MANAGEMENT, "cc1")->kind, PROBE_HTTP);
    assert_int_equal(peer_of(CAT_FLOW_HTTP_MANAGEMENT, "cc1")->port, 41080);
    assert_int_equal(core_appliance_by_name("s2")->n_checks, 7); /* 1, 2, 4, 11, 16-18 */
}

/* An appliance's index is tied to its name and written with the other indexes. */
static void test_appliance_indexes_persist(void **state)
{
    (void)state;
    struct idx_map *m = idx_new();
    assert_int_equal(idx_get(m, IDX_APPLIANCES, "cc1"), 1);
    assert_int_equal(idx_get(m, IDX_APPLIANCES, "s1"), 2);
    assert_int_equal(idx_get(m, IDX_LINKS, "s1"), 1); /* spaces apart */
    char *text = idx_serialise(m);
    assert_non_null(strstr(text, "\"appliances\""));
    struct idx_map *back = idx_new();
    char why[128];
    assert_int_equal(idx_parse(back, text, strlen(text), why, sizeof(why)), 0);
    assert_int_equal(idx_get(back, IDX_APPLIANCES, "s1"), 2);
    assert_int_equal(idx_get(back, IDX_APPLIANCES, "s9"), 3);
    free(text);
    idx_free(back);
    idx_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_identification),
        cmocka_unit_test(test_http_status_line),
        cmocka_unit_test(test_printable),
        cmocka_unit_test(test_service_probe_kinds),
        cmocka_unit_test(test_appliance_state_rule),
        cmocka_unit_test(test_appliance_indexes_persist),
        cmocka_unit_test_teardown(test_beside_a_control_center, stop),
        cmocka_unit_test_teardown(test_appliance_events, stop),
        cmocka_unit_test_teardown(test_on_box_is_as_before, stop),
        cmocka_unit_test_teardown(test_beside_a_scanner, stop),
        cmocka_unit_test_teardown(test_all_in_one_beside, stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
