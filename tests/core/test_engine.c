/* The probe engine on the loop's virtual clock, with its I/O scripted (the chrony way: the
 * module's .c is included and its collaborators are test doubles): rounds spread over the
 * interval, never a burst; a name is resolved again every round and every address probed; a
 * round still out is skipped, not piled up; Kiss-o'-Death stops polling and RATE slows it;
 * resolution failures reach the core with their cause. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "../../agent/core/engine.c"

#define SEC 1000000LL
#define T0 (100 * SEC)

/* ---- test doubles for the engine's collaborators ---- */

struct probe {
    probe_cb cb;
    void *arg;
    struct sockaddr_storage addr;
    bool live;
};

#define MAX_PROBES 256
static struct probe probes[MAX_PROBES];
static size_t n_started;
static int64_t started_at[MAX_PROBES];
static unsigned started_kind[MAX_PROBES];
static const struct smsa_peer *started_for[MAX_PROBES]; /* the peer whose round started it */

struct probe *probe_start(const struct probe_params *p, probe_cb cb, void *arg)
{
    assert_true(n_started < MAX_PROBES);
    struct probe *pr = &probes[n_started];
    *pr = (struct probe){cb, arg, *p->addr, true};
    started_at[n_started] = loop_now_us();
    started_kind[n_started] = p->kind;
    started_for[n_started] = ((struct probe_slot *)arg)->ep->peer;
    n_started++;
    return pr;
}

void probe_cancel(struct probe *pr)
{
    pr->live = false;
}

/* Completes a probe in flight as the real one would, from the loop. */
static void answer(size_t i, bool ok, enum smsa_cause cause)
{
    assert_true(i < n_started);
    assert_true(probes[i].live);
    probes[i].live = false;
    struct probe_addr_result r = {.ok = ok, .cause = cause, .rtt_us = ok ? 1000 : -1};
    probes[i].cb(&r, probes[i].arg);
}

struct resolver_req {
    resolver_cb cb;
    void *arg;
    bool live;
};
static struct resolver_req lookups[MAX_PROBES];
static size_t n_lookups;

int resolver_init(const char *servers, unsigned timeout)
{
    (void)servers;
    (void)timeout;
    return 0;
}
void resolver_fini(void)
{
}
int resolver_configure(const char *servers, unsigned timeout)
{
    (void)servers;
    (void)timeout;
    return 0;
}
struct resolver_req *resolver_lookup(const char *host, unsigned short port, resolver_cb cb,
                                     void *arg)
{
    (void)host;
    (void)port;
    assert_true(n_lookups < MAX_PROBES);
    lookups[n_lookups] = (struct resolver_req){cb, arg, true};
    return &lookups[n_lookups++];
}
const char *resolver_status_text(int status)
{
    return status ? "domain name not found" : "ok";
}
void resolver_cancel(struct resolver_req *req)
{
    req->live = false;
}

static struct sockaddr_storage v4(const char *text)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, text, &sin->sin_addr);
    return ss;
}

static void resolve(size_t i, int status, size_t n)
{
    assert_true(lookups[i].live);
    lookups[i].live = false;
    struct sockaddr_storage addrs[2] = {v4("192.0.2.1"), v4("192.0.2.2")};
    socklen_t lens[2] = {sizeof(struct sockaddr_in), sizeof(struct sockaddr_in)};
    lookups[i].cb(status, addrs, lens, n, lookups[i].arg);
}

/* ---- the sink: what the core would receive ---- */

struct seen {
    unsigned rounds, failed, addresses;
    enum smsa_cause last_fail;
    size_t last_n;
    bool last_ok[4];
};
static struct seen seen;
static struct smsa_addr addr_store[8][2];
static struct smsa_peer peer_store[8], *peer_ptrs[8];
/* What the core would answer to each peer's rounds (its Kiss-o'-Death verdicts). */
static struct smsa_pace pace_for[8];

/* The engine names peers read-only; the test, like the core, owns them. */
static struct smsa_peer *owned(const struct smsa_peer *p)
{
    return &peer_store[p->index - 1];
}

