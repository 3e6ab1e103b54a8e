/* The core's state machine, driven directly: probe rounds in, state and events out. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "core.h"
#include "core_internal.h"
#include "event_log.h"
#include "log.h"
#include "loop.h"

#include "event_record.h"

static void add_scanner(struct cfg *c, const char *name, const char *host)
{
    c->scanners = realloc(c->scanners, (c->n_scanners + 1) * sizeof(*c->scanners));
    c->scanners[c->n_scanners].name = strdup(name);
    c->scanners[c->n_scanners].peer.host = strdup(host);
    c->scanners[c->n_scanners].peer.port = 0;
    c->n_scanners++;
}

/* Nothing probes during these tests: the core runs without a prober (no engine, no
 * resolver), and every round is fed through the core's result functions by hand. */
static struct cfg *test_config(enum smsa_role role)
{
    struct cfg *c = cfg_defaults();
    c->role = role;
    c->probe.interval_ms = 3600000;
    c->probe.fail_threshold = 3;
    c->probe.recover_threshold = 1;
    free(c->state_dir);
    c->state_dir = strdup("/nonexistent/smsa-test-state"); /* indexes kept in memory only */
    add_scanner(c, "scanner1", "127.0.0.2");
    add_scanner(c, "scanner2", "scanner2.example.net");
    return c;
}

static int setup(void **state)
{
    (void)state;
    n_events = 0;
    assert_int_equal(loop_init(), 0);
    assert_int_equal(core_init(test_config(ROLE_CONTROL_CENTER), NULL, NULL), 0);
    assert_int_equal(core_subscribe(collect, NULL), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    core_fini();
    loop_fini();
    return 0;
}

static struct smsa_peer *link_peer(unsigned index)
{
    const struct smsa_model *m = core_model();
    for (size_t i = 0; i < m->n_links; i++)
        if (m->links[i].index == index)
            return m->links[i].peer;
    return NULL;
}

static void feed(struct smsa_peer *p, bool ok, enum smsa_cause cause)
{
    struct probe_addr_result r = {.ok = ok, .cause = ok ? CAUSE_NONE : cause, .rtt_us = 150};
    core_round_done(p, &r, 1);
}

static void addr4(struct sockaddr_storage *ss, socklen_t *len, const char *text)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    s4->sin_family = AF_INET;
    s4->sin_port = htons(41002);
    inet_pton(AF_INET, text, &s4->sin_addr);
    *len = sizeof(*s4);
}

static void test_model_of_a_control_center(void **state)
{
    (void)state;
    const struct smsa_model *m = core_model();
    assert_int_equal(m->flows[1].state, ST_NOT_APPLICABLE); /* inbound Internet mail */
    assert_int_equal(m->flows[7].state, ST_DISABLED);       /* NTP off by default */
    assert_int_equal(m->flows[13].state, ST_DISABLED);      /* 41080 off by default */
    assert_int_equal(m->flows[8].state, ST_UNCONFIGURED);   /* no LDAP server */
    assert_int_equal(m->flows[10].state, ST_UNKNOWN);       /* 41002 to scanners */
    assert_int_equal(m->flows[10].n_peers, 2);
    assert_int_equal(m->n_links, 2);
    assert_string_equal(m->links[0].name, "scanner1");
    assert_int_equal(m->links[0].peer->port, 41002);
    /* the six vendor update sources: 443 x3, 80 x2, FTP x1 */
    assert_int_equal(m->n_updates, 6);
    assert_int_equal(m->flows[5].n_peers, 3);
    assert_int_equal(m->flows[18].n_peers, 2);
    assert_int_equal(m->flows[19].n_peers, 1);
    assert_int_equal(m->flows[19].peers[0]->kind, PROBE_FTP);
    assert_int_equal(m->updates[5]->flow_id, 20);
    /* an address literal has its one address at once; a hostname waits for a lookup */
    assert_int_equal(link_peer(1)->n_addrs, 1);
    assert_int_equal(link_peer(2)->n_addrs, 0);
    assert_int_equal(m->overall, ST_UNKNOWN);
}

