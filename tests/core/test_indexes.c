/* The index map: an index belongs to one identity for ever, and survives a save and load. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "catalogue.h"
#include "indexes.h"

static void test_same_identity_same_index(void **state)
{
    (void)state;
    struct idx_map *m = idx_new();
    assert_non_null(m);
    assert_false(idx_dirty(m));
    assert_int_equal(idx_get(m, IDX_LINKS, "scanner1"), 1);
    assert_int_equal(idx_get(m, IDX_LINKS, "scanner2"), 2);
    assert_true(idx_dirty(m));
    assert_int_equal(idx_get(m, IDX_LINKS, "scanner1"), 1);
    assert_int_equal(idx_get(m, IDX_LINKS, "scanner2"), 2);
    idx_free(m);
}

static void test_spaces_are_independent(void **state)
{
    (void)state;
    struct idx_map *m = idx_new();
    assert_int_equal(idx_get(m, IDX_LINKS, "a"), 1);
    assert_int_equal(idx_get(m, 16, "b"), 1);
    assert_int_equal(idx_get(m, 16, "a"), 2);
    assert_int_equal(idx_get(m, CAT_NFLOWS, "a"), 1);
    assert_int_equal(idx_get(m, IDX_SPACES, "a"), 0); /* no such space */
    idx_free(m);
}

/* A name seen once keeps its index; a new name never takes an index given before, whatever
 * the order names come and go in. */
static void test_never_reused(void **state)
{
    (void)state;
    struct idx_map *m = idx_new();
    char name[32];
    unsigned seen[201] = {0};
    for (unsigned i = 1; i <= 200; i++) {
        snprintf(name, sizeof(name), "s%03u", (i * 37) % 211);
        unsigned idx = idx_get(m, IDX_LINKS, name);
        assert_int_equal(idx, i);
        seen[i] = idx;
    }
    for (unsigned i = 1; i <= 200; i++) {
        snprintf(name, sizeof(name), "s%03u", (i * 37) % 211);
        assert_int_equal(idx_get(m, IDX_LINKS, name), seen[i]);
    }
    assert_int_equal(idx_get(m, IDX_LINKS, "newcomer"), 201);
    idx_free(m);
}

static void test_serialise_and_parse(void **state)
{
    (void)state;
    struct idx_map *m = idx_new();
    idx_get(m, IDX_LINKS, "c");
    idx_get(m, IDX_LINKS, "a");
    idx_get(m, 7, "127.0.0.1:53");
    char *text = idx_serialise(m);
    assert_non_null(text);
    struct idx_map *n = idx_new();
    char why[128];
    assert_int_equal(idx_parse(n, text, strlen(text), why, sizeof(why)), 0);
    assert_false(idx_dirty(n));
    assert_int_equal(idx_get(n, IDX_LINKS, "a"), 2);
    assert_int_equal(idx_get(n, IDX_LINKS, "c"), 1);
    assert_int_equal(idx_get(n, 7, "127.0.0.1:53"), 1);
    assert_false(idx_dirty(n));
    assert_int_equal(idx_get(n, IDX_LINKS, "b"), 3);
    free(text);
    idx_free(m);
    idx_free(n);
}

/* A deleted identity's index stays reserved: "next" remembers it after a save. */
static void test_next_survives_forgotten_identities(void **state)
{
    (void)state;
    const char *text = "{\"version\":1,\"spaces\":{\"links\":{\"next\":6,\"ids\":{\"a\":1}}}}";
    struct idx_map *m = idx_new();
    char why[128];
    assert_int_equal(idx_parse(m, text, strlen(text), why, sizeof(why)), 0);
    assert_int_equal(idx_get(m, IDX_LINKS, "b"), 6);
    idx_free(m);
}

static void test_bad_documents_change_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{not json",
        "[]",
        "{\"version\":2,\"spaces\":{}}",
        "{\"version\":1,\"spaces\":{\"links\":{\"next\":2,\"ids\":{\"a\":2}}}}", /* >= next */
        "{\"version\":1,\"spaces\":{\"links\":{\"next\":3,\"ids\":{\"a\":1,\"b\":1}}}}",
        "{\"version\":1,\"spaces\":{\"links\":{\"next\":3,\"ids\":{\"a\":0}}}}",
        "{\"version\":1,\"spaces\":{\"links\":{\"ids\":{}}}}",
        "{\"version\":1,\"spaces\":{\"links\":{\"next\":3,\"ids\":{\"a\":\"1\"}}}}",
    };
    struct idx_map *m = idx_new();
    idx_get(m, IDX_LINKS, "kept");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char why[128] = "";
        assert_int_equal(idx_parse(m, bad[i], strlen(bad[i]), why, sizeof(why)), -1);
        assert_true(why[0] != '\0');
        assert_int_equal(idx_get(m, IDX_LINKS, "kept"), 1);
    }
    idx_free(m);
}

