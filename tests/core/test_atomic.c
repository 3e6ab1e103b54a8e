/* Replacing a file atomically: the whole new text or the whole old one, never a mix, and a
 * two-step save that can be undone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "atomic.h"

static char dir[64], path[128], old[160];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/smsa-atomic-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/file.json", dir);
    snprintf(old, sizeof old, "%s" ATOMIC_OLD_SUFFIX, path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(old);
    unlink(path);
    return rmdir(dir);
}

static char *slurp(const char *p)
{
    static char buf[256];
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void put(const char *text)
{
    const char *step = NULL;
    assert_int_equal(atomic_write(path, text, &step), 0);
}

static void test_write_replaces_whole_file(void **state)
{
    (void)state;
    put("first\n");
    assert_string_equal(slurp(path), "first\n");
    put("2\n");
    assert_string_equal(slurp(path), "2\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

/* A folder that does not exist: nothing written, and the step says what failed. */
static void test_write_failure_names_step(void **state)
{
    (void)state;
    const char *step = NULL;
    char bad[200];
    snprintf(bad, sizeof bad, "%s/missing/file.json", dir);
    assert_int_equal(atomic_write(bad, "x", &step), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(step, "open for syncing the folder of");
}

static void test_undo_puts_old_back(void **state)
{
    (void)state;
    struct atomic_save s;
    const char *step = NULL;
    put("old\n");
    assert_int_equal(atomic_begin(path, "new\n", &s, &step), 0);
    assert_string_equal(slurp(path), "new\n");
    assert_string_equal(slurp(old), "old\n");
    assert_int_equal(atomic_undo(&s), 0);
    assert_string_equal(slurp(path), "old\n");
    assert_int_equal(access(old, F_OK), -1);
}

static void test_commit_drops_old(void **state)
{
    (void)state;
    struct atomic_save s;
    const char *step = NULL;
    put("old\n");
    /* a copy left by a crash during an earlier save is replaced */
    FILE *f = fopen(old, "w");
    assert_non_null(f);
    fputs("stale\n", f);
    fclose(f);
    assert_int_equal(atomic_begin(path, "new\n", &s, &step), 0);
    assert_string_equal(slurp(old), "old\n");
    atomic_commit(&s);
    assert_string_equal(slurp(path), "new\n");
    assert_int_equal(access(old, F_OK), -1);
}

/* Undoing a save that created the file removes it again. */
static void test_undo_of_first_save_removes_file(void **state)
{
    (void)state;
    struct atomic_save s;
    const char *step = NULL;
    unlink(path);
    assert_int_equal(atomic_begin(path, "new\n", &s, &step), 0);
    assert_true(s.created);
    assert_int_equal(atomic_undo(&s), 0);
    assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_replaces_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_names_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_puts_old_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_drops_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_of_first_save_removes_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