static void test_link_goes_down_once_after_threshold(void **state)
{
    (void)state;
    struct smsa_peer *p = link_peer(1);
    feed(p, true, CAUSE_NONE);
    assert_int_equal(count(EV_LINK), 1);
    n_events = 0;
    feed(p, false, CAUSE_REFUSED);
    /* one address that failed once, inside the hysteresis: still up, not degraded */
    assert_int_equal(p->state, ST_UP);
    assert_int_equal(core_model()->flows[10].state, ST_UP);
    feed(p, false, CAUSE_REFUSED);
    assert_int_equal(count(EV_LINK), 0);
    feed(p, false, CAUSE_REFUSED);
    assert_int_equal(count(EV_LINK), 1);
    const struct smsa_event *ev = last(EV_LINK);
    assert_string_equal(ev->name, "scanner1");
    assert_int_equal(ev->new_state, ST_DOWN);
    assert_int_equal(ev->cause, CAUSE_REFUSED);
    assert_string_equal(ev->address, "127.0.0.2");
    assert_int_equal(ev->link_index, 1);
    feed(p, false, CAUSE_REFUSED);
    feed(p, false, CAUSE_TIMEOUT);
    assert_int_equal(count(EV_LINK), 1); /* still down: no repeat */
    const struct smsa_model *m = core_model();
    assert_int_equal(m->links[0].state, ST_DOWN);
    assert_int_equal(m->links[0].down_count, 1);
    assert_int_equal(p->cause, CAUSE_TIMEOUT);
    feed(p, true, CAUSE_NONE);
    assert_int_equal(count(EV_LINK), 2);
    assert_int_equal(last(EV_LINK)->new_state, ST_UP);
    assert_int_equal(m->links[0].state, ST_UP);
    assert_int_equal(p->checks, 7);
    assert_int_equal(p->failures, 5);
}

static void test_flow_aggregates_its_peers(void **state)
{
    (void)state;
    const struct smsa_model *m = core_model();
    struct smsa_peer *a = link_peer(1), *b = link_peer(2);
    feed(a, true, CAUSE_NONE);
    assert_int_equal(m->flows[10].state, ST_UP); /* the other peer is still unknown */
    core_round_failed(b, CAUSE_DNS_FAILURE, NULL);
    core_round_failed(b, CAUSE_DNS_FAILURE, NULL);
    core_round_failed(b, CAUSE_DNS_FAILURE, NULL);
    assert_int_equal(b->state, ST_DOWN);
    assert_int_equal(b->cause, CAUSE_DNS_FAILURE);
    assert_int_equal(m->flows[10].state, ST_DEGRADED);
    assert_int_equal(last(EV_FLOW)->flow_id, 11);
    assert_int_equal(last(EV_FLOW)->new_state, ST_DEGRADED);
    feed(a, false, CAUSE_TIMEOUT);
    feed(a, false, CAUSE_TIMEOUT);
    feed(a, false, CAUSE_TIMEOUT);
    assert_int_equal(m->flows[10].state, ST_DOWN);
}

static void test_peer_with_some_addresses_down_is_degraded_link_up(void **state)
{
    (void)state;
    struct smsa_peer *p = link_peer(2);
    struct sockaddr_storage ss[2];
    socklen_t len[2];
    addr4(&ss[0], &len[0], "127.0.0.5");
    addr4(&ss[1], &len[1], "127.0.0.4");
    core_set_addresses(p, ss, len, 2);
    assert_int_equal(p->n_addrs, 2);
    assert_string_equal(p->addrs[0].text, "127.0.0.4"); /* kept sorted */
    struct probe_addr_result r[2] = {{.ok = true, .rtt_us = 90},
                                     {.ok = false, .cause = CAUSE_REFUSED}};
    core_round_done(p, r, 2);
    assert_int_equal(p->state, ST_DEGRADED);
    assert_int_equal(p->cause, CAUSE_REFUSED);
    assert_int_equal(core_model()->links[1].state, ST_UP);
    assert_int_equal(p->addrs[0].state, ST_UP);
    assert_int_equal(p->addrs[1].state, ST_UNKNOWN); /* one failure is below the threshold */
    assert_int_equal(p->rtt_us, 90);
}

