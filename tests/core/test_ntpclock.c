/* The clock's verdict from the NTP servers' answers: median offset against the bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ntpclock.h"

static struct smsa_peer servers[3];
static struct smsa_peer *server_list[3] = {&servers[0], &servers[1], &servers[2]};
static struct smsa_flow flow = {.peers = server_list, .n_peers = 3};

static void answer(size_t i, int64_t offset_us)
{
    servers[i].state = ST_UP;
    servers[i].ntp.valid = true;
    servers[i].ntp.offset_us = offset_us;
}

static void silent(size_t i, enum smsa_state s)
{
    servers[i].state = s;
    servers[i].cause = CAUSE_TIMEOUT;
    servers[i].ntp.valid = false;
}

static int reset(void **state)
{
    (void)state;
    memset(servers, 0, sizeof(servers));
    return 0;
}

static void off_is_disabled(void **state)
{
    struct smsa_clock c = {0};
    answer(0, 0);
    assert_true(ntpclock_judge(&c, &flow, false, 1000));
    assert_int_equal(c.state, ST_DISABLED);
    assert_false(c.has_offset);
    /* switched on: unknown until a server answers */
    silent(0, ST_UNKNOWN);
    silent(1, ST_UNKNOWN);
    silent(2, ST_UNKNOWN);
    assert_true(ntpclock_judge(&c, &flow, true, 1000));
    assert_int_equal(c.state, ST_UNKNOWN);
}

static void median_within_the_bound_is_up(void **state)
{
    struct smsa_clock c = {0};
    answer(0, 900000);
    answer(1, -300000);
    answer(2, 40000000); /* a falseticker 40 s off does not move the median */
    assert_true(ntpclock_judge(&c, &flow, true, 1000));
    assert_int_equal(c.state, ST_UP);
    assert_int_equal(c.cause, CAUSE_NONE);
    assert_true(c.has_offset);
    assert_int_equal(c.offset_us, 900000);
    assert_int_equal(c.answering, 3);
    assert_false(ntpclock_judge(&c, &flow, true, 1000)); /* no change, no news */
}

static void beyond_the_bound_is_degraded_with_cause_offset(void **state)
{
    struct smsa_clock c = {0};
    answer(0, -5002400);
    answer(1, -4998000);
    silent(2, ST_DOWN);
    assert_true(ntpclock_judge(&c, &flow, true, 1000));
    assert_int_equal(c.state, ST_DEGRADED);
    assert_int_equal(c.cause, CAUSE_OFFSET);
    assert_int_equal(c.offset_us, -5000200); /* the mean of the two middle ones */
    assert_string_equal(c.detail, "offset -5000.200 ms, beyond 1000 ms");
    /* a wider bound takes it back */
    assert_true(ntpclock_judge(&c, &flow, true, 6000));
    assert_int_equal(c.state, ST_UP);
    assert_string_equal(c.detail, "");
}

static void no_answer_is_down_only_once_every_server_is(void **state)
{
    struct smsa_clock c = {0};
    answer(0, 1000);
    answer(1, 2000);
    answer(2, 3000);
    ntpclock_judge(&c, &flow, true, 1000);
    assert_int_equal(c.state, ST_UP);
    /* a missed round inside the servers' hysteresis keeps the verdict and the offset */
    silent(0, ST_UP);
    silent(1, ST_UP);
    silent(2, ST_UP);
    assert_false(ntpclock_judge(&c, &flow, true, 1000));
    assert_int_equal(c.state, ST_UP);
    assert_int_equal(c.offset_us, 2000);
    silent(0, ST_DOWN);
    silent(1, ST_DOWN);
    assert_false(ntpclock_judge(&c, &flow, true, 1000));
    silent(2, ST_DOWN);
    assert_true(ntpclock_judge(&c, &flow, true, 1000));
    assert_int_equal(c.state, ST_DOWN);
    assert_int_equal(c.cause, CAUSE_TIMEOUT);
    assert_false(c.has_offset);
    assert_int_equal(c.answering, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(off_is_disabled, reset),
        cmocka_unit_test_setup(median_within_the_bound_is_up, reset),
        cmocka_unit_test_setup(beyond_the_bound_is_degraded_with_cause_offset, reset),
        cmocka_unit_test_setup(no_answer_is_down_only_once_every_server_is, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
