/* The types of the configuration's fields (see config_internal.h): how a boolean, a number,
 * an enum, a string, a peer and a list of peers or strings are read, written, defaulted,
 * copied and freed. */
#include "config_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- memory */

void cfgi_list_free(struct cfg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].host);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void cfgi_strv_free(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

/* strdup that keeps NULL as NULL and records a failure in *ok. */
char *cfgi_dup_opt(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

void *cfgi_dup_array(const void *a, size_t n, size_t size, bool *ok)
{
    if (!n)
        return NULL;
    void *d = calloc(n, size);
    if (!d) {
        *ok = false;
        return NULL;
    }
    memcpy(d, a, n * size);
    return d;
}

static void list_copy(struct cfg_list *dst, const struct cfg_list *src, bool *ok)
{
    dst->items = cfgi_dup_array(src->items, src->n, sizeof *src->items, ok);
    dst->n = dst->items ? src->n : 0;
    for (size_t i = 0; i < dst->n; i++)
        dst->items[i].host = cfgi_dup_opt(src->items[i].host, ok);
}

void cfgi_strv_copy(char ***dst, size_t *dn, char *const *src, size_t n, bool *ok)
{
    *dst = cfgi_dup_array(src, n, sizeof *src, ok);
    *dn = *dst ? n : 0;
    for (size_t i = 0; i < *dn; i++)
        (*dst)[i] = cfgi_dup_opt(src[i], ok);
}

/* ------------------------------------------------------------- JSON readers */

/* Each reader gets the value with p's path at its key, and replaces the field only when the
 * whole value is good. */

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

/* Looks key up in obj and pushes it on the path; NULL (path unchanged) when absent. */
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

int cfgi_want_array(struct pctx *p, json_t *v)
{
    if (!json_is_array(v))
        return cfgi_fail_type(p, v, "an array");
    if (json_array_size(v) > CFG_MAX_LIST)
        return fail(p, "has %zu entries (at most %d)", json_array_size(v), CFG_MAX_LIST);
    return 0;
}

static int bool_value(struct pctx *p, json_t *v, bool *out)
{
    if (!json_is_boolean(v))
        return cfgi_fail_type(p, v, "true or false");
    *out = json_is_true(v);
    return 0;
}

/* A string value: no NUL, bounded, and check() (when given) returning NULL. */
int cfgi_string_value(struct pctx *p, json_t *v, const char *(*check)(const char *),
                      const char **out)
{
    char shown[96];
    if (!json_is_string(v))
        return cfgi_fail_type(p, v, "a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(p, "%s contains a NUL character",
                    cfgi_quote_len(s, json_string_length(v), shown, sizeof shown));
    if (json_string_length(v) > CFG_MAX_STRING)
        return fail(p, "is longer than %d bytes", CFG_MAX_STRING);
    const char *why = check ? check(s) : NULL;
    if (why)
        return fail(p, "%s %s", cfgi_quote(s, shown, sizeof shown), why);
    *out = s;
    return 0;
}

static int replace_str(struct pctx *p, char **field, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        return cfgi_oom(p);
    free(*field);
    *field = d;
    return 0;
}

int cfgi_peer_value(struct pctx *p, json_t *v, struct cfg_peer *out)
{
    const char *s;
    char why[160], shown[96];
    if (cfgi_string_value(p, v, NULL, &s) < 0)
        return -1;
    if (cfg_parse_peer(s, out, why, sizeof why) < 0)
        return fail(p, "%s %s", cfgi_quote(s, shown, sizeof shown), why);
    return 0;
}

/* For the members of a list's objects: reads key of obj with fn when present. */
int cfgi_read_member(struct pctx *p, json_t *obj, const char *key,
                     int (*fn)(struct pctx *, json_t *, void *), void *out)
{
    size_t old = 0;
    json_t *v = cfgi_enter(p, obj, key, &old);
    if (!v)
        return 0;
    if (fn(p, v, out) < 0)
        return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

int cfgi_bool_member(struct pctx *p, json_t *v, void *out)
{
    return bool_value(p, v, out);
}

int cfgi_host_member(struct pctx *p, json_t *v, void *out)
{
    const char *s;
    if (cfgi_string_value(p, v, cfgi_check_host, &s) < 0)
        return -1;
    return replace_str(p, out, s);
}

/* ------------------------------------------------------------- field types */

static void no_release(struct cfg *c, const struct field *f)
{
    (void)c, (void)f;
}

/* booleans */

static int bool_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    return bool_value(p, v, FIELD(c, f, bool));
}

static json_t *bool_write(const struct cfg *c, const struct field *f)
{
    return json_boolean(*CFIELD(c, f, bool));
}

static bool bool_default(struct cfg *c, const struct field *f)
{
    *FIELD(c, f, bool) = f->def != 0;
    return true;
}

static bool bool_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    *FIELD(dst, f, bool) = *CFIELD(src, f, bool);
    return true;
}

const struct ftype cfgi_t_bool = {bool_read, bool_write, bool_default, bool_copy, no_release};

/* unsigned numbers within [min, max] */

static int uint_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    if (!json_is_integer(v))
        return cfgi_fail_type(p, v, "an integer");
    json_int_t n = json_integer_value(v);
    if (n < (json_int_t)f->min || n > (json_int_t)f->max)
        return fail(p, "%" JSON_INTEGER_FORMAT " is out of range (%u..%u)", n, f->min, f->max);
    *FIELD(c, f, unsigned) = (unsigned)n;
    return 0;
}