static void test_address_set_change_is_one_event(void **state)
{
    (void)state;
    struct smsa_peer *p = link_peer(2);
    struct sockaddr_storage ss[3];
    socklen_t len[3];
    addr4(&ss[0], &len[0], "127.0.0.4");
    addr4(&ss[1], &len[1], "127.0.0.5");
    addr4(&ss[2], &len[2], "127.0.0.4");
    core_set_addresses(p, ss, len, 1); /* first resolution: not a change */
    assert_int_equal(count(EV_ADDRSET), 0);
    core_set_addresses(p, ss, len, 1);
    assert_int_equal(count(EV_ADDRSET), 0);
    core_set_addresses(p, ss, len, 3); /* {4, 5, 4}: a new member, the duplicate folded */
    assert_int_equal(count(EV_ADDRSET), 1);
    assert_int_equal(p->n_addrs, 2);
    assert_int_equal(p->addrset_changes, 1);
    assert_string_equal(last(EV_ADDRSET)->addresses, "127.0.0.4 127.0.0.5");
    struct sockaddr_storage rev[2] = {ss[1], ss[0]};
    socklen_t rlen[2] = {len[1], len[0]};
    core_set_addresses(p, rev, rlen, 2); /* same set, other order */
    assert_int_equal(count(EV_ADDRSET), 1);
    core_set_addresses(p, &ss[1], &len[1], 1);
    assert_int_equal(count(EV_ADDRSET), 2);
    assert_int_equal(p->addrset_changes, 2);
}

static void test_addrset_helpers(void **state)
{
    (void)state;
    struct smsa_addr a[3], b[2];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    for (int i = 0; i < 3; i++)
        a[i].family = AF_INET;
    for (int i = 0; i < 2; i++)
        b[i].family = AF_INET;
    ((struct sockaddr_in *)&a[0].sa)->sin_addr.s_addr = htonl(2);
    ((struct sockaddr_in *)&a[1].sa)->sin_addr.s_addr = htonl(1);
    ((struct sockaddr_in *)&a[2].sa)->sin_addr.s_addr = htonl(2);
    ((struct sockaddr_in *)&b[0].sa)->sin_addr.s_addr = htonl(1);
    ((struct sockaddr_in *)&b[1].sa)->sin_addr.s_addr = htonl(2);
    assert_int_equal(core_addrset_normalise(a, 3), 2);
    assert_true(core_addrset_equal(a, 2, b, 2));
    assert_false(core_addrset_equal(a, 1, b, 2));
}

static void test_change_without_a_file_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    struct cfg *next = cfg_clone(core_config());
    add_scanner(next, "scanner3", "127.0.0.9");
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(core_change(next, &err), -1);
    assert_int_equal(err.kind, CFG_ERR_IO);
    assert_int_equal(core_config()->n_scanners, 2);
    assert_int_equal(core_model()->n_links, 2);
}

