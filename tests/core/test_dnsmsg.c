/* DNS query encoding and response checking (RFC 1035). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dnsmsg.h"

#define ID 0xbeef
#define NAME "example.net"

/* A copy of exactly len bytes on the heap, so valgrind and ASan see any read past it. */
static enum dnsmsg_status decode_as(const uint8_t *b, size_t len, uint16_t id, const char *name,
                                    uint16_t qtype, struct dnsmsg_reply *r)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, b, len);
    enum dnsmsg_status st = dnsmsg_decode_reply(copy, len, id, name, qtype, r);
    free(copy);
    return st;
}

static enum dnsmsg_status decode(const uint8_t *b, size_t len, struct dnsmsg_reply *r)
{
    return decode_as(b, len, ID, NAME, DNSMSG_TYPE_A, r);
}

static void put_u16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/*
 * The response a resolver sends to our query for example.net/A: the question echoed,
 * then one A record whose owner name is a pointer to the question name (offset 12).
 * Returns the length.
 */
static size_t make_response(uint8_t *b, size_t cap, unsigned rcode)
{
    int n = dnsmsg_encode_query(b, cap, ID, NAME, DNSMSG_TYPE_A);
    assert_true(n > 0);
    size_t len = (size_t)n;
    put_u16(b + 2, 0x8180 | rcode); /* QR, RD, RA */
    if (rcode != 0)
        return len;
    put_u16(b + 6, 1); /* ANCOUNT */
    static const uint8_t answer[] = {
        0xc0, 0x0c,             /* NAME: pointer to the question name */
        0x00, 0x01, 0x00, 0x01, /* TYPE A, CLASS IN */
        0x00, 0x00, 0x0e, 0x10, /* TTL 3600 */
        0x00, 0x04, 192,  0,    2, 10,
    };
    assert_true(len + sizeof answer <= cap);
    memcpy(b + len, answer, sizeof answer);
    return len + sizeof answer;
}

static void test_encode_root(void **state)
{
    (void)state;
    static const uint8_t want[] = {0xbe, 0xef, 0x01, 0x00, 0,    1,    0,    0,   0,
                                   0,    0,    0,    0x00, 0x00, 0x02, 0x00, 0x01};
    uint8_t b[64];
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, ".", DNSMSG_TYPE_NS), sizeof want);
    assert_memory_equal(b, want, sizeof want);
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, "", DNSMSG_TYPE_NS), sizeof want);
    assert_memory_equal(b, want, sizeof want);
}

static void test_encode_name(void **state)
{
    (void)state;
    static const uint8_t want[] = {0xbe, 0xef, 0x01, 0x00, 0,   1,   0,   0,   0,   0,
                                   0,    0,    7,    'e',  'x', 'a', 'm', 'p', 'l', 'e',
                                   3,    'n',  'e',  't',  0,   0,   1,   0,   1};
    uint8_t b[64];
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, "example.net", DNSMSG_TYPE_A),
                     sizeof want);
    assert_memory_equal(b, want, sizeof want);
    /* A trailing dot is the same name. */
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, "example.net.", DNSMSG_TYPE_A),
                     sizeof want);
    assert_memory_equal(b, want, sizeof want);
    /* AAAA only changes QTYPE. */
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, "example.net", DNSMSG_TYPE_AAAA),
                     sizeof want);
    assert_int_equal(b[sizeof want - 3], 28);
    /* The exact fit works, one byte less does not. */
    assert_int_equal(dnsmsg_encode_query(b, sizeof want, ID, NAME, 1), sizeof want);
    assert_int_equal(dnsmsg_encode_query(b, sizeof want - 1, ID, NAME, 1), -1);
    assert_int_equal(dnsmsg_encode_query(b, 5, ID, NAME, 1), -1);
}

static void test_encode_limits(void **state)
{
    (void)state;
    uint8_t b[600];
    char name[300];
    /* 63-octet label fine, 64 not (RFC 1035 §2.3.4). */
    memset(name, 'a', 63);
    strcpy(name + 63, ".net");
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, name, 1), 12 + 1 + 63 + 5 + 4);
    memset(name, 'a', 64);
    strcpy(name + 64, ".net");
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, name, 1), -1);

    /* 253 characters (255 octets on the wire) fine, 254 not. */
    memset(name, 0, sizeof name);
    memset(name, 'b', 253); /* 63.63.63.61 */
    name[63] = name[127] = name[191] = '.';
    assert_int_equal(strlen(name), 253);
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, name, 1), 12 + 255 + 4);
    strcat(name, "."); /* the trailing dot does not count */
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, name, 1), 12 + 255 + 4);
    name[253] = 'x';
    name[254] = '\0';
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, name, 1), -1);
}

