/* snmp_mib.c, the core's facts as SMSA-AGENT-MIB encodes them: every value of every core
 * enumeration has a MIB value of its own (a new state or cause without one fails here),
 * DateAndTime in UTC whatever the local zone, before 1970 and at the type's year limits,
 * TimeTicks wrapping as RFC 2578 says, InetAddress from text, and text cut to fit on a UTF-8
 * boundary or at a word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "snmp_internal.h"

#define SEC 1000000LL

/* The core, as far as snmp_mib.c reads it: when the daemon started. */
static struct smsa_model model;

const struct smsa_model *core_model(void)
{
    return &model;
}

/* ---- enumerations: every value mapped, each to a MIB value of its own ---- */

/* values[0..n) are the MIB values of an enumeration's n members: each within 1..max (the
 * MIB's range, so 0 is "no value"), no two alike. */
static void assert_distinct_in_range(const long *values, size_t n, long max)
{
    for (size_t i = 0; i < n; i++) {
        assert_in_range(values[i], 1, max);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(values[i], values[j]);
    }
}

static void test_every_state_and_cause_has_its_mib_value(void **state)
{
    (void)state;
    long v[CAUSE_COUNT > ST_COUNT ? CAUSE_COUNT : ST_COUNT];
    for (unsigned s = 0; s < ST_COUNT; s++)
        v[s] = snmpf_mib_state((enum smsa_state)s);
    assert_distinct_in_range(v, ST_COUNT, 7); /* SmsaState: unknown(1) .. notApplicable(7) */
    assert_int_equal(snmpf_mib_state(ST_UNKNOWN), 1);
    assert_int_equal(snmpf_mib_state(ST_UP), 2);
    assert_int_equal(snmpf_mib_state(ST_DOWN), 4);
    for (unsigned c = 0; c < CAUSE_COUNT; c++)
        v[c] = snmpf_mib_cause((enum smsa_cause)c);
    assert_distinct_in_range(v, CAUSE_COUNT, 12); /* SmsaCause: none(1) .. offset(12) */
    assert_int_equal(snmpf_mib_cause(CAUSE_NONE), 1);
    assert_int_equal(snmpf_mib_cause(CAUSE_OFFSET), 12);
    /* a value the core never publishes still answers something the MIB defines */
    assert_int_equal(snmpf_mib_state((enum smsa_state)ST_COUNT), 1);
    assert_int_equal(snmpf_mib_cause((enum smsa_cause)CAUSE_COUNT), snmpf_mib_cause(CAUSE_ERROR));
}

static void test_every_other_enumeration_has_its_mib_value(void **state)
{
    (void)state;
    long v[4];
    for (unsigned r = 0; r <= ROLE_ALL_IN_ONE; r++)
        v[r] = snmpf_mib_role((enum smsa_role)r);
    assert_distinct_in_range(v, ROLE_ALL_IN_ONE + 1, 3);
    for (unsigned d = 0; d <= DIR_INBOUND; d++)
        v[d] = snmpf_mib_direction((enum smsa_direction)d);
    assert_distinct_in_range(v, DIR_INBOUND + 1, 3);
    for (unsigned p = 0; p <= PROTO_UDP; p++)
        v[p] = snmpf_mib_protocol((enum smsa_proto)p);
    assert_distinct_in_range(v, PROTO_UDP + 1, 2);
    for (unsigned p = 0; p <= PLACEMENT_BESIDE; p++)
        v[p] = snmpf_mib_placement((enum cfg_placement)p);
    assert_distinct_in_range(v, PLACEMENT_BESIDE + 1, 2);
    for (unsigned m = 0; m <= MEASURED_FROM_VANTAGE; m++)
        v[m] = snmpf_mib_measured_from((enum smsa_measured_from)m);
    assert_distinct_in_range(v, MEASURED_FROM_VANTAGE + 1, 2);
    v[0] = snmpf_mib_truth(true);
    v[1] = snmpf_mib_truth(false);
    assert_distinct_in_range(v, 2, 2);
    v[0] = snmpf_mib_enabled(true);
    v[1] = snmpf_mib_enabled(false);
    assert_distinct_in_range(v, 2, 2);
    /* smsaPeerTlsState: noCertificate(1), then one per threshold */
    struct smsa_tls none = {0};
    v[0] = snmpf_mib_tls_state(&none);
    for (unsigned e = TLS_EXPIRY_NONE; e <= TLS_EXPIRY_EXPIRED; e++) {
        struct smsa_tls t = {.seen = true, .expiry = (uint8_t)e};
        v[1 + e] = snmpf_mib_tls_state(&t);
    }
    assert_distinct_in_range(v, TLS_EXPIRY_EXPIRED + 2, 4);
    assert_int_equal(v[0], 1);
}