static void test_change_persists_then_applies_keeping_state(void **state)
{
    (void)state;
    core_fini();
    char dir[] = "/tmp/smsa-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/smsa-agent.json", dir);
    struct cfg *start = test_config(ROLE_CONTROL_CENTER);
    free(start->state_dir);
    start->state_dir = strdup(dir);
    assert_int_equal(core_init(start, path, NULL), 0);
    core_subscribe(collect, NULL);
    struct smsa_peer *p = link_peer(2);
    for (int i = 0; i < 3; i++)
        feed(p, false, CAUSE_REFUSED);
    assert_int_equal(core_model()->links[1].state, ST_DOWN);

    struct cfg *next = cfg_clone(core_config());
    add_scanner(next, "scanner3", "127.0.0.9");
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(core_change(next, &err), 0);
    const struct smsa_model *m = core_model();
    assert_int_equal(m->n_links, 3);
    assert_string_equal(m->links[1].name, "scanner2");
    assert_int_equal(m->links[1].state, ST_DOWN); /* what was learnt is kept */
    assert_int_equal(m->links[1].down_count, 1);
    assert_int_equal(m->links[2].index, 3);

    struct cfg *saved = cfg_load(path, &err);
    assert_non_null(saved);
    assert_int_equal(saved->n_scanners, 3);
    assert_string_equal(saved->scanners[2].name, "scanner3");
    cfg_free(saved);

    /* removing the first scanner keeps the others' link indexes */
    next = cfg_clone(core_config());
    free(next->scanners[0].name);
    free(next->scanners[0].peer.host);
    memmove(&next->scanners[0], &next->scanners[1], 2 * sizeof(next->scanners[0]));
    next->n_scanners = 2;
    assert_int_equal(core_change(next, &err), 0);
    assert_int_equal(m->n_links, 2);
    assert_int_equal(m->links[0].index, 2);
    assert_string_equal(m->links[0].name, "scanner2");
    assert_int_equal(m->links[1].index, 3);

    /* a new scanner never takes the removed one's index */
    next = cfg_clone(core_config());
    add_scanner(next, "scanner4", "127.0.0.10");
    assert_int_equal(core_change(next, &err), 0);
    assert_int_equal(m->n_links, 3);
    assert_string_equal(m->links[2].name, "scanner4");
    assert_int_equal(m->links[2].index, 4);
    unsigned peer16 = m->flows[15].peers[2]->index;
    assert_int_equal(peer16, 4);

    /* and after a restart every link and peer keeps its index */
    core_fini();
    assert_int_equal(core_init(cfg_load(path, &err), path, NULL), 0);
    m = core_model();
    assert_int_equal(m->n_links, 3);
    assert_int_equal(m->links[0].index, 2);
    assert_int_equal(m->links[1].index, 3);
    assert_int_equal(m->links[2].index, 4);
    assert_string_equal(m->links[2].name, "scanner4");
    assert_int_equal(m->flows[15].peers[2]->index, peer16);
    char state_file[300];
    snprintf(state_file, sizeof(state_file), "%s/indexes.json", dir);
    unlink(state_file);
    unlink(path);
    rmdir(dir);
}

static void test_scanner_role_has_one_link_to_the_control_center(void **state)
{
    (void)state;
    core_fini();
    struct cfg *c = test_config(ROLE_SCANNER);
    c->control_center = strdup("127.0.0.7");
    assert_int_equal(core_init(c, NULL, NULL), 0);
    const struct smsa_model *m = core_model();
    assert_int_equal(m->n_links, 1);
    assert_string_equal(m->links[0].name, "control-center");
    assert_int_equal(m->links[0].peer->flow_id, 12);
    assert_int_equal(m->flows[10].direction, DIR_INBOUND); /* 41002 listen check */
    assert_int_equal(m->flows[10].peers[0]->kind, PROBE_LISTEN);
    assert_int_equal(m->flows[13].state, ST_NOT_APPLICABLE);
}

/* Only a listen check holds the addresses its port listens on; a change of them is one
 * generation, the same list none, and a new configuration keeps what was learnt. */
static void test_listening_addresses_only_on_listen_checks(void **state)
{
    (void)state;
    core_fini();
    char dir[] = "/tmp/smsa-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], state_file[300];
    snprintf(path, sizeof(path), "%s/smsa-agent.json", dir);
    snprintf(state_file, sizeof(state_file), "%s/indexes.json", dir);
    struct cfg *start = test_config(ROLE_CONTROL_CENTER);
    free(start->state_dir);
    start->state_dir = strdup(dir);
    assert_int_equal(core_init(start, path, NULL), 0);
    const struct smsa_model *m = core_model();
    struct smsa_peer *listen = NULL;
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        for (size_t j = 0; j < m->flows[i].n_peers; j++) {
            struct smsa_peer *p = m->flows[i].peers[j];
            if (p->kind == PROBE_LISTEN && !listen)
                listen = p;
            assert_null(p->listening_on); /* nothing checked yet */
        }
    assert_non_null(listen);
    unsigned flow = listen->flow_id;
    uint64_t gen = m->generation;
    core_set_listening(listen, "0.0.0.0 ::1");
    assert_string_equal(listen->listening_on, "0.0.0.0 ::1");
    assert_int_equal(m->generation, gen + 1);
    core_set_listening(listen, "0.0.0.0 ::1");
    assert_int_equal(m->generation, gen + 1);
    core_set_listening(listen, "127.0.0.1");
    assert_string_equal(listen->listening_on, "127.0.0.1");
    assert_int_equal(m->generation, gen + 2);
    assert_null(link_peer(1)->listening_on); /* a TCP check holds none */

    struct cfg *next = cfg_clone(core_config());
    add_scanner(next, "scanner3", "127.0.0.9");
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(core_change(next, &err), 0);
    listen = NULL;
    for (size_t j = 0; j < m->flows[flow - 1].n_peers && !listen; j++)
        if (m->flows[flow - 1].peers[j]->kind == PROBE_LISTEN)
            listen = m->flows[flow - 1].peers[j];
    assert_non_null(listen);
    assert_string_equal(listen->listening_on, "127.0.0.1"); /* carried over, not copied */
    core_fini(); /* frees old and new models once each (the sanitizer build checks) */
    unlink(state_file);
    unlink(path);
    rmdir(dir);
}

