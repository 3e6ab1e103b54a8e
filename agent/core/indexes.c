#include "indexes.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"

#define IDX_FILE_VERSION 1
#define IDX_MAX_FILE_BYTES (16 * 1024 * 1024)

struct idx_entry {
    char *identity;
    unsigned index;
};

/* Sorted by identity for a binary search: a model of thousands of peers is rebuilt on every
 * configuration change. */
struct idx_space {
    struct idx_entry *e;
    size_t n, cap;
    unsigned next; /* the next index to give out: above every index ever given */
};

struct idx_map {
    struct idx_space s[IDX_SPACES];
    bool dirty;
};

struct idx_map *idx_new(void)
{
    struct idx_map *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    for (unsigned i = 0; i < IDX_SPACES; i++)
        m->s[i].next = 1;
    return m;
}

static void clear(struct idx_map *m)
{
    for (unsigned i = 0; i < IDX_SPACES; i++) {
        for (size_t k = 0; k < m->s[i].n; k++)
            free(m->s[i].e[k].identity);
        free(m->s[i].e);
        m->s[i] = (struct idx_space){.next = 1};
    }
}

void idx_free(struct idx_map *m)
{
    if (!m)
        return;
    clear(m);
    free(m);
}

/* Position of identity, or where it would be inserted (*found false). */
static size_t find(const struct idx_space *sp, const char *identity, bool *found)
{
    size_t lo = 0, hi = sp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sp->e[mid].identity, identity);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int insert(struct idx_space *sp, size_t at, const char *identity, unsigned index)
{
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        struct idx_entry *e = realloc(sp->e, cap * sizeof(*e));
        if (!e)
            return -1;
        sp->e = e;
        sp->cap = cap;
    }
    char *copy = strdup(identity);
    if (!copy)
        return -1;
    memmove(sp->e + at + 1, sp->e + at, (sp->n - at) * sizeof(*sp->e));
    sp->e[at] = (struct idx_entry){copy, index};
    sp->n++;
    if (index >= sp->next)
        sp->next = index + 1;
    return 0;
}

unsigned idx_get(struct idx_map *m, unsigned space, const char *identity)
{
    if (space >= IDX_SPACES)
        return 0;
    struct idx_space *sp = &m->s[space];
    bool found;
    size_t at = find(sp, identity, &found);
    if (found)
        return sp->e[at].index;
    if (sp->next == UINT32_MAX || insert(sp, at, identity, sp->next) < 0)
        return 0; /* 2^32 identities in one space: not in this life */
    m->dirty = true;
    return sp->e[at].index;
}

bool idx_dirty(const struct idx_map *m)
{
    return m->dirty;
}

static void space_name(unsigned i, char *buf, size_t len)
{
    if (i == IDX_LINKS)
        snprintf(buf, len, "links");
    else if (i == IDX_APPLIANCES)
        snprintf(buf, len, "appliances");
    else
        snprintf(buf, len, "flow-%u", i);
}

char *idx_serialise(const struct idx_map *m)
{
    json_t *spaces = json_object();
    json_t *doc = json_pack("{s:i, s:o}", "version", IDX_FILE_VERSION, "spaces", spaces);
    if (!doc)
        return NULL;
    for (unsigned i = 0; i < IDX_SPACES; i++) {
        const struct idx_space *sp = &m->s[i];
        if (sp->n == 0)
            continue;
        json_t *ids = json_object();
        for (size_t k = 0; ids && k < sp->n; k++)
            json_object_set_new(ids, sp->e[k].identity, json_integer(sp->e[k].index));
        char name[16];
        space_name(i, name, sizeof(name));
        json_object_set_new(spaces, name,
                            json_pack("{s:I, s:o}", "next", (json_int_t)sp->next, "ids", ids));
    }
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(doc);
    return text;
}

