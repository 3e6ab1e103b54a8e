/* SNTP request encoding and reply checking (RFC 4330, RFC 5905). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sntp.h"

#define NTP_UNIX_OFFSET 2208988800ULL
#define T0_US 1700000000000000LL /* 2023-11-14T22:13:20Z */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* A well-formed stratum-2 reply to the request that carried xmt. */
static void make_reply(uint8_t b[SNTP_PACKET_LEN], sntp_ts xmt, sntp_ts rx, sntp_ts tx)
{
    memset(b, 0, SNTP_PACKET_LEN);
    b[0] = 0 << 6 | 4 << 3 | 4; /* LI 0, VN 4, mode 4 */
    b[1] = 2;
    b[2] = 6;                              /* poll 2^6 */
    b[3] = (uint8_t)(int8_t)-23;           /* precision */
    memcpy(b + 12, "\xc0\x00\x02\x01", 4); /* 192.0.2.1 */
    put_u64(b + 16, tx - (1ULL << 32));
    put_u64(b + 24, xmt);
    put_u64(b + 32, rx);
    put_u64(b + 40, tx);
}

static void set_li_vn_mode(uint8_t *b, unsigned li, unsigned vn, unsigned mode)
{
    b[0] = (uint8_t)(li << 6 | vn << 3 | mode);
}

static const sntp_ts XMT = 0x0123456789abcdefULL;

static enum sntp_status decode(const uint8_t *b, size_t len, struct sntp_reply *r)
{
    /* A heap copy of exactly len bytes, so valgrind and ASan see any read past the end. */
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, b, len);
    enum sntp_status st = sntp_decode_reply(copy, len, XMT, r);
    free(copy);
    return st;
}

static void test_request_layout(void **state)
{
    (void)state;
    uint8_t out[SNTP_PACKET_LEN];
    memset(out, 0xa5, sizeof out);
    sntp_encode_request(out, XMT);
    assert_int_equal(out[0], 0x23); /* LI 0, VN 4, mode 3 */
    for (int i = 1; i < 40; i++)
        assert_int_equal(out[i], 0);
    assert_true(get_u64(out + 40) == XMT);
}

static void test_valid_reply(void **state)
{
    (void)state;
    /* Server 1.5 s ahead; 10 ms each way on the wire; the server holds it for 1 ms. */
    int64_t t1 = T0_US;
    int64_t t2 = t1 + 10000 + 1500000;
    int64_t t3 = t2 + 1000;
    int64_t t4 = t1 + 10000 + 1000 + 10000;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, sntp_ts_from_unix_us(t2), sntp_ts_from_unix_us(t3));

    struct sntp_reply r;
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    assert_int_equal(r.leap, 0);
    assert_int_equal(r.version, 4);
    assert_int_equal(r.mode, 4);
    assert_int_equal(r.stratum, 2);
    assert_int_equal(r.poll, 6);
    assert_int_equal(r.precision, -23);
    assert_string_equal(r.refid, "192.0.2.1");
    assert_true(r.origin == XMT);

    int64_t offset, delay;
    sntp_offset_delay(t1, &r, t4, &offset, &delay);
    assert_int_equal(offset, 1500000);
    assert_int_equal(delay, 20000);

    /* The server behind us: the sign turns. */
    make_reply(b, XMT, sntp_ts_from_unix_us(t1 + 10000 - 250000),
               sntp_ts_from_unix_us(t1 + 11000 - 250000));
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    sntp_offset_delay(t1, &r, t4, &offset, &delay);
    assert_int_equal(offset, -250000);
    assert_int_equal(delay, 20000);
}

static void test_older_versions_accepted(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, XMT, XMT);
    for (unsigned vn = 1; vn <= 4; vn++) {
        set_li_vn_mode(b, 0, vn, 4);
        assert_int_equal(decode(b, sizeof b, NULL), SNTP_OK);
    }
}

static void test_refid_text(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    struct sntp_reply r;
    make_reply(b, XMT, XMT, XMT);
    b[1] = 1;
    memcpy(b + 12, "GPS\0", 4); /* trailing NULs trimmed */
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    assert_string_equal(r.refid, "GPS");
    memcpy(b + 12, "P\x01S\xff", 4); /* never print control or high bytes */
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    assert_string_equal(r.refid, "P?S?");
    memcpy(b + 12, "\0\0\0\0", 4);
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    assert_string_equal(r.refid, "");
    b[1] = 15;
    memcpy(b + 12, "\xff\x00\x0a\x7f", 4);
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    assert_string_equal(r.refid, "255.0.10.127");
}

static void test_truncated(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, XMT, XMT);
    assert_int_equal(decode(b, 47, NULL), SNTP_SHORT);
    assert_int_equal(decode(b, 1, NULL), SNTP_SHORT);
    assert_int_equal(decode(b, 0, NULL), SNTP_SHORT);
}

static void test_oversized(void **state)
{
    (void)state;
    uint8_t b[2000];
    memset(b, 0, sizeof b);
    make_reply(b, XMT, XMT, XMT);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_OVERSIZED);
    assert_int_equal(decode(b, SNTP_MAX_PACKET_LEN + 1, NULL), SNTP_OVERSIZED);
}

