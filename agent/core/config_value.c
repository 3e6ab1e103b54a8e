/* The field types of single values and of lists of values (see config_table.h): how a
 * boolean, a number, an enum, a string, a peer and a list of peers or strings are read,
 * written, defaulted, copied, freed and re-checked, in whatever object holds them. */
#include "config_check.h"
#include "config_table.h"
#include "config_value.h"

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

static void strv_free(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

/* strdup that keeps NULL as NULL and records a failure in *ok. */
static char *dup_opt(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static void *dup_array(const void *a, size_t n, size_t size, bool *ok)
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

static void strv_copy(char ***dst, size_t *dn, char *const *src, size_t n, bool *ok)
{
    *dst = dup_array(src, n, sizeof *src, ok);
    *dn = *dst ? n : 0;
    for (size_t i = 0; i < *dn; i++)
        (*dst)[i] = dup_opt(src[i], ok);
}

/* ------------------------------------------------------------- JSON values */

/* A string value: no NUL, bounded, and check() (when given) returning NULL. */
static int string_value(struct pctx *p, json_t *v, const char *(*check)(const char *),
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

/* The same check on a value held in memory. */
static int string_check(struct pctx *p, const char *s, const char *(*check)(const char *))
{
    char shown[96];
    const char *why = check ? check(s) : NULL;
    if (strlen(s) > CFG_MAX_STRING)
        return fail(p, "is longer than %d bytes", CFG_MAX_STRING);
    return why ? fail(p, "%s %s", cfgi_quote(s, shown, sizeof shown), why) : 0;
}

static int peer_value(struct pctx *p, json_t *v, struct cfg_peer *out)
{
    const char *s;
    char why[160], shown[96];
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    if (cfg_parse_peer(s, out, why, sizeof why) < 0)
        return fail(p, "%s %s", cfgi_quote(s, shown, sizeof shown), why);
    return 0;
}

static json_t *peer_json(const char *host, uint16_t port)
{
    char buf[CFG_MAX_HOST + 16];
    struct cfg_peer pe = {(char *)host, port};
    if (!host)
        return json_null();
    cfg_peer_format(&pe, buf, sizeof buf);
    return json_string(buf);
}

static int host_check(struct pctx *p, const char *host)
{
    return host && cfg_host_valid(host) ? 0 : fail(p, "is not a valid host name or address");
}

static int too_many(struct pctx *p, const struct field *f, size_t n)
{
    return n > cfgi_max_items(f) ? fail(p, "has %zu entries (at most %zu)", n, cfgi_max_items(f))
                                 : 0;
}

/* ------------------------------------------------------------- field types */

static void no_release(void *o, const struct field *f)
{
    (void)o, (void)f;
}

static int no_check(struct pctx *p, const void *o, const struct field *f)
{
    (void)p, (void)o, (void)f;
    return 0;
}

/* booleans */

static int bool_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    if (!json_is_boolean(v))
        return cfgi_fail_type(p, v, "true or false");
    *FIELD(o, f, bool) = json_is_true(v);
    return 0;
}

static json_t *bool_write(const void *o, const struct field *f)
{
    return json_boolean(*CFIELD(o, f, bool));
}

static bool bool_default(void *o, const struct field *f)
{
    *FIELD(o, f, bool) = f->def != 0;
    return true;
}

static bool bool_copy(void *dst, const void *src, const struct field *f)
{
    *FIELD(dst, f, bool) = *CFIELD(src, f, bool);
    return true;
}

const struct ftype cfgi_t_bool = {bool_read, bool_write, bool_default,
                                  bool_copy, no_release, no_check};

/* unsigned numbers within [min, max]: unsigned (t_uint) or uint16_t (t_port) */

static int number_value(struct pctx *p, json_t *v, const struct field *f, unsigned *out)
{
    if (!json_is_integer(v))
        return cfgi_fail_type(p, v, "an integer");
    json_int_t n = json_integer_value(v);
    if (n < (json_int_t)f->min || n > (json_int_t)f->max)
        return fail(p, "%" JSON_INTEGER_FORMAT " is out of range (%u..%u)", n, f->min, f->max);
    *out = (unsigned)n;
    return 0;
}

static int number_check(struct pctx *p, unsigned v, const struct field *f)
{
    return v < f->min || v > f->max ? fail(p, "%u is out of range (%u..%u)", v, f->min, f->max) : 0;
}

static int uint_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    return number_value(p, v, f, FIELD(o, f, unsigned));
}

static json_t *uint_write(const void *o, const struct field *f)
{
    return json_integer((json_int_t)*CFIELD(o, f, unsigned));
}

static bool uint_default(void *o, const struct field *f)
{
    *FIELD(o, f, unsigned) = f->def;
    return true;
}

static bool uint_copy(void *dst, const void *src, const struct field *f)
{
    *FIELD(dst, f, unsigned) = *CFIELD(src, f, unsigned);
    return true;
}

static int uint_check(struct pctx *p, const void *o, const struct field *f)
{
    return number_check(p, *CFIELD(o, f, unsigned), f);
}

const struct ftype cfgi_t_uint = {uint_read, uint_write, uint_default,
                                  uint_copy, no_release, uint_check};

static int port_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    unsigned n = 0;
    if (number_value(p, v, f, &n) < 0)
        return -1;
    *FIELD(o, f, uint16_t) = (uint16_t)n;
    return 0;
}

