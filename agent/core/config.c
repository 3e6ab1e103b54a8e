#include "config.h"

#include "addr.h"
#include "jsonpos.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any real configuration: the schema itself is at most 4 levels deep. */
#define CFG_MAX_DEPTH 16
/* Longest free-form string (paths, communities, passphrases): PATH_MAX is enough. */
#define CFG_MAX_STRING 4096

/* The vendor's update sources (SPEC §4, TECH85204), in this order. */
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

/* The vendor's NTP servers, filled in when NTP is enabled with none (SPEC §4). */
static const char *const default_ntp_servers[] = {"pool.ntp.org", "clock.isc.org", "time.nist.gov"};

static const char *const default_allow[] = {"127.0.0.0/8", "::1/128", NULL};

static const char *const update_purposes[] = {"software", "registration", "rules", "antivirus",
                                              "rapid-response"};

/* The objects inside lists and REST bodies; the keys of the file are in fields[] below. */
static const char *const scanner_keys[] = {"name", "host", NULL};
static const char *const update_keys[] = {"purpose", "host", "port", "enabled", NULL};
static const char *const trap_sink_keys[] = {"address", "inform", NULL};

_Static_assert(JPOS_PATH_MAX == sizeof(((struct cfg_error *)0)->path),
               "an error's path is a key path");

/* ------------------------------------------------------------- error helpers */

struct pctx {
    const char *text; /* original document, for positions; NULL when there is none */
    size_t len;
    struct cfg_error *err;
    struct jpos_path path;
};