/* RFC 7822: 48 bytes, then extension fields and/or a 20- or 24-byte MAC. */
static void test_extension_fields_and_mac(void **state)
{
    (void)state;
    uint8_t b[SNTP_MAX_PACKET_LEN];
    memset(b, 0, sizeof b);
    make_reply(b, XMT, XMT, XMT);
    assert_int_equal(decode(b, 48 + 20, NULL), SNTP_OK); /* MD5 MAC */
    assert_int_equal(decode(b, 48 + 24, NULL), SNTP_OK); /* SHA-1 MAC */
    assert_int_equal(decode(b, 49, NULL), SNTP_OVERSIZED);
    assert_int_equal(decode(b, 48 + 4, NULL), SNTP_OVERSIZED);

    /* One 16-byte field, then one 28-byte field, then a MAC. */
    b[48 + 3] = 16;
    b[64 + 3] = 28;
    assert_int_equal(decode(b, 48 + 16, NULL), SNTP_OK);
    assert_int_equal(decode(b, 48 + 16 + 28, NULL), SNTP_OK);
    assert_int_equal(decode(b, 48 + 16 + 28 + 20, NULL), SNTP_OK);
    assert_int_equal(decode(b, 48 + 16 + 27, NULL), SNTP_OVERSIZED); /* field overruns */
    b[64 + 3] = 30;                                                  /* not a multiple of 4 */
    assert_int_equal(decode(b, 48 + 16 + 32, NULL), SNTP_OVERSIZED);
    b[64 + 3] = 12; /* below the 16-byte minimum */
    assert_int_equal(decode(b, 48 + 16 + 32, NULL), SNTP_OVERSIZED);
    b[64 + 3] = 0; /* zero length must not spin forever */
    assert_int_equal(decode(b, 48 + 16 + 32, NULL), SNTP_OVERSIZED);

    /* The largest message: extension fields filling up to SNTP_MAX_PACKET_LEN. */
    memset(b + 48, 0, sizeof b - 48);
    size_t n = SNTP_MAX_PACKET_LEN - 48;
    b[48 + 2] = (uint8_t)(n >> 8);
    b[48 + 3] = (uint8_t)n;
    assert_int_equal(decode(b, SNTP_MAX_PACKET_LEN, NULL), SNTP_OK);
}

static void test_wrong_origin(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT + 1, XMT, XMT);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_ORIGIN);
    make_reply(b, 0, XMT, XMT);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_ORIGIN);
    /* A spoofed kiss must not silence us: the origin is checked first (RFC 5905 §7.4). */
    make_reply(b, XMT ^ 1, XMT, XMT);
    b[1] = 0;
    memcpy(b + 12, "DENY", 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_ORIGIN);
}

static void test_wrong_mode(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, XMT, XMT);
    static const unsigned modes[] = {0, 1, 2, 3, 5, 6, 7};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        set_li_vn_mode(b, 0, 4, modes[i]);
        assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_MODE);
    }
    /* Our own request reflected back is mode 3. */
    sntp_encode_request(b, XMT);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_MODE);
}

static void test_bad_version(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, XMT, XMT);
    set_li_vn_mode(b, 0, 0, 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_VERSION);
    set_li_vn_mode(b, 0, 5, 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_VERSION);
    set_li_vn_mode(b, 0, 7, 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_VERSION);
}

static void test_unsynchronised(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, XMT, XMT);
    set_li_vn_mode(b, 3, 4, 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_UNSYNCHRONISED);
    /* LI 1 and 2 announce a leap second: still a good clock. */
    set_li_vn_mode(b, 1, 4, 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_OK);
    set_li_vn_mode(b, 2, 4, 4);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_OK);
    make_reply(b, XMT, XMT, 0);
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_UNSYNCHRONISED);
}

static void test_bad_stratum(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    make_reply(b, XMT, XMT, XMT);
    b[1] = 16;
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_STRATUM);
    b[1] = 255;
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_BAD_STRATUM);
    b[1] = 15;
    assert_int_equal(decode(b, sizeof b, NULL), SNTP_OK);
}

static void test_kiss_of_death(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        enum sntp_status want;
    } kisses[] = {
        {"DENY", SNTP_KOD_DENY},  {"RSTR", SNTP_KOD_RSTR},  {"RATE", SNTP_KOD_RATE},
        {"INIT", SNTP_KOD_OTHER}, {"deny", SNTP_KOD_OTHER}, {"XYZZ", SNTP_KOD_OTHER},
    };
    for (size_t i = 0; i < sizeof kisses / sizeof kisses[0]; i++) {
        uint8_t b[SNTP_PACKET_LEN];
        struct sntp_reply r;
        make_reply(b, XMT, 0, 0);
        set_li_vn_mode(b, 3, 4, 4); /* kisses usually come unsynchronised */
        b[1] = 0;
        memcpy(b + 12, kisses[i].code, 4);
        assert_int_equal(decode(b, sizeof b, &r), kisses[i].want);
        assert_string_equal(r.refid, kisses[i].code);
        assert_int_equal(r.stratum, 0);
    }
}