static int bad(char *why, size_t len, const char *what)
{
    snprintf(why, len, "%s", what);
    return -1;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* One space of the document into sp; the caller checks that indexes stay below next. */
static int parse_space(json_t *v, struct idx_space *sp, char *why, size_t why_len)
{
    json_t *next = json_object_get(v, "next"), *ids = json_object_get(v, "ids");
    if (!json_is_integer(next) || !json_is_object(ids) || json_integer_value(next) < 1 ||
        json_integer_value(next) >= UINT32_MAX)
        return bad(why, why_len, "a space without a valid \"next\" and \"ids\"");
    const char *identity;
    json_t *iv;
    json_object_foreach(ids, identity, iv)
    {
        json_int_t index = json_integer_value(iv);
        if (!json_is_integer(iv) || index < 1 || index >= json_integer_value(next))
            return bad(why, why_len, "an index out of range");
        bool found;
        size_t at = find(sp, identity, &found);
        if (found || insert(sp, at, identity, (unsigned)index) < 0)
            return bad(why, why_len, "a duplicate identity or no memory");
    }
    /* an index given to two identities would make two rows one */
    unsigned *seen = calloc(sp->n + 1, sizeof(*seen));
    if (!seen)
        return bad(why, why_len, "no memory");
    for (size_t k = 0; k < sp->n; k++)
        seen[k] = sp->e[k].index;
    qsort(seen, sp->n, sizeof(*seen), cmp_unsigned);
    bool twice = false;
    for (size_t k = 1; k < sp->n; k++)
        twice = twice || seen[k] == seen[k - 1];
    free(seen);
    if (twice)
        return bad(why, why_len, "an index given to two identities");
    sp->next = (unsigned)json_integer_value(next);
    return 0;
}

int idx_parse(struct idx_map *m, const char *text, size_t len, char *why, size_t why_len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        snprintf(why, why_len, "not JSON (line %d: %s)", jerr.line, jerr.text);
        return -1;
    }
    struct idx_map *fresh = idx_new();
    json_t *spaces = json_object_get(doc, "spaces");
    int rc = -1;
    if (!fresh)
        bad(why, why_len, "no memory");
    else if (json_integer_value(json_object_get(doc, "version")) != IDX_FILE_VERSION ||
             !json_is_object(spaces))
        bad(why, why_len, "not an index map of version 1");
    else
        rc = 0;
    for (unsigned i = 0; rc == 0 && i < IDX_SPACES; i++) {
        char name[16];
        space_name(i, name, sizeof(name));
        json_t *v = json_object_get(spaces, name);
        if (v && parse_space(v, &fresh->s[i], why, why_len) < 0)
            rc = -1;
    }
    json_decref(doc);
    if (rc < 0) {
        idx_free(fresh);
        return -1;
    }
    clear(m);
    memcpy(m->s, fresh->s, sizeof(m->s));
    m->dirty = false;
    free(fresh);
    return 0;
}

int idx_load(struct idx_map *m, const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(why, why_len, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        if (cap >= IDX_MAX_FILE_BYTES) {
            free(buf);
            buf = NULL;
            snprintf(why, why_len, "larger than %d bytes", IDX_MAX_FILE_BYTES);
            fclose(f);
            return -1;
        }
        char *more = realloc(buf, cap * 2);
        if (!more) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = more;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        snprintf(why, why_len, "cannot read%s", buf ? "" : ": no memory");
        free(buf);
        return -1;
    }
    int rc = idx_parse(m, buf, len, why, why_len);
    free(buf);
    return rc;
}

int idx_save(struct idx_map *m, const char *path, char *why, size_t why_len)
{
    char *text = idx_serialise(m);
    if (!text) {
        snprintf(why, why_len, "no memory");
        return -1;
    }
    const char *step = "";
    int rc = atomic_write(path, text, &step);
    if (rc < 0)
        snprintf(why, why_len, "cannot %s %s: %s", step, path, strerror(errno));
    else
        m->dirty = false;
    free(text);
    return rc;
}