static void test_encode_refuses_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a..b",         ".a",           "a..",       "..",
        ".example.net", "exa mple.net", "tab\t.net", "caf\xc3\xa9.net",
        "a.b\x7f",
    };
    uint8_t b[300];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, bad[i], 1), -1);
    assert_int_equal(dnsmsg_encode_query(b, sizeof b, ID, NULL, 1), -1);
    /* What hostnames may hold is accepted: digits, hyphens, underscores. */
    assert_true(dnsmsg_encode_query(b, sizeof b, ID, "_ldap._tcp.dc-1.example.net", 1) > 0);
    assert_true(dnsmsg_encode_query(b, sizeof b, ID, "xn--caf-dma.net", 1) > 0);
}

static void test_decode_valid(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    struct dnsmsg_reply r = {99, 99, 99};
    assert_int_equal(decode(b, len, &r), DNSMSG_OK);
    assert_int_equal(r.rcode, 0);
    assert_int_equal(r.ancount, 1);
    assert_int_equal(r.truncated, 0);
    /* Names compare case-insensitively; the trailing dot is the same name. */
    assert_int_equal(decode_as(b, len, ID, "EXAMPLE.Net.", DNSMSG_TYPE_A, NULL), DNSMSG_OK);
    b[13] = 'E'; /* the server may echo 0x20-mixed case */
    assert_int_equal(decode(b, len, NULL), DNSMSG_OK);
    /* TC is reported. */
    b[2] |= 0x02;
    assert_int_equal(decode(b, len, &r), DNSMSG_OK);
    assert_int_equal(r.truncated, 1);
}

static void test_decode_full_size(void **state)
{
    (void)state;
    /* Exactly DNSMSG_MAX_UDP bytes: the answer padded by an additional TXT-ish record. */
    uint8_t b[DNSMSG_MAX_UDP];
    size_t len = make_response(b, sizeof b, 0);
    put_u16(b + 10, 1); /* ARCOUNT */
    b[len++] = 0;       /* root owner */
    put_u16(b + len, 16);
    put_u16(b + len + 2, 1);
    memset(b + len + 4, 0, 4);
    size_t rdlen = DNSMSG_MAX_UDP - (len + 10);
    put_u16(b + len + 8, (unsigned)rdlen);
    memset(b + len + 10, 'x', rdlen);
    assert_int_equal(decode(b, DNSMSG_MAX_UDP, NULL), DNSMSG_OK);
    assert_int_equal(decode(b, DNSMSG_MAX_UDP - 1, NULL), DNSMSG_MALFORMED);
}

static void test_decode_rcodes(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dnsmsg_reply r;
    size_t len = make_response(b, sizeof b, 3);
    assert_int_equal(decode(b, len, &r), DNSMSG_OK); /* NXDOMAIN: the server works */
    assert_int_equal(r.rcode, 3);
    assert_int_equal(r.ancount, 0);
    len = make_response(b, sizeof b, 2);
    assert_int_equal(decode(b, len, &r), DNSMSG_RCODE); /* SERVFAIL */
    assert_int_equal(r.rcode, 2);
    len = make_response(b, sizeof b, 5);
    assert_int_equal(decode(b, len, &r), DNSMSG_RCODE); /* REFUSED */
    assert_int_equal(r.rcode, 5);
    len = make_response(b, sizeof b, 1);
    assert_int_equal(decode(b, len, NULL), DNSMSG_RCODE); /* FORMERR */
}

static void test_decode_wrong_id(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    assert_int_equal(decode_as(b, len, ID + 1, NAME, DNSMSG_TYPE_A, NULL), DNSMSG_BAD_ID);
    b[1] ^= 0x80;
    assert_int_equal(decode(b, len, NULL), DNSMSG_BAD_ID);
}

static void test_decode_not_response(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    b[2] &= 0x7f;
    assert_int_equal(decode(b, len, NULL), DNSMSG_NOT_RESPONSE);
    /* Our own query reflected back. */
    int n = dnsmsg_encode_query(b, sizeof b, ID, NAME, DNSMSG_TYPE_A);
    assert_int_equal(decode(b, (size_t)n, NULL), DNSMSG_NOT_RESPONSE);
}