static struct smsa_peer *ntp_server(void)
{
    core_fini();
    struct cfg *c = test_config(ROLE_CONTROL_CENTER);
    c->ntp_enabled = true;
    c->ntp_servers.items = calloc(1, sizeof(*c->ntp_servers.items));
    c->ntp_servers.items[0].host = strdup("127.0.0.9");
    c->ntp_servers.n = 1;
    assert_int_equal(core_init(c, NULL, NULL), 0);
    assert_int_equal(core_subscribe(collect, NULL), 0);
    const struct smsa_flow *f = &core_model()->flows[CAT_FLOW_NTP - 1];
    assert_int_equal(f->n_peers, 1);
    assert_int_equal(f->peers[0]->kind, PROBE_NTP);
    assert_int_equal(f->peers[0]->n_addrs, 1); /* a literal: its address is known at once */
    return f->peers[0];
}

/* The pace the core hands back to the prober with its verdict. */
static struct smsa_pace kiss(struct smsa_peer *p, const char *code)
{
    struct probe_addr_result r = {.ok = false, .cause = CAUSE_KISS_OF_DEATH, .rtt_us = -1};
    snprintf(r.ntp.refid, sizeof(r.ntp.refid), "%s", code);
    snprintf(r.detail, sizeof(r.detail), "kiss code %s", code);
    return core_round_done(p, &r, 1);
}

/* RATE slows the server's polling down, up to 64 intervals; DENY stops it at once, down. */
static void test_kiss_of_death_is_decided_by_the_core(void **state)
{
    (void)state;
    struct smsa_peer *p = ntp_server();
    assert_int_equal(p->poll_multiplier, 1);
    struct smsa_pace pace = kiss(p, "RATE");
    assert_int_equal(p->poll_multiplier, 2);
    assert_false(p->kod_stopped);
    assert_int_equal(pace.poll_multiplier, 2);
    assert_false(pace.stopped);
    for (int i = 0; i < 10; i++)
        kiss(p, "RATE");
    assert_int_equal(p->poll_multiplier, 64);
    assert_string_equal(p->ntp.refid, "RATE");
    feed(p, true, CAUSE_NONE);
    n_events = 0;
    pace = kiss(p, "DENY");
    assert_true(p->kod_stopped);
    assert_true(pace.stopped);
    assert_int_equal(p->state, ST_DOWN); /* a verdict, not a glitch: no hysteresis */
    assert_int_equal(p->cause, CAUSE_KISS_OF_DEATH);
    assert_string_equal(p->ntp.refid, "DENY");
    assert_non_null(last(EV_NTP));
    assert_int_equal(last(EV_NTP)->new_state, ST_DOWN);
}

/* The core restarted on a configuration saved in a fresh folder, so that changes persist. */
static void start_with_file(struct cfg *c, char *dir, char *path, size_t size)
{
    core_fini();
    assert_non_null(mkdtemp(dir));
    snprintf(path, size, "%s/smsa-agent.json", dir);
    free(c->state_dir);
    c->state_dir = strdup(dir);
    assert_int_equal(core_init(c, path, NULL), 0);
    assert_int_equal(core_subscribe(collect, NULL), 0);
}

static void remove_folder(const char *dir, const char *path)
{
    char state_file[300];
    snprintf(state_file, sizeof(state_file), "%s/indexes.json", dir);
    unlink(state_file);
    unlink(path);
    rmdir(dir);
}

/* A peer the new configuration keeps: its learned state carries over, its identity (here the
 * position among the update sources, and every string) is the new configuration's. */