static void sink_addresses(const struct smsa_peer *cp, const struct sockaddr_storage *addrs,
                           const socklen_t *lens, size_t n)
{
    seen.addresses++;
    struct smsa_peer *p = owned(cp);
    size_t slot = (size_t)(p->index - 1);
    p->addrs = addr_store[slot];
    p->n_addrs = n;
    for (size_t i = 0; i < n; i++) {
        p->addrs[i].sa = addrs[i];
        p->addrs[i].salen = lens[i];
    }
}
static void sink_failed(const struct smsa_peer *p, enum smsa_cause cause, const char *detail)
{
    (void)p;
    (void)detail;
    seen.failed++;
    seen.last_fail = cause;
}
static void sink_listening(const struct smsa_peer *p, const char *addrs)
{
    (void)p;
    (void)addrs;
}
static struct smsa_pace sink_done(const struct smsa_peer *p, const struct probe_addr_result *r,
                                  size_t n)
{
    seen.rounds++;
    seen.last_n = n;
    for (size_t i = 0; i < n && i < 4; i++)
        seen.last_ok[i] = r[i].ok;
    return pace_for[p->index - 1];
}
static const struct engine_sink test_sink = {sink_addresses, sink_failed, sink_listening,
                                             sink_done};

/* ---- a hand-built model: n peers on the LDAP flow ---- */

static struct smsa_model model;
static struct smsa_flow flow_rows[CAT_NFLOWS]; /* the model's flows: the vendor's 20 */
static struct smsa_addr literal_store[8];
static struct cfg *cfg;