static int fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
{
    struct cfg_error *e = p->err;
    char what[sizeof e->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    e->kind = CFG_ERR_VALUE;
    snprintf(e->path, sizeof e->path, "%s", p->path.buf);
    /* A long path or value may cut the message short; it stays a readable prefix. */
    if (p->path.len)
        snprintf(e->message, sizeof e->message, "%.200s: %.300s", p->path.buf, what);
    else
        snprintf(e->message, sizeof e->message, "%s", what);
    jpos_locate(p->text, p->len, p->path.buf, at_key, &e->line, &e->column);
    return -1;
}

#define fail(p, ...) fail_at(p, false, __VA_ARGS__)

static void set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* A string as it may appear in a message: quoted, bounded, control characters escaped. */
static const char *quote_len(const char *s, size_t len, char *buf, size_t cap)
{
    const char *end = s + len;
    size_t n = 0;
    buf[n++] = '"';
    while (s < end) {
        unsigned char ch = (unsigned char)*s;
        size_t k = ch < 0x80 ? 1 : ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 0;
        if (k > (size_t)(end - s))
            k = 0;
        for (size_t i = 1; i < k; i++)
            if (((unsigned char)s[i] & 0xC0) != 0x80)
                k = 0; /* not UTF-8 (a name from a URL): show the byte escaped */
        if (n + (k > 1 ? k : 4) + 6 >= cap)
            break;
        if (k > 1) {
            memcpy(buf + n, s, k);
            n += k;
            s += k;
            continue;
        }
        if (ch < 0x20 || ch >= 0x7F)
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", ch);
        else if (ch == '"' || ch == '\\')
            n += (size_t)snprintf(buf + n, cap - n, "\\%c", ch);
        else
            buf[n++] = (char)ch;
        s++;
    }
    if (s < end)
        n += (size_t)snprintf(buf + n, cap - n, "...");
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

static const char *quote(const char *s, char *buf, size_t cap)
{
    return quote_len(s, strlen(s), buf, cap);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* "got an integer (42)": the value in short, so the user can find it. */
static int fail_type(struct pctx *p, const json_t *v, const char *expected)
{
    char shown[96] = "";
    if (json_is_string(v)) {
        quote(json_string_value(v), shown, 64);
    } else if (json_is_number(v) || json_is_boolean(v)) {
        char *d = json_dumps(v, JSON_ENCODE_ANY);
        snprintf(shown, sizeof shown, "%.60s", d ? d : "");
        free(d);
    }
    if (*shown)
        return fail(p, "expected %s, got %s (%s)", expected, type_name(v), shown);
    return fail(p, "expected %s, got %s", expected, type_name(v));
}

static int oom(struct pctx *p)
{
    return fail(p, "out of memory");
}

/* ------------------------------------------------------------- host syntax */

bool cfg_host_valid(const char *host)
{
    return addr_host_valid(host);
}

int cfg_parse_peer(const char *s, struct cfg_peer *out, char *why, size_t why_len)
{
    struct addr_hostport hp;
    out->host = NULL;
    out->port = 0;
    if (addr_parse_hostport(s, &hp, why, why_len) < 0)
        return -1;
    if (!(out->host = strdup(hp.host))) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    out->port = hp.port;
    return 0;
}

void cfg_peer_format(const struct cfg_peer *p, char *buf, size_t len)
{
    addr_format_hostport(p->host, p->port, buf, len);
}

/* host:port with the port required; v6 says the host must be an IPv6 literal (or a name),
 * !v6 that it must not be one, -1 either. */
static const char *endpoint_fits(const struct addr_hostport *hp, int v6)
{
    if (!hp->port)
        return "has no port (expected host:port or [address]:port)";
    if (v6 == 1 && hp->family == AF_INET)
        return "names an IPv4 address for an IPv6 transport";
    if (v6 == 0 && hp->family == AF_INET6)
        return "names an IPv6 address for an IPv4 transport (use udp6: or tcp6:)";
    return NULL;
}

static const char *check_endpoint(const char *s, int v6)
{
    struct addr_hostport hp;
    char why[128];
    if (addr_parse_hostport(s, &hp, why, sizeof why) < 0)
        return "is not host:port or [address]:port";
    return endpoint_fits(&hp, v6);
}

/* A net-snmp transport address: [udp:|tcp:|udp6:|tcp6:]host:port. */
static const char *check_transport(const char *s, bool port_optional)
{
    struct addr_endpoint e;
    char why[128];
    if (addr_parse_transport(s, &e, why, sizeof why) < 0)
        return port_optional ? "is not [udp:|tcp:|udp6:|tcp6:]host[:port]"
                             : "is not host:port or [address]:port";
    if (port_optional)
        return NULL;
    return endpoint_fits(&e.hp, e.transport == ADDR_UDP6 || e.transport == ADDR_TCP6);
}

static const char *check_master_listen(const char *s)
{
    return check_transport(s, false);
}

static const char *check_trap_sink(const char *s)
{
    return check_transport(s, true);
}

static const char *check_agentx(const char *s)
{
    if (s[0] == '/' || (!strncmp(s, "unix:", 5) && s[5]))
        return NULL;
    if (!strncmp(s, "tcp:", 4))
        return check_endpoint(s + 4, -1);
    return "is not an AgentX address (expected /path, unix:/path or tcp:host:port)";
}

static const char *check_listen(const char *s)
{
    return check_endpoint(s, -1);
}

static const char *check_cidr(const char *s)
{
    struct addr_cidr c;
    return addr_parse_cidr(s, &c) == 0
               ? NULL
               : "is not an address or CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)";
}

static const char *check_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CFG_MAX_NAME - 1)
        return "is not a valid name (1..63 characters)";
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return "is not a valid name (letters, digits, '.', '_', '-')";
    return NULL;
}

static const char *check_host(const char *s)
{
    return cfg_host_valid(s) ? NULL : "is not a valid host name or address";
}

static const char *check_query_name(const char *s)
{
    return !strcmp(s, ".") || cfg_host_valid(s) ? NULL
                                                : "is not a DNS name (\".\" asks for the root)";
}

/* c-ares takes servers as "address[:port],...": addresses only, a resolver cannot be named. */
static const char *check_resolver(const char *s)
{
    if (!*s)
        return "is empty (null uses /etc/resolv.conf)";
    while (*s) {
        char item[CFG_MAX_HOST + 16], why[128];
        size_t n = strcspn(s, ",");
        struct addr_hostport hp;
        if (n == 0 || n >= sizeof item)
            return "is not a list of address[:port] separated by commas";
        memcpy(item, s, n);
        item[n] = '\0';
        if (addr_parse_hostport(item, &hp, why, sizeof why) < 0)
            return "is not a list of address[:port] separated by commas";
        if (!hp.family)
            return "names a host: resolvers must be addresses (address[:port],...)";
        s += n;
        if (*s == ',' && !*++s)
            return "ends with a comma";
    }
    return NULL;
}

static const char *check_state_dir(const char *s)
{
    return s[0] == '/' ? NULL : "is not an absolute path";
}

static const char *check_nonempty(const char *s)
{
    return *s ? NULL : "is empty";
}

static const char *check_passphrase(const char *s)
{
    /* net-snmp refuses USM passphrases shorter than 8 characters (RFC 3414 §11.2). */
    return strlen(s) >= 8 ? NULL : "is shorter than 8 characters";
}

/* ------------------------------------------------------------- memory */

static void list_free(struct cfg_list *l)
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
        return fail_at(p, true, "unknown key (expected one of: %s)", expected);
    }
    return 0;
}

/* Looks key up in obj and pushes it on the path; NULL (path unchanged) when absent. */
static json_t *enter(struct pctx *p, json_t *obj, const char *key, size_t *old)
{
    json_t *v = json_object_get(obj, key);
    if (v)
        *old = jpos_path_key(&p->path, key);
    return v;
}

static int want_object(struct pctx *p, json_t *v, const char *const *keys)
{
    if (!json_is_object(v))
        return fail_type(p, v, "an object");
    return check_keys(p, v, keys);
}

static int want_array(struct pctx *p, json_t *v)
{
    if (!json_is_array(v))
        return fail_type(p, v, "an array");
    if (json_array_size(v) > CFG_MAX_LIST)
        return fail(p, "has %zu entries (at most %d)", json_array_size(v), CFG_MAX_LIST);
    return 0;
}

