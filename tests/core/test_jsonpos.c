/* Key paths and their line and column in a JSON text: what every configuration error points
 * at. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jsonpos.h"

static void at(const char *text, const char *path, bool want_key, int line, int col)
{
    int l = -1, c = -1;
    jpos_locate(text, strlen(text), path, want_key, &l, &c);
    if (l != line || c != col)
        fail_msg("%s%s: got %d:%d, expected %d:%d", path, want_key ? " (key)" : "", l, c, line,
                 col);
}

static void test_paths_are_built_and_popped(void **state)
{
    (void)state;
    struct jpos_path p = {.len = 0};
    p.buf[0] = '\0';
    size_t a = jpos_path_key(&p, "peers");
    size_t b = jpos_path_key(&p, "scanners");
    size_t c = jpos_path_index(&p, 12);
    jpos_path_key(&p, "host");
    assert_string_equal(p.buf, "peers.scanners[12].host");
    jpos_path_pop(&p, c);
    assert_string_equal(p.buf, "peers.scanners");
    jpos_path_pop(&p, b);
    jpos_path_pop(&p, a);
    assert_string_equal(p.buf, "");
    assert_int_equal(p.len, 0);
}

/* A path longer than the buffer is cut, and pushing more keeps it cut and terminated. */
static void test_long_paths_are_cut(void **state)
{
    (void)state;
    char key[400];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    struct jpos_path p = {.len = 0};
    jpos_path_key(&p, key);
    assert_int_equal(p.len, JPOS_PATH_MAX - 1);
    assert_int_equal(strlen(p.buf), JPOS_PATH_MAX - 1);
    jpos_path_index(&p, 3);
    assert_int_equal(strlen(p.buf), JPOS_PATH_MAX - 1);
}

static void test_values_and_keys(void **state)
{
    (void)state;
    const char *doc = "{\n"
                      "  \"peers\": {\n"
                      "    \"scanners\": [\n"
                      "      {\"name\": \"s1\", \"host\": \"a\"},\n"
                      "      {\"name\": \"s2\", \"host\": 7}\n"
                      "    ]\n"
                      "  },\n"
                      "  \"probe\": {\"interval_ms\": -1}\n"
                      "}\n";
    at(doc, "peers.scanners[1].host", false, 5, 30);
    at(doc, "peers.scanners[1].host", true, 5, 22);
    at(doc, "peers.scanners[0]", false, 4, 7);
    at(doc, "probe.interval_ms", false, 8, 28);
    at(doc, "", false, 1, 1);
    /* absent: the nearest enclosing value that is there */
    at(doc, "peers.scanners[1].port", false, 5, 7);
    at(doc, "peers.scanners[9].host", false, 3, 17);
    at(doc, "nothing.here", false, 1, 1);
}

/* Columns count characters, as jansson's do; escapes in keys are decoded before matching. */
static void test_utf8_and_escapes(void **state)
{
    (void)state;
    at("{\"n\": \"é€😀\", \"x\": 1}", "x", false, 1, 19);
    at("{\"a\\u00e9\": 1, \"b\\n\": [true, null, 2]}", "a\xc3\xa9", true, 1, 2);
    at("{\"a\\u00e9\": 1, \"b\\n\": [true, null, 2]}", "b\n[2]", false, 1, 36);
    at("{\"\\ud83d\\ude00\": 5}", "\xf0\x9f\x98\x80", false, 1, 18);
}

static void test_no_text(void **state)
{
    (void)state;
    int l = 5, c = 5;
    jpos_locate(NULL, 0, "a", false, &l, &c);
    assert_int_equal(l, 0);
    assert_int_equal(c, 0);
    /* not JSON: gives up quietly */
    at("{\"a\": [1, 2", "a[5]", false, 1, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_are_built_and_popped),
        cmocka_unit_test(test_long_paths_are_cut),
        cmocka_unit_test(test_values_and_keys),
        cmocka_unit_test(test_utf8_and_escapes),
        cmocka_unit_test(test_no_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
