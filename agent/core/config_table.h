/* Private to the configuration: tables of fields and their walker (config_table.c). */
#ifndef SMSA_CONFIG_TABLE_H
#define SMSA_CONFIG_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_error.h"

/* A table describes an object field by field: the keys of the file (paths "section.key", the
 * table cfgi_file in config_fields.c), or the members of one item of a list of objects (a
 * sub-table: names without a dot). The walker (config_table.c) reads, writes, defaults,
 * copies, frees and re-checks any object from its table; the field types (config_value.c)
 * do one value each. */

struct field;
struct ftable;

/* What a kind of field knows, on the object obj that holds it (a struct cfg, or one item of
 * a list): read its JSON value (p's path at the key), write it back, set its default, copy it
 * deeply (always replacing every pointer of the field; false when memory ran out), free it,
 * and check a value held in memory (a copy changed by code) as the reader would. */
struct ftype {
    int (*read)(struct pctx *p, json_t *v, void *obj, const struct field *f);
    json_t *(*write)(const void *obj, const struct field *f);
    bool (*set_default)(void *obj, const struct field *f);
    bool (*copy)(void *dst, const void *src, const struct field *f);
    void (*release)(void *obj, const struct field *f);
    int (*check)(struct pctx *p, const void *obj, const struct field *f);
};

enum {
    F_NULLABLE = 1, /* null is a value: "not set" */
    F_RESTART = 2,  /* a running daemon cannot apply a change (cfg_restart_keys) */
    F_SECRET = 4,   /* never shown outside the box (cfg_serialise_masked) */
    F_REQUIRED = 8, /* a member an item of a list must have (no default) */
};

/* One key, or one member of a list's items: the only place its name, type, default, bounds
 * and check are written. */
struct field {
    const char *path; /* "section.key", "key" at the top, or a member's name */
    const struct ftype *type;
    size_t off;                          /* the value in its object */
    size_t n_off;                        /* a list's count; a peer's port */
    unsigned def, min, max;              /* booleans, numbers, enums; lists: max = most items */
    const char *def_str;                 /* strings */
    const char *const *def_strv;         /* string lists, NULL-terminated */
    const char *(*check)(const char *s); /* strings and string lists: NULL or why not */
    const char *(*name)(unsigned v);     /* enums: the name of each value below n_names */
    unsigned n_names;
    const char *what; /* enums: "a role (expected ...)" */
    unsigned flags;
    /* instead of the type's; in a sub-table it runs after the members that are given were
     * read, so a default may follow from them (an update's port from its purpose) */
    bool (*set_default)(void *obj, const struct field *f);
    const struct ftable *sub; /* lists of objects: the members of one item */
};

struct ftable {
    const struct field *rows;
    size_t n;
    size_t item_size; /* sub-tables: the size of one item */
    /* sub-tables, or NULL: an item may be given as this member's value alone ("192.0.2.1"
     * for {"address": "192.0.2.1"}), and is written so when its other members are defaults */
    const char *short_key;
};

#define FIELD(o, f, T) ((T *)((char *)(o) + (f)->off))
#define CFIELD(o, f, T) ((const T *)((const char *)(o) + (f)->off))
#define COUNT(o, f) ((size_t *)((char *)(o) + (f)->n_off))
#define CCOUNT(o, f) ((const size_t *)((const char *)(o) + (f)->n_off))

/* The walker (config_table.c), with the type of a list of objects, t_list: its items are
 * described by the sub-table f->sub. */
extern const struct ftype cfgi_t_list;
/* Looks key up in obj and pushes it on the path; NULL (path unchanged) when absent. */
json_t *cfgi_enter(struct pctx *p, json_t *obj, const char *key, size_t *old);
/* An object whose keys are all in keys (NULL-terminated). */
int cfgi_want_object(struct pctx *p, json_t *v, const char *const *keys);
/* An array of at most max items (0: CFG_MAX_LIST). */
int cfgi_want_array(struct pctx *p, json_t *v, unsigned max);
/* The most items f's list may have. */
size_t cfgi_max_items(const struct field *f);
const struct field *cfgi_field_at(const struct ftable *t, const char *path);
/* Objects of a sub-table: one item read from o (p's path at it; an item half read is left
 * for the caller to release), written, defaulted, copied, freed (cfgi_check_rows re-checks
 * one). */
int cfgi_item_read(struct pctx *p, json_t *o, const struct ftable *t, void *item);
json_t *cfgi_item_write(const struct ftable *t, const void *item);
bool cfgi_item_default(const struct ftable *t, void *item);
bool cfgi_item_copy(const struct ftable *t, void *dst, const void *src);
void cfgi_item_release(const struct ftable *t, void *item);
/* The document of a table of sections (cfgi_file). */
int cfgi_want_section(struct pctx *p, const struct ftable *t, json_t *obj, const char *section);
int cfgi_read_section(struct pctx *p, const struct ftable *t, json_t *obj, const char *section,
                      void *c);
int cfgi_read_document(struct pctx *p, const struct ftable *t, json_t *root, void *c);
int cfgi_read_key(struct pctx *p, const struct ftable *t, json_t *v, void *c, const char *path);
/* Every key of section back to its default; -1: no memory. */
int cfgi_reset_section(const struct ftable *t, void *c, const char *section);
/* The document; secrets as "********" when masked. */
json_t *cfgi_to_json(const struct ftable *t, const void *c, bool masked);
/* Every value of c (the document, or one item) as its row allows (a copy changed in memory
 * may hold anything), p's path at c: bounds, checks, required members, items of lists. */
int cfgi_check_rows(struct pctx *p, const struct ftable *t, const void *c);
/* Whether f's value is the same in a and b (compared as written). */
bool cfgi_field_equal(const void *a, const void *b, const struct field *f);

#endif
