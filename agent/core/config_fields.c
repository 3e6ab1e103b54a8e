/* The table of configuration keys and the types of its fields (see config_internal.h): the
 * one place a key's name, type, default, bounds, check and flags are written. */
#include "config_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The vendor's update sources (TECH85204), in this order. */
static const struct {
    const char *purpose, *host;
    uint16_t port;
} default_updates[] = {
    {"software", "swupdate.brightmail.com", 443},
    {"registration", "register.brightmail.com", 443},
    {"rules", "aztec.brightmail.com", 443},
    {"antivirus", "liveupdate.symantecliveupdate.com", 80},
    {"antivirus", "liveupdate.symantec.com", 80},
    {"rapid-response", "update.symantec.com", 21},
};

static const char *const default_allow[] = {"127.0.0.0/8", "::1/128", NULL};

static const char *const update_purposes[] = {"software", "registration", "rules", "antivirus",
                                              "rapid-response"};

/* The objects inside lists and REST bodies; the keys of the file are in fields[] below. */
static const char *const scanner_keys[] = {"name", "host", NULL};
static const char *const update_keys[] = {"purpose", "host", "port", "enabled", NULL};
static const char *const trap_sink_keys[] = {"address", "inform", NULL};

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

static void scanners_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n_scanners; i++) {
        free(c->scanners[i].name);
        free(c->scanners[i].peer.host);
    }
    free(c->scanners);
    c->scanners = NULL;
    c->n_scanners = 0;
}

static void updates_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n_updates; i++) {
        free(c->updates[i].purpose);
        free(c->updates[i].host);
    }
    free(c->updates);
    c->updates = NULL;
    c->n_updates = 0;
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

static void list_copy(struct cfg_list *dst, const struct cfg_list *src, bool *ok)
{
    dst->items = dup_array(src->items, src->n, sizeof *src->items, ok);
    dst->n = dst->items ? src->n : 0;
    for (size_t i = 0; i < dst->n; i++)
        dst->items[i].host = dup_opt(src->items[i].host, ok);
}

static void strv_copy(char ***dst, size_t *dn, char *const *src, size_t n, bool *ok)
{
    *dst = dup_array(src, n, sizeof *src, ok);
    *dn = *dst ? n : 0;
    for (size_t i = 0; i < *dn; i++)
        (*dst)[i] = dup_opt(src[i], ok);
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

static int want_array(struct pctx *p, json_t *v)
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

static int replace_str(struct pctx *p, char **field, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        return cfgi_oom(p);
    free(*field);
    *field = d;
    return 0;
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

/* For the members of a list's objects: reads key of obj with fn when present. */
static int read_member(struct pctx *p, json_t *obj, const char *key,
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

static int bool_member(struct pctx *p, json_t *v, void *out)
{
    return bool_value(p, v, out);
}

static int host_member(struct pctx *p, json_t *v, void *out)
{
    const char *s;
    if (string_value(p, v, cfgi_check_host, &s) < 0)
        return -1;
    return replace_str(p, out, s);
}

/* ------------------------------------------------------------- field types */

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

static const struct ftype t_bool = {bool_read, bool_write, bool_default, bool_copy, no_release};

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

static const struct ftype t_uint = {uint_read, uint_write, uint_default, uint_copy, no_release};

/* enums, written by name (stored as int: both enums here are int-sized) */
_Static_assert(sizeof(enum smsa_role) == sizeof(int) && sizeof(enum cfg_snmp_mode) == sizeof(int),
               "enum fields are stored as int");

static int enum_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    const char *s;
    char shown[96];
    if (string_value(p, v, NULL, &s) < 0)
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

static const struct ftype t_enum = {enum_read, enum_write, enum_default, enum_copy, no_release};

/* strings (NULL: not set) */

static int str_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    const char *s = NULL;
    if (!((f->flags & F_NULLABLE) && json_is_null(v)) && string_value(p, v, f->check, &s) < 0)
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
    *FIELD(c, f, char *) = dup_opt(f->def_str, &ok);
    return ok;
}

static bool str_copy(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    bool ok = true;
    *FIELD(dst, f, char *) = dup_opt(*CFIELD(src, f, char *), &ok);
    return ok;
}

static void str_release(struct cfg *c, const struct field *f)
{
    free(*FIELD(c, f, char *));
    *FIELD(c, f, char *) = NULL;
}

static const struct ftype t_str = {str_read, str_write, str_default, str_copy, str_release};

/* one peer, host at off and port at n_off (peers.control_center) */

static int peer_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    struct cfg_peer pe = {NULL, 0};
    if (!json_is_null(v) && peer_value(p, v, &pe) < 0)
        return -1;
    free(*FIELD(c, f, char *));
    *FIELD(c, f, char *) = pe.host;
    *(uint16_t *)((char *)c + f->n_off) = pe.port;
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

static json_t *peer_write(const struct cfg *c, const struct field *f)
{
    return peer_json(*CFIELD(c, f, char *), *(const uint16_t *)((const char *)c + f->n_off));
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

static const struct ftype t_peer = {peer_read, peer_write, peer_default, peer_copy, str_release};

/* a list of peers (struct cfg_list at off) */

static int peers_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    if (want_array(p, v) < 0)
        return -1;
    struct cfg_list l = {calloc(json_array_size(v) + 1, sizeof *l.items), 0};
    if (!l.items)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        if (peer_value(p, item, &l.items[i]) < 0) {
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
        json_array_append_new(a, peer_json(l->items[i].host, l->items[i].port));
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

static const struct ftype t_peers = {peers_read, peers_write, peers_default, peers_copy,
                                     peers_release};

/* a list of strings (char ** at off, count at n_off), each passing check */

static int strv_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i, n = 0;
    json_t *item;
    if (want_array(p, v) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    if (!l)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
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
        jpos_path_pop(&p->path, o);
    }
    strv_free(FIELD(c, f, char **), COUNT(c, f));
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
    strv_copy(FIELD(c, f, char **), COUNT(c, f), (char *const *)f->def_strv, n, &ok);
    return ok;
}

static bool strv_copy_field(struct cfg *dst, const struct cfg *src, const struct field *f)
{
    bool ok = true;
    strv_copy(FIELD(dst, f, char **), COUNT(dst, f), *(char **const *)((const char *)src + f->off),
              *CCOUNT(src, f), &ok);
    return ok;
}

static void strv_release(struct cfg *c, const struct field *f)
{
    strv_free(FIELD(c, f, char **), COUNT(c, f));
}

static const struct ftype t_strv = {strv_read, strv_write, strv_default, strv_copy_field,
                                    strv_release};

/* peers.scanners: [{"name", "host"}] */

int cfgi_parse_scanner(struct pctx *p, json_t *o, struct cfg_scanner *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    if (cfgi_want_object(p, o, scanner_keys) < 0)
        return -1;
    for (const char *const *k = scanner_keys; *k; k++)
        if (!json_object_get(o, *k))
            return fail(p, "missing key \"%s\" (a scanner has a name and a host)", *k);
    v = cfgi_enter(p, o, "name", &old);
    if (string_value(p, v, cfgi_check_name, &s) < 0)
        return -1;
    if (!(out->name = strdup(s)))
        return cfgi_oom(p);
    jpos_path_pop(&p->path, old);
    v = cfgi_enter(p, o, "host", &old);
    if (peer_value(p, v, &out->peer) < 0)
        return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

static int scanners_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    (void)f;
    if (want_array(p, v) < 0)
        return -1;
    struct cfg tmp = {.scanners = calloc(json_array_size(v) + 1, sizeof *tmp.scanners)};
    if (!tmp.scanners)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        tmp.n_scanners++; /* counted before filling, so a half-built entry is freed too */
        if (cfgi_parse_scanner(p, item, &tmp.scanners[i]) < 0) {
            scanners_free(&tmp);
            return -1;
        }
        jpos_path_pop(&p->path, o);
    }
    scanners_free(c);
    c->scanners = tmp.scanners;
    c->n_scanners = tmp.n_scanners;
    return 0;
}

static json_t *scanners_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->n_scanners; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:o}", "name", c->scanners[i].name, "host",
                         peer_json(c->scanners[i].peer.host, c->scanners[i].peer.port)));
    return a;
}

