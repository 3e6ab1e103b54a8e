/* The short list in a loopback-only detail: whole addresses, and how many were left out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brief_keeps_whole_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