static int bool_value(struct pctx *p, json_t *v, bool *out)
{
    if (!json_is_boolean(v))
        return fail_type(p, v, "true or false");
    *out = json_is_true(v);
    return 0;
}

/* A string value: no NUL, bounded, and check() (when given) returning NULL. */
static int string_value(struct pctx *p, json_t *v, const char *(*check)(const char *),
                        const char **out)
{
    char shown[96];
    if (!json_is_string(v))
        return fail_type(p, v, "a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(p, "%s contains a NUL character",
                    quote_len(s, json_string_length(v), shown, sizeof shown));
    if (json_string_length(v) > CFG_MAX_STRING)
        return fail(p, "is longer than %d bytes", CFG_MAX_STRING);
    const char *why = check ? check(s) : NULL;
    if (why)
        return fail(p, "%s %s", quote(s, shown, sizeof shown), why);
    *out = s;
    return 0;
}

static int replace_str(struct pctx *p, char **field, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        return oom(p);
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
        return fail(p, "%s %s", quote(s, shown, sizeof shown), why);
    return 0;
}

/* For the members of a list's objects: reads key of obj with fn when present. */
static int read_member(struct pctx *p, json_t *obj, const char *key,
                       int (*fn)(struct pctx *, json_t *, void *), void *out)
{
    size_t old = 0;
    json_t *v = enter(p, obj, key, &old);
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
    if (string_value(p, v, check_host, &s) < 0)
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
        return fail_type(p, v, "an integer");
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
    return fail(p, "%s is not %s", quote(s, shown, sizeof shown), f->what);
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
        return oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        if (peer_value(p, item, &l.items[i]) < 0) {
            list_free(&l);
            return -1;
        }
        l.n++;
        jpos_path_pop(&p->path, o);
    }
    list_free(FIELD(c, f, struct cfg_list));
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
    list_free(FIELD(c, f, struct cfg_list));
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
        return oom(p);
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
            return oom(p);
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