static bool scanners_default(struct cfg *c, const struct field *f)
{
    (void)f;
    c->scanners = NULL;
    c->n_scanners = 0;
    return true;
}

static bool scanners_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    d->scanners = dup_array(c->scanners, c->n_scanners, sizeof *c->scanners, &ok);
    d->n_scanners = d->scanners ? c->n_scanners : 0;
    for (size_t i = 0; i < d->n_scanners; i++) {
        d->scanners[i].name = dup_opt(c->scanners[i].name, &ok);
        d->scanners[i].peer.host = dup_opt(c->scanners[i].peer.host, &ok);
    }
    return ok;
}

static void scanners_release(struct cfg *c, const struct field *f)
{
    (void)f;
    scanners_free(c);
}

static const struct ftype t_scanners = {scanners_read, scanners_write, scanners_default,
                                        scanners_copy, scanners_release};

/* ------------------------------------------------------------- extra_flows */

/* extra_flows: [{"id", "port", "protocol", "direction", "purpose", "check", "peers"}], rows an
 * operator adds to the published table (later versions of the appliance). One block, in the
 * style of peers.scanners, so that it can move onto a list-of-objects machinery whole. */
static const char *const extra_flow_keys[] = {"id",      "port",  "protocol", "direction",
                                              "purpose", "check", "peers",    NULL};
static const struct {
    const char *name;
    enum smsa_probe_kind kind;
} extra_checks[] = {
    {"tcp", PROBE_TCP}, {"smtp", PROBE_SMTP}, {"tls", PROBE_TLS}, {"http", PROBE_HTTP},
    {"ssh", PROBE_SSH}, {"dns", PROBE_DNS},   {"ntp", PROBE_NTP}, {"listen", PROBE_LISTEN},
};
#define N_EXTRA_CHECKS (sizeof extra_checks / sizeof extra_checks[0])

static void extra_flows_free(struct cfg_extra_flow *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)x[i].row.def.purpose);
        cfgi_list_free(&x[i].peers);
    }
    free(x);
}

/* The fixed words of an extra row's "from" and "to", as the vendor's rows have them. */
static void extra_from_to(struct cat_extra *r)
{
    r->def.from = r->direction == DIR_INBOUND ? "management hosts or any" : "appliance";
    r->def.to = r->direction == DIR_INBOUND ? "appliance" : "configured peers";
}

/* Printable ASCII without quotes or backslashes: the purpose is shown in nft and iptables
 * comments, label values and SNMP strings, none of which may be broken out of. */
static const char *check_purpose(const char *s)
{
    if (!*s)
        return "is empty";
    if (strlen(s) > CFG_MAX_PURPOSE)
        return "is longer than 64 characters";
    for (const char *c = s; *c; c++)
        if (*c < ' ' || *c > '~' || *c == '"' || *c == '\'' || *c == '\\')
            return "must be printable ASCII without quotes or backslashes";
    return NULL;
}