static void test_carry_over_keeps_learned_state_takes_new_identity(void **state)
{
    (void)state;
    char dir[] = "/tmp/smsa-core-XXXXXX", path[256];
    start_with_file(test_config(ROLE_CONTROL_CENTER), dir, path, sizeof(path));
    const struct smsa_model *m = core_model();
    assert_true(m->n_updates >= 5);
    struct smsa_peer *p = m->updates[4];
    assert_string_equal(p->host, "liveupdate.symantec.com");
    struct sockaddr_storage ss;
    socklen_t len;
    addr4(&ss, &len, "192.0.2.5");
    core_set_addresses(p, &ss, &len, 1);
    feed(p, true, CAUSE_NONE);
    feed(p, true, CAUSE_NONE);
    assert_int_equal(p->state, ST_UP);

    /* a new antivirus source first: every other source moves one place down */
    struct cfg *next = cfg_clone(core_config());
    next->updates = realloc(next->updates, (next->n_updates + 1) * sizeof(*next->updates));
    memmove(&next->updates[1], &next->updates[0], next->n_updates * sizeof(*next->updates));
    next->updates[0] = (struct cfg_update){strdup("antivirus"), strdup("av.example.net"), 80, true};
    next->n_updates++;
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(core_change(next, &err), 0);

    const struct smsa_peer *q = m->updates[5];
    assert_int_equal(q->update_index, 6);
    assert_string_equal(q->host, "liveupdate.symantec.com");
    assert_ptr_equal(q->label, core_config()->updates[5].purpose);
    assert_int_equal(q->state, ST_UP);
    assert_int_equal(q->checks, 2);
    assert_int_equal(q->n_addrs, 1);
    assert_string_equal(q->addrs[0].text, "192.0.2.5");
    assert_int_equal(m->updates[0]->state, ST_UNKNOWN); /* the new one learnt nothing yet */
    assert_int_equal(m->updates[0]->checks, 0);
    core_fini();
    remove_folder(dir, path);
}

/* The one copy of the learned group: every learned field, no identity field. */
static void test_take_learned_copies_the_learned_group_only(void **state)
{
    (void)state;
    struct smsa_addr addrs[1] = {{.rtt_us = 5}};
    char old_host[] = "old.example.net", new_host[] = "new.example.net";
    struct smsa_peer old = {.flow_id = 9,
                            .index = 3,
                            .host = old_host,
                            .port = 389,
                            .kind = PROBE_TCP,
                            .label = "old",
                            .update_index = 2,
                            .appliance_index = 4,
                            .enabled = true,
                            .state = ST_DOWN,
                            .cause = CAUSE_REFUSED,
                            .rtt_us = 1200,
                            .checks = 7,
                            .failures = 5,
                            .down_count = 1,
                            .addrs = addrs,
                            .n_addrs = 1,
                            .addrset_changes = 2,
                            .kod_stopped = true,
                            .poll_multiplier = 8};
    snprintf(old.detail, sizeof(old.detail), "connection refused");
    char listening[] = "0.0.0.0";
    struct smsa_tls cert = {.seen = true, .days_left = 30};
    old.listening_on = listening;
    old.tls = &cert;
    old.ntp.stratum = 2;
    struct smsa_peer next = {.flow_id = 9,
                             .index = 5,
                             .host = new_host,
                             .port = 636,
                             .kind = PROBE_TLS,
                             .label = "new",
                             .update_index = 1,
                             .appliance_index = 6,
                             .enabled = false,
                             .state = ST_UNKNOWN,
                             .rtt_us = -1,
                             .poll_multiplier = 1};
    core_peer_take_learned(&next, &old);
    /* identity: the new model's */
    assert_int_equal(next.index, 5);
    assert_ptr_equal(next.host, new_host);
    assert_int_equal(next.port, 636);
    assert_int_equal(next.kind, PROBE_TLS);
    assert_string_equal(next.label, "new");
    assert_int_equal(next.update_index, 1);
    assert_int_equal(next.appliance_index, 6);
    assert_false(next.enabled);
    /* learned: the old one's, the addresses moved */
    assert_int_equal(next.state, ST_DOWN);
    assert_int_equal(next.cause, CAUSE_REFUSED);
    assert_string_equal(next.detail, "connection refused");
    assert_string_equal(next.listening_on, "0.0.0.0");
    assert_int_equal(next.rtt_us, 1200);
    assert_int_equal(next.checks, 7);
    assert_int_equal(next.failures, 5);
    assert_int_equal(next.down_count, 1);
    assert_int_equal(next.addrset_changes, 2);
    assert_ptr_equal(next.tls, &cert); /* moved, not copied */
    assert_int_equal(next.tls->days_left, 30);
    assert_null(old.tls);
    assert_null(old.listening_on);
    assert_int_equal(next.ntp.stratum, 2);
    assert_ptr_equal(next.addrs, addrs);
    assert_int_equal(next.n_addrs, 1);
    assert_null(old.addrs);
    assert_int_equal(old.n_addrs, 0);
}