/* ---- DateAndTime (SNMPv2-TC): year (2 octets), month, day, hour, minute, second,
 * deci-seconds, then '+' or '-', hours and minutes from UTC ---- */

static void assert_date(int64_t wall_us, unsigned year, unsigned mon, unsigned day, unsigned h,
                        unsigned min, unsigned s, unsigned ds)
{
    u_char dt[11];
    memset(dt, 0xee, sizeof(dt));
    assert_int_equal(snmpf_date_and_time(wall_us, dt), 11);
    const u_char want[11] = {(u_char)(year >> 8),
                             (u_char)(year & 0xff),
                             (u_char)mon,
                             (u_char)day,
                             (u_char)h,
                             (u_char)min,
                             (u_char)s,
                             (u_char)ds,
                             '+',
                             0,
                             0};
    assert_memory_equal(dt, want, sizeof(want));
}

static void test_date_and_time_is_utc_in_any_local_zone(void **state)
{
    (void)state;
    /* 2023-11-14 22:13:20.7 UTC */
    int64_t t = 1700000000 * SEC + 700000;
    /* local zones west (UTC-5) and east (UTC+5:30, UTC+14) of Greenwich: the value says UTC,
     * with a direction and an offset of +0:0 */
    static const char *const zones[] = {"EST5", "IST-5:30", "LINT-14", "UTC0"};
    const char *was = getenv("TZ");
    char *saved = was ? strdup(was) : NULL;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        setenv("TZ", zones[i], 1);
        tzset();
        assert_date(t, 2023, 11, 14, 22, 13, 20, 7);
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
}

static void test_date_and_time_around_the_epoch(void **state)
{
    (void)state;
    assert_date(0, 1970, 1, 1, 0, 0, 0, 0);
    assert_date(999999, 1970, 1, 1, 0, 0, 0, 9);
    /* before 1970: 1.5 s before the epoch is 23:59:58.5, not 23:59:59 with -5 deci-seconds */
    assert_date(-1500000, 1969, 12, 31, 23, 59, 58, 5);
    assert_date(-1, 1969, 12, 31, 23, 59, 59, 9);
    assert_date(-100000, 1969, 12, 31, 23, 59, 59, 9);
    /* a leap day */
    assert_date(951782400 * SEC, 2000, 2, 29, 0, 0, 0, 0);
}

static void test_date_and_time_at_the_year_limits(void **state)
{
    (void)state;
    /* DateAndTime's year is 0..65535: the first and last instants it can say */
    assert_date(-62167219200 * SEC, 0, 1, 1, 0, 0, 0, 0);
    assert_date(2005949145599 * SEC + 900000, 65535, 12, 31, 23, 59, 59, 9);
    /* beyond them, the nearest instant it can say, not a wrapped year */
    assert_date(-62167219200 * SEC - 1, 0, 1, 1, 0, 0, 0, 0);
    assert_date(INT64_MIN, 0, 1, 1, 0, 0, 0, 0);
    assert_date(2005949145600 * SEC, 65535, 12, 31, 23, 59, 59, 9);
    assert_date(INT64_MAX, 65535, 12, 31, 23, 59, 59, 9);
}

static void test_certificate_not_after(void **state)
{
    (void)state;
    u_char dt[11];
    struct smsa_tls none = {0};
    /* no certificate: the epoch, 8 octets (no zone: local time 1970-01-01, read as 0) */
    assert_int_equal(snmpf_tls_not_after(&none, dt), 8);
    static const u_char epoch[8] = {0x07, 0xb2, 1, 1, 0, 0, 0, 0};
    assert_memory_equal(dt, epoch, sizeof(epoch));
    /* 9999-12-31 23:59:59, the latest X.509 GeneralizedTime */
    struct smsa_tls t = {.seen = true, .not_after = 253402300799};
    assert_int_equal(snmpf_tls_not_after(&t, dt), 11);
    static const u_char last[11] = {0x27, 0x0f, 12, 31, 23, 59, 59, 0, '+', 0, 0};
    assert_memory_equal(dt, last, sizeof(last));
    /* a not-after no clock can reach: the latest DateAndTime, not an overflow */
    t.not_after = INT64_MAX;
    assert_int_equal(snmpf_tls_not_after(&t, dt), 11);
    assert_int_equal(dt[0] << 8 | dt[1], 65535);
}

/* ---- TimeTicks since the daemon started ---- */