/* A number of o's key in lo..hi; absent: missing. */
static int extra_number(struct pctx *p, json_t *o, const char *key, unsigned lo, unsigned hi,
                        const char *range, unsigned *out)
{
    size_t old = 0;
    json_t *v = cfgi_enter(p, o, key, &old);
    if (!v)
        return fail(p, "missing key \"%s\"", key);
    if (!json_is_integer(v))
        return cfgi_fail_type(p, v, "an integer");
    json_int_t n = json_integer_value(v);
    if (n < (json_int_t)lo || n > (json_int_t)hi)
        return fail(p, "%" JSON_INTEGER_FORMAT " is outside %s", n, range);
    *out = (unsigned)n;
    jpos_path_pop(&p->path, old);
    return 0;
}

/* One of names[] (n of them, "a, b or c" in expected); absent: missing. */
static int extra_word(struct pctx *p, json_t *o, const char *key, const char *const *names,
                      size_t n, const char *expected, size_t *out)
{
    size_t old = 0;
    const char *s;
    char shown[96];
    json_t *v = cfgi_enter(p, o, key, &old);
    if (!v)
        return fail(p, "missing key \"%s\"", key);
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    for (*out = 0; *out < n && strcmp(s, names[*out]); (*out)++)
        ;
    if (*out == n)
        return fail(p, "%s is not %s", cfgi_quote(s, shown, sizeof shown), expected);
    jpos_path_pop(&p->path, old);
    return 0;
}

static int parse_extra_flow(struct pctx *p, json_t *o, struct cfg_extra_flow *out)
{
    static const char *const protos[] = {"tcp", "udp"}, *const dirs[] = {"inbound", "outbound"};
    const char *checks[N_EXTRA_CHECKS];
    size_t old = 0, k;
    unsigned n;
    const char *s;
    json_t *v, *item;
    if (cfgi_want_object(p, o, extra_flow_keys) < 0)
        return -1;
    if (extra_number(p, o, "id", CAT_EXTRA_MIN, CAT_EXTRA_MAX, "101-999", &out->row.def.id) < 0 ||
        extra_number(p, o, "port", 1, 65535, "1-65535", &n) < 0)
        return -1;
    out->row.def.port = (uint16_t)n;
    if (extra_word(p, o, "protocol", protos, 2, "a protocol (expected tcp or udp)", &k) < 0)
        return -1;
    out->row.def.proto = k ? PROTO_UDP : PROTO_TCP;
    if (extra_word(p, o, "direction", dirs, 2, "a direction (expected inbound or outbound)", &k) <
        0)
        return -1;
    out->row.direction = k ? DIR_OUTBOUND : DIR_INBOUND;
    extra_from_to(&out->row);
    if (!(v = cfgi_enter(p, o, "purpose", &old)))
        return fail(p, "missing key \"purpose\"");
    if (string_value(p, v, check_purpose, &s) < 0)
        return -1;
    if (!(out->row.def.purpose = strdup(s)))
        return cfgi_oom(p);
    jpos_path_pop(&p->path, old);
    for (k = 0; k < N_EXTRA_CHECKS; k++)
        checks[k] = extra_checks[k].name;
    if (extra_word(p, o, "check", checks, N_EXTRA_CHECKS,
                   "a check (expected tcp, smtp, tls, http, ssh, dns, ntp or listen)", &k) < 0)
        return -1;
    out->row.check = extra_checks[k].kind;
    if (!(v = cfgi_enter(p, o, "peers", &old)))
        return 0;
    if (want_array(p, v) < 0)
        return -1;
    if (!(out->peers.items = calloc(json_array_size(v) + 1, sizeof *out->peers.items)))
        return cfgi_oom(p);
    json_array_foreach(v, k, item)
    {
        size_t at = jpos_path_index(&p->path, k);
        if (peer_value(p, item, &out->peers.items[k]) < 0)
            return -1;
        out->peers.n++;
        jpos_path_pop(&p->path, at);
    }
    jpos_path_pop(&p->path, old);
    return 0;
}

static int cmp_extra_id(const void *a, const void *b)
{
    const struct cfg_extra_flow *x = a, *y = b;
    return x->row.def.id < y->row.def.id ? -1 : x->row.def.id > y->row.def.id;
}

/* The rules that span an entry's keys, and the ids across entries. p's path is at the list. */
static int check_extra_flow(struct pctx *p, const struct cfg *c, size_t i)
{
    const struct cfg_extra_flow *x = &c->extra_flows[i];
    const struct cat_extra *r = &x->row;
    size_t old = jpos_path_index(&p->path, i), at;
    bool udp_check = r->check == PROBE_DNS || r->check == PROBE_NTP;
    for (size_t j = 0; j < i; j++)
        if (j < i && c->extra_flows[j].row.def.id == r->def.id) {
            jpos_path_key(&p->path, "id");
            return fail(p, "%u is also the id of extra_flows[%zu] (ids are unique)", r->def.id, j);
        }
    at = jpos_path_key(&p->path, "check");
    if (r->check != PROBE_LISTEN && udp_check != (r->def.proto == PROTO_UDP))
        return fail(p, "%s is a %s check, and this flow is %s", cat_probe_kind_name(r->check),
                    udp_check ? "udp" : "tcp", cat_proto_name(r->def.proto));
    if (r->check == PROBE_LISTEN && r->direction != DIR_INBOUND)
        return fail(p, "listen checks an inbound flow's listener; an outbound flow needs a "
                       "check of its peers (tcp, smtp, tls, http, ssh, dns or ntp)");
    /* beside, an inbound flow is checked by connecting to the appliance: UDP has no connection
     * to prove, only a service that answers */
    if (r->check == PROBE_LISTEN && r->def.proto == PROTO_UDP && c->placement == PLACEMENT_BESIDE)
        return fail(p, "listen over udp cannot be checked beside the appliance (there is no "
                       "listener table to read from here); use dns or ntp if the service "
                       "answers those");
    jpos_path_pop(&p->path, at);
    jpos_path_key(&p->path, "peers");
    if (r->direction == DIR_OUTBOUND && x->peers.n == 0)
        return fail(p, "an outbound flow needs peers (\"host\" or \"host:port\")");
    if (r->direction == DIR_INBOUND && x->peers.n)
        return fail(p, "an inbound flow has no peers: on-box it is checked by its listener, "
                       "beside at appliance.address");
    jpos_path_pop(&p->path, old);
    return 0;
}

