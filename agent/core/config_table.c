/* The walker of tables of fields (see config_table.h): the document of sections that the
 * file is, and the objects of a list (its items, each described by a sub-table), read,
 * written, defaulted, copied, freed and re-checked from their rows alone. */
#include "config_table.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A sub-table's members, with room for the end mark: more would be a table to split. */
#define MAX_MEMBERS 32

/* ------------------------------------------------------------- JSON shapes */

static int check_keys(struct pctx *p, json_t *obj, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i;
        for (i = 0; keys[i] && strcmp(keys[i], key); i++)
            ;
        if (keys[i])
            continue;
        char expected[256] = "";
        for (i = 0; keys[i]; i++)
            snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                     i ? ", " : "", keys[i]);
        jpos_path_key(&p->path, key);
        return cfgi_fail_at(p, true, "unknown key (expected one of: %s)", expected);
    }
    return 0;
}

json_t *cfgi_enter(struct pctx *p, json_t *obj, const char *key, size_t *old)
{
    json_t *v = json_object_get(obj, key);
    if (v)
        *old = jpos_path_key(&p->path, key);
    return v;
}

int cfgi_want_object(struct pctx *p, json_t *v, const char *const *keys)
{
    if (!json_is_object(v))
        return cfgi_fail_type(p, v, "an object");
    return check_keys(p, v, keys);
}

size_t cfgi_max_items(const struct field *f)
{
    return f->max ? f->max : CFG_MAX_LIST;
}

int cfgi_want_array(struct pctx *p, json_t *v, unsigned max)
{
    size_t most = max ? max : CFG_MAX_LIST;
    if (!json_is_array(v))
        return cfgi_fail_type(p, v, "an array");
    if (json_array_size(v) > most)
        return fail(p, "has %zu entries (at most %zu)", json_array_size(v), most);
    return 0;
}

const struct field *cfgi_field_at(const struct ftable *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].path, path))
            return &t->rows[i];
    return NULL;
}

static bool set_default(void *o, const struct field *f)
{
    return (f->set_default ? f->set_default : f->type->set_default)(o, f);
}

/* ------------------------------------------------------------- items of a list */

/* The members given are read in table order, then the others take their defaults in table
 * order, so a default may follow from a member read before it. */
int cfgi_item_read(struct pctx *p, json_t *o, const struct ftable *t, void *item)
{
    const char *keys[MAX_MEMBERS + 1];
    bool given[MAX_MEMBERS] = {false};
    char names[160] = "";
    size_t old = 0;
    for (size_t i = 0; i < t->n && i < MAX_MEMBERS; i++) {
        keys[i] = t->rows[i].path;
        if (t->rows[i].flags & F_REQUIRED)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     *names ? ", " : "", keys[i]);
    }
    keys[t->n < MAX_MEMBERS ? t->n : MAX_MEMBERS] = NULL;
    if (t->short_key && !json_is_object(o)) {
        const struct field *f = cfgi_field_at(t, t->short_key);
        if (!json_is_string(o))
            return cfgi_fail_type(p, o, "a string or an object");
        if (f->type->read(p, o, item, f) < 0)
            return -1;
        given[f - t->rows] = true;
    } else {
        if (cfgi_want_object(p, o, keys) < 0)
            return -1;
        for (size_t i = 0; keys[i]; i++)
            if ((t->rows[i].flags & F_REQUIRED) && !json_object_get(o, keys[i]))
                return fail(p, "missing key \"%s\" (required: %s)", keys[i], names);
        for (size_t i = 0; keys[i]; i++) {
            const struct field *f = &t->rows[i];
            json_t *v = cfgi_enter(p, o, keys[i], &old);
            if (!v)
                continue;
            if (f->type->read(p, v, item, f) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
            given[i] = true;
        }
    }
    for (size_t i = 0; keys[i]; i++)
        if (!given[i] && !set_default(item, &t->rows[i]))
            return cfgi_oom(p);
    return 0;
}

/* The members of an item as an object. */
static json_t *members_json(const struct ftable *t, const void *item)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < t->n; i++) {
        json_t *v = t->rows[i].type->write(item, &t->rows[i]);
        if (!v || json_object_set_new(o, t->rows[i].path, v) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *cfgi_item_write(const struct ftable *t, const void *item)
{
    json_t *o = members_json(t, item);
    if (!o || !t->short_key)
        return o;
    /* the short form when every other member is what its default would make it */
    void *def = calloc(1, t->item_size);
    json_t *d = def && cfgi_item_default(t, def) ? members_json(t, def) : NULL;
    bool short_form = d != NULL;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, t->short_key) && !json_equal(v, json_object_get(d, key)))
            short_form = false;
    }
    json_decref(d);
    if (def)
        cfgi_item_release(t, def);
    free(def);
    if (!short_form)
        return o;
    json_t *s = json_incref(json_object_get(o, t->short_key));
    json_decref(o);
    return s;
}

