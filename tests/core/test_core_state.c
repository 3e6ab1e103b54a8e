/* Probe results into state and events (core_state.c and the event bus, core_events.c, included
 * with a model built by hand): a peer's hysteresis, the link events it drives, flows and the
 * overall state. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/core/core_events.c"
#include "../../agent/core/core_state.c"

/* What core.c owns in the daemon. */
struct smsa_model core_m;
struct cfg *core_running;

#define SEC 1000000LL

#include "event_record.h"

/* A Control Center with one scanner link (flow 11) and two LDAP servers (flow 9), each with one
 * literal address; every other flow unconfigured. */
static struct smsa_peer scanner, ldap1, ldap2;
static struct smsa_peer *link_peers[1] = {&scanner}, *ldap_peers[2] = {&ldap1, &ldap2};
static struct smsa_link links[1];

static void peer_at(struct smsa_peer *p, unsigned flow, unsigned index, const char *host,
                    const char *address)
{
    *p = (struct smsa_peer){.flow_id = flow,
                            .index = index,
                            .host = (char *)host,
                            .port = cat_flow(flow)->port,
                            .kind = PROBE_TCP,
                            .enabled = true,
                            .state = ST_UNKNOWN,
                            .rtt_us = -1,
                            .poll_multiplier = 1};
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, address, &s4->sin_addr);
    socklen_t len = sizeof(*s4);
    core_set_addresses(p, &ss, &len, 1);
}

static struct smsa_flow flow_rows[CAT_NFLOWS];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(loop_init(), 0);
    loop_clock_set(100 * SEC, 1700000000 * SEC);
    core_running = cfg_defaults();
    assert_non_null(core_running);
    core_running->probe.fail_threshold = 3;
    core_running->probe.recover_threshold = 2;
    memset(&core_m, 0, sizeof(core_m));
    memset(flow_rows, 0, sizeof(flow_rows));
    core_m.flows = flow_rows; /* the vendor's 20, no extra flow */
    core_m.n_flows = CAT_NFLOWS;
    core_m.cfg = core_running;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++) {
        core_m.flows[id - 1].def = cat_flow(id);
        core_m.flows[id - 1].state = ST_UNCONFIGURED;
    }
    struct smsa_flow *lf = &core_m.flows[CAT_FLOW_LINK_CC - 1];
    lf->state = ST_UNKNOWN;
    lf->peers = link_peers;
    lf->n_peers = 1;
    peer_at(&scanner, CAT_FLOW_LINK_CC, 1, "scanner1.example.net", "192.0.2.11");
    scanner.label = "scanner1";
    scanner.link_index = 1;
    links[0] = (struct smsa_link){.index = 1, .name = "scanner1", .peer = &scanner};
    core_m.links = links;
    core_m.n_links = 1;
    struct smsa_flow *df = &core_m.flows[CAT_FLOW_LDAP - 1];
    df->state = ST_UNKNOWN;
    df->peers = ldap_peers;
    df->n_peers = 2;
    peer_at(&ldap1, CAT_FLOW_LDAP, 1, "192.0.2.21", "192.0.2.21");
    peer_at(&ldap2, CAT_FLOW_LDAP, 2, "192.0.2.22", "192.0.2.22");
    core_state_settle(); /* as after an apply */
    n_events = 0;
    assert_int_equal(core_subscribe(collect, NULL), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(scanner.addrs);
    free(ldap1.addrs);
    free(ldap2.addrs);
    core_events_fini();
    cfg_free(core_running);
    core_running = NULL;
    loop_fini();
    return 0;
}

static struct smsa_pace round_of(struct smsa_peer *p, bool ok, enum smsa_cause cause)
{
    struct probe_addr_result r = {.ok = ok, .cause = ok ? CAUSE_NONE : cause, .rtt_us = 900};
    if (!ok)
        snprintf(r.detail, sizeof(r.detail), "%s", smsa_cause_name(cause));
    return core_round_done(p, &r, 1);
}