static json_t *port_write(const void *o, const struct field *f)
{
    return json_integer((json_int_t)*CFIELD(o, f, uint16_t));
}

static bool port_default(void *o, const struct field *f)
{
    *FIELD(o, f, uint16_t) = (uint16_t)f->def;
    return true;
}

static bool port_copy(void *dst, const void *src, const struct field *f)
{
    *FIELD(dst, f, uint16_t) = *CFIELD(src, f, uint16_t);
    return true;
}

static int port_check(struct pctx *p, const void *o, const struct field *f)
{
    return number_check(p, *CFIELD(o, f, uint16_t), f);
}

const struct ftype cfgi_t_port = {port_read, port_write, port_default,
                                  port_copy, no_release, port_check};

/* enums, written by name (stored as int: the enums here are int-sized) */
_Static_assert(sizeof(enum smsa_role) == sizeof(int) && sizeof(enum cfg_snmp_mode) == sizeof(int) &&
                   sizeof(enum cfg_placement) == sizeof(int),
               "enum fields are stored as int");

static int enum_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    const char *s;
    char shown[96];
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    for (unsigned i = 0; i < f->n_names; i++) {
        if (*f->name(i) && !strcmp(s, f->name(i))) { /* "": a value the key does not take */
            *FIELD(o, f, int) = (int)i;
            return 0;
        }
    }
    return fail(p, "%s is not %s", cfgi_quote(s, shown, sizeof shown), f->what);
}

static json_t *enum_write(const void *o, const struct field *f)
{
    return json_string(f->name((unsigned)*CFIELD(o, f, int)));
}

static bool enum_default(void *o, const struct field *f)
{
    *FIELD(o, f, int) = (int)f->def;
    return true;
}

static bool enum_copy(void *dst, const void *src, const struct field *f)
{
    *FIELD(dst, f, int) = *CFIELD(src, f, int);
    return true;
}

static int enum_check(struct pctx *p, const void *o, const struct field *f)
{
    unsigned v = (unsigned)*CFIELD(o, f, int);
    return v < f->n_names && *f->name(v) ? 0 : fail(p, "%u is not %s", v, f->what);
}

const struct ftype cfgi_t_enum = {enum_read, enum_write, enum_default,
                                  enum_copy, no_release, enum_check};

/* The string list of f in o. */
static char *const *strv_of(const void *o, const struct field *f)
{
    return *(char **const *)((const char *)o + f->off);
}

