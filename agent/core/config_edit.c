/* Changes written as JSON text other than the file (the REST write bodies): a section, a
 * key's value, one scanner added or removed, each validated whole into a changed clone. */
#include "config.h"

#include "config_error.h"
#include "config_fields.h"
#include "config_table.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static struct cfg *with_finish(struct pctx *p, struct cfg *next, json_t *root)
{
    json_decref(root);
    /* Checks of the whole result; their paths are document paths. */
    jpos_path_pop(&p->path, 0);
    if (cfg_validate(next, p->err) < 0 || (cfg_complete(next) < 0 && cfgi_oom(p) < 0)) {
        cfg_free(next);
        return NULL;
    }
    return next;
}

struct cfg *cfg_with_section(const struct cfg *base, const char *section,
                             const char *const *required, const char *text, size_t len,
                             struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    cfgi_pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = cfgi_load_json(&p, text, len);
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (cfgi_want_section(&p, &cfgi_file, root, section) < 0)
        goto refuse;
    for (const char *const *k = required; k && *k; k++) {
        if (!json_object_get(root, *k)) {
            fail(&p, "missing key \"%s\"", *k);
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        cfgi_oom(&p);
        goto refuse;
    }
    /* the section is replaced whole: what the text leaves out takes its default */
    if (cfgi_reset_section(&cfgi_file, next, section) < 0) {
        cfgi_oom(&p);
        goto refuse;
    }
    if (cfgi_read_section(&p, &cfgi_file, root, section, next) < 0)
        goto refuse;
    return with_finish(&p, next, root);
refuse:
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_with_value(const struct cfg *base, const char *key, const char *wrapper,
                           const char *text, size_t len, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    size_t old = 0;
    cfgi_pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = cfgi_load_json(&p, text, len), *v = root;
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (wrapper && !json_is_array(root)) {
        const char *keys[] = {wrapper, NULL};
        if (cfgi_want_object(&p, root, keys) < 0)
            goto refuse;
        if (!(v = cfgi_enter(&p, root, wrapper, &old))) {
            fail(&p, "missing key \"%s\" (expected {\"%s\": [...]} or an array)", wrapper, wrapper);
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        cfgi_oom(&p);
        goto refuse;
    }
    if (cfgi_read_key(&p, &cfgi_file, v, next, key) < 0)
        goto refuse;
    return with_finish(&p, next, root);
refuse:
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_with_scanner(const struct cfg *base, const char *json, size_t len,
                             struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    char shown[96];
    cfgi_pctx_init(&p, json, len, err ? err : &dummy);
    json_t *root = cfgi_load_json(&p, json, len);
    if (!root)
        return NULL;
    const struct ftable *items = cfgi_field_at(&cfgi_file, "peers.scanners")->sub;
    struct cfg_scanner s = {NULL, {NULL, 0}};
    struct cfg *next = NULL;
    if (cfgi_item_read(&p, root, items, &s) < 0)
        goto refuse;
    for (size_t i = 0; i < base->n_scanners; i++) {
        if (!strcmp(base->scanners[i].name, s.name)) {
            size_t old = 0;
            cfgi_enter(&p, root, "name", &old);
            fail(&p, "a scanner named %s already exists", cfgi_quote(s.name, shown, sizeof shown));
            goto refuse;
        }
    }
    if (base->n_scanners >= CFG_MAX_LIST) {
        fail(&p, "there are already %d scanners (at most %d)", CFG_MAX_LIST, CFG_MAX_LIST);
        goto refuse;
    }
    if (!(next = cfg_clone(base))) {
        cfgi_oom(&p);
        goto refuse;
    }
    struct cfg_scanner *grown = realloc(next->scanners, (next->n_scanners + 1) * sizeof *grown);
    if (!grown) {
        cfgi_oom(&p);
        goto refuse;
    }
    next->scanners = grown;
    next->scanners[next->n_scanners++] = s;
    return with_finish(&p, next, root);
refuse:
    cfgi_item_release(items, &s);
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_without_scanner(const struct cfg *base, const char *name, struct cfg_error *err)
{
    struct cfg_error dummy;
    char shown[96];
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    for (size_t i = 0; i < base->n_scanners; i++) {
        if (strcmp(base->scanners[i].name, name))
            continue;
        struct cfg *next = cfg_clone(base);
        if (!next) {
            cfgi_set_error(err, CFG_ERR_VALUE, "out of memory");
            return NULL;
        }
        cfgi_item_release(cfgi_field_at(&cfgi_file, "peers.scanners")->sub, &next->scanners[i]);
        memmove(&next->scanners[i], &next->scanners[i + 1],
                (next->n_scanners - i - 1) * sizeof *next->scanners);
        next->n_scanners--;
        if (cfg_validate(next, err) < 0) {
            cfg_free(next);
            return NULL;
        }
        return next;
    }
    cfgi_set_error(err, CFG_ERR_NOT_FOUND, "no scanner named %s",
                   cfgi_quote(name, shown, sizeof shown));
    return NULL;
}