/* Up after recover_threshold (2) successes, down after fail_threshold (3) failures; each
 * transition one event; a down peer failing for another reason is news too. */
static void test_hysteresis_transitions(void **state)
{
    (void)state;
    round_of(&ldap1, true, CAUSE_NONE);
    assert_int_equal(ldap1.state, ST_UNKNOWN);
    assert_int_equal(count(EV_PEER), 0);
    round_of(&ldap1, true, CAUSE_NONE);
    assert_int_equal(ldap1.state, ST_UP);
    assert_int_equal(count(EV_PEER), 1);
    assert_int_equal(last(EV_PEER)->old_state, ST_UNKNOWN);
    assert_int_equal(last(EV_PEER)->new_state, ST_UP);
    assert_string_equal(last(EV_PEER)->address, "192.0.2.21");

    round_of(&ldap1, false, CAUSE_REFUSED);
    round_of(&ldap1, false, CAUSE_REFUSED);
    assert_int_equal(ldap1.state, ST_UP); /* inside the hysteresis: nothing to tell */
    assert_int_equal(count(EV_PEER), 1);
    round_of(&ldap1, false, CAUSE_REFUSED);
    assert_int_equal(ldap1.state, ST_DOWN);
    assert_int_equal(ldap1.down_count, 1);
    assert_int_equal(count(EV_PEER), 2);
    assert_int_equal(last(EV_PEER)->cause, CAUSE_REFUSED);
    assert_string_equal(last(EV_PEER)->detail, "refused");

    round_of(&ldap1, false, CAUSE_REFUSED);
    assert_int_equal(count(EV_PEER), 2); /* the same failure again: no repeat */
    round_of(&ldap1, false, CAUSE_TIMEOUT);
    assert_int_equal(count(EV_PEER), 3); /* another cause: news */
    assert_int_equal(last(EV_PEER)->old_state, ST_DOWN);
    assert_int_equal(last(EV_PEER)->cause, CAUSE_TIMEOUT);
    assert_int_equal(ldap1.down_count, 1);

    round_of(&ldap1, true, CAUSE_NONE);
    assert_int_equal(ldap1.state, ST_DOWN);
    /* one answer short of recover_threshold: still down for the same reason, and no news */
    assert_int_equal(count(EV_PEER), 3);
    assert_int_equal(ldap1.cause, CAUSE_TIMEOUT);
    assert_string_equal(ldap1.detail, "timeout");
    round_of(&ldap1, true, CAUSE_NONE);
    assert_int_equal(ldap1.state, ST_UP);
    assert_int_equal(ldap1.cause, CAUSE_NONE);
    assert_int_equal(last(EV_PEER)->old_state, ST_DOWN);
    assert_int_equal(last(EV_PEER)->new_state, ST_UP);
    assert_int_equal(ldap1.checks, 9);
    assert_int_equal(ldap1.failures, 5);
    /* the events are numbered in the order raised */
    for (size_t i = 1; i < n_events; i++)
        assert_int_equal(events[i].seq, events[i - 1].seq + 1);
}

/* A link follows its peer's hysteresis: one event down (with the cause and the address that
 * failed), one up (with no cause), none between. */