int cfgi_check_extra_flows(struct pctx *p, const struct cfg *c)
{
    size_t old = jpos_path_key(&p->path, "extra_flows");
    if (c->n_extra_flows > CFG_MAX_EXTRA_FLOWS)
        return fail(p, "has %zu entries (at most %d: ids are 101-999)", c->n_extra_flows,
                    CFG_MAX_EXTRA_FLOWS);
    for (size_t i = 0; i < c->n_extra_flows; i++)
        if (check_extra_flow(p, c, i) < 0)
            return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

static int extra_flows_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    (void)f;
    if (json_is_array(v) && json_array_size(v) > CFG_MAX_EXTRA_FLOWS)
        return fail(p, "has %zu entries (at most %d: ids are 101-999)", json_array_size(v),
                    CFG_MAX_EXTRA_FLOWS);
    if (want_array(p, v) < 0)
        return -1;
    struct cfg tmp = *c;
    tmp.extra_flows = calloc(json_array_size(v) + 1, sizeof *tmp.extra_flows);
    tmp.n_extra_flows = 0;
    if (!tmp.extra_flows)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        tmp.n_extra_flows++; /* counted before filling, so a half-built entry is freed too */
        if (parse_extra_flow(p, item, &tmp.extra_flows[i]) < 0) {
            extra_flows_free(tmp.extra_flows, tmp.n_extra_flows);
            return -1;
        }
        jpos_path_pop(&p->path, o);
    }
    /* the entries' own rules with the file's positions, before they are sorted by id; the
     * path is at extra_flows already */
    size_t at = p->path.len;
    for (i = 0; i < tmp.n_extra_flows; i++)
        if (check_extra_flow(p, &tmp, i) < 0) {
            extra_flows_free(tmp.extra_flows, tmp.n_extra_flows);
            return -1;
        }
    jpos_path_pop(&p->path, at);
    if (tmp.n_extra_flows > 1)
        qsort(tmp.extra_flows, tmp.n_extra_flows, sizeof *tmp.extra_flows, cmp_extra_id);
    extra_flows_free(c->extra_flows, c->n_extra_flows);
    c->extra_flows = tmp.extra_flows;
    c->n_extra_flows = tmp.n_extra_flows;
    return 0;
}

static json_t *extra_flows_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->n_extra_flows; i++) {
        const struct cfg_extra_flow *x = &c->extra_flows[i];
        const char *check = "?";
        for (size_t k = 0; k < N_EXTRA_CHECKS; k++)
            if (extra_checks[k].kind == x->row.check)
                check = extra_checks[k].name;
        json_t *o = json_pack(
            "{s:I, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)x->row.def.id, "port",
            (json_int_t)x->row.def.port, "protocol", cat_proto_name(x->row.def.proto), "direction",
            cat_direction_name(x->row.direction), "purpose", x->row.def.purpose, "check", check);
        if (o && x->peers.n)
            json_object_set_new(o, "peers", list_json(&x->peers));
        json_array_append_new(a, o);
    }
    return a;
}

static bool extra_flows_default(struct cfg *c, const struct field *f)
{
    (void)f;
    c->extra_flows = NULL;
    c->n_extra_flows = 0;
    return true;
}

static bool extra_flows_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    d->extra_flows = dup_array(c->extra_flows, c->n_extra_flows, sizeof *c->extra_flows, &ok);
    d->n_extra_flows = d->extra_flows ? c->n_extra_flows : 0;
    for (size_t i = 0; i < d->n_extra_flows; i++) {
        d->extra_flows[i].row.def.purpose = dup_opt(c->extra_flows[i].row.def.purpose, &ok);
        list_copy(&d->extra_flows[i].peers, &c->extra_flows[i].peers, &ok);
    }
    return ok;
}

static void extra_flows_release(struct cfg *c, const struct field *f)
{
    (void)f;
    extra_flows_free(c->extra_flows, c->n_extra_flows);
    c->extra_flows = NULL;
    c->n_extra_flows = 0;
}

static const struct ftype t_extra_flows = {extra_flows_read, extra_flows_write, extra_flows_default,
                                           extra_flows_copy, extra_flows_release};