static void build(size_t n, bool names)
{
    memset(&model, 0, sizeof(model));
    memset(flow_rows, 0, sizeof(flow_rows));
    model.flows = flow_rows;
    model.n_flows = CAT_NFLOWS;
    memset(peer_store, 0, sizeof(peer_store));
    for (unsigned i = 0; i < CAT_NFLOWS; i++)
        model.flows[i].state = ST_UNCONFIGURED;
    struct smsa_flow *f = &model.flows[CAT_FLOW_LDAP - 1];
    f->state = ST_UNKNOWN;
    f->peers = peer_ptrs;
    f->n_peers = n;
    for (size_t i = 0; i < n; i++) {
        struct smsa_peer *p = &peer_store[i];
        p->flow_id = CAT_FLOW_LDAP;
        p->index = (unsigned)i + 1;
        p->kind = PROBE_TCP;
        p->port = 389;
        p->enabled = true;
        pace_for[i] = (struct smsa_pace){.stopped = false, .poll_multiplier = 1};
        if (names) {
            p->host = "ldap.example.net";
        } else {
            p->host = "192.0.2.9";
            literal_store[i].sa = v4("192.0.2.9");
            literal_store[i].salen = sizeof(struct sockaddr_in);
            snprintf(literal_store[i].text, sizeof(literal_store[i].text), "192.0.2.9");
            p->addrs = &literal_store[i];
            p->n_addrs = 1;
        }
        peer_ptrs[i] = p;
    }
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(loop_init(), 0);
    loop_clock_set(T0, 1700000000 * SEC);
    memset(&seen, 0, sizeof(seen));
    n_started = n_lookups = 0;
    cfg = cfg_defaults();
    assert_non_null(cfg);
    cfg->probe.interval_ms = 10000;
    cfg->probe.timeout_ms = 3000;
    assert_int_equal(engine_init(cfg, &test_sink), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    engine_stop(&model);
    engine_fini();
    engine_set_once(NULL);
    cfg_free(cfg);
    loop_fini();
    return 0;
}

static void test_rounds_are_spread_over_the_interval(void **state)
{
    (void)state;
    build(5, false);
    engine_start(&model, cfg);
    /* 5 peers over 10 s: phases 0, 2, 4, 6 and 8 s; the first peer's next round comes at
     * 10 s +- 5 %, so 9 s holds exactly one round each */
    loop_clock_advance(9 * SEC);
    assert_int_equal(n_started, 5);
    for (size_t i = 0; i < n_started; i++)
        for (size_t j = i + 1; j < n_started; j++) {
            int64_t gap = started_at[i] - started_at[j];
            if (gap < 0)
                gap = -gap;
            assert_true(gap >= 2 * SEC - 1); /* never a burst */
        }
}

/* Advances the clock in 100 ms steps until n probes have started; the time it took. */
static int64_t until_started(size_t n, int64_t limit_us)
{
    int64_t from = loop_now_us();
    while (n_started < n && loop_now_us() - from < limit_us)
        loop_clock_advance(100000);
    assert_int_equal(n_started, n);
    return loop_now_us() - from;
}

static void test_next_round_comes_once_per_interval_with_jitter(void **state)
{
    (void)state;
    build(1, false);
    engine_start(&model, cfg);
    until_started(1, 11 * SEC);
    answer(0, true, CAUSE_NONE);
    assert_int_equal(seen.rounds, 1);
    until_started(2, 11 * SEC);
    /* +-5 % of the interval between rounds */
    int64_t gap = started_at[1] - started_at[0];
    assert_true(gap >= 9500000 && gap <= 10500000);
    answer(1, false, CAUSE_REFUSED);
    assert_int_equal(seen.rounds, 2);
    assert_false(seen.last_ok[0]);
}

static void test_round_still_out_is_skipped_not_piled_up(void **state)
{
    (void)state;
    build(1, false);
    engine_start(&model, cfg);
    loop_clock_advance(10 * SEC);
    assert_int_equal(n_started, 1);
    /* no answer for three intervals: no new probe is started beside the one out */
    loop_clock_advance(30 * SEC);
    assert_int_equal(n_started, 1);
    answer(0, false, CAUSE_TIMEOUT);
    assert_int_equal(seen.rounds, 1);
    loop_clock_advance(11 * SEC);
    assert_int_equal(n_started, 2);
}

static void test_name_resolved_every_round_every_address_probed(void **state)
{
    (void)state;
    build(1, true);
    engine_start(&model, cfg);
    loop_clock_advance(10 * SEC);
    assert_int_equal(n_lookups, 1);
    resolve(0, 0, 2);
    assert_int_equal(seen.addresses, 1);
    assert_int_equal(n_started, 2); /* both addresses */
    answer(0, true, CAUSE_NONE);
    assert_int_equal(seen.rounds, 0); /* the round ends with its last address */
    answer(1, false, CAUSE_REFUSED);
    assert_int_equal(seen.rounds, 1);
    assert_int_equal(seen.last_n, 2);
    assert_true(seen.last_ok[0]);
    assert_false(seen.last_ok[1]);
    loop_clock_advance(11 * SEC);
    assert_int_equal(n_lookups, 2); /* resolved again, never pinned */
}

static void test_resolution_failure_reaches_the_core(void **state)
{
    (void)state;
    build(1, true);
    engine_start(&model, cfg);
    loop_clock_advance(10 * SEC);
    resolve(0, 4 /* any c-ares failure */, 0);
    assert_int_equal(seen.failed, 1);
    assert_int_equal(seen.last_fail, CAUSE_DNS_FAILURE);
    assert_int_equal(n_started, 0);
    /* a name with no address at all is a DNS failure too */
    loop_clock_advance(11 * SEC);
    resolve(1, 0, 0);
    assert_int_equal(seen.failed, 2);
    assert_int_equal(seen.last_fail, CAUSE_DNS_FAILURE);
}

/* Rounds each of the first n peers ran over `seconds` of the clock, every probe answered at
 * once, as a good reply. */
static void run_for(int seconds, size_t *rounds, size_t n)
{
    size_t next = n_started;
    for (int step = 0; step < seconds; step++) {
        loop_clock_advance(SEC);
        for (; next < n_started; next++) {
            size_t k = (size_t)(started_for[next] - peer_store);
            if (k < n && probes[next].live) {
                answer(next, true, CAUSE_NONE);
                rounds[k]++;
            }
        }
    }
}

/* The core's verdict comes back as the round's answer: the engine follows it, reading
 * nothing of the model's Kiss-o'-Death fields. */
static void test_kod_stop_and_rate_slow_down(void **state)
{
    (void)state;
    build(2, false);
    engine_start(&model, cfg);
    loop_clock_advance(10 * SEC);
    assert_int_equal(n_started, 2);
    /* the core's verdicts on these replies: peer 1 was told DENY, peer 2 RATE */
    pace_for[0] = (struct smsa_pace){.stopped = true, .poll_multiplier = 1};
    answer(0, true, CAUSE_NONE);
    pace_for[1] = (struct smsa_pace){.stopped = false, .poll_multiplier = 2};
    answer(1, true, CAUSE_NONE);
    /* the model says nothing of it: the pace travels through the sink alone */
    assert_false(peer_store[0].kod_stopped);
    assert_int_equal(peer_store[1].poll_multiplier, 0);
    size_t rounds[2] = {0, 0};
    run_for(100, rounds, 2);
    assert_int_equal(rounds[0], 0); /* peer 1 is never polled again */
    /* 100 s at 10 s x 2 (+-5 %): five rounds, where RATE-less polling would give ten */
    assert_true(rounds[1] >= 4 && rounds[1] <= 6);
    /* a second RATE doubles it again: 20 s -> 40 s */
    pace_for[1].poll_multiplier = 4;
    size_t again[2] = {0, 0};
    run_for(25, again, 2); /* the round planned at 20 s still runs; it answers RATE x4 */
    size_t later[2] = {0, 0};
    run_for(120, later, 2);
    assert_true(later[1] >= 2 && later[1] <= 4); /* every 40 s (+-5 %) */
}

/* A new configuration (engine_stop, then engine_start on the new model) starts every peer over
 * at the normal pace: a stopped server is polled again, a slowed one at the interval. */
static void test_config_change_restarts_polling(void **state)
{
    (void)state;
    build(2, false);
    engine_start(&model, cfg);
    loop_clock_advance(10 * SEC);
    pace_for[0] = (struct smsa_pace){.stopped = true, .poll_multiplier = 1};
    answer(0, true, CAUSE_NONE);
    pace_for[1] = (struct smsa_pace){.stopped = false, .poll_multiplier = 64};
    answer(1, true, CAUSE_NONE);
    size_t rounds[2] = {0, 0};
    run_for(60, rounds, 2);
    assert_int_equal(rounds[0] + rounds[1], 0);
    /* the core starts its verdicts over too (carry-over resets them) */
    pace_for[0] = pace_for[1] = (struct smsa_pace){.stopped = false, .poll_multiplier = 1};
    engine_stop(&model);
    engine_start(&model, cfg);
    size_t after[2] = {0, 0};
    run_for(60, after, 2);
    /* 60 s at 10 s: about six rounds each */
    assert_true(after[0] >= 5 && after[0] <= 7);
    assert_true(after[1] >= 5 && after[1] <= 7);
}

static unsigned once_done_calls;
static void count_once_done(void *arg)
{
    (void)arg;
    once_done_calls++;
}

static void test_once_runs_every_peer_at_once(void **state)
{
    (void)state;
    struct engine_once one_shot = {0, count_once_done, NULL};
    once_done_calls = 0;
    build(3, false);
    engine_set_once(&one_shot);
    engine_start(&model, cfg);
    loop_clock_advance(0);
    assert_int_equal(n_started, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(started_at[i], T0);
    answer(0, true, CAUSE_NONE);
    answer(1, false, CAUSE_TIMEOUT);
    assert_int_equal(once_done_calls, 0);
    answer(2, true, CAUSE_NONE);
    assert_int_equal(once_done_calls, 1);
    /* one round each, nothing scheduled after */
    loop_clock_advance(60 * SEC);
    assert_int_equal(n_started, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rounds_are_spread_over_the_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_round_comes_once_per_interval_with_jitter, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_round_still_out_is_skipped_not_piled_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_name_resolved_every_round_every_address_probed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resolution_failure_reaches_the_core, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kod_stop_and_rate_slow_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_change_restarts_polling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_once_runs_every_peer_at_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