static json_t *uint_write(const struct cfg *c, const struct field *f)
{
    return json_integer((json_int_t)*CFIELD(c, f, unsigned));
}

static bool uint_default(struct cfg *c, const struct field *f)
{
    *FIELD(c, f, unsigned) = f->def;
    return true;
}

static bool uint_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    *FIELD(dst, f, unsigned) = *CFIELD(src, f, unsigned);
    return true;
}

const struct ftype cfgi_t_uint = {uint_read, uint_write, uint_default, uint_copy, no_release};

/* enums, written by name (stored as int: both enums here are int-sized) */
_Static_assert(sizeof(enum smsa_role) == sizeof(int) && sizeof(enum cfg_snmp_mode) == sizeof(int),
               "enum fields are stored as int");

static int enum_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    const char *s;
    char shown[96];
    if (cfgi_string_value(p, v, NULL, &s) < 0)
        return -1;
    for (unsigned i = 0; i < f->n_names; i++) {
        if (!strcmp(s, f->name(i))) {
            *FIELD(c, f, int) = (int)i;
            return 0;
        }
    }
    return fail(p, "%s is not %s", cfgi_quote(s, shown, sizeof shown), f->what);
}

static json_t *enum_write(const struct cfg *c, const struct field *f)
{
    return json_string(f->name((unsigned)*CFIELD(c, f, int)));
}

static bool enum_default(struct cfg *c, const struct field *f)
{
    *FIELD(c, f, int) = (int)f->def;
    return true;
}

static bool enum_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    *FIELD(dst, f, int) = *CFIELD(src, f, int);
    return true;
}

const struct ftype cfgi_t_enum = {enum_read, enum_write, enum_default, enum_copy, no_release};

/* strings (NULL: not set) */

static int str_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    const char *s = NULL;
    if (!((f->flags & F_NULLABLE) && json_is_null(v)) && cfgi_string_value(p, v, f->check, &s) < 0)
        return -1;
    return replace_str(p, FIELD(c, f, char *), s);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *str_write(const struct cfg *c, const struct field *f)
{
    return str_or_null(*CFIELD(c, f, char *));
}

static bool str_default(struct cfg *c, const struct field *f)
{
    bool ok = true;
    *FIELD(c, f, char *) = cfgi_dup_opt(f->def_str, &ok);
    return ok;
}

static bool str_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    bool ok = true;
    *FIELD(dst, f, char *) = cfgi_dup_opt(*CFIELD(src, f, char *), &ok);
    return ok;
}

static void str_release(struct cfg *c, const struct field *f)
{
    free(*FIELD(c, f, char *));
    *FIELD(c, f, char *) = NULL;
}

const struct ftype cfgi_t_str = {str_read, str_write, str_default, str_copy, str_release};

/* one peer, host at off and port at n_off (peers.control_center) */

static int peer_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    struct cfg_peer pe = {NULL, 0};
    if (!json_is_null(v) && cfgi_peer_value(p, v, &pe) < 0)
        return -1;
    free(*FIELD(c, f, char *));
    *FIELD(c, f, char *) = pe.host;
    *(uint16_t *)((char *)c + f->n_off) = pe.port;
    return 0;
}