bool cfgi_item_default(const struct ftable *t, void *item)
{
    bool ok = true;
    for (size_t i = 0; i < t->n; i++)
        ok = set_default(item, &t->rows[i]) && ok;
    return ok;
}

/* Every member is copied, even after a failure, so that dst shares no pointer with src. */
bool cfgi_item_copy(const struct ftable *t, void *dst, const void *src)
{
    bool ok = true;
    memcpy(dst, src, t->item_size);
    for (size_t i = 0; i < t->n; i++)
        ok = t->rows[i].type->copy(dst, src, &t->rows[i]) && ok;
    return ok;
}

void cfgi_item_release(const struct ftable *t, void *item)
{
    for (size_t i = 0; i < t->n; i++)
        t->rows[i].type->release(item, &t->rows[i]);
}

/* ------------------------------------------------------------- t_list */

/* A list of objects: the array at off, its count at n_off, each item of f->sub->item_size. */
#define ITEMS(o, f) FIELD(o, f, char *)
#define ITEM(a, f, i) ((a) + (i) * (f)->sub->item_size)

static void items_free(char **items, size_t *n, const struct field *f)
{
    for (size_t i = 0; *items && i < *n; i++)
        cfgi_item_release(f->sub, ITEM(*items, f, i));
    free(*items);
    *items = NULL;
    *n = 0;
}

static int list_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    size_t i, n = 0;
    json_t *item;
    if (cfgi_want_array(p, v, f->max) < 0)
        return -1;
    char *items = calloc(json_array_size(v) + 1, f->sub->item_size);
    if (!items)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t at = jpos_path_index(&p->path, i);
        n++; /* counted before filling, so a half-built item is freed too */
        if (cfgi_item_read(p, item, f->sub, ITEM(items, f, i)) < 0) {
            items_free(&items, &n, f);
            return -1;
        }
        jpos_path_pop(&p->path, at);
    }
    items_free(ITEMS(o, f), COUNT(o, f), f);
    *ITEMS(o, f) = items;
    *COUNT(o, f) = n;
    return 0;
}