/* strings (NULL: not set) */

static int replace_str(struct pctx *p, char **field, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        return cfgi_oom(p);
    free(*field);
    *field = d;
    return 0;
}

static int str_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    const char *s = NULL;
    if (!((f->flags & F_NULLABLE) && json_is_null(v)) && string_value(p, v, f->check, &s) < 0)
        return -1;
    return replace_str(p, FIELD(o, f, char *), s);
}

static json_t *str_write(const void *o, const struct field *f)
{
    const char *s = *CFIELD(o, f, char *);
    return s ? json_string(s) : json_null();
}

static bool str_default(void *o, const struct field *f)
{
    bool ok = true;
    *FIELD(o, f, char *) = dup_opt(f->def_str, &ok);
    return ok;
}

static bool str_copy(void *dst, const void *src, const struct field *f)
{
    bool ok = true;
    *FIELD(dst, f, char *) = dup_opt(*CFIELD(src, f, char *), &ok);
    return ok;
}

static void str_release(void *o, const struct field *f)
{
    free(*FIELD(o, f, char *));
    *FIELD(o, f, char *) = NULL;
}

static int str_check(struct pctx *p, const void *o, const struct field *f)
{
    const char *s = *CFIELD(o, f, char *);
    if (!s)
        return f->flags & F_NULLABLE ? 0 : fail(p, "must be set");
    return string_check(p, s, f->check);
}

const struct ftype cfgi_t_str = {str_read, str_write,   str_default,
                                 str_copy, str_release, str_check};

/* one peer, host at off and port at n_off (peers.control_center, a scanner's host) */

#define PEER_PORT(o, f) ((uint16_t *)((char *)(o) + (f)->n_off))
#define CPEER_PORT(o, f) ((const uint16_t *)((const char *)(o) + (f)->n_off))

static int peer_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    struct cfg_peer pe = {NULL, 0};
    if (!((f->flags & F_NULLABLE) && json_is_null(v)) && peer_value(p, v, &pe) < 0)
        return -1;
    free(*FIELD(o, f, char *));
    *FIELD(o, f, char *) = pe.host;
    *PEER_PORT(o, f) = pe.port;
    return 0;
}

static json_t *peer_write(const void *o, const struct field *f)
{
    return peer_json(*CFIELD(o, f, char *), *CPEER_PORT(o, f));
}

static bool peer_default(void *o, const struct field *f)
{
    *FIELD(o, f, char *) = NULL;
    *PEER_PORT(o, f) = 0;
    return true;
}

static bool peer_copy(void *dst, const void *src, const struct field *f)
{
    *PEER_PORT(dst, f) = *CPEER_PORT(src, f);
    return str_copy(dst, src, f);
}

static int peer_check(struct pctx *p, const void *o, const struct field *f)
{
    const char *host = *CFIELD(o, f, char *);
    if (!host && (f->flags & F_NULLABLE))
        return 0;
    return host_check(p, host);
}

const struct ftype cfgi_t_peer = {peer_read, peer_write,  peer_default,
                                  peer_copy, str_release, peer_check};

/* a list of peers (struct cfg_list at off) */

static int peers_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    size_t i;
    json_t *item;
    if (cfgi_want_array(p, v, f->max) < 0)
        return -1;
    struct cfg_list l = {calloc(json_array_size(v) + 1, sizeof *l.items), 0};
    if (!l.items)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t at = jpos_path_index(&p->path, i);
        if (peer_value(p, item, &l.items[i]) < 0) {
            cfgi_list_free(&l);
            return -1;
        }
        l.n++;
        jpos_path_pop(&p->path, at);
    }
    cfgi_list_free(FIELD(o, f, struct cfg_list));
    *FIELD(o, f, struct cfg_list) = l;
    return 0;
}