const struct cfg_extra_flow *cfg_extra_flow(const struct cfg *c, unsigned id)
{
    size_t lo = 0, hi = c->n_extra_flows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->extra_flows[mid].row.def.id == id)
            return &c->extra_flows[mid];
        if (c->extra_flows[mid].row.def.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct cat_extra_rows cfg_extra_rows(const struct cfg *c)
{
    return (struct cat_extra_rows){c->extra_flows, c->n_extra_flows, sizeof *c->extra_flows};
}

size_t cfg_n_flows(const struct cfg *c)
{
    return CAT_NFLOWS + c->n_extra_flows;
}

unsigned cfg_flow_id(const struct cfg *c, size_t i)
{
    return i < CAT_NFLOWS ? (unsigned)i + 1 : c->extra_flows[i - CAT_NFLOWS].row.def.id;
}

/* updates: [{"purpose", "host", "port", "enabled"}], the vendor's sources by default */

static int parse_update(struct pctx *p, json_t *o, struct cfg_update *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    char shown[96];
    size_t k;
    if (cfgi_want_object(p, o, update_keys) < 0)
        return -1;
    if (!json_object_get(o, "purpose"))
        return fail(p, "missing key \"purpose\"");
    if (!json_object_get(o, "host"))
        return fail(p, "missing key \"host\"");
    v = cfgi_enter(p, o, "purpose", &old);
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    for (k = 0; k < sizeof update_purposes / sizeof update_purposes[0]; k++)
        if (!strcmp(s, update_purposes[k]))
            break;
    if (k == sizeof update_purposes / sizeof update_purposes[0])
        return fail(p,
                    "%s is not an update purpose (expected software, registration, rules, "
                    "antivirus or rapid-response)",
                    cfgi_quote(s, shown, sizeof shown));
    if (!(out->purpose = strdup(s)))
        return cfgi_oom(p);
    jpos_path_pop(&p->path, old);
    if (read_member(p, o, "host", host_member, &out->host) < 0)
        return -1;
    /* Without a port, the source is checked on its flow's port (6: 443, 19: 80, 20: 21). */
    out->port = cat_flow(cat_update_flow(out->purpose))->port;
    out->enabled = true;
    unsigned port = out->port;
    if ((v = cfgi_enter(p, o, "port", &old))) {
        if (!json_is_integer(v))
            return cfgi_fail_type(p, v, "an integer");
        json_int_t n = json_integer_value(v);
        if (n < 1 || n > 65535)
            return fail(p, "%" JSON_INTEGER_FORMAT " is out of range (1..65535)", n);
        port = (unsigned)n;
        jpos_path_pop(&p->path, old);
    }
    out->port = (uint16_t)port;
    return read_member(p, o, "enabled", bool_member, &out->enabled);
}

static int updates_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i;
    json_t *item;
    (void)f;
    if (want_array(p, v) < 0)
        return -1;
    struct cfg tmp = {.updates = calloc(json_array_size(v) + 1, sizeof *tmp.updates)};
    if (!tmp.updates)
        return cfgi_oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        tmp.n_updates++;
        if (parse_update(p, item, &tmp.updates[i]) < 0) {
            updates_free(&tmp);
            return -1;
        }
        jpos_path_pop(&p->path, o);
    }
    updates_free(c);
    c->updates = tmp.updates;
    c->n_updates = tmp.n_updates;
    return 0;
}

static json_t *updates_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->n_updates; i++)
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:i, s:b}", "purpose", c->updates[i].purpose,
                                        "host", c->updates[i].host, "port", (int)c->updates[i].port,
                                        "enabled", c->updates[i].enabled));
    return a;
}

static bool updates_default(struct cfg *c, const struct field *f)
{
    size_t n = sizeof default_updates / sizeof default_updates[0];
    (void)f;
    c->updates = calloc(n, sizeof *c->updates);
    if (!c->updates)
        return false;
    c->n_updates = n;
    for (size_t i = 0; i < n; i++) {
        c->updates[i].purpose = strdup(default_updates[i].purpose);
        c->updates[i].host = strdup(default_updates[i].host);
        c->updates[i].port = default_updates[i].port;
        c->updates[i].enabled = true;
        if (!c->updates[i].purpose || !c->updates[i].host)
            return false;
    }
    return true;
}

static bool updates_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    d->updates = dup_array(c->updates, c->n_updates, sizeof *c->updates, &ok);
    d->n_updates = d->updates ? c->n_updates : 0;
    for (size_t i = 0; i < d->n_updates; i++) {
        d->updates[i].purpose = dup_opt(c->updates[i].purpose, &ok);
        d->updates[i].host = dup_opt(c->updates[i].host, &ok);
    }
    return ok;
}

static void updates_release(struct cfg *c, const struct field *f)
{
    (void)f;
    updates_free(c);
}

static const struct ftype t_updates = {updates_read, updates_write, updates_default, updates_copy,
                                       updates_release};

/* snmp.trap_sinks: each entry is a transport address (an SNMPv2c trap) or an object
 * {"address": ..., "inform": true|false} (an inform when true, resent until acknowledged). */

static int trap_sinks_read(struct pctx *p, json_t *v, struct cfg *c, const struct field *f)
{
    size_t i, n = 0;
    json_t *item;
    (void)f;
    if (want_array(p, v) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    bool *inform = calloc(json_array_size(v) + 1, sizeof *inform);
    if (!l || !inform) {
        free(l);
        free(inform);
        return cfgi_oom(p);
    }
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i), ko = 0;
        const char *s;
        json_t *a = item;
        if (json_is_object(item)) {
            if (cfgi_want_object(p, item, trap_sink_keys) < 0 ||
                read_member(p, item, "inform", bool_member, &inform[n]) < 0)
                goto fail;
            if (!(a = cfgi_enter(p, item, "address", &ko))) {
                fail(p, "missing key \"address\" (a sink object has an address and inform)");
                goto fail;
            }
        }
        if (string_value(p, a, cfgi_check_trap_sink, &s) < 0)
            goto fail;
        if (!(l[n] = strdup(s))) {
            cfgi_oom(p);
            goto fail;
        }
        n++;
        if (a != item)
            jpos_path_pop(&p->path, ko);
        jpos_path_pop(&p->path, o);
    }
    strv_free(&c->snmp.trap_sinks, &c->snmp.n_trap_sinks);
    free(c->snmp.trap_sink_inform);
    c->snmp.trap_sinks = l;
    c->snmp.trap_sink_inform = inform;
    c->snmp.n_trap_sinks = n;
    return 0;
fail:
    strv_free(&l, &n);
    free(inform);
    return -1;
}