static int parse_scanner(struct pctx *p, json_t *o, struct cfg_scanner *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    if (want_object(p, o, scanner_keys) < 0)
        return -1;
    for (const char *const *k = scanner_keys; *k; k++)
        if (!json_object_get(o, *k))
            return fail(p, "missing key \"%s\" (a scanner has a name and a host)", *k);
    v = enter(p, o, "name", &old);
    if (string_value(p, v, check_name, &s) < 0)
        return -1;
    if (!(out->name = strdup(s)))
        return oom(p);
    jpos_path_pop(&p->path, old);
    v = enter(p, o, "host", &old);
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
        return oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i);
        tmp.n_scanners++; /* counted before filling, so a half-built entry is freed too */
        if (parse_scanner(p, item, &tmp.scanners[i]) < 0) {
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

/* updates: [{"purpose", "host", "port", "enabled"}], the vendor's sources by default */

static int parse_update(struct pctx *p, json_t *o, struct cfg_update *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    char shown[96];
    size_t k;
    if (want_object(p, o, update_keys) < 0)
        return -1;
    if (!json_object_get(o, "purpose"))
        return fail(p, "missing key \"purpose\"");
    if (!json_object_get(o, "host"))
        return fail(p, "missing key \"host\"");
    v = enter(p, o, "purpose", &old);
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    for (k = 0; k < sizeof update_purposes / sizeof update_purposes[0]; k++)
        if (!strcmp(s, update_purposes[k]))
            break;
    if (k == sizeof update_purposes / sizeof update_purposes[0])
        return fail(p,
                    "%s is not an update purpose (expected software, registration, rules, "
                    "antivirus or rapid-response)",
                    quote(s, shown, sizeof shown));
    if (!(out->purpose = strdup(s)))
        return oom(p);
    jpos_path_pop(&p->path, old);
    if (read_member(p, o, "host", host_member, &out->host) < 0)
        return -1;
    /* Without a port, the source is checked on its flow's port (6: 443, 19: 80, 20: 21). */
    out->port = cat_flow(cat_update_flow(out->purpose))->port;
    out->enabled = true;
    unsigned port = out->port;
    if ((v = enter(p, o, "port", &old))) {
        if (!json_is_integer(v))
            return fail_type(p, v, "an integer");
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
        return oom(p);
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
        return oom(p);
    }
    json_array_foreach(v, i, item)
    {
        size_t o = jpos_path_index(&p->path, i), ko = 0;
        const char *s;
        json_t *a = item;
        if (json_is_object(item)) {
            if (want_object(p, item, trap_sink_keys) < 0 ||
                read_member(p, item, "inform", bool_member, &inform[n]) < 0)
                goto fail;
            if (!(a = enter(p, item, "address", &ko))) {
                fail(p, "missing key \"address\" (a sink object has an address and inform)");
                goto fail;
            }
        }
        if (string_value(p, a, check_trap_sink, &s) < 0)
            goto fail;
        if (!(l[n] = strdup(s))) {
            oom(p);
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
        if (!check_name(host))
            return (c->name = strdup(host)) != NULL;
    }
    return (c->name = strdup("smsa")) != NULL;
}

static const char *check_listen_opt(const char *s)
{
    return *s ? check_listen(s) : NULL; /* "" turns REST off, like null */
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
     .check = check_name,
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
    {.path = "updates", .type = &t_updates},
    UINT_KEY("probe.interval_ms", probe.interval_ms, 10000, 100, 3600000, 0),
    UINT_KEY("probe.timeout_ms", probe.timeout_ms, 3000, 50, 60000, 0),
    UINT_KEY("probe.fail_threshold", probe.fail_threshold, 3, 1, 100, 0),
    UINT_KEY("probe.recover_threshold", probe.recover_threshold, 1, 1, 100, 0),
    STR_KEY("probe.dns_query_name", probe.dns_query_name, ".", check_query_name, 0),
    STR_KEY("probe.resolver", probe.resolver, NULL, check_resolver, F_NULLABLE),
    {.path = "snmp.mode",
     .type = &t_enum,
     .off = AT(snmp.mode),
     .def = SNMP_MODE_SUBAGENT,
     .name = mode_name,
     .n_names = SNMP_MODE_OFF + 1,
     .what = "an SNMP mode (expected subagent, master or off)",
     .flags = F_RESTART},
    STR_KEY("snmp.agentx_socket", snmp.agentx_socket, "/var/agentx/master", check_agentx, 0),
    STR_KEY("snmp.master_listen", snmp.master_listen, "udp:127.0.0.1:1161", check_master_listen,
            F_RESTART),
    UINT_KEY("snmp.ping_interval_s", snmp.ping_interval_s, 5, 1, 3600, 0),
    STR_KEY("snmp.community", snmp.community, CFG_WELL_KNOWN_COMMUNITY, check_nonempty,
            F_NULLABLE | F_RESTART | F_SECRET),
    STR_KEY("snmp.usm_user", snmp.usm_user, NULL, check_nonempty, F_NULLABLE | F_RESTART),
    STR_KEY("snmp.usm_auth_key", snmp.usm_auth_key, NULL, check_passphrase,
            F_NULLABLE | F_RESTART | F_SECRET),
    STR_KEY("snmp.usm_priv_key", snmp.usm_priv_key, NULL, check_passphrase,
            F_NULLABLE | F_RESTART | F_SECRET),
    {.path = "snmp.trap_sinks", .type = &t_trap_sinks, .flags = F_RESTART},
    STR_KEY("snmp.trap_community", snmp.trap_community, CFG_WELL_KNOWN_COMMUNITY, check_nonempty,
            F_RESTART | F_SECRET),
    UINT_KEY("snmp.notify_rate_limit", snmp.notify_rate_limit, 60, 0, 100000, 0),
    UINT_KEY("snmp.notify_queue", snmp.notify_queue, 1000, 1, 100000, 0),
    STR_KEY("http.listen", http.listen, "127.0.0.1:8161", check_listen_opt, F_NULLABLE | F_RESTART),
    STR_KEY("http.token_file", http.token_file, NULL, check_nonempty, F_NULLABLE),
    {.path = "http.allow",
     .type = &t_strv,
     .off = AT(http.allow),
     .n_off = AT(http.n_allow),
     .def_strv = default_allow,
     .check = check_cidr},
    STR_KEY("http.tls_cert", http.tls_cert, NULL, check_nonempty, F_NULLABLE | F_RESTART),
    STR_KEY("http.tls_key", http.tls_key, NULL, check_nonempty, F_NULLABLE | F_RESTART),
    UINT_KEY("http.max_connections", http.max_connections, 256, 1, 10000, F_RESTART),
    UINT_KEY("http.per_ip_connections", http.per_ip_connections, 64, 1, 10000, F_RESTART),
    UINT_KEY("http.timeout_s", http.timeout_s, 30, 1, 3600, F_RESTART),
    STR_KEY("state_dir", state_dir, CFG_DEFAULT_STATE_DIR, check_state_dir, F_RESTART),
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
    json_t *v = enter(p, obj, key, &old);
    if (!v)
        return 0;
    if (f->type->read(p, v, c, f) < 0)
        return -1;
    jpos_path_pop(&p->path, old);
    return 0;
}

/* An object with no key that section lacks. */
static int want_section(struct pctx *p, json_t *obj, const char *section)
{
    const char *keys[N_FIELDS + 1];
    keys_of(section, keys, NULL);
    return want_object(p, obj, keys);
}

/* The object of one section ("snmp"), every key it has replacing its default. */
static int read_section(struct pctx *p, json_t *obj, const char *section, struct cfg *c)
{
    size_t slen = strlen(section);
    if (want_section(p, obj, section) < 0)
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
static int read_document(struct pctx *p, json_t *root, struct cfg *c)
{
    const char *keys[N_FIELDS + 1];
    char names[N_FIELDS + 1][32];
    keys_of(NULL, keys, names);
    if (want_object(p, root, keys) < 0)
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
        json_t *v = enter(p, root, name, &old);
        if (!v)
            continue;
        if (read_section(p, v, name, c) < 0)
            return -1;
        jpos_path_pop(&p->path, old);
    }
    return 0;
}

/* The configuration as JSON; secrets as "********" when masked. */
static json_t *to_json(const struct cfg *c, bool masked)
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
        if (!v || !into || json_object_set_new(into, f->path + (len ? len + 1 : 0), v) < 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

/* Each number within its bounds (a copy changed in memory may not be). */
static int check_numbers(struct pctx *p, const struct cfg *c)
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
static int reset_section(struct cfg *c, const char *section)
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
static int read_key(struct pctx *p, json_t *v, struct cfg *c, const char *path)
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

/* ------------------------------------------------------------- documents */

/* The first container nested deeper than CFG_MAX_DEPTH, with its path in p. */
static int check_depth(struct pctx *p, json_t *v, int depth)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (depth > CFG_MAX_DEPTH)
        return fail(p, "is nested deeper than %d levels", CFG_MAX_DEPTH);
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m)
        {
            size_t old = jpos_path_key(&p->path, key);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
        }
    } else {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            size_t old = jpos_path_index(&p->path, i);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
        }
    }
    return 0;
}