static void test_save_and_load_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/smsa-idx-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], why[256];
    snprintf(path, sizeof(path), "%s/indexes.json", dir);

    struct idx_map *m = idx_new();
    assert_int_equal(idx_load(m, path, why, sizeof(why)), 1); /* no file yet */
    idx_get(m, IDX_LINKS, "x");
    idx_get(m, IDX_LINKS, "y");
    assert_int_equal(idx_save(m, path, why, sizeof(why)), 0);
    assert_false(idx_dirty(m));
    struct idx_map *n = idx_new();
    assert_int_equal(idx_load(n, path, why, sizeof(why)), 0);
    assert_int_equal(idx_get(n, IDX_LINKS, "y"), 2);

    char missing[96];
    snprintf(missing, sizeof(missing), "%s/gone/indexes.json", dir);
    assert_int_equal(idx_save(m, missing, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "gone"));

    unlink(path);
    rmdir(dir);
    idx_free(m);
    idx_free(n);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The state folder belongs to the service user: a link there must not make root read (and
 * quote) another file, and a bad map is described, never echoed. */
static void test_load_refuses_links_and_never_echoes(void **state)
{
    (void)state;
    char dir[] = "/tmp/smsa-idx-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], target[64], why[256] = "";
    snprintf(path, sizeof(path), "%s/indexes.json", dir);
    snprintf(target, sizeof(target), "%s/secret", dir);
    write_text(target, "{\"version\":1,\"spaces\":{}}");
    assert_int_equal(symlink(target, path), 0);
    struct idx_map *m = idx_new();
    assert_int_equal(idx_load(m, path, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "symbolic link"));
    unlink(path);

    write_text(path, "root:x:0:0:SECRET-PASSWORD-LINE");
    assert_int_equal(idx_load(m, path, why, sizeof(why)), -1);
    assert_null(strstr(why, "root"));
    assert_null(strstr(why, "SECRET"));
    assert_non_null(strstr(why, "line 1"));

    unlink(path);
    unlink(target);
    rmdir(dir);
    idx_free(m);
}

/* A map whose numbering is nearly used up is renumbered 1..n in the old order at load, so
 * that the daemon keeps giving out indexes instead of failing every start. */
static void test_exhausted_numbering_compacts(void **state)
{
    (void)state;
    char dir[] = "/tmp/smsa-idx-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], why[256] = "";
    snprintf(path, sizeof(path), "%s/indexes.json", dir);
    write_text(path, "{\"version\":1,\"spaces\":{\"links\":{\"next\":4294967294,"
                     "\"ids\":{\"late\":4294967293,\"early\":7}},"
                     "\"flow-3\":{\"next\":5,\"ids\":{\"p\":4}}}}");
    struct idx_map *m = idx_new();
    assert_int_equal(idx_load(m, path, why, sizeof(why)), 0);
    assert_true(idx_dirty(m)); /* saved renumbered at the next save */
    assert_int_equal(idx_get(m, IDX_LINKS, "early"), 1);
    assert_int_equal(idx_get(m, IDX_LINKS, "late"), 2);
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof(name), "new%d", i);
        assert_int_equal(idx_get(m, IDX_LINKS, name), 3 + i);
    }
    assert_int_equal(idx_get(m, 3, "p"), 4); /* a space with room is left alone */
    assert_int_equal(idx_get(m, 3, "q"), 5);
    unlink(path);
    rmdir(dir);
    idx_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_identity_same_index),
        cmocka_unit_test(test_spaces_are_independent),
        cmocka_unit_test(test_never_reused),
        cmocka_unit_test(test_serialise_and_parse),
        cmocka_unit_test(test_next_survives_forgotten_identities),
        cmocka_unit_test(test_bad_documents_change_nothing),
        cmocka_unit_test(test_save_and_load_a_file),
        cmocka_unit_test(test_load_refuses_links_and_never_echoes),
        cmocka_unit_test(test_exhausted_numbering_compacts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