/* A trap sink as written: its address, or {"address", "inform": true} for an inform. */
static json_t *trap_sinks_write(const struct cfg *c, const struct field *f)
{
    json_t *a = json_array();
    (void)f;
    for (size_t i = 0; a && i < c->snmp.n_trap_sinks; i++)
        json_array_append_new(
            a, c->snmp.trap_sink_inform && c->snmp.trap_sink_inform[i]
                   ? json_pack("{s:s, s:b}", "address", c->snmp.trap_sinks[i], "inform", 1)
                   : json_string(c->snmp.trap_sinks[i]));
    return a;
}

static bool trap_sinks_default(struct cfg *c, const struct field *f)
{
    (void)f;
    c->snmp.trap_sinks = NULL;
    c->snmp.trap_sink_inform = NULL;
    c->snmp.n_trap_sinks = 0;
    return true;
}

static bool trap_sinks_copy(struct cfg *d, const struct cfg *c, const struct field *f)
{
    bool ok = true;
    (void)f;
    strv_copy(&d->snmp.trap_sinks, &d->snmp.n_trap_sinks, c->snmp.trap_sinks, c->snmp.n_trap_sinks,
              &ok);
    d->snmp.trap_sink_inform = NULL;
    if (c->snmp.trap_sink_inform && d->snmp.n_trap_sinks)
        d->snmp.trap_sink_inform =
            dup_array(c->snmp.trap_sink_inform, d->snmp.n_trap_sinks, sizeof(bool), &ok);
    return ok;
}

static void trap_sinks_release(struct cfg *c, const struct field *f)
{
    (void)f;
    strv_free(&c->snmp.trap_sinks, &c->snmp.n_trap_sinks);
    free(c->snmp.trap_sink_inform);
    c->snmp.trap_sink_inform = NULL;
}

static const struct ftype t_trap_sinks = {trap_sinks_read, trap_sinks_write, trap_sinks_default,
                                          trap_sinks_copy, trap_sinks_release};

/* ------------------------------------------------------------- the keys */

static const char *role_name(unsigned v)
{
    return cat_role_name((enum smsa_role)v);
}

static const char *placement_name(unsigned v)
{
    return cfg_placement_name((enum cfg_placement)v);
}

static const char *mode_name(unsigned v)
{
    return cfg_snmp_mode_name((enum cfg_snmp_mode)v);
}

/* The short host name, when it is usable as an appliance name. */
static bool default_name(struct cfg *c, const struct field *f)
{
    char host[256];
    (void)f;
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        host[strcspn(host, ".")] = '\0';
        if (!cfgi_check_name(host))
            return (c->name = strdup(host)) != NULL;
    }
    return (c->name = strdup("smsa")) != NULL;
}

static const char *check_listen_opt(const char *s)
{
    return *s ? cfgi_check_listen(s) : NULL; /* "" turns REST off, like null */
}

#define AT(m) offsetof(struct cfg, m)
#define UINT_KEY(p, m, d, lo, hi, fl)                                                              \
    {                                                                                              \
        .path = p, .type = &t_uint, .off = AT(m), .def = d, .min = lo, .max = hi, .flags = fl      \
    }
#define STR_KEY(p, m, d, chk, fl)                                                                  \
    {                                                                                              \
        .path = p, .type = &t_str, .off = AT(m), .def_str = d, .check = chk, .flags = fl           \
    }
#define PEERS_KEY(p, m)                                                                            \
    {                                                                                              \
        .path = p, .type = &t_peers, .off = AT(m)                                                  \
    }

/* Every key of the file, in the order cfg_serialise writes them (grouped by section). Parse,
 * defaults, serialise, clone, free, diff and the restart keys are all driven from here. */
