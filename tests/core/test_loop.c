/* The loop's virtual clock, the seam every time-driven unit test stands on: timers run at
 * their own due time and in order, re-arming works, both clocks move together, and a turn of
 * the loop never sleeps on virtual time. And a turn's length is bounded and measured: due
 * timers give way to the next turn once it has lasted 2 ms, and its CPU time is recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"

#define T0 1000000000LL       /* an arbitrary monotonic start, in us */
#define W0 1700000000000000LL /* an arbitrary wall-clock start, in us */

struct fired {
    char tag[16];
    int64_t at[16];
    size_t n;
};

struct tagged {
    struct fired *log;
    char tag;
    struct loop_timer timer;
    int64_t rearm_us; /* > 0: re-arms itself with this delay */
    unsigned left;    /* re-arms while > 0 */
};

static void on_timer(void *arg)
{
    struct tagged *t = arg;
    assert_true(t->log->n < sizeof(t->log->at) / sizeof(t->log->at[0]));
    t->log->tag[t->log->n] = t->tag;
    t->log->at[t->log->n++] = loop_now_us();
    if (t->rearm_us > 0 && t->left-- > 0)
        loop_timer_start(&t->timer, t->rearm_us, on_timer, t);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(loop_init(), 0);
    loop_clock_set(T0, W0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    loop_fini();
    return 0;
}

static void test_clock_is_virtual(void **state)
{
    (void)state;
    assert_int_equal(loop_now_us(), T0);
    assert_int_equal(loop_wall_us(), W0);
    usleep(2000); /* real time passes; virtual time does not */
    assert_int_equal(loop_now_us(), T0);
    loop_clock_advance(1500);
    assert_int_equal(loop_now_us(), T0 + 1500);
    assert_int_equal(loop_wall_us(), W0 + 1500);
    loop_clock_advance(-5); /* never backwards */
    assert_int_equal(loop_now_us(), T0 + 1500);
}

static void test_timers_run_in_order_at_their_time(void **state)
{
    (void)state;
    struct fired log = {0};
    struct tagged a = {&log, 'a', {0}, 0, 0}, b = {&log, 'b', {0}, 0, 0},
                  c = {&log, 'c', {0}, 0, 0};
    loop_timer_start(&c.timer, 30000, on_timer, &c);
    loop_timer_start(&a.timer, 10000, on_timer, &a);
    loop_timer_start(&b.timer, 20000, on_timer, &b);
    loop_clock_advance(19999);
    assert_int_equal(log.n, 1);
    assert_true(loop_timer_armed(&b.timer));
    loop_clock_advance(100000);
    assert_int_equal(log.n, 3);
    assert_memory_equal(log.tag, "abc", 3);
    assert_int_equal(log.at[0], T0 + 10000);
    assert_int_equal(log.at[1], T0 + 20000);
    assert_int_equal(log.at[2], T0 + 30000);
    assert_int_equal(loop_now_us(), T0 + 119999);
}

static void test_rearming_timer_keeps_its_period(void **state)
{
    (void)state;
    struct fired log = {0};
    struct tagged p = {&log, 'p', {0}, 250000, 3};
    loop_timer_start(&p.timer, 250000, on_timer, &p);
    loop_clock_advance(10 * 1000000);
    assert_int_equal(log.n, 4); /* the first run and three re-arms */
    for (size_t i = 0; i < log.n; i++)
        assert_int_equal(log.at[i], T0 + (int64_t)(i + 1) * 250000);
    assert_false(loop_timer_armed(&p.timer));
}

static void test_stopped_timer_never_runs(void **state)
{
    (void)state;
    struct fired log = {0};
    struct tagged a = {&log, 'a', {0}, 0, 0};
    loop_timer_start(&a.timer, 1000, on_timer, &a);
    loop_timer_stop(&a.timer);
    loop_clock_advance(5000);
    assert_int_equal(log.n, 0);
}

static void test_run_once_does_not_sleep_on_virtual_time(void **state)
{
    (void)state;
    struct fired log = {0};
    struct tagged a = {&log, 'a', {0}, 0, 0};
    loop_timer_start(&a.timer, 3600LL * 1000000, on_timer, &a); /* an hour away */
    /* With the real clock this would wait an hour; virtual time returns at once and runs
     * nothing that is not due. */
    assert_int_equal(loop_run_once(-1), 0);
    assert_int_equal(log.n, 0);
    loop_clock_advance(3600LL * 1000000);
    assert_int_equal(log.n, 1);
}

/* A timer whose callback takes 1 ms of (virtual) time, as a probe round might under load. */
static void on_busy_timer(void *arg)
{
    on_timer(arg);
    loop_clock_set(loop_now_us() + 1000, loop_wall_us() + 1000);
}

static void test_due_timers_give_way_after_2_ms(void **state)
{
    (void)state;
    struct fired log = {0};
    struct tagged t[5];
    for (int i = 0; i < 5; i++) {
        t[i] = (struct tagged){&log, (char)('a' + i), {0}, 0, 0};
        loop_timer_start(&t[i].timer, 100 + i, on_busy_timer, &t[i]);
    }
    loop_clock_set(T0 + 1000, W0 + 1000); /* all five are due: a stall, say */
    assert_int_equal(loop_run_once(0), 0);
    /* two take the turn to 2 ms; the rest wait for the next turn, still armed */
    assert_int_equal(log.n, 2);
    assert_true(loop_timer_armed(&t[2].timer));
    assert_int_equal(loop_run_once(0), 0);
    assert_int_equal(log.n, 4);
    assert_int_equal(loop_run_once(0), 0);
    assert_int_equal(log.n, 5);
    assert_memory_equal(log.tag, "abcde", 5); /* in due order */
}

static int64_t cpu_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_cpu_work(void *arg)
{
    int64_t until = cpu_now_us() + *(int64_t *)arg;
    while (cpu_now_us() < until)
        ;
}

static void test_turn_cpu_time_is_measured(void **state)
{
    (void)state;
    assert_int_equal(loop_init(), 0); /* the real clock: CPU time is real work */
    int64_t work = 3000;
    struct loop_timer t = {0};
    assert_int_equal(loop_run_once(0), 0);
    loop_timer_start(&t, 0, on_cpu_work, &work);
    assert_int_equal(loop_run_once(0), 0); /* the work */
    assert_int_equal(loop_run_once(0), 0); /* its turn is over: measured */
    struct loop_stats st;
    loop_get_stats(&st);
    assert_true(st.max_turn_cpu_us >= work);
    assert_true(st.max_turn_us >= work); /* wall time is never less than CPU time */
    loop_reset_max_turn();
    loop_get_stats(&st);
    assert_int_equal(st.max_turn_cpu_us, 0);
    assert_int_equal(st.max_turn_us, 0);
    loop_fini();
}

/* Thousands of timers (one per peer and one per probe in flight, as at 4,000 peers), armed,
 * stopped from the middle of the heap and re-armed in a fixed pseudo-random script: each one
 * still armed runs once, at its due time and in order, and none stopped runs. */
#define MANY 3000
struct many {
    struct loop_timer timer;
    int64_t due;
    unsigned runs;
};
static int64_t many_last;
static size_t many_fired;

static void on_many(void *arg)
{
    struct many *m = arg;
    assert_int_equal(loop_now_us(), m->due);
    assert_true(m->due >= many_last);
    many_last = m->due;
    m->runs++;
    many_fired++;
}

static void test_many_timers_run_in_order(void **state)
{
    (void)state;
    static struct many ms[MANY];
    memset(ms, 0, sizeof(ms));
    many_last = 0;
    many_fired = 0;
    uint32_t x = 777;
    for (size_t i = 0; i < MANY; i++) {
        x = x * 1103515245u + 12345u;
        int64_t delay = (int64_t)((x >> 8) % 1000000); /* ties included: us over a second */
        ms[i].due = T0 + delay;
        loop_timer_start(&ms[i].timer, delay, on_many, &ms[i]);
    }
    size_t armed = MANY;
    for (size_t i = 0; i < MANY; i++) {
        x = x * 1103515245u + 12345u;
        switch ((x >> 16) % 4) {
        case 0: /* stopped */
            loop_timer_stop(&ms[i].timer);
            ms[i].due = -1;
            armed--;
            break;
        case 1: /* re-armed later or sooner */
            ms[i].due = T0 + (int64_t)((x >> 4) % 2000000);
            loop_timer_start(&ms[i].timer, ms[i].due - T0, on_many, &ms[i]);
            break;
        default:
            break;
        }
    }
    loop_clock_advance(3 * 1000000);
    assert_int_equal(many_fired, armed);
    for (size_t i = 0; i < MANY; i++) {
        assert_int_equal(ms[i].runs, ms[i].due < 0 ? 0 : 1);
        assert_false(loop_timer_armed(&ms[i].timer));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clock_is_virtual, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timers_run_in_order_at_their_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rearming_timer_keeps_its_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped_timer_never_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_timers_run_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_once_does_not_sleep_on_virtual_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_due_timers_give_way_after_2_ms, setup, teardown),
        cmocka_unit_test(test_turn_cpu_time_is_measured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