static void test_decode_other_question(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    assert_int_equal(decode_as(b, len, ID, "example.com", DNSMSG_TYPE_A, NULL),
                     DNSMSG_BAD_QUESTION);
    assert_int_equal(decode_as(b, len, ID, "www.example.net", DNSMSG_TYPE_A, NULL),
                     DNSMSG_BAD_QUESTION);
    assert_int_equal(decode_as(b, len, ID, "net", DNSMSG_TYPE_A, NULL), DNSMSG_BAD_QUESTION);
    assert_int_equal(decode_as(b, len, ID, NAME, DNSMSG_TYPE_AAAA, NULL), DNSMSG_BAD_QUESTION);
    assert_int_equal(decode_as(b, len, ID, "a..b", DNSMSG_TYPE_A, NULL), DNSMSG_BAD_QUESTION);

    b[27] = 3; /* QCLASS CH */
    assert_int_equal(decode(b, len, NULL), DNSMSG_BAD_QUESTION);
    b[27] = 1;
    b[5] = 0; /* QDCOUNT 0 */
    assert_int_equal(decode(b, len, NULL), DNSMSG_BAD_QUESTION);
    b[5] = 2;
    assert_int_equal(decode(b, len, NULL), DNSMSG_BAD_QUESTION);
}

static void test_decode_truncated(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    assert_int_equal(decode(b, 11, NULL), DNSMSG_SHORT);
    assert_int_equal(decode(b, 0, NULL), DNSMSG_SHORT);
    /* The question cut anywhere (header 12 + name 13 + type/class 4 = 29). */
    for (size_t cut = 12; cut < 29; cut++)
        assert_int_equal(decode(b, cut, NULL), DNSMSG_SHORT);
    /* The answer record cut anywhere. */
    for (size_t cut = 29; cut < len; cut++)
        assert_int_equal(decode(b, cut, NULL), DNSMSG_MALFORMED);
    /* Counts that promise more than is there. */
    put_u16(b + 8, 1); /* NSCOUNT */
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);
    put_u16(b + 8, 0);
    put_u16(b + 6, 0xffff);
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);
}

static void test_decode_pointer_loop(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    /* The answer's owner points at itself. */
    size_t owner = 29;
    put_u16(b + owner, 0xc000 | (unsigned)owner);
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);

    /* Two names pointing at each other: the forward hop breaks the cycle. */
    len = make_response(b, sizeof b, 0);
    put_u16(b + 10, 1); /* ARCOUNT */
    size_t second = len;
    put_u16(b + owner, 0xc000 | (unsigned)second);
    put_u16(b + second, 0xc000 | (unsigned)owner);
    memcpy(b + second + 2, "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    assert_int_equal(decode(b, second + 12, NULL), DNSMSG_MALFORMED);

    /* A label followed by a pointer back to that label. */
    len = make_response(b, sizeof b, 0);
    size_t end = 29;
    b[end] = 1;
    b[end + 1] = 'x';
    put_u16(b + end + 2, 0xc000 | (unsigned)end);
    memcpy(b + end + 4, "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    assert_int_equal(decode(b, end + 14, NULL), DNSMSG_MALFORMED);

    /* The question name itself a pointer loop. */
    len = make_response(b, sizeof b, 0);
    put_u16(b + 12, 0xc00c);
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);
}

static void test_decode_forward_pointer(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    /* Points past itself to a well-formed name: still refused (RFC 1035 §4.1.4 "prior"). */
    put_u16(b + 10, 1);
    put_u16(b + 29, 0xc000 | (unsigned)len);
    b[len] = 0;
    memcpy(b + len + 1, "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    assert_int_equal(decode(b, len + 11, NULL), DNSMSG_MALFORMED);
    /* Past the end of the message. */
    len = make_response(b, sizeof b, 0);
    put_u16(b + 29, 0xc000 | 0x3fff);
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);
}

static void test_decode_reserved_label_type(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t len = make_response(b, sizeof b, 0);
    b[29] = 0x40;
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);
    b[29] = 0x80;
    assert_int_equal(decode(b, len, NULL), DNSMSG_MALFORMED);
}