static const struct field fields[] = {
    {.path = "appliance.name",
     .type = &t_str,
     .off = AT(name),
     .check = cfgi_check_name,
     .set_default = default_name},
    {.path = "appliance.role",
     .type = &t_enum,
     .off = AT(role),
     .def = ROLE_CONTROL_CENTER,
     .name = role_name,
     .n_names = ROLE_ALL_IN_ONE + 1,
     .what = "a role (expected control-center, scanner or all-in-one)"},
    /* flow 14, port 41080: disabled by default (TECH85204) */
    {.path = "appliance.http_management", .type = &t_bool, .off = AT(http_management)},
    /* on-box: checks the local listeners; beside: connects to appliance.address from here */
    {.path = "appliance.placement",
     .type = &t_enum,
     .off = AT(placement),
     .def = PLACEMENT_ON_BOX,
     .name = placement_name,
     .n_names = PLACEMENT_BESIDE + 1,
     .what = "a placement (expected on-box or beside)"},
    STR_KEY("appliance.address", address, NULL, cfgi_check_host, F_NULLABLE),
    {.path = "peers.control_center",
     .type = &t_peer,
     .off = AT(control_center),
     .n_off = AT(control_center_port),
     .flags = F_NULLABLE},
    {.path = "peers.scanners", .type = &t_scanners},
    PEERS_KEY("peers.dns_servers", dns_servers),
    PEERS_KEY("peers.ldap_servers", ldap_servers),
    PEERS_KEY("peers.internal_mail_servers", internal_mail_servers),
    PEERS_KEY("peers.internet_mail_hosts", internet_mail_hosts),
    PEERS_KEY("peers.management_hosts", management_hosts),
    {.path = "ntp.enabled", .type = &t_bool, .off = AT(ntp_enabled)},
    PEERS_KEY("ntp.servers", ntp_servers),
    /* the clock is degraded beyond this offset (a day at most: more is a typo) */
    UINT_KEY("ntp.max_offset_ms", ntp_max_offset_ms, 1000, 1, 86400000, 0),
    {.path = "updates", .type = &t_updates},
    {.path = "extra_flows", .type = &t_extra_flows},
    UINT_KEY("probe.interval_ms", probe.interval_ms, 10000, 100, 3600000, 0),
    UINT_KEY("probe.timeout_ms", probe.timeout_ms, 3000, 50, 60000, 0),
    UINT_KEY("probe.fail_threshold", probe.fail_threshold, 3, 1, 100, 0),
    UINT_KEY("probe.recover_threshold", probe.recover_threshold, 1, 1, 100, 0),
    STR_KEY("probe.dns_query_name", probe.dns_query_name, ".", cfgi_check_query_name, 0),
    STR_KEY("probe.resolver", probe.resolver, NULL, cfgi_check_resolver, F_NULLABLE),
    /* as the appliance reaches its update hosts when it is set to use a proxy */
    STR_KEY("probe.http_proxy", probe.http_proxy, NULL, cfgi_check_listen, F_NULLABLE),
    /* a certificate this close to its not-after raises an event and a notification */
    UINT_KEY("tls.warn_days", tls_warn_days, 14, 1, 3650, 0),
    {.path = "snmp.mode",
     .type = &t_enum,
     .off = AT(snmp.mode),
     .def = SNMP_MODE_SUBAGENT,
     .name = mode_name,
     .n_names = SNMP_MODE_OFF + 1,
     .what = "an SNMP mode (expected subagent, master or off)",
     .flags = F_RESTART},
    STR_KEY("snmp.agentx_socket", snmp.agentx_socket, "/var/agentx/master", cfgi_check_agentx, 0),
    STR_KEY("snmp.master_listen", snmp.master_listen, "udp:127.0.0.1:1161",
            cfgi_check_master_listen, F_RESTART),
    UINT_KEY("snmp.ping_interval_s", snmp.ping_interval_s, 5, 1, 3600, 0),
    STR_KEY("snmp.community", snmp.community, CFG_WELL_KNOWN_COMMUNITY, cfgi_check_word,
            F_NULLABLE | F_SECRET),
    STR_KEY("snmp.usm_user", snmp.usm_user, NULL, cfgi_check_word, F_NULLABLE | F_RESTART),
    STR_KEY("snmp.usm_auth_key", snmp.usm_auth_key, NULL, cfgi_check_passphrase,
            F_NULLABLE | F_RESTART | F_SECRET),
    STR_KEY("snmp.usm_priv_key", snmp.usm_priv_key, NULL, cfgi_check_passphrase,
            F_NULLABLE | F_RESTART | F_SECRET),
    {.path = "snmp.trap_sinks", .type = &t_trap_sinks},
    STR_KEY("snmp.trap_community", snmp.trap_community, CFG_WELL_KNOWN_COMMUNITY, cfgi_check_word,
            F_SECRET),
    UINT_KEY("snmp.notify_rate_limit", snmp.notify_rate_limit, 60, 0, 100000, 0),
    UINT_KEY("snmp.notify_queue", snmp.notify_queue, 1000, 1, 100000, 0),
    STR_KEY("http.listen", http.listen, "127.0.0.1:8161", check_listen_opt, F_NULLABLE | F_RESTART),
    STR_KEY("http.token_file", http.token_file, NULL, cfgi_check_nonempty, F_NULLABLE),
    {.path = "http.allow",
     .type = &t_strv,
     .off = AT(http.allow),
     .n_off = AT(http.n_allow),
     .def_strv = default_allow,
     .check = cfgi_check_cidr},
    {.path = "http.server_names",
     .type = &t_strv,
     .off = AT(http.server_names),
     .n_off = AT(http.n_server_names),
     .check = cfgi_check_host},
    STR_KEY("http.tls_cert", http.tls_cert, NULL, cfgi_check_nonempty, F_NULLABLE | F_RESTART),
    STR_KEY("http.tls_key", http.tls_key, NULL, cfgi_check_nonempty, F_NULLABLE | F_RESTART),
    UINT_KEY("http.max_connections", http.max_connections, 256, 1, 10000, F_RESTART),
    UINT_KEY("http.per_ip_connections", http.per_ip_connections, 64, 1, 10000, F_RESTART),
    UINT_KEY("http.timeout_s", http.timeout_s, 30, 1, 3600, F_RESTART),
    STR_KEY("state_dir", state_dir, CFG_DEFAULT_STATE_DIR, cfgi_check_state_dir, F_RESTART),
};

#define N_FIELDS (sizeof fields / sizeof fields[0])

static const struct field *field_at(const char *path)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].path, path))
            return &fields[i];
    return NULL;
}

/* The length of the section part of a path ("snmp" of "snmp.mode"); 0 for a top-level key. */
static size_t section_len(const char *path)
{
    const char *dot = strchr(path, '.');
    return dot ? (size_t)(dot - path) : 0;
}

static bool same_section(const struct field *a, const struct field *b)
{
    size_t n = section_len(a->path);
    return n && n == section_len(b->path) && !strncmp(a->path, b->path, n);
}

/* The keys of the object at section (NULL: the document), in table order, NULL-terminated.
 * The document's keys are the sections and the top-level keys. */
static void keys_of(const char *section, const char **keys, char names[][32])
{
    size_t n = 0, slen = section ? strlen(section) : 0;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *path = fields[i].path;
        size_t len = section_len(path);
        if (section) {
            if (len == slen && !strncmp(path, section, slen))
                keys[n++] = path + slen + 1;
        } else if (!len) {
            keys[n++] = path;
        } else if (!i || !same_section(&fields[i - 1], &fields[i])) {
            snprintf(names[n], sizeof names[n], "%.*s", (int)len, path);
            keys[n] = names[n];
            n++;
        }
    }
    keys[n] = NULL;
}

static int read_field(struct pctx *p, json_t *obj, const char *key, const struct field *f,
                      struct cfg *c)
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

