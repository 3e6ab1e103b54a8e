/* The short list in a loopback-only detail: whole addresses, and how many were left out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"
#include "model.h"

static void test_brief_keeps_whole_addresses(void **state)
{
    (void)state;
    /* the detail "bound to ... only" leaves this much for the list */
    char out[SMSA_DETAIL_TEXT - sizeof("bound to  only") + 1];
    const char *five = "127.0.60.25 127.0.60.89 127.0.60.131 127.0.60.173 127.0.60.215";
    assert_string_equal(listen_brief(out, sizeof(out), five),
                        "127.0.60.25 127.0.60.89 127.0.60.131 (+2 more)");
    char detail[SMSA_DETAIL_TEXT];
    snprintf(detail, sizeof(detail), "bound to %s only", out);
    assert_string_equal(detail, "bound to 127.0.60.25 127.0.60.89 127.0.60.131 (+2 more) only");

    assert_string_equal(listen_brief(out, sizeof(out), "127.0.0.1 ::1"), "127.0.0.1 ::1");
    assert_string_equal(listen_brief(out, sizeof(out), ""), "");
    assert_string_equal(listen_brief(out, 24, "127.0.0.1 127.0.0.2 127.0.0.3"),
                        "127.0.0.1 (+2 more)");
    assert_string_equal(listen_brief(out, 12, "fd00:1234:5678::1 127.0.0.1"), "2 addresses");
}

/* A socket of type on address:port (0: any free port), listening when TCP; its port in *port. */
static int bound(int type, const char *address, uint16_t *port)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port)};
    inet_pton(AF_INET, address, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        (type == SOCK_STREAM && listen(fd, 4) != 0)) {
        close(fd);
        return -1;
    }
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Among many listeners on other ports, the check names exactly the addresses that listen on
 * its port, for TCP and for UDP, and none for a port nobody listens on. */
static void test_check_names_only_its_port(void **state)
{
    (void)state;
    int others[40];
    for (size_t i = 0; i < 40; i++) {
        uint16_t any = 0;
        others[i] = bound(i % 2 ? SOCK_DGRAM : SOCK_STREAM, "127.0.0.1", &any);
        assert_true(others[i] >= 0);
    }
    int a = -1, b = -1;
    uint16_t port = 0;
    for (int tries = 0; tries < 20 && b < 0; tries++) {
        if (a >= 0)
            close(a);
        port = 0;
        a = bound(SOCK_STREAM, "127.0.0.3", &port);
        assert_true(a >= 0);
        b = bound(SOCK_STREAM, "127.0.0.2", &port); /* the same port on another address */
    }
    assert_true(b >= 0);
    char addrs[256];
    assert_int_equal(listen_check(port, addrs, sizeof(addrs)), LISTEN_LOOPBACK_ONLY);
    assert_string_equal(addrs, "127.0.0.2 127.0.0.3");

    uint16_t uport = 0;
    int u = bound(SOCK_DGRAM, "127.0.0.4", &uport);
    assert_true(u >= 0);
    assert_int_equal(listen_check_proto(uport, true, addrs, sizeof(addrs)), LISTEN_LOOPBACK_ONLY);
    assert_string_equal(addrs, "127.0.0.4");

    close(a);
    close(b);
    close(u);
    assert_int_equal(listen_check(port, addrs, sizeof(addrs)), LISTEN_NONE);
    assert_string_equal(addrs, "");
    for (size_t i = 0; i < 40; i++)
        close(others[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brief_keeps_whole_addresses),
        cmocka_unit_test(test_check_names_only_its_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
