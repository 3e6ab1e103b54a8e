/* The address syntax of the configuration, as typed values: what a face gets from a string
 * the loader accepted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "addr.h"

static void hostport_ok(const char *s, const char *host, unsigned port, int family)
{
    struct addr_hostport hp;
    char why[128] = "", back[300];
    if (addr_parse_hostport(s, &hp, why, sizeof why) < 0)
        fail_msg("\"%s\" refused: %s", s, why);
    assert_string_equal(hp.host, host);
    assert_int_equal(hp.port, port);
    assert_int_equal(hp.family, family);
    /* written back the way a configuration writes it, and read again the same */
    addr_format_hostport(hp.host, hp.port, back, sizeof back);
    struct addr_hostport again;
    assert_int_equal(addr_parse_hostport(back, &again, why, sizeof why), 0);
    assert_memory_equal(&again, &hp, sizeof hp);
}

static void hostport_bad(const char *s, const char *why_expected)
{
    struct addr_hostport hp;
    char why[128] = "";
    if (addr_parse_hostport(s, &hp, why, sizeof why) == 0)
        fail_msg("\"%s\" accepted", s);
    assert_string_equal(why, why_expected);
}

static void test_hostport(void **state)
{
    (void)state;
    hostport_ok("scanner1.example.net", "scanner1.example.net", 0, 0);
    hostport_ok("scanner1.example.net:41002", "scanner1.example.net", 41002, 0);
    hostport_ok("192.0.2.1:25", "192.0.2.1", 25, AF_INET);
    hostport_ok("[2001:db8::1]:25", "2001:db8::1", 25, AF_INET6);
    hostport_ok("2001:db8::1", "2001:db8::1", 0, AF_INET6);
    hostport_ok("[::1]", "::1", 0, AF_INET6);
    hostport_bad("", "is empty (expected host or host:port)");
    hostport_bad("[::1", "has '[' without ']'");
    hostport_bad("[::1]25", "has text after ']' (expected [address]:port)");
    hostport_bad("[192.0.2.1]:25", "is not a valid IPv6 address in brackets");
    hostport_bad("2001:db8::1:x:y:z", "is neither host:port nor an IPv6 address (write "
                                      "[address]:port)");
    hostport_bad("192.0.2.300", "is not a valid host name or address");
    hostport_bad("h:0", "has port \"0\" (expected 1..65535)");
    hostport_bad("h:123456789", "has port \"12345678...\" (expected 1..65535)");
}

static void test_loopback(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool lo;
    } cases[] = {
        {"udp:127.0.0.1:1161", true},
        {"127.9.9.9:1", true},
        {"tcp6:[::1]:1161", true},
        {"udp6:[::ffff:127.0.0.1]:161", true},
        {"localhost:161", true},
        {"udp:192.0.2.1:161", false},
        {"udp6:[2001:db8::1]:161", false},
        {"udp:agent.example.net:161", false},
        {"udp:[::ffff:192.0.2.1]:1", false},
        {"udp:0.0.0.0:161", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct addr_endpoint e;
        char why[128];
        assert_int_equal(addr_parse_transport(cases[i].s, &e, why, sizeof why), 0);
        if (addr_hostport_is_loopback(&e.hp) != cases[i].lo)
            fail_msg("%s: expected %s", cases[i].s, cases[i].lo ? "loopback" : "beyond");
    }
}

static void test_transport(void **state)
{
    (void)state;
    struct addr_endpoint e;
    char why[128];
    assert_int_equal(addr_parse_transport("udp6:[2001:db8::1]:162", &e, why, sizeof why), 0);
    assert_int_equal(e.transport, ADDR_UDP6);
    assert_string_equal(e.hp.host, "2001:db8::1");
    assert_int_equal(e.hp.port, 162);
    assert_int_equal(addr_parse_transport("trap.example.net", &e, why, sizeof why), 0);
    assert_int_equal(e.transport, ADDR_DEFAULT);
    assert_int_equal(e.hp.port, 0);
    assert_int_equal(addr_parse_transport("tcp:h:1", &e, why, sizeof why), 0);
    assert_int_equal(e.transport, ADDR_TCP);
    assert_int_equal(addr_parse_transport("udp:", &e, why, sizeof why), -1);
    assert_int_equal(addr_parse_transport("sctp:h:1", &e, why, sizeof why), -1);
}

static void test_cidr(void **state)
{
    (void)state;
    struct addr_cidr c;
    assert_int_equal(addr_parse_cidr("192.0.2.0/24", &c), 0);
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.bits, 24);
    assert_memory_equal(c.addr, "\xc0\x00\x02\x00", 4);
    assert_int_equal(addr_parse_cidr("2001:db8::/32", &c), 0);
    assert_int_equal(c.family, AF_INET6);
    assert_int_equal(c.bits, 32);
    assert_int_equal(addr_parse_cidr("::1", &c), 0);
    assert_int_equal(c.bits, 128);
    assert_int_equal(addr_parse_cidr("192.0.2.7", &c), 0);
    assert_int_equal(c.bits, 32);
    /* a mapped prefix of /96 or longer is the IPv4 prefix it spells */
    assert_int_equal(addr_parse_cidr("::ffff:192.0.2.0/120", &c), 0);
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.bits, 24);
    assert_memory_equal(c.addr, "\xc0\x00\x02\x00", 4);
    static const char *const bad[] = {
        "192.0.2.0/33",   "::/129",        "192.0.2.0/", "192.0.2.0/+8", "192.0.2.0/ 8",
        "192.0.2.0/0008", "example.net/8", "",           "/8",           "192.0.2.0/24/1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (addr_parse_cidr(bad[i], &c) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
}

static void test_host_names(void **state)
{
    (void)state;
    char long_label[80];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    assert_true(addr_host_valid("example.net."));
    assert_true(addr_host_valid("a-b.c0"));
    assert_false(addr_host_valid(long_label));
    assert_false(addr_host_valid("under_score.example"));
    assert_false(addr_host_valid("10.0.0.256"));
    assert_int_equal(addr_literal_family("10.0.0.1"), AF_INET);
    assert_int_equal(addr_literal_family("::"), AF_INET6);
    assert_int_equal(addr_literal_family("example.net"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostport),   cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_transport),  cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_host_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
