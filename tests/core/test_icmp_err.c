/* ICMP errors as causes: one firewall rule gives one cause over IPv4 and IPv6, and the
 * detail names who answered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>

#include "icmp_err.h"
#include "probe.h"

static void admin_prohibited_is_prohibited_in_both_families(void **state)
{
    char d[SMSA_DETAIL_TEXT];
    /* nft "reject with icmpx admin-prohibited": ICMP 3/13 and ICMPv6 1/1 */
    assert_int_equal(icmp_err_classify(AF_INET, 3, 13, "10.1.2.3", "192.0.2.1", d, sizeof(d)),
                     CAUSE_PROHIBITED);
    assert_string_equal(d, "administratively prohibited, from 10.1.2.3");
    assert_int_equal(icmp_err_classify(AF_INET6, 1, 1, "2001:db8::3", "2001:db8::1", d, sizeof(d)),
                     CAUSE_PROHIBITED);
    assert_string_equal(d, "administratively prohibited, from 2001:db8::3");
    /* network and host prohibited (RFC 1122), reject route (RFC 4443) */
    assert_int_equal(icmp_err_classify(AF_INET, 3, 9, "", "192.0.2.1", d, sizeof(d)),
                     CAUSE_PROHIBITED);
    assert_string_equal(d, "administratively prohibited");
    assert_int_equal(icmp_err_classify(AF_INET, 3, 10, "10.1.2.3", "192.0.2.1", d, sizeof(d)),
                     CAUSE_PROHIBITED);
    assert_int_equal(icmp_err_classify(AF_INET6, 1, 6, "2001:db8::3", "2001:db8::1", d, sizeof(d)),
                     CAUSE_PROHIBITED);
}

static void no_route_is_unreachable(void **state)
{
    char d[SMSA_DETAIL_TEXT];
    assert_int_equal(icmp_err_classify(AF_INET, 3, 1, "10.1.2.3", "192.0.2.1", d, sizeof(d)),
                     CAUSE_UNREACHABLE);
    assert_string_equal(d, "host unreachable, from 10.1.2.3");
    assert_int_equal(icmp_err_classify(AF_INET, 3, 0, "10.1.2.3", "192.0.2.1", d, sizeof(d)),
                     CAUSE_UNREACHABLE);
    assert_int_equal(icmp_err_classify(AF_INET6, 1, 0, "2001:db8::3", "2001:db8::1", d, sizeof(d)),
                     CAUSE_UNREACHABLE);
    assert_int_equal(icmp_err_classify(AF_INET6, 1, 3, "2001:db8::3", "2001:db8::1", d, sizeof(d)),
                     CAUSE_UNREACHABLE);
    assert_string_equal(d, "address unreachable, from 2001:db8::3");
    assert_int_equal(icmp_err_classify(AF_INET, 11, 0, "10.1.2.3", "192.0.2.1", d, sizeof(d)),
                     CAUSE_UNREACHABLE);
}

static void port_unreachable_is_refused_and_says_who_when_not_the_peer(void **state)
{
    char d[SMSA_DETAIL_TEXT];
    assert_int_equal(icmp_err_classify(AF_INET, 3, 3, "192.0.2.1", "192.0.2.1", d, sizeof(d)),
                     CAUSE_REFUSED);
    assert_string_equal(d, "connection refused");
    /* a firewall rejecting with port-unreachable (iptables' default REJECT) */
    assert_int_equal(icmp_err_classify(AF_INET, 3, 3, "10.1.2.3", "192.0.2.1", d, sizeof(d)),
                     CAUSE_REFUSED);
    assert_string_equal(d, "port unreachable, from 10.1.2.3");
    assert_int_equal(icmp_err_classify(AF_INET6, 1, 4, "", "2001:db8::1", d, sizeof(d)),
                     CAUSE_REFUSED);
    assert_string_equal(d, "connection refused");
}

static void prohibit_route_errno_is_prohibited(void **state)
{
    char d[SMSA_DETAIL_TEXT];
    /* a local prohibit route fails connect() and send() with EACCES; no ICMP is queued */
    assert_int_equal(probe_cause_from_errno(EACCES), CAUSE_PROHIBITED);
    probe_errno_detail(EACCES, d, sizeof(d));
    assert_string_equal(d, "administratively prohibited, by a route of this host");
    assert_int_equal(probe_cause_from_errno(EHOSTUNREACH), CAUSE_UNREACHABLE);
    assert_string_equal(smsa_cause_name(CAUSE_PROHIBITED), "prohibited");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admin_prohibited_is_prohibited_in_both_families),
        cmocka_unit_test(no_route_is_unreachable),
        cmocka_unit_test(port_unreachable_is_refused_and_says_who_when_not_the_peer),
        cmocka_unit_test(prohibit_route_errno_is_prohibited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