static size_t put_record(uint8_t *b, size_t off)
{
    memcpy(b + off, "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10); /* A IN, no data */
    return off + 10;
}

static void test_decode_name_too_long(void **state)
{
    (void)state;
    /* Backward pointers are fine, but what they expand to is still bounded by 255 octets. */
    uint8_t b[DNSMSG_MAX_UDP];
    make_response(b, sizeof b, 0);
    put_u16(b + 6, 2); /* ANCOUNT */
    size_t first = 29;
    size_t off = first;
    for (int i = 0; i < 3; i++) { /* 3 x 64 + "example.net" (13) = 205 octets */
        b[off] = 63;
        memset(b + off + 1, 'a', 63);
        off += 64;
    }
    put_u16(b + off, 0xc00c);
    off = put_record(b, off + 2);
    assert_int_equal(decode(b, off, NULL), DNSMSG_MALFORMED); /* ANCOUNT 2, one record */
    put_u16(b + 6, 1);
    assert_int_equal(decode(b, off, NULL), DNSMSG_OK);

    put_u16(b + 6, 2);
    size_t second = off; /* 64 + 205 = 269 octets */
    b[second] = 63;
    memset(b + second + 1, 'c', 63);
    put_u16(b + second + 64, 0xc000 | (unsigned)first);
    off = put_record(b, second + 66);
    assert_int_equal(decode(b, off, NULL), DNSMSG_MALFORMED);
    b[second] = 50; /* 51 + 205 = 256: one octet too many */
    memmove(b + second + 51, b + second + 64, 12);
    assert_int_equal(decode(b, off - 13, NULL), DNSMSG_MALFORMED);
    b[second] = 49; /* 50 + 205 = 255: the largest name */
    memmove(b + second + 50, b + second + 51, 12);
    assert_int_equal(decode(b, off - 14, NULL), DNSMSG_OK);
}

static void test_oversized(void **state)
{
    (void)state;
    uint8_t b[600];
    memset(b, 0, sizeof b);
    make_response(b, sizeof b, 0);
    assert_int_equal(decode(b, sizeof b, NULL), DNSMSG_OVERSIZED);
    assert_int_equal(decode(b, DNSMSG_MAX_UDP + 1, NULL), DNSMSG_OVERSIZED);
}

/* xorshift64*: a fixed, portable sequence. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
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
    uint8_t b[DNSMSG_MAX_UDP + 8];
    for (int i = 0; i < 1000; i++) {
        size_t len = (size_t)(rnd() % sizeof b);
        for (size_t j = 0; j < sizeof b; j++)
            b[j] = (uint8_t)rnd();
        struct dnsmsg_reply r;
        enum dnsmsg_status st = decode(b, len, &r);
        assert_int_not_equal(st, DNSMSG_OK);
        assert_true((unsigned)st <= DNSMSG_MALFORMED);
        assert_string_not_equal(dnsmsg_status_name(st), "?");
    }
}

/* A valid response with random bytes changed or cut: never a crash, never a read past the
 * end (valgrind / ASan), and whatever passes still carries our id and question. */
static void test_mutations(void **state)
{
    (void)state;
    uint8_t good[DNSMSG_MAX_UDP];
    size_t good_len = make_response(good, sizeof good, 0);
    for (int i = 0; i < 5000; i++) {
        uint8_t b[DNSMSG_MAX_UDP];
        memcpy(b, good, good_len);
        size_t len = good_len;
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++)
            b[12 + rnd() % (good_len - 12)] = (uint8_t)rnd();
        if (rnd() % 4 == 0)
            len = (size_t)(rnd() % good_len);
        enum dnsmsg_status st = decode(b, len, NULL);
        assert_true((unsigned)st <= DNSMSG_MALFORMED);
        if (st == DNSMSG_OK) {
            assert_true(len >= 29);
            assert_int_equal(b[0] << 8 | b[1], ID);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_root),
        cmocka_unit_test(test_encode_name),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_encode_refuses_bad_names),
        cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_full_size),
        cmocka_unit_test(test_decode_rcodes),
        cmocka_unit_test(test_decode_wrong_id),
        cmocka_unit_test(test_decode_not_response),
        cmocka_unit_test(test_decode_other_question),
        cmocka_unit_test(test_decode_truncated),
        cmocka_unit_test(test_decode_pointer_loop),
        cmocka_unit_test(test_decode_forward_pointer),
        cmocka_unit_test(test_decode_reserved_label_type),
        cmocka_unit_test(test_decode_name_too_long),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