json_t *cfgi_peer_json(const char *host, uint16_t port)
{
    char buf[CFG_MAX_HOST + 16];
    struct cfg_peer pe = {(char *)host, port};
    if (!host)
        return json_null();
    cfg_peer_format(&pe, buf, sizeof buf);
    return json_string(buf);
}

static json_t *peer_write(const struct cfg *c, const struct field *f)
{
    return cfgi_peer_json(*CFIELD(c, f, char *), *(const uint16_t *)((const char *)c + f->n_off));
}

static bool peer_default(struct cfg *c, const struct field *f)
{
    *FIELD(c, f, char *) = NULL;
    *(uint16_t *)((char *)c + f->n_off) = 0;
    return true;
}

static bool peer_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    *(uint16_t *)((char *)dst + f->n_off) = *(const uint16_t *)((const char *)src + f->n_off);
    return str_copy(dst, src, f);
}

const struct ftype cfgi_t_peer = {peer_read, peer_write, peer_default, peer_copy, str_release};

/* a list of peers (struct cfg_list at off) */

static int peers_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    if (cfgi_want_array(p, v) < 0)
        return -1;
    struct cfg_list l = {calloc(json_array_size(v) + 1, sizeof *l.items), 0};
    if (!l.items)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        if (cfgi_peer_value(p, item, &l.items[i]) < 0) {
            cfgi_list_free(&l);
            return -1;
        }
        l.n++;
        jpos_path_pop(&p->path, o);
    }
    cfgi_list_free(FIELD(c, f, struct cfg_list));
    *FIELD(c, f, struct cfg_list) = l;
    return 0;
}

static json_t *list_json(const struct cfg_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_array_append_new(a, cfgi_peer_json(l->items[i].host, l->items[i].port));
    return a;
}

static json_t *peers_write(const struct cfg *c, const struct field *f)
{
    return list_json(CFIELD(c, f, struct cfg_list));
}

static bool peers_default(struct cfg *c, const struct field *f)
{
    *FIELD(c, f, struct cfg_list) = (struct cfg_list){NULL, 0};
    return true;
}

static bool peers_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    bool ok = true;
    list_copy(FIELD(dst, f, struct cfg_list), CFIELD(src, f, struct cfg_list), &ok);
    return ok;
}

static void peers_release(struct cfg *c, const struct field *f)
{
    cfgi_list_free(FIELD(c, f, struct cfg_list));
}

const struct ftype cfgi_t_peers = {peers_read, peers_write, peers_default, peers_copy,
                                   peers_release};

/* a list of strings (char ** at off, count at n_off), each passing check */

static int strv_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i, n = 0;
    json_t *item;
    if (cfgi_want_array(p, v) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    if (!l)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        const char *s;
        if (cfgi_string_value(p, item, f->check, &s) < 0) {
            cfgi_strv_free(&l, &n);
            return -1;
        }
        if (!(l[n] = strdup(s))) {
            cfgi_strv_free(&l, &n);
            return cfgi_oom(p);
        }
        n++;
        jpos_path_pop(&p->path, o);
    }
    cfgi_strv_free(FIELD(c, f, char **), COUNT(c, f));
    *FIELD(c, f, char **) = l;
    *COUNT(c, f) = n;
    return 0;
}

static json_t *strv_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < *CCOUNT(c, f); i++)
        json_array_append_new(a, json_string((*CFIELD(c, f, char **))[i]));
    return a;
}

static bool strv_default(struct cfg *c, const struct field *f)
{
    bool ok = true;
    size_t n = 0;
    while (f->def_strv && f->def_strv[n])
        n++;
    cfgi_strv_copy(FIELD(c, f, char **), COUNT(c, f), (char *const *)f->def_strv, n, &ok);
    return ok;
}

static bool strv_copy_field(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    bool ok = true;
    cfgi_strv_copy(FIELD(dst, f, char **), COUNT(dst, f),
                   *(char **const *)((const char *)src + f->off), *CCOUNT(src, f), &ok);
    return ok;
}

static void strv_release(struct cfg *c, const struct field *f)
{
    cfgi_strv_free(FIELD(c, f, char **), COUNT(c, f));
}

const struct ftype cfgi_t_strv = {strv_read, strv_write, strv_default, strv_copy_field,
                                  strv_release};