static json_t *list_write(const void *o, const struct field *f)
{
    json_t *a = json_array();
    const char *items = *CFIELD(o, f, char *);
    for (size_t i = 0; a && i < *CCOUNT(o, f); i++) {
        json_t *v = cfgi_item_write(f->sub, ITEM(items, f, i));
        if (!v || json_array_append_new(a, v) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static bool list_default(void *o, const struct field *f)
{
    *ITEMS(o, f) = NULL;
    *COUNT(o, f) = 0;
    return true;
}

static bool list_copy(void *dst, const void *src, const struct field *f)
{
    const char *from = *CFIELD(src, f, char *);
    size_t n = *CCOUNT(src, f);
    bool ok = true;
    char *items = n ? calloc(n, f->sub->item_size) : NULL;
    *ITEMS(dst, f) = items;
    *COUNT(dst, f) = items ? n : 0;
    if (n && !items)
        return false;
    for (size_t i = 0; i < n; i++)
        ok = cfgi_item_copy(f->sub, ITEM(items, f, i), ITEM(from, f, i)) && ok;
    return ok;
}

static void list_release(void *o, const struct field *f)
{
    items_free(ITEMS(o, f), COUNT(o, f), f);
}

static int list_check(struct pctx *p, const void *o, const struct field *f)
{
    const char *items = *CFIELD(o, f, char *);
    size_t n = *CCOUNT(o, f);
    if (n > cfgi_max_items(f))
        return fail(p, "has %zu entries (at most %zu)", n, cfgi_max_items(f));
    for (size_t i = 0; i < n; i++) {
        size_t at = jpos_path_index(&p->path, i);
        if (cfgi_check_rows(p, f->sub, ITEM(items, f, i)) < 0)
            return -1;
        jpos_path_pop(&p->path, at);
    }
    return 0;
}

const struct ftype cfgi_t_list = {list_read, list_write,   list_default,
                                  list_copy, list_release, list_check};

/* ------------------------------------------------------------- the document */

/* The length of the section part of a path ("snmp" of "snmp.mode"); 0 for a top-level key. */
static size_t section_len(const char *path)
{
    const char *dot = strchr(path, '.');
    return dot ? (size_t)(dot - path) : 0;
}

static bool in_section(const struct field *f, const char *section, size_t slen)
{
    return section_len(f->path) == slen && !strncmp(f->path, section, slen);
}

/* Whether row i opens a section (the first of its section in table order). */
static bool opens_section(const struct ftable *t, size_t i)
{
    size_t n = section_len(t->rows[i].path);
    return n && (!i || section_len(t->rows[i - 1].path) != n ||
                 strncmp(t->rows[i - 1].path, t->rows[i].path, n));
}

/* The keys of the object at section (NULL: the document), in table order, NULL-terminated.
 * The document's keys are the sections and the top-level keys; names holds the sections'. */
static void keys_of(const struct ftable *t, const char *section, const char **keys,
                    char names[][32])
{
    size_t n = 0, slen = section ? strlen(section) : 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *path = t->rows[i].path;
        size_t len = section_len(path);
        if (section) {
            if (in_section(&t->rows[i], section, slen))
                keys[n++] = path + slen + 1;
        } else if (!len) {
            keys[n++] = path;
        } else if (opens_section(t, i)) {
            snprintf(names[n], sizeof names[n], "%.*s", (int)len, path);
            keys[n] = names[n];
            n++;
        }
    }
    keys[n] = NULL;
}

static int read_field(struct pctx *p, json_t *obj, const char *key, const struct field *f, void *c)
{
    size_t old = 0;
    json_t *v = cfgi_enter(p, obj, key, &old);
    if (!v)
        return 0;
    if (f->type->read(p, v, c, f) < 0)
        return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

int cfgi_want_section(struct pctx *p, const struct ftable *t, json_t *obj, const char *section)
{
    const char **keys = calloc(t->n + 1, sizeof *keys);
    if (!keys)
        return cfgi_oom(p);
    keys_of(t, section, keys, NULL);
    int rc = cfgi_want_object(p, obj, keys);
    free(keys);
    return rc;
}

int cfgi_read_section(struct pctx *p, const struct ftable *t, json_t *obj, const char *section,
                      void *c)
{
    size_t slen = strlen(section);
    if (cfgi_want_section(p, t, obj, section) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        const struct field *f = &t->rows[i];
        if (in_section(f, section, slen) && read_field(p, obj, f->path + slen + 1, f, c) < 0)
            return -1;
    }
    return 0;
}

int cfgi_read_document(struct pctx *p, const struct ftable *t, json_t *root, void *c)
{
    const char **keys = calloc(t->n + 1, sizeof *keys);
    char(*names)[32] = calloc(t->n + 1, sizeof *names);
    int rc = -1;
    if (!keys || !names) {
        cfgi_oom(p);
        goto out;
    }
    keys_of(t, NULL, keys, names);
    if (cfgi_want_object(p, root, keys) < 0)
        goto out;
    for (size_t i = 0; i < t->n; i++) {
        const struct field *f = &t->rows[i];
        size_t len = section_len(f->path), old = 0;
        if (!len) {
            if (read_field(p, root, f->path, f, c) < 0)
                goto out;
            continue;
        }
        if (!opens_section(t, i))
            continue;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)len, f->path);
        json_t *v = cfgi_enter(p, root, name, &old);
        if (!v)
            continue;
        if (cfgi_read_section(p, t, v, name, c) < 0)
            goto out;
        jpos_path_pop(&p->path, old);
    }
    rc = 0;
out:
    free(keys);
    free(names);
    return rc;
}

int cfgi_read_key(struct pctx *p, const struct ftable *t, json_t *v, void *c, const char *path)
{
    const struct field *f = cfgi_field_at(t, path);
    if (!f)
        return fail(p, "no configuration key %s", path);
    return f->type->read(p, v, c, f);
}

int cfgi_reset_section(const struct ftable *t, void *c, const char *section)
{
    size_t slen = strlen(section);
    for (size_t i = 0; i < t->n; i++) {
        const struct field *f = &t->rows[i];
        if (!in_section(f, section, slen))
            continue;
        f->type->release(c, f);
        if (!set_default(c, f))
            return -1;
    }
    return 0;
}

json_t *cfgi_to_json(const struct ftable *t, const void *c, bool masked)
{
    json_t *doc = json_object(), *sec = NULL;
    for (size_t i = 0; doc && i < t->n; i++) {
        const struct field *f = &t->rows[i];
        size_t len = section_len(f->path);
        json_t *v = masked && (f->flags & F_SECRET) && *CFIELD(c, f, char *)
                        ? json_string("********")
                        : f->type->write(c, f);
        if (opens_section(t, i)) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)len, f->path);
            sec = json_object();
            if (json_object_set_new(doc, name, sec) < 0)
                sec = NULL;
        }
        json_t *into = len ? sec : doc;
        if (!v || !into || json_object_set_new(into, f->path + (len ? len + 1 : 0), v) < 0) {
            if (!into)
                json_decref(v);
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

int cfgi_check_rows(struct pctx *p, const struct ftable *t, const void *c)
{
    for (size_t i = 0; i < t->n; i++) {
        size_t old = jpos_path_key(&p->path, t->rows[i].path);
        if (t->rows[i].type->check(p, c, &t->rows[i]) < 0)
            return -1;
        jpos_path_pop(&p->path, old);
    }
    return 0;
}

bool cfgi_field_equal(const void *a, const void *b, const struct field *f)
{
    json_t *x = f->type->write(a, f), *y = f->type->write(b, f);
    bool eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}