static void test_link_down_and_up_events(void **state)
{
    (void)state;
    round_of(&scanner, true, CAUSE_NONE);
    assert_int_equal(count(EV_LINK), 0);
    round_of(&scanner, true, CAUSE_NONE);
    assert_int_equal(count(EV_LINK), 1);
    assert_int_equal(links[0].state, ST_UP);
    assert_int_equal(last(EV_LINK)->new_state, ST_UP);
    assert_string_equal(last(EV_LINK)->name, "scanner1");

    for (int i = 0; i < 3; i++)
        round_of(&scanner, false, CAUSE_UNREACHABLE);
    assert_int_equal(count(EV_LINK), 2);
    const struct smsa_event *ev = last(EV_LINK);
    assert_int_equal(ev->link_index, 1);
    assert_int_equal(ev->old_state, ST_UP);
    assert_int_equal(ev->new_state, ST_DOWN);
    assert_int_equal(ev->cause, CAUSE_UNREACHABLE);
    assert_string_equal(ev->address, "192.0.2.11");
    assert_int_equal(links[0].state, ST_DOWN);
    assert_int_equal(links[0].cause, CAUSE_UNREACHABLE);
    assert_int_equal(links[0].down_count, 1);
    round_of(&scanner, false, CAUSE_TIMEOUT);
    assert_int_equal(count(EV_LINK), 2); /* still down: the link does not repeat itself */

    round_of(&scanner, true, CAUSE_NONE);
    round_of(&scanner, true, CAUSE_NONE);
    assert_int_equal(count(EV_LINK), 3);
    assert_int_equal(last(EV_LINK)->new_state, ST_UP);
    assert_int_equal(last(EV_LINK)->cause, CAUSE_NONE);
    assert_string_equal(last(EV_LINK)->detail, "");
    assert_int_equal(links[0].cause, CAUSE_NONE);
    assert_int_equal(links[0].down_count, 1);
}

/* Flows from their peers, the overall state from the flows with a verdict: up when all are
 * up, down when all are down, degraded between, unknown before any verdict. */
static void test_flow_and_overall_state(void **state)
{
    (void)state;
    const struct smsa_flow *ldap = &core_m.flows[CAT_FLOW_LDAP - 1];
    assert_int_equal(core_m.overall, ST_UNKNOWN);
    round_of(&scanner, true, CAUSE_NONE);
    round_of(&scanner, true, CAUSE_NONE);
    assert_int_equal(core_m.overall, ST_UP); /* the one flow with a verdict is up */
    assert_int_equal(ldap->state, ST_UNKNOWN);

    for (int i = 0; i < 3; i++)
        round_of(&ldap1, false, CAUSE_REFUSED);
    assert_int_equal(ldap->state, ST_DOWN); /* ldap2 has no verdict yet: it does not count */
    assert_int_equal(core_m.overall, ST_DEGRADED);
    assert_int_equal(last(EV_FLOW)->flow_id, CAT_FLOW_LDAP);
    assert_int_equal(last(EV_FLOW)->new_state, ST_DOWN);

    round_of(&ldap2, true, CAUSE_NONE);
    round_of(&ldap2, true, CAUSE_NONE);
    assert_int_equal(ldap->state, ST_DEGRADED); /* one server up, one down */
    assert_int_equal(last(EV_FLOW)->new_state, ST_DEGRADED);
    assert_int_equal(core_m.overall, ST_DEGRADED);

    for (int i = 0; i < 3; i++) {
        round_of(&ldap2, false, CAUSE_TIMEOUT);
        round_of(&scanner, false, CAUSE_TIMEOUT);
    }
    assert_int_equal(ldap->state, ST_DOWN);
    assert_int_equal(core_m.overall, ST_DOWN);

    size_t flows_before = count(EV_FLOW);
    round_of(&ldap1, true, CAUSE_NONE);
    round_of(&ldap1, true, CAUSE_NONE);
    round_of(&ldap2, true, CAUSE_NONE);
    round_of(&ldap2, true, CAUSE_NONE);
    round_of(&scanner, true, CAUSE_NONE);
    round_of(&scanner, true, CAUSE_NONE);
    assert_int_equal(core_m.overall, ST_UP);
    /* LDAP: down -> degraded -> up; the link flow: down -> up */
    assert_int_equal(count(EV_FLOW) - flows_before, 3);
}

/* Every result makes the model newer (a face's ETag), and every event counts. */
static void test_generation_and_counters(void **state)
{
    (void)state;
    uint64_t g = core_m.generation;
    round_of(&ldap1, false, CAUSE_REFUSED);
    assert_true(core_m.generation > g);
    assert_int_equal(core_m.probes_total, 1);
    assert_int_equal(core_m.probe_failures_total, 1);
    assert_int_equal(core_m.events_total, n_events);
    core_round_failed(&ldap1, CAUSE_DNS_FAILURE, "no address");
    assert_int_equal(core_m.probes_total, 2);
    assert_int_equal(core_m.probe_failures_total, 2);
    assert_int_equal(ldap1.cause, CAUSE_DNS_FAILURE);
}