/* Parses text as JSON; syntax errors carry jansson's line and column. */
static json_t *load_json(struct pctx *p, const char *text, size_t len)
{
    json_error_t je;
    /* jansson takes a raw NUL byte for the end of its input and would parse only what comes
     * before it; no JSON text contains one (RFC 8259 §7: control characters are escaped). */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        set_error(p->err, CFG_ERR_SYNTAX, "not valid JSON: a NUL byte at offset %zu",
                  (size_t)(nul - text));
        p->err->line = 1;
        p->err->column = 1;
        for (const char *c = text; c < nul; c++) {
            p->err->column++;
            if (*c == '\n') {
                p->err->line++;
                p->err->column = 1;
            }
        }
        return NULL;
    }
    /* an escaped \u0000 is let through so it is refused with a key path */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        set_error(p->err, CFG_ERR_SYNTAX, "not valid JSON: %s", je.text);
        p->err->line = je.line;
        p->err->column = je.column;
        return NULL;
    }
    if (check_depth(p, root, 1) < 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static void pctx_init(struct pctx *p, const char *text, size_t len, struct cfg_error *err)
{
    memset(p, 0, sizeof *p);
    p->text = text;
    p->len = len;
    p->err = err;
    memset(err, 0, sizeof *err);
}

static int validate(struct pctx *p, struct cfg *c);

struct cfg *cfg_parse(const char *text, size_t len, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len);
    if (!root)
        return NULL;
    struct cfg *c = cfg_defaults();
    if (!c) {
        oom(&p);
        json_decref(root);
        return NULL;
    }
    int rc = read_document(&p, root, c);
    rc = rc < 0 ? rc : validate(&p, c);
    rc = rc < 0 ? rc : cfg_fill_ntp_servers(c) < 0 ? oom(&p) : 0;
    json_decref(root);
    if (rc < 0) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

struct cfg *cfg_load(const char *path, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct stat st;
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_error(err, CFG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        set_error(err, CFG_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        set_error(err, CFG_ERR_IO, "%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size > CFG_MAX_FILE_BYTES) {
        set_error(err, CFG_ERR_IO, "%s is %lld bytes, larger than the %d allowed", path,
                  (long long)st.st_size, CFG_MAX_FILE_BYTES);
        close(fd);
        return NULL;
    }
    /* One byte more than allowed, so a file that grew since fstat is still refused. */
    char *buf = malloc(CFG_MAX_FILE_BYTES + 1);
    size_t len = 0;
    if (!buf) {
        set_error(err, CFG_ERR_IO, "cannot read %s: out of memory", path);
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, CFG_MAX_FILE_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_error(err, CFG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > CFG_MAX_FILE_BYTES) {
            set_error(err, CFG_ERR_IO, "%s is larger than the %d bytes allowed", path,
                      CFG_MAX_FILE_BYTES);
            free(buf);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    struct cfg *c = cfg_parse(buf, len, err);
    free(buf);
    return c;
}

/* ------------------------------------------------------------- validation */

static int validate_list(struct pctx *p, const char *path, const struct cfg_list *l)
{
    size_t old = jpos_path_key(&p->path, path);
    if (l->n > CFG_MAX_LIST)
        return fail(p, "has %zu entries (at most %d)", l->n, CFG_MAX_LIST);
    for (size_t i = 0; i < l->n; i++) {
        size_t o = jpos_path_index(&p->path, i);
        if (!l->items[i].host || !cfg_host_valid(l->items[i].host))
            return fail(p, "is not a valid host name or address");
        jpos_path_pop(&p->path, o);
    }
    jpos_path_pop(&p->path, old);
    return 0;
}

int cfg_fill_ntp_servers(struct cfg *c)
{
    if (!c->ntp_enabled || c->ntp_servers.n)
        return 0;
    size_t n = sizeof default_ntp_servers / sizeof default_ntp_servers[0];
    struct cfg_list l = {calloc(n, sizeof *l.items), 0};
    if (!l.items)
        return -1;
    for (; l.n < n; l.n++) {
        if (!(l.items[l.n].host = strdup(default_ntp_servers[l.n]))) {
            list_free(&l);
            return -1;
        }
    }
    list_free(&c->ntp_servers);
    c->ntp_servers = l;
    return 0;
}

/* Checks across keys, with p->path at the document root. */
static int validate(struct pctx *p, struct cfg *c)
{
    char shown[96];
    if (check_numbers(p, c) < 0)
        return -1;
    if (c->probe.timeout_ms >= c->probe.interval_ms) {
        jpos_path_key(&p->path, "probe.timeout_ms");
        return fail(p, "%u must be less than probe.interval_ms (%u)", c->probe.timeout_ms,
                    c->probe.interval_ms);
    }
    if (c->http.per_ip_connections > c->http.max_connections) {
        jpos_path_key(&p->path, "http.per_ip_connections");
        return fail(p, "%u is more than http.max_connections (%u)", c->http.per_ip_connections,
                    c->http.max_connections);
    }
    if (!c->name || check_name(c->name)) {
        jpos_path_key(&p->path, "appliance.name");
        return fail(p, "is not a valid name (1..63 letters, digits, '.', '_', '-')");
    }
    if (c->control_center && !cfg_host_valid(c->control_center)) {
        jpos_path_key(&p->path, "peers.control_center");
        return fail(p, "is not a valid host name or address");
    }
    if (c->n_scanners > CFG_MAX_LIST) {
        jpos_path_key(&p->path, "peers.scanners");
        return fail(p, "has %zu entries (at most %d)", c->n_scanners, CFG_MAX_LIST);
    }
    for (size_t i = 0; i < c->n_scanners; i++) {
        const struct cfg_scanner *s = &c->scanners[i];
        jpos_path_key(&p->path, "peers.scanners");
        jpos_path_index(&p->path, i);
        jpos_path_key(&p->path, "name");
        if (!s->name || check_name(s->name))
            return fail(p, "is not a valid name (1..63 letters, digits, '.', '_', '-')");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->scanners[j].name, s->name))
                return fail(p, "duplicate scanner name %s (also peers.scanners[%zu])",
                            quote(s->name, shown, sizeof shown), j);
        jpos_path_pop(&p->path, 0);
        if (!s->peer.host || !cfg_host_valid(s->peer.host)) {
            jpos_path_key(&p->path, "peers.scanners");
            jpos_path_index(&p->path, i);
            jpos_path_key(&p->path, "host");
            return fail(p, "is not a valid host name or address");
        }
    }
    if (validate_list(p, "peers.dns_servers", &c->dns_servers) < 0 ||
        validate_list(p, "peers.ldap_servers", &c->ldap_servers) < 0 ||
        validate_list(p, "peers.internal_mail_servers", &c->internal_mail_servers) < 0 ||
        validate_list(p, "peers.internet_mail_hosts", &c->internet_mail_hosts) < 0 ||
        validate_list(p, "peers.management_hosts", &c->management_hosts) < 0 ||
        validate_list(p, "ntp.servers", &c->ntp_servers) < 0)
        return -1;
    if (c->n_updates > CFG_MAX_LIST) {
        jpos_path_key(&p->path, "updates");
        return fail(p, "has %zu entries (at most %d)", c->n_updates, CFG_MAX_LIST);
    }
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        jpos_path_key(&p->path, "updates");
        jpos_path_index(&p->path, i);
        if (!u->purpose || !cat_update_flow(u->purpose)) {
            jpos_path_key(&p->path, "purpose");
            return fail(p, "is not an update purpose");
        }
        if (!u->host || !cfg_host_valid(u->host)) {
            jpos_path_key(&p->path, "host");
            return fail(p, "is not a valid host name or address");
        }
        if (!u->port) {
            jpos_path_key(&p->path, "port");
            return fail(p, "0 is out of range (1..65535)");
        }
        jpos_path_pop(&p->path, 0);
    }
    if (!c->probe.dns_query_name || !c->snmp.agentx_socket || !c->snmp.master_listen ||
        !c->snmp.trap_community) {
        jpos_path_key(&p->path, !c->probe.dns_query_name ? "probe.dns_query_name"
                                : !c->snmp.agentx_socket ? "snmp.agentx_socket"
                                : !c->snmp.master_listen ? "snmp.master_listen"
                                                         : "snmp.trap_community");
        return fail(p, "must be set");
    }
    if (c->snmp.usm_user && (!c->snmp.usm_auth_key || !c->snmp.usm_priv_key)) {
        jpos_path_key(&p->path, c->snmp.usm_auth_key ? "snmp.usm_priv_key" : "snmp.usm_auth_key");
        return fail(p, "must be set when snmp.usm_user is (USM users here are authPriv)");
    }
    if (!c->http.tls_cert != !c->http.tls_key) {
        jpos_path_key(&p->path, c->http.tls_cert ? "http.tls_key" : "http.tls_cert");
        return fail(p, "must be set together with %s",
                    c->http.tls_cert ? "http.tls_cert" : "http.tls_key");
    }
    if (c->snmp.n_trap_sinks > CFG_MAX_LIST || c->http.n_allow > CFG_MAX_LIST) {
        jpos_path_key(&p->path,
                      c->snmp.n_trap_sinks > CFG_MAX_LIST ? "snmp.trap_sinks" : "http.allow");
        return fail(p, "has too many entries (at most %d)", CFG_MAX_LIST);
    }
    if (!c->state_dir || check_state_dir(c->state_dir)) {
        jpos_path_key(&p->path, "state_dir");
        return fail(p, "is not an absolute path");
    }
    return 0;
}

int cfg_validate(struct cfg *c, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    pctx_init(&p, NULL, 0, err ? err : &dummy);
    return validate(&p, c);
}

/* ------------------------------------------------------------- serialise */

static char *serialise(const struct cfg *c, bool masked)
{
    json_t *doc = to_json(c, masked);
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

char *cfg_serialise(const struct cfg *c)
{
    return serialise(c, false);
}

char *cfg_serialise_masked(const struct cfg *c)
{
    return serialise(c, true);
}

/* ------------------------------------------------------------- diff */

static void diff_add(char *buf, size_t len, size_t *k, const char *path, const char *note)
{
    if (*k >= len)
        return;
    int n = snprintf(buf + *k, len - *k, "%s%s%s", *k ? ", " : "", path[0] ? path : "(all)", note);
    *k += n > 0 ? (size_t)n : 0;
    if (*k >= len && len > 4)
        memcpy(buf + len - 4, "...", 4); /* truncated: say so */
}

/* Objects are compared key by key, arrays item by item when their length is the same (else
 * the array is named with both lengths), anything else by value. */
static void diff_json(json_t *a, json_t *b, char *path, size_t plen, char *buf, size_t len,
                      size_t *k)
{
    size_t at = strlen(path);
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        json_t *va;
        json_object_foreach(a, key, va)
        {
            snprintf(path + at, plen - at, "%s%s", at ? "." : "", key);
            json_t *vb = json_object_get(b, key);
            if (vb)
                diff_json(va, vb, path, plen, buf, len, k);
            else
                diff_add(buf, len, k, path, "");
        }
        json_t *vb;
        json_object_foreach(b, key, vb)
        {
            if (json_object_get(a, key))
                continue;
            snprintf(path + at, plen - at, "%s%s", at ? "." : "", key);
            diff_add(buf, len, k, path, "");
        }
    } else if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        if (na != nb) {
            char note[64];
            snprintf(note, sizeof(note), " (%zu -> %zu items)", na, nb);
            diff_add(buf, len, k, path, note);
        } else {
            for (size_t i = 0; i < na; i++) {
                snprintf(path + at, plen - at, "[%zu]", i);
                diff_json(json_array_get(a, i), json_array_get(b, i), path, plen, buf, len, k);
            }
        }
    } else if (!json_equal(a, b)) {
        diff_add(buf, len, k, path, "");
    }
    path[at] = '\0';
}

size_t cfg_diff(const struct cfg *a, const struct cfg *b, char *buf, size_t len)
{
    size_t k = 0;
    if (len == 0)
        return 0;
    buf[0] = '\0';
    json_t *ja = to_json(a, false), *jb = to_json(b, false);
    if (ja && jb) {
        char path[512] = "";
        diff_json(ja, jb, path, sizeof(path), buf, len, &k);
    }
    json_decref(ja);
    json_decref(jb);
    return k < len ? k : len - 1;
}

int cfg_save_begin(const struct cfg *c, const char *path, struct cfg_saved *s,
                   struct cfg_error *err)
{
    struct cfg_error dummy;
    const char *step = "serialise the configuration for";
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    char *text = cfg_serialise(c);
    int rc = -1;
    memset(s, 0, sizeof *s);
    s->file.folder = -1;
    errno = ENOMEM;
    if (text)
        rc = atomic_begin(path, text, &s->file, &step);
    if (rc < 0)
        set_error(err, CFG_ERR_IO, "cannot %s %s: %s", step, path, strerror(errno));
    free(text);
    return rc;
}

void cfg_save_commit(struct cfg_saved *s)
{
    atomic_commit(&s->file);
}

int cfg_save_undo(struct cfg_saved *s)
{
    return atomic_undo(&s->file);
}

int cfg_save(const struct cfg *c, const char *path, struct cfg_error *err)
{
    struct cfg_saved s;
    if (cfg_save_begin(c, path, &s, err) < 0)
        return -1;
    cfg_save_commit(&s);
    return 0;
}

/* ------------------------------------------------------------- exposure */

/* Whether a master_listen address ([transport:]host:port) reaches only this host. */
static bool listen_is_loopback(const char *listen)
{
    struct addr_endpoint e;
    char why[128];
    return addr_parse_transport(listen, &e, why, sizeof why) == 0 &&
           addr_hostport_is_loopback(&e.hp);
}

int cfg_check_master_exposure(const struct cfg *c, struct cfg_error *err)
{
    struct cfg_error dummy;
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    if (!c->snmp.master_listen || listen_is_loopback(c->snmp.master_listen))
        return 0;
    if (c->snmp.community && !strcmp(c->snmp.community, CFG_WELL_KNOWN_COMMUNITY)) {
        set_error(err, CFG_ERR_VALUE,
                  "snmp.community: master mode on \"%s\" (beyond loopback) refuses the "
                  "well-known community \"%s\"; set snmp.community to a secret of your own, or "
                  "to null with an snmp.usm_user",
                  c->snmp.master_listen, CFG_WELL_KNOWN_COMMUNITY);
        snprintf(err->path, sizeof err->path, "snmp.community");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- REST writes */

static struct cfg *with_finish(struct pctx *p, struct cfg *next, json_t *root)
{
    json_decref(root);
    /* Cross-key checks of the whole result; their paths are document paths. */
    jpos_path_pop(&p->path, 0);
    p->text = NULL;
    if (validate(p, next) < 0 || (cfg_fill_ntp_servers(next) < 0 && oom(p) < 0)) {
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
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len);
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (want_section(&p, root, section) < 0)
        goto refuse;
    for (const char *const *k = required; k && *k; k++) {
        if (!json_object_get(root, *k)) {
            fail(&p, "missing key \"%s\"", *k);
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        oom(&p);
        goto refuse;
    }
    /* the section is replaced whole: what the text leaves out takes its default */
    if (reset_section(next, section) < 0) {
        oom(&p);
        goto refuse;
    }
    if (read_section(&p, root, section, next) < 0)
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
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len), *v = root;
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (wrapper && !json_is_array(root)) {
        const char *keys[] = {wrapper, NULL};
        if (want_object(&p, root, keys) < 0)
            goto refuse;
        if (!(v = enter(&p, root, wrapper, &old))) {
            fail(&p, "missing key \"%s\" (expected {\"%s\": [...]} or an array)", wrapper, wrapper);
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        oom(&p);
        goto refuse;
    }
    if (read_key(&p, v, next, key) < 0)
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
    pctx_init(&p, json, len, err ? err : &dummy);
    json_t *root = load_json(&p, json, len);
    if (!root)
        return NULL;
    struct cfg_scanner s = {NULL, {NULL, 0}};
    struct cfg *next = NULL;
    if (parse_scanner(&p, root, &s) < 0)
        goto refuse;
    for (size_t i = 0; i < base->n_scanners; i++) {
        if (!strcmp(base->scanners[i].name, s.name)) {
            size_t old = 0;
            enter(&p, root, "name", &old);
            fail(&p, "a scanner named %s already exists", quote(s.name, shown, sizeof shown));
            goto refuse;
        }
    }
    if (base->n_scanners >= CFG_MAX_LIST) {
        fail(&p, "there are already %d scanners (at most %d)", CFG_MAX_LIST, CFG_MAX_LIST);
        goto refuse;
    }
    if (!(next = cfg_clone(base))) {
        oom(&p);
        goto refuse;
    }
    struct cfg_scanner *grown = realloc(next->scanners, (next->n_scanners + 1) * sizeof *grown);
    if (!grown) {
        oom(&p);
        goto refuse;
    }
    next->scanners = grown;
    next->scanners[next->n_scanners++] = s;
    return with_finish(&p, next, root);
refuse:
    free(s.name);
    free(s.peer.host);
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
            set_error(err, CFG_ERR_VALUE, "out of memory");
            return NULL;
        }
        free(next->scanners[i].name);
        free(next->scanners[i].peer.host);
        memmove(&next->scanners[i], &next->scanners[i + 1],
                (next->n_scanners - i - 1) * sizeof *next->scanners);
        next->n_scanners--;
        if (cfg_validate(next, err) < 0) {
            cfg_free(next);
            return NULL;
        }
        return next;
    }
    set_error(err, CFG_ERR_NOT_FOUND, "no scanner named %s", quote(name, shown, sizeof shown));
    return NULL;
}