/* An object with no key that section lacks. */
int cfgi_want_section(struct pctx *p, json_t *obj, const char *section)
{
    const char *keys[N_FIELDS + 1];
    keys_of(section, keys, NULL);
    return cfgi_want_object(p, obj, keys);
}

/* The object of one section ("snmp"), every key it has replacing its default. */
int cfgi_read_section(struct pctx *p, json_t *obj, const char *section, struct cfg *c)
{
    size_t slen = strlen(section);
    if (cfgi_want_section(p, obj, section) < 0)
        return -1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        if (section_len(f->path) == slen && !strncmp(f->path, section, slen) &&
            read_field(p, obj, f->path + slen + 1, f, c) < 0)
            return -1;
    }
    return 0;
}

/* The whole document, section by section in table order. */
int cfgi_read_document(struct pctx *p, json_t *root, struct cfg *c)
{
    const char *keys[N_FIELDS + 1];
    char names[N_FIELDS + 1][32];
    keys_of(NULL, keys, names);
    if (cfgi_want_object(p, root, keys) < 0)
        return -1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        size_t len = section_len(f->path), old = 0;
        if (!len) {
            if (read_field(p, root, f->path, f, c) < 0)
                return -1;
            continue;
        }
        if (i && same_section(&fields[i - 1], f))
            continue;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)len, f->path);
        json_t *v = cfgi_enter(p, root, name, &old);
        if (!v)
            continue;
        if (cfgi_read_section(p, v, name, c) < 0)
            return -1;
        jpos_path_pop(&p->path, old);
    }
    return 0;
}

/* The configuration as JSON; secrets as "********" when masked. */
json_t *cfgi_to_json(const struct cfg *c, bool masked)
{
    json_t *doc = json_object(), *sec = NULL;
    for (size_t i = 0; doc && i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        size_t len = section_len(f->path);
        json_t *v = masked && (f->flags & F_SECRET) && *CFIELD(c, f, char *)
                        ? json_string("********")
                        : f->type->write(c, f);
        if (len && (!i || !same_section(&fields[i - 1], f))) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)len, f->path);
            sec = json_object();
            if (json_object_set_new(doc, name, sec) < 0)
                sec = NULL;
        }
        json_t *into = len ? sec : doc;
        if (!v || !into) {
            json_decref(v);
            json_decref(doc);
            return NULL;
        }
        if (json_object_set_new(into, f->path + (len ? len + 1 : 0), v) < 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

/* Each number within its bounds (a copy changed in memory may not be). */
int cfgi_check_numbers(struct pctx *p, const struct cfg *c)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        unsigned v = f->type == &t_uint ? *CFIELD(c, f, unsigned) : 0;
        if (f->type == &t_uint && (v < f->min || v > f->max)) {
            jpos_path_key(&p->path, f->path);
            return fail(p, "%u is out of range (%u..%u)", v, f->min, f->max);
        }
    }
    return 0;
}

/* Every key of section back to its default; -1: no memory. */
int cfgi_reset_section(struct cfg *c, const char *section)
{
    size_t slen = strlen(section);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        if (section_len(f->path) != slen || strncmp(f->path, section, slen))
            continue;
        f->type->release(c, f);
        if (!(f->set_default ? f->set_default : f->type->set_default)(c, f))
            return -1;
    }
    return 0;
}

/* The value v (p's path at it) as the key at path. */
int cfgi_read_key(struct pctx *p, json_t *v, struct cfg *c, const char *path)
{
    const struct field *f = field_at(path);
    if (!f)
        return fail(p, "no configuration key %s", path);
    return f->type->read(p, v, c, f);
}

void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < N_FIELDS; i++)
        fields[i].type->release(c, &fields[i]);
    free(c);
}

struct cfg *cfg_clone(const struct cfg *c)
{
    bool ok = true;
    struct cfg *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = *c;
    /* every field is copied, even after a failure, so that d shares no pointer with c */
    for (size_t i = 0; i < N_FIELDS; i++)
        ok = fields[i].type->copy(d, c, &fields[i]) && ok;
    if (!ok) {
        cfg_free(d);
        return NULL;
    }
    return d;
}

struct cfg *cfg_defaults(void)
{
    bool ok = true;
    struct cfg *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        ok = (f->set_default ? f->set_default : f->type->set_default)(c, f) && ok;
    }
    if (!ok) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

const char *cfg_snmp_mode_name(enum cfg_snmp_mode m)
{
    switch (m) {
    case SNMP_MODE_SUBAGENT:
        return "subagent";
    case SNMP_MODE_MASTER:
        return "master";
    case SNMP_MODE_OFF:
        return "off";
    }
    return "?";
}

/* ------------------------------------------------------------- restart keys */

/* Compared as written, so a list is equal when every item is. */
static bool field_equal(const struct cfg *a, const struct cfg *b, const struct field *f)
{
    json_t *x = f->type->write(a, f), *y = f->type->write(b, f);
    bool eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

size_t cfg_restart_keys(const struct cfg *running, const struct cfg *wanted, const char **keys,
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < N_FIELDS; i++)
        if ((fields[i].flags & F_RESTART) && !field_equal(running, wanted, &fields[i]) && n < max)
            keys[n++] = fields[i].path;
    return n;
}

int cfg_keep_restart_values(struct cfg *dst, const struct cfg *src)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        if (!(f->flags & F_RESTART) || field_equal(dst, src, f))
            continue;
        f->type->release(dst, f);
        if (!f->type->copy(dst, src, f))
            return -1;
    }
    return 0;
}

const char *cfg_placement_name(enum cfg_placement p)
{
    return p == PLACEMENT_BESIDE ? "beside" : "on-box";
}