/* A Kiss-o'-Death holds until the configuration changes; the verdict it gave stays. */
static void test_kiss_of_death_ends_with_the_configuration(void **state)
{
    (void)state;
    struct cfg *c = test_config(ROLE_CONTROL_CENTER);
    c->ntp_enabled = true;
    c->ntp_servers.items = calloc(1, sizeof(*c->ntp_servers.items));
    c->ntp_servers.items[0].host = strdup("127.0.0.9");
    c->ntp_servers.n = 1;
    char dir[] = "/tmp/smsa-core-XXXXXX", path[256];
    start_with_file(c, dir, path, sizeof(path));
    struct smsa_peer *p = core_model()->flows[CAT_FLOW_NTP - 1].peers[0];
    kiss(p, "RATE");
    assert_true(kiss(p, "DENY").stopped);
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    struct cfg *next = cfg_clone(core_config());
    next->probe.timeout_ms++;
    assert_int_equal(core_change(next, &err), 0);
    p = core_model()->flows[CAT_FLOW_NTP - 1].peers[0];
    assert_false(p->kod_stopped);
    assert_int_equal(p->poll_multiplier, 1);
    assert_int_equal(p->state, ST_DOWN); /* learnt: until a round says otherwise */
    assert_int_equal(p->cause, CAUSE_KISS_OF_DEATH);
    core_fini();
    remove_folder(dir, path);
}

/* What the log holds of the rounds run while fd 2 is a file: the test's own stderr is put back. */
static void log_of(void (*run)(struct smsa_peer *), struct smsa_peer *p, char *out, size_t size)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(f), 2) >= 0);
    log_init("test", true, LOG_LVL_INFO);
    run(p);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void link_down(struct smsa_peer *p)
{
    for (int i = 0; i < 3; i++)
        feed(p, false, CAUSE_REFUSED);
}

static void link_up(struct smsa_peer *p)
{
    feed(p, true, CAUSE_NONE);
}

/* The event lines are a subscriber like the faces: nothing is logged until it subscribes. */
static void test_event_lines_are_a_subscriber(void **state)
{
    (void)state;
    struct smsa_peer *p = link_peer(1);
    static char text[8192];
    log_of(link_down, p, text, sizeof(text));
    assert_int_equal(count(EV_LINK), 1); /* the event was raised ... */
    assert_null(strstr(text, "event ")); /* ... and not logged by the core itself */
    assert_int_equal(evlog_start(), 0);
    log_of(link_up, p, text, sizeof(text));
    assert_non_null(strstr(text, "event link index=1 name=scanner1 state=up"));
    evlog_stop();
    log_of(link_down, p, text, sizeof(text));
    assert_null(strstr(text, "event "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model_of_a_control_center, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_goes_down_once_after_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_aggregates_its_peers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_with_some_addresses_down_is_degraded_link_up,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_set_change_is_one_event, setup, teardown),
        cmocka_unit_test(test_addrset_helpers),
        cmocka_unit_test_setup_teardown(test_change_without_a_file_is_refused_and_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_persists_then_applies_keeping_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_listening_addresses_only_on_listen_checks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_scanner_role_has_one_link_to_the_control_center, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kiss_of_death_is_decided_by_the_core, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_lines_are_a_subscriber, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carry_over_keeps_learned_state_takes_new_identity,
                                        setup, teardown),
        cmocka_unit_test(test_take_learned_copies_the_learned_group_only),
        cmocka_unit_test_setup_teardown(test_kiss_of_death_ends_with_the_configuration, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