/* What the flow's state is by its rule, read from every peer as before the counts were kept:
 * unknown and disabled peers do not count; none counting is unknown, or disabled when no peer
 * is enabled. */
static enum smsa_state state_by_reading_peers(const struct smsa_flow *f)
{
    unsigned up = 0, down = 0, degraded = 0, enabled = 0;
    for (size_t i = 0; i < f->n_peers; i++) {
        up += f->peers[i]->state == ST_UP;
        down += f->peers[i]->state == ST_DOWN;
        degraded += f->peers[i]->state == ST_DEGRADED;
        enabled += f->peers[i]->enabled;
    }
    if (up + down + degraded == 0)
        return enabled ? ST_UNKNOWN : ST_DISABLED;
    return degraded == 0 && down == 0 ? ST_UP : degraded == 0 && up == 0 ? ST_DOWN : ST_DEGRADED;
}

/* Every flow's counts as kept result by result equal the ones recounted from its peers, and
 * its state is the one its peers give. */
static void assert_counts_match(void)
{
    for (size_t i = 0; i < core_m.n_flows; i++) {
        const struct smsa_flow *f = &core_m.flows[i];
        struct smsa_flow again = *f;
        flow_recount(&again);
        for (int st = 0; st < ST_COUNT; st++)
            assert_int_equal(f->n_by_state[st], again.n_by_state[st]);
        assert_int_equal(f->n_enabled, again.n_enabled);
        if (f->n_peers)
            assert_int_equal(f->state, state_by_reading_peers(f));
    }
}

/* Every appliance's roll-up, kept only when a check's result can move it, equals the one read
 * from all its checks. */
static void assert_appliances_match(void)
{
    for (size_t i = 0; i < core_m.n_appliances; i++) {
        const struct smsa_appliance *a = &core_m.appliances[i];
        struct appl_verdict v;
        appl_verdict(a->checks, a->n_checks, &v);
        assert_int_equal(a->state, v.state);
        assert_int_equal(a->n_up, v.up);
        assert_int_equal(a->n_down, v.down);
        assert_int_equal(a->cause, v.cause);
        assert_string_equal(a->detail, v.detail);
        assert_int_equal(a->worst_flow, v.flow);
    }
}

/* ldap2 with two addresses: a round where one answers is degraded. */
static struct smsa_pace round_of_two(struct smsa_peer *p, bool ok1, bool ok2)
{
    struct probe_addr_result r[2] = {
        {.ok = ok1, .cause = ok1 ? CAUSE_NONE : CAUSE_TIMEOUT, .rtt_us = 700},
        {.ok = ok2, .cause = ok2 ? CAUSE_NONE : CAUSE_REFUSED, .rtt_us = 800},
    };
    return core_round_done(p, r, 2);
}

/* A flow's state comes from counts of its peers by state, kept as each peer's verdict changes
 * rather than recounted from every peer after each round, and an appliance's roll-up is
 * re-read only when a check can move it: through a scripted run of results (up, degraded,
 * down, unknown again after an apply, a disabled peer) the kept counts always equal the ones
 * recounted from scratch, the flow's state is the one its peers give, and each appliance's
 * state, counts and worst check are the ones all its checks give. */