static json_t *peers_write(const void *o, const struct field *f)
{
    const struct cfg_list *l = CFIELD(o, f, struct cfg_list);
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_array_append_new(a, peer_json(l->items[i].host, l->items[i].port));
    return a;
}

static bool peers_default(void *o, const struct field *f)
{
    *FIELD(o, f, struct cfg_list) = (struct cfg_list){NULL, 0};
    return true;
}

static bool peers_copy(void *dst, const void *src, const struct field *f)
{
    bool ok = true;
    struct cfg_list *d = FIELD(dst, f, struct cfg_list);
    const struct cfg_list *s = CFIELD(src, f, struct cfg_list);
    d->items = dup_array(s->items, s->n, sizeof *s->items, &ok);
    d->n = d->items ? s->n : 0;
    for (size_t i = 0; i < d->n; i++)
        d->items[i].host = dup_opt(s->items[i].host, &ok);
    return ok;
}

static void peers_release(void *o, const struct field *f)
{
    cfgi_list_free(FIELD(o, f, struct cfg_list));
}

static int peers_check(struct pctx *p, const void *o, const struct field *f)
{
    const struct cfg_list *l = CFIELD(o, f, struct cfg_list);
    if (too_many(p, f, l->n) < 0)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        size_t at = jpos_path_index(&p->path, i);
        if (host_check(p, l->items[i].host) < 0)
            return -1;
        jpos_path_pop(&p->path, at);
    }
    return 0;
}

const struct ftype cfgi_t_peers = {peers_read, peers_write,   peers_default,
                                   peers_copy, peers_release, peers_check};

/* a list of strings (char ** at off, count at n_off), each passing check */

static int strv_read(struct pctx *p, json_t *v, void *o, const struct field *f)
{
    size_t i, n = 0;
    json_t *item;
    if (cfgi_want_array(p, v, f->max) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    if (!l)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t at = jpos_path_index(&p->path, i);
        const char *s;
        if (string_value(p, item, f->check, &s) < 0) {
            strv_free(&l, &n);
            return -1;
        }
        if (!(l[n] = strdup(s))) {
            strv_free(&l, &n);
            return cfgi_oom(p);
        }
        n++;
        jpos_path_pop(&p->path, at);
    }
    strv_free(FIELD(o, f, char **), COUNT(o, f));
    *FIELD(o, f, char **) = l;
    *COUNT(o, f) = n;
    return 0;
}

static json_t *strv_write(const void *o, const struct field *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < *CCOUNT(o, f); i++)
        json_array_append_new(a, json_string((*CFIELD(o, f, char **))[i]));
    return a;
}

static bool strv_default(void *o, const struct field *f)
{
    bool ok = true;
    size_t n = 0;
    while (f->def_strv && f->def_strv[n])
        n++;
    strv_copy(FIELD(o, f, char **), COUNT(o, f), (char *const *)f->def_strv, n, &ok);
    return ok;
}

static bool strv_copy_field(void *dst, const void *src, const struct field *f)
{
    bool ok = true;
    strv_copy(FIELD(dst, f, char **), COUNT(dst, f), strv_of(src, f), *CCOUNT(src, f), &ok);
    return ok;
}

static void strv_release(void *o, const struct field *f)
{
    strv_free(FIELD(o, f, char **), COUNT(o, f));
}

static int strv_check(struct pctx *p, const void *o, const struct field *f)
{
    char *const *l = strv_of(o, f);
    if (too_many(p, f, *CCOUNT(o, f)) < 0)
        return -1;
    for (size_t i = 0; i < *CCOUNT(o, f); i++) {
        size_t at = jpos_path_index(&p->path, i);
        if (!l[i])
            return fail(p, "must be set");
        if (string_check(p, l[i], f->check) < 0)
            return -1;
        jpos_path_pop(&p->path, at);
    }
    return 0;
}

const struct ftype cfgi_t_strv = {strv_read,       strv_write,   strv_default,
                                  strv_copy_field, strv_release, strv_check};
