/* Verdict damping (README "What it checks"): down after fail_threshold consecutive failures, up
 * after recover_threshold consecutive successes; hyst_feed() returns true exactly on a change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hysteresis.h"

/*
 * Feeds obs ('+' success, '-' failure) to a fresh state and checks the verdict after each
 * step against want ('?' unknown, 'U' up, 'D' down), and that the return value is true on
 * exactly the steps where the verdict changed.
 */
static void run(unsigned fail, unsigned recover, const char *obs, const char *want)
{
    struct hyst h = {HYST_UNKNOWN, 0, 0};
    size_t n = strlen(obs);
    assert_int_equal(strlen(want), n);
    enum hyst_verdict before = HYST_UNKNOWN;
    for (size_t i = 0; i < n; i++) {
        bool changed = hyst_feed(&h, obs[i] == '+', fail, recover);
        enum hyst_verdict expected = want[i] == 'U'   ? HYST_UP
                                     : want[i] == 'D' ? HYST_DOWN
                                                      : HYST_UNKNOWN;
        if (h.verdict != expected)
            fail_msg("%u/%u \"%s\" step %zu: verdict %d, expected %c", fail, recover, obs, i,
                     (int)h.verdict, want[i]);
        if (changed != (expected != before))
            fail_msg("%u/%u \"%s\" step %zu: returned %d", fail, recover, obs, i, changed);
        before = expected;
    }
}

static void test_fail3_recover1(void **state)
{
    (void)state;
    /* Unknown stays unknown until the third consecutive failure. */
    run(3, 1, "---", "??D");
    run(3, 1, "------", "??DDDD");
    /* One success is enough to come up, from unknown or from down. */
    run(3, 1, "+", "U");
    run(3, 1, "---+", "??DU");
    /* Up, then two failures are only noise. */
    run(3, 1, "+--+--+", "UUUUUUU");
    run(3, 1, "+---", "UUUD");
    /* Intermittent: every third probe succeeds, never down. */
    run(3, 1, "--+--+--+--+", "??UUUUUUUUUU");
    /* Flapping: down, up, down, up. */
    run(3, 1, "---+---+", "??DUUUDU");
}

static void test_fail2_recover2(void **state)
{
    (void)state;
    run(2, 2, "--", "?D");
    run(2, 2, "++", "?U");
    /* Alternating never reaches either threshold: still unknown after any number. */
    run(2, 2, "-+-+-+-+-+", "??????????");
    /* Down: a single success does not bring it back, two in a row do. */
    run(2, 2, "--+-+-++", "?DDDDDDU");
    /* Up: a single failure does not take it down. */
    run(2, 2, "++-+-+--", "?UUUUUUD");
    /* Flapping at the thresholds changes on every second probe. */
    run(2, 2, "--++--++", "?DDUUDDU");
}

static void test_fail1_recover1(void **state)
{
    (void)state;
    /* No damping: every change of observation is a change of verdict. */
    run(1, 1, "-", "D");
    run(1, 1, "+", "U");
    run(1, 1, "-+-+", "DUDU");
    run(1, 1, "---+++", "DDDUUU");
}

static void test_long_streak_saturates(void **state)
{
    (void)state;
    /* A thousand failures do not make recovery take longer than recover_threshold. */
    struct hyst h = {HYST_UNKNOWN, 0, 0};
    int changes = 0;
    for (int i = 0; i < 1000; i++)
        changes += hyst_feed(&h, false, 3, 2);
    assert_int_equal(changes, 1);
    assert_int_equal(h.verdict, HYST_DOWN);
    assert_false(hyst_feed(&h, true, 3, 2));
    assert_true(hyst_feed(&h, true, 3, 2));
    assert_int_equal(h.verdict, HYST_UP);
    /* And a long up streak does not delay going down. */
    for (int i = 0; i < 1000; i++)
        assert_false(hyst_feed(&h, true, 3, 2));
    assert_false(hyst_feed(&h, false, 3, 2));
    assert_false(hyst_feed(&h, false, 3, 2));
    assert_true(hyst_feed(&h, false, 3, 2));
    assert_int_equal(h.verdict, HYST_DOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail3_recover1),
        cmocka_unit_test(test_fail2_recover2),
        cmocka_unit_test(test_fail1_recover1),
        cmocka_unit_test(test_long_streak_saturates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