static void test_flow_counts_follow_results(void **state)
{
    (void)state;
    const struct smsa_flow *ldap = &core_m.flows[CAT_FLOW_LDAP - 1];
    assert_int_equal(ldap->n_by_state[ST_UNKNOWN], 2); /* as settled after the apply */
    assert_int_equal(ldap->n_enabled, 2);
    struct sockaddr_storage ss[2] = {{0}, {0}};
    socklen_t lens[2];
    for (int i = 0; i < 2; i++) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss[i];
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, i ? "192.0.2.32" : "192.0.2.31", &s4->sin_addr);
        lens[i] = sizeof(*s4);
    }
    core_set_addresses(&ldap2, ss, lens, 2);
    /* two appliances: the LDAP servers' checks concern the first, the link the second */
    static struct smsa_peer *checks1[2] = {&ldap1, &ldap2}, *checks2[1] = {&scanner};
    static struct smsa_appliance appls[2];
    appls[0] = (struct smsa_appliance){.index = 1,
                                       .name = (char *)"cc",
                                       .host = (char *)"local",
                                       .checks = checks1,
                                       .n_checks = 2};
    appls[1] = (struct smsa_appliance){.index = 2,
                                       .name = (char *)"scanner1",
                                       .host = (char *)"scanner1.example.net",
                                       .checks = checks2,
                                       .n_checks = 1};
    ldap1.appliance_index = ldap2.appliance_index = 1;
    scanner.appliance_index = 2;
    core_m.appliances = appls;
    core_m.n_appliances = 2;
    core_state_settle();

    /* a fixed pseudo-random script: which peer, and what its round says */
    uint32_t x = 12345;
    for (int step = 0; step < 400; step++) {
        x = x * 1103515245u + 12345u;
        unsigned pick = (x >> 16) % 6;
        bool ok = (x >> 8) & 1;
        switch (pick) {
        case 0:
        case 1:
            round_of(&ldap1, ok, (x >> 4) & 1 ? CAUSE_REFUSED : CAUSE_TIMEOUT);
            break;
        case 2:
        case 3:
            round_of_two(&ldap2, ok, (x >> 9) & 1);
            break;
        case 4:
            round_of(&scanner, ok, CAUSE_UNREACHABLE);
            break;
        default:
            core_round_failed(&ldap1, CAUSE_DNS_FAILURE, "no address");
            break;
        }
        assert_counts_match();
        assert_appliances_match();
    }

    /* every state a peer can have was reached by the script */
    round_of_two(&ldap2, true, true);
    round_of_two(&ldap2, true, true);
    round_of_two(&ldap2, true, false);
    assert_int_equal(ldap2.state, ST_DEGRADED);
    for (int i = 0; i < 3; i++)
        round_of(&ldap1, false, CAUSE_REFUSED);
    assert_int_equal(ldap1.state, ST_DOWN);
    assert_int_equal(ldap->n_by_state[ST_DOWN], 1);
    assert_int_equal(ldap->n_by_state[ST_DEGRADED], 1);
    assert_int_equal(ldap->state, ST_DEGRADED);
    assert_counts_match();
    assert_int_equal(core_m.appliances[0].state, ST_DEGRADED);
    assert_int_equal(core_m.appliances[0].worst_flow, CAT_FLOW_LDAP);
    assert_appliances_match();

    /* an apply: ldap1 carried over as new (unknown), ldap2 a switched-off source; the one
     * recount after it, then results again */
    ldap1.state = ST_UNKNOWN;
    ldap1.hyst = (struct hyst){0};
    ldap2.state = ST_DISABLED;
    ldap2.enabled = false;
    core_state_settle();
    assert_int_equal(ldap->n_by_state[ST_UNKNOWN], 1);
    assert_int_equal(ldap->n_by_state[ST_DISABLED], 1);
    assert_int_equal(ldap->n_enabled, 1);
    assert_int_equal(ldap->state, ST_UNKNOWN);
    assert_counts_match();
    round_of(&ldap1, true, CAUSE_NONE);
    round_of(&ldap1, true, CAUSE_NONE);
    assert_int_equal(ldap->state, ST_UP); /* the disabled source does not count */
    assert_counts_match();
    assert_int_equal(core_m.appliances[0].state, ST_UP);
    assert_appliances_match();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hysteresis_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_down_and_up_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_and_overall_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation_and_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_counts_follow_results, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