static void test_timestamp_conversion(void **state)
{
    (void)state;
    assert_true(sntp_ts_from_unix_us(0) == NTP_UNIX_OFFSET << 32);
    assert_true(sntp_ts_from_unix_us(1500000) == ((NTP_UNIX_OFFSET + 1) << 32 | 0x80000000u));
    assert_true(sntp_ts_from_unix_us(-500000) == ((NTP_UNIX_OFFSET - 1) << 32 | 0x80000000u));
    assert_int_equal(sntp_ts_to_unix_us(0), -2208988800LL * 1000000);
    assert_int_equal(sntp_ts_to_unix_us(NTP_UNIX_OFFSET << 32 | 0x40000000u), 250000);

    static const int64_t samples[] = {
        0,
        1,
        999999,
        1000000,
        -1,
        -2208988800LL * 1000000, /* the NTP epoch */
        T0_US,
        T0_US + 123457,
        2085978495LL * 1000000 + 999999, /* last microsecond of era 0 */
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        assert_int_equal(sntp_ts_to_unix_us(sntp_ts_from_unix_us(samples[i])), samples[i]);
    for (int64_t us = T0_US; us < T0_US + 2000000; us += 7919)
        assert_int_equal(sntp_ts_to_unix_us(sntp_ts_from_unix_us(us)), us);
}

static void test_offset_delay_extremes(void **state)
{
    (void)state;
    uint8_t b[SNTP_PACKET_LEN];
    struct sntp_reply r;
    make_reply(b, XMT, 0xffffffffffffffffULL, 0xffffffffffffffffULL);
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    int64_t offset, delay;
    /* Caller clocks at the ends of int64 must not overflow (UBSan would tell). */
    sntp_offset_delay(INT64_MIN, &r, INT64_MAX, &offset, &delay);
    assert_true(delay > 0);
    sntp_offset_delay(INT64_MAX, &r, INT64_MIN, &offset, &delay);
    assert_true(delay < 0);
    /* Odd sums round toward zero, like the plain formula. */
    make_reply(b, XMT, sntp_ts_from_unix_us(T0_US + 1), sntp_ts_from_unix_us(T0_US + 1));
    assert_int_equal(decode(b, sizeof b, &r), SNTP_OK);
    sntp_offset_delay(T0_US, &r, T0_US + 1, &offset, &delay);
    assert_int_equal(offset, 0);
    assert_int_equal(delay, 1);
    sntp_offset_delay(T0_US, &r, T0_US - 2, &offset, &delay);
    assert_int_equal(offset, 2); /* (1 + 3) / 2 */
}

/* xorshift64*: a fixed, portable sequence. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void test_garbage(void **state)
{
    (void)state;
    uint8_t b[1100];
    unsigned ok = 0;
    for (int i = 0; i < 1000; i++) {
        size_t len = (size_t)(rnd() % sizeof b);
        if (i % 4 == 0)
            len = SNTP_PACKET_LEN;
        for (size_t j = 0; j < sizeof b; j++)
            b[j] = (uint8_t)rnd();
        /* Half the time plant our origin so the later checks get exercised too. */
        if (i % 2 == 0)
            put_u64(b + 24, XMT);
        struct sntp_reply r;
        enum sntp_status st = decode(b, len, &r);
        assert_true((unsigned)st <= SNTP_KOD_OTHER);
        assert_non_null(sntp_status_name(st));
        if (st == SNTP_OK) {
            ok++;
            assert_true(get_u64(b + 24) == XMT);
            assert_int_equal(r.mode, 4);
            assert_in_range(r.version, 1, 4);
            assert_in_range(r.stratum, 1, 15);
            assert_int_not_equal(r.leap, 3);
            assert_true(strlen(r.refid) < sizeof r.refid);
            int64_t offset, delay;
            sntp_offset_delay(T0_US, &r, T0_US + 1000, &offset, &delay);
        }
    }
    assert_true(ok > 0); /* the planted origins did reach the end of the checks */
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(sntp_status_name(SNTP_OK), "ok");
    assert_string_equal(sntp_status_name(SNTP_KOD_RATE), "kiss-of-death-rate");
    assert_string_equal(sntp_status_name((enum sntp_status)99), "?");
    for (int s = SNTP_OK; s <= SNTP_KOD_OTHER; s++)
        assert_string_not_equal(sntp_status_name((enum sntp_status)s), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_layout),
        cmocka_unit_test(test_valid_reply),
        cmocka_unit_test(test_older_versions_accepted),
        cmocka_unit_test(test_refid_text),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_extension_fields_and_mac),
        cmocka_unit_test(test_wrong_origin),
        cmocka_unit_test(test_wrong_mode),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_unsynchronised),
        cmocka_unit_test(test_bad_stratum),
        cmocka_unit_test(test_kiss_of_death),
        cmocka_unit_test(test_timestamp_conversion),
        cmocka_unit_test(test_offset_delay_extremes),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
