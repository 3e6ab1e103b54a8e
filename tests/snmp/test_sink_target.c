/* A sink given by name is opened by the address it resolved to: the literal keeps the
 * sink's transport and port (162 when none is written), and a sink without a transport takes
 * an IPv4 address before an IPv6 one, as net-snmp's default transport (udp) would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "snmp_internal.h"

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
    }
    return ss;
}

static const char *target(const char *address, const char *a, const char *b)
{
    static char out[128];
    struct sockaddr_storage addrs[2];
    size_t n = 0;
    if (a)
        addrs[n++] = addr(a);
    if (b)
        addrs[n++] = addr(b);
    out[0] = '\0';
    return snmpf_sink_target(address, addrs, n, out, sizeof(out)) ? out : NULL;
}

static void test_default_transport_prefers_ipv4(void **state)
{
    (void)state;
    assert_string_equal(target("nms.test:1162", "2001:db8::1", "192.0.2.10"),
                        "udp:192.0.2.10:1162");
    assert_string_equal(target("nms.test", "2001:db8::1", NULL), "udp6:[2001:db8::1]:162");
}

static void test_transport_names_the_family(void **state)
{
    (void)state;
    assert_string_equal(target("udp6:nms.test:1162", "192.0.2.10", "2001:db8::1"),
                        "udp6:[2001:db8::1]:1162");
    assert_string_equal(target("udp:nms.test", "2001:db8::1", "192.0.2.10"), "udp:192.0.2.10:162");
    assert_string_equal(target("tcp6:nms.test:10162", "2001:db8::1", NULL),
                        "tcp6:[2001:db8::1]:10162");
    assert_string_equal(target("tcp:nms.test:10162", "192.0.2.10", NULL), "tcp:192.0.2.10:10162");
}

static void test_nothing_fits(void **state)
{
    (void)state;
    assert_null(target("tcp:nms.test", "2001:db8::1", NULL));
    assert_null(target("udp6:nms.test", "192.0.2.10", NULL));
    assert_null(target("nms.test", NULL, NULL));
    assert_null(target("no such:host:x", "192.0.2.10", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_transport_prefers_ipv4),
        cmocka_unit_test(test_transport_names_the_family),
        cmocka_unit_test(test_nothing_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
