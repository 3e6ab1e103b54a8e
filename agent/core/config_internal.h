/* Private to the configuration (config.c, config_fields.c, config_check.c): the parse context
 * with its error helpers, the value checks and the functions of the table of keys. */
#ifndef SMSA_CONFIG_INTERNAL_H
#define SMSA_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "jsonpos.h"

/* Deeper than any real configuration: the schema itself is at most 4 levels deep. */
#define CFG_MAX_DEPTH 16
/* Longest free-form string (paths, communities, passphrases): PATH_MAX is enough. */
#define CFG_MAX_STRING 4096

/* A parse in progress: the text (for positions; NULL when there is none), where the error
 * goes, and the key path being read. */
struct pctx {
    const char *text; /* original document, for positions; NULL when there is none */
    size_t len;
    struct cfg_error *err;
    struct jpos_path path;
};

void cfgi_pctx_init(struct pctx *p, const char *text, size_t len, struct cfg_error *err);
void cfgi_set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fills p->err with the path, its position and the message; returns -1. */
int cfgi_fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define fail(p, ...) cfgi_fail_at(p, false, __VA_ARGS__)
/* "expected an integer, got a string ("x")" */
int cfgi_fail_type(struct pctx *p, const json_t *v, const char *expected);
int cfgi_oom(struct pctx *p);
/* A string as it may appear in a message: quoted, bounded, control characters escaped. */
const char *cfgi_quote(const char *s, char *buf, size_t cap);
const char *cfgi_quote_len(const char *s, size_t len, char *buf, size_t cap);

/* Value checks (config_check.c): NULL when good, else why not. */
const char *cfgi_check_name(const char *s);
const char *cfgi_check_host(const char *s);
const char *cfgi_check_query_name(const char *s);
const char *cfgi_check_resolver(const char *s);
const char *cfgi_check_agentx(const char *s);
const char *cfgi_check_master_listen(const char *s);
const char *cfgi_check_trap_sink(const char *s);
const char *cfgi_check_listen(const char *s);
const char *cfgi_check_cidr(const char *s);
const char *cfgi_check_state_dir(const char *s);
const char *cfgi_check_nonempty(const char *s);
const char *cfgi_check_word(const char *s);
const char *cfgi_check_passphrase(const char *s);

/* The table of keys (config_fields.c). Readers take p's path at the value they read. */
json_t *cfgi_enter(struct pctx *p, json_t *obj, const char *key, size_t *old);
int cfgi_want_object(struct pctx *p, json_t *v, const char *const *keys);
/* An object with no key that the section lacks. */
int cfgi_want_section(struct pctx *p, json_t *obj, const char *section);
int cfgi_read_section(struct pctx *p, json_t *obj, const char *section, struct cfg *c);
int cfgi_read_document(struct pctx *p, json_t *root, struct cfg *c);
int cfgi_read_key(struct pctx *p, json_t *v, struct cfg *c, const char *path);
int cfgi_parse_scanner(struct pctx *p, json_t *o, struct cfg_scanner *out);
int cfgi_check_numbers(struct pctx *p, const struct cfg *c);
int cfgi_reset_section(struct cfg *c, const char *section);
json_t *cfgi_to_json(const struct cfg *c, bool masked);
void cfgi_list_free(struct cfg_list *l);

/* The types of fields (config_table.c). */
struct field;

/* What a kind of field knows: read its JSON value (p's path at the key), write it back, set
 * its default, copy it deeply from another configuration (always replacing every pointer of
 * the field, NULL when memory ran out) and free it. */
struct ftype {
    int (*read)(struct pctx *p, json_t *v, struct cfg *c, const struct field *f);
    json_t *(*write)(const struct cfg *c, const struct field *f);
    bool (*set_default)(struct cfg *c, const struct field *f);
    bool (*copy)(struct cfg *dst, const struct cfg *src, const struct field *f);
    void (*release)(struct cfg *c, const struct field *f);
};

enum {
    F_NULLABLE = 1, /* null is a value: "not set" */
    F_RESTART = 2,  /* a running daemon cannot apply a change (cfg_restart_keys) */
    F_SECRET = 4,   /* never shown outside the box (cfg_serialise_masked) */
};

/* One configuration key: the only place its name, type, default and bounds are written. */
struct field {
    const char *path; /* "section.key", or "key" at the top */
    const struct ftype *type;
    size_t off;                          /* the value in struct cfg */
    size_t n_off;                        /* a list's count; control_center's port */
    unsigned def, min, max;              /* booleans, numbers, enums */
    const char *def_str;                 /* strings */
    const char *const *def_strv;         /* string lists, NULL-terminated */
    const char *(*check)(const char *s); /* strings and string lists: NULL or why not */
    const char *(*name)(unsigned v);     /* enums: the name of each value below n_names */
    unsigned n_names;
    const char *what; /* enums: "a role (expected ...)" */
    unsigned flags;
    bool (*set_default)(struct cfg *c, const struct field *f); /* instead of the type's */
};

#define FIELD(c, f, T) ((T *)((char *)(c) + (f)->off))
#define CFIELD(c, f, T) ((const T *)((const char *)(c) + (f)->off))
#define COUNT(c, f) ((size_t *)((char *)(c) + (f)->n_off))
#define CCOUNT(c, f) ((const size_t *)((const char *)(c) + (f)->n_off))

extern const struct ftype cfgi_t_bool, cfgi_t_uint, cfgi_t_enum, cfgi_t_str, cfgi_t_peer,
    cfgi_t_peers, cfgi_t_strv;
void cfgi_strv_free(char ***v, size_t *n);
char *cfgi_dup_opt(const char *s, bool *ok);
void *cfgi_dup_array(const void *a, size_t n, size_t size, bool *ok);
void cfgi_strv_copy(char ***dst, size_t *dn, char *const *src, size_t n, bool *ok);
int cfgi_want_array(struct pctx *p, json_t *v);
int cfgi_string_value(struct pctx *p, json_t *v, const char *(*check)(const char *),
                      const char **out);
int cfgi_peer_value(struct pctx *p, json_t *v, struct cfg_peer *out);
int cfgi_read_member(struct pctx *p, json_t *obj, const char *key,
                     int (*fn)(struct pctx *, json_t *, void *), void *out);
int cfgi_bool_member(struct pctx *p, json_t *v, void *out);
int cfgi_host_member(struct pctx *p, json_t *v, void *out);
json_t *cfgi_peer_json(const char *host, uint16_t port);

#endif