static void test_ticks_since_start(void **state)
{
    (void)state;
    model.started.mono_us = 50 * SEC;
    assert_int_equal(snmpf_ticks_since_start(0), 0);                /* never */
    assert_int_equal(snmpf_ticks_since_start(10 * SEC), 0);         /* before the start */
    assert_int_equal(snmpf_ticks_since_start(50 * SEC + 12345), 1); /* hundredths */
    assert_int_equal(snmpf_ticks_since_start(150 * SEC), 10000);    /* 100 s */
    /* TimeTicks wraps modulo 2^32 (RFC 2578 section 7.1.8): 2^32 hundredths and 5 s later */
    int64_t wrap = 50 * SEC + 4294967296LL * 10000 + 5 * SEC;
    assert_int_equal(snmpf_ticks_since_start(wrap), 500);
}

/* ---- InetAddress from text ---- */

static void test_inet_from_text(void **state)
{
    (void)state;
    u_char b[16];
    size_t n = 99;
    assert_int_equal(snmpf_inet_from_text("192.0.2.7", b, &n), INET_TYPE_IPV4);
    assert_int_equal(n, 4);
    static const u_char v4[4] = {192, 0, 2, 7};
    assert_memory_equal(b, v4, 4);
    assert_int_equal(snmpf_inet_from_text("2001:db8::1", b, &n), INET_TYPE_IPV6);
    assert_int_equal(n, 16);
    assert_int_equal(b[0], 0x20);
    assert_int_equal(b[15], 1);
    /* a zone index is dropped: InetAddressIPv6 has no room for it */
    assert_int_equal(snmpf_inet_from_text("fe80::1%eth0", b, &n), INET_TYPE_IPV6);
    assert_int_equal(n, 16);
    static const char *const junk[] = {"", "mail.example", "192.0.2.256", "[::1]", "::1:"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        assert_int_equal(snmpf_inet_from_text(junk[i], b, &n), INET_TYPE_UNKNOWN);
        assert_int_equal(n, 0);
    }
    assert_int_equal(snmpf_inet_from_text(NULL, b, &n), INET_TYPE_UNKNOWN);
}

/* ---- text cut to fit ---- */

static void test_cut_on_a_utf8_boundary(void **state)
{
    (void)state;
    assert_int_equal(snmpf_cut("short", 255, false), 5);
    assert_int_equal(snmpf_cut("exactly", 7, false), 7);
    assert_int_equal(snmpf_cut("abcdef", 3, false), 3);
    /* "aé" is a, then C3 A9: a cut after C3 would leave half a character */
    assert_int_equal(snmpf_cut("a\xc3\xa9z", 2, false), 1);
    assert_int_equal(snmpf_cut("a\xc3\xa9z", 3, false), 3);
    /* three octets (€, E2 82 AC) and four (U+1F600, F0 9F 98 80) */
    assert_int_equal(snmpf_cut("x\xe2\x82\xacy", 2, false), 1);
    assert_int_equal(snmpf_cut("x\xe2\x82\xacy", 3, false), 1);
    assert_int_equal(snmpf_cut("x\xe2\x82\xacy", 4, false), 4);
    assert_int_equal(snmpf_cut("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 7, false), 4);
    /* 255 octets of text that ends in a two-octet character across the limit */
    char s[300];
    memset(s, 'a', 254);
    memcpy(s + 254, "\xc3\xa9", 3);
    assert_int_equal(snmpf_cut(s, SMSA_SNMP_STRING_MAX, false), 254);
}

static void test_cut_at_a_word(void **state)
{
    (void)state;
    /* a list of addresses keeps whole addresses */
    assert_int_equal(snmpf_cut("192.0.2.1 192.0.2.22", 12, true), 9);
    assert_int_equal(snmpf_cut("192.0.2.1 192.0.2.22", 9, true), 9);
    assert_int_equal(snmpf_cut("192.0.2.1 192.0.2.22", 20, true), 20);
    assert_int_equal(snmpf_cut("nospacesatall", 5, true), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state_and_cause_has_its_mib_value),
        cmocka_unit_test(test_every_other_enumeration_has_its_mib_value),
        cmocka_unit_test(test_date_and_time_is_utc_in_any_local_zone),
        cmocka_unit_test(test_date_and_time_around_the_epoch),
        cmocka_unit_test(test_date_and_time_at_the_year_limits),
        cmocka_unit_test(test_certificate_not_after),
        cmocka_unit_test(test_ticks_since_start),
        cmocka_unit_test(test_inet_from_text),
        cmocka_unit_test(test_cut_on_a_utf8_boundary),
        cmocka_unit_test(test_cut_at_a_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
