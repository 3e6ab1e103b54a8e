/* Quoted log fields: a peer's words can neither end the field nor start a line of their own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"

static void test_quote_escapes(void **state)
{
    (void)state;
    char out[LOG_QUOTED_SIZE(64)];
    assert_string_equal(log_quote(out, sizeof(out), "greeting 554"), "greeting 554");
    assert_string_equal(log_quote(out, sizeof(out), "say \"hi\" \\ bye"),
                        "say \\\"hi\\\" \\\\ bye");
    assert_string_equal(log_quote(out, sizeof(out),
                                  "a\nb\rc\td\x01"
                                  "e\x7f"),
                        "a\\nb\\rc\\td\\x01e\\x7f");
    assert_string_equal(log_quote(out, sizeof(out), ""), "");
    assert_string_equal(log_quote(out, sizeof(out), NULL), "");
}

static void test_quote_cuts_whole_escapes(void **state)
{
    (void)state;
    char out[6];
    /* "ab\"" needs 4 bytes; with "c\n" after it, only whole escapes fit in 5 */
    assert_string_equal(log_quote(out, sizeof(out), "ab\"c\n"), "ab\\\"c");
    assert_string_equal(log_quote(out, 5, "abc\"d"), "abc");
    char worst[LOG_QUOTED_SIZE(4)];
    assert_string_equal(log_quote(worst, sizeof(worst), "\x01\x02\x03\x04"),
                        "\\x01\\x02\\x03\\x04");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_escapes),
        cmocka_unit_test(test_quote_cuts_whole_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
